-- bench/performance.lua — wrk script for bench/performance.sh.
--
-- Every request is GET of BENCH_PATH with `{id}` replaced by a uniformly
-- random id in [BENCH_MIN_ID, BENCH_MAX_ID] (the path may have no `{id}`),
-- and `Authorization: Bearer $BENCH_TOKEN`.
--
--   BENCH_PATH='/v1/performance?scope=person:{id}&period=FY2026-Q4' BENCH_MIN_ID=1 BENCH_MAX_ID=1000 \
--   BENCH_TOKEN=eyJ... wrk -t2 -c32 -d10s --latency -s bench/performance.lua http://127.0.0.1:8080

local function need(name)
	local v = os.getenv(name)
	if v == nil or v == "" then
		error("bench/performance.lua: environment variable " .. name .. " is not set")
	end
	return v
end

local path = need("BENCH_PATH")
local min_id = tonumber(os.getenv("BENCH_MIN_ID") or "1")
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "1")
local headers = { ["Authorization"] = "Bearer " .. need("BENCH_TOKEN") }

local counter = 0
function setup(thread)
	counter = counter + 1
	thread:set("thread_no", counter)
end

function init(args)
	math.randomseed(os.time() * 1000 + (thread_no or 0))
end

function request()
	local p = path:gsub("{id}", tostring(math.random(min_id, max_id)))
	return wrk.format("GET", p, headers)
end

function response(status, headers, body)
	if status ~= 200 then
		error("bench/performance.lua: " .. status .. " " .. body)
	end
end
