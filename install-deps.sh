#!/bin/sh
# Installs the Debian 12 packages needed to build xff-gateway and to run
# its whole test suite.  Safe to run again.  Needs root (or sudo).
set -e
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
PKGS="build-essential autoconf automake pkg-config
 libfcgi-dev libfcgi-bin libiniparser-dev libcmocka-dev
 nginx-light spawn-fcgi fcgiwrap lighttpd php-fpm
 uwsgi-core uwsgi-plugin-python3 python3 python3-werkzeug
 curl wrk valgrind clang libclang-rt-14-dev haproxy procps systemd util-linux
 logrotate"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# Debian starts these services on installation; the tests run their own.
for s in nginx php8.2-fpm lighttpd haproxy fcgiwrap; do
	$SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true
done
exit 0
