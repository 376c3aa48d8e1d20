-- post-body.lua: wrk script for tests/bench/bench_http.py.  Every request
-- is a POST carrying a body of BENCH_BODY_BYTES bytes (default 1 MiB);
-- the headers given with wrk -H are kept.
local size = tonumber(os.getenv("BENCH_BODY_BYTES") or "") or 1048576

wrk.method = "POST"
wrk.body = string.rep("0123456789abcdef", math.floor(size / 16)) ..
    string.sub("0123456789abcdef", 1, size % 16)
wrk.headers["Content-Type"] = "application/octet-stream"
