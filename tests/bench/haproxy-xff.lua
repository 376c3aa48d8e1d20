-- haproxy-xff.lua: the X-Forwarded-For correction people do today in
-- HAProxy, used by tests/bench/bench_http.py as the comparison for
-- xff-gateway.
--
--	lua-load-per-thread haproxy-xff.lua
--	http-request lua.xff_depth XFOR XPROTO
--
-- Reads every X-Forwarded-For line, splits on commas, trims spaces and
-- tabs, drops empty elements and takes the XFOR-th element from the right
-- (the leftmost when there are fewer); a valid IP literal (IPv4, IPv6,
-- [IPv6], with an optional port) becomes the request header X-Client-IP,
-- which nginx passes on as REMOTE_ADDR.  The XPROTO-th element from the
-- right of X-Forwarded-Proto sets X-Client-Https: on when it is "https".
-- Both headers are removed first, so a client cannot send its own.

-- Appends the non-empty comma-separated elements of every line of a
-- header (txn.http:req_get_headers() numbers the lines from 0) to out.
local function elements(lines)
	local out = {}
	local i = 0

	if lines == nil then
		return out
	end
	while lines[i] ~= nil do
		for e in string.gmatch(lines[i], "[^,]+") do
			e = string.match(e, "^[ \t]*(.-)[ \t]*$")
			if e ~= "" then
				out[#out + 1] = e
			end
		end
		i = i + 1
	end
	return out
end

-- Returns the address of an IPv4 or IPv6 literal with an optional port,
-- or nil.
local function address(e)
	local a, b, c, d, port = string.match(e,
	    "^(%d+)%.(%d+)%.(%d+)%.(%d+):?(%d*)$")

	if a ~= nil then
		for _, o in ipairs({a, b, c, d}) do
			if #o > 3 or tonumber(o) > 255 or
			    (#o > 1 and string.sub(o, 1, 1) == "0") then
				return nil
			end
		end
		if port ~= "" and (tonumber(port) < 1 or
		    tonumber(port) > 65535) then
			return nil
		end
		return a .. "." .. b .. "." .. c .. "." .. d
	end
	local v6 = string.match(e, "^%[([%x:%.]+)%]:?%d*$") or
	    string.match(e, "^([%x:%.]+)$")
	if v6 ~= nil and string.find(v6, ":", 1, true) ~= nil and #v6 <= 45 then
		return v6
	end
	return nil
end

core.register_action("xff_depth", { "http-req" }, function(txn, xfor, xproto)
	local hdrs = txn.http:req_get_headers()
	local nfor = tonumber(xfor) or 1
	local nproto = tonumber(xproto) or 0
	local ip, list

	txn.http:req_del_header("X-Client-IP")
	txn.http:req_del_header("X-Client-Https")
	list = elements(hdrs["x-forwarded-for"])
	if nfor > 0 and #list > 0 then
		if #list >= nfor then
			ip = address(list[#list - nfor + 1])
		else
			ip = address(list[1])
		end
		if ip ~= nil then
			txn.http:req_set_header("X-Client-IP", ip)
		end
	end
	list = elements(hdrs["x-forwarded-proto"])
	if nproto > 0 and #list >= nproto and
	    string.lower(list[#list - nproto + 1]) == "https" then
		txn.http:req_set_header("X-Client-Https", "on")
	end
end, 2)
