-- bench/people_get.lua — wrk script for bench/people_get.sh.
--
-- Every request is GET /v1/people/{id} with a uniformly random id in
-- [BENCH_MIN_ID, BENCH_MAX_ID] and `Authorization: Bearer $BENCH_TOKEN`.
--
--   BENCH_MIN_ID=1 BENCH_MAX_ID=10000 BENCH_TOKEN=eyJ... \
--     wrk -t2 -c32 -d10s --latency -s bench/people_get.lua http://127.0.0.1:8080

local function need(name)
	local v = os.getenv(name)
	if v == nil or v == "" then
		error("bench/people_get.lua: environment variable " .. name .. " is not set")
	end
	return v
end

local min_id = tonumber(need("BENCH_MIN_ID"))
local max_id = tonumber(need("BENCH_MAX_ID"))
local headers = { ["Authorization"] = "Bearer " .. need("BENCH_TOKEN") }

-- Each wrk thread has its own Lua state: give each its own random sequence.
local counter = 0
function setup(thread)
	counter = counter + 1
	thread:set("thread_no", counter)
end

function init(args)
	math.randomseed(os.time() * 1000 + (thread_no or 0))
end

function request()
	return wrk.format("GET", "/v1/people/" .. math.random(min_id, max_id), headers)
end
