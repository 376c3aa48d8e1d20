"""Test backend for the integration suite, run under uWSGI's FastCGI mode.

Answers, as JSON, what Werkzeug's Request believes about the request
(the values Flask would use, with no ProxyFix in front) and the raw
WSGI environ keys the correction touches.  ?sleep=S holds the process
S seconds first (a slow page).
"""
import json
import time

from werkzeug.wrappers import Request, Response

ENVIRON_KEYS = (
    "REMOTE_ADDR", "REMOTE_PORT", "HTTPS", "wsgi.url_scheme", "UWSGI_SCHEME",
    "REQUEST_SCHEME", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT",
    "SCRIPT_NAME", "PATH_INFO", "REQUEST_URI",
)


def application(environ, start_response):
    request = Request(environ)
    if "sleep" in request.args:
        time.sleep(float(request.args["sleep"]))
    raw = {}
    for key in ENVIRON_KEYS:
        if key in environ:
            raw[key] = environ[key]
    for key in environ:
        if key.startswith("HTTP_X_FORWARDED") or key.startswith("ORIGINAL_") \
                or key == "HTTP_FORWARDED":
            raw[key] = environ[key]
    out = {
        "remote_addr": request.remote_addr,
        "url_root": request.url_root,
        "host_url": request.host_url,
        "url": request.url,
        "is_secure": request.is_secure,
        "host": request.host,
        "scheme": request.scheme,
        "script_root": request.script_root,
        "path": request.path,
        "environ": raw,
    }
    body = json.dumps(out, sort_keys=True) + "\n"
    return Response(body, mimetype="application/json")(environ, start_response)
