-- bench/leads_score.lua — wrk script for bench/leads_score.sh.
--
-- Every request is POST /v1/leads/score of a b2c lead (engagement, need and a
-- channel attribute varied at random) with `Authorization: Bearer $BENCH_TOKEN`.
--
--   BENCH_TOKEN=eyJ... wrk -t2 -c4 -d5s --latency -s bench/leads_score.lua http://127.0.0.1:8080

local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then
	error("bench/leads_score.lua: environment variable BENCH_TOKEN is not set")
end
local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
local channels = { "web", "ads", "fair" }
local needs = { "low", "medium", "high" }

-- No seeding: every run asks the same sequence of leads (each wrk thread too).
function request()
	local body = string.format(
		'{"segment":"b2c","engagement":%d,"need":"%s","attributes":{"channel":"%s","visits":%d}}',
		math.random(0, 100), needs[math.random(1, 3)], channels[math.random(1, 3)], math.random(0, 19))
	return wrk.format("POST", "/v1/leads/score", headers, body)
end
