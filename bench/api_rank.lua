-- wrk script: a ranking page of about 100 (/api/v1/rankings/bench) whose URI
-- changes every request (12 periods x page sizes 100..163: 768 URIs, more than
-- the 256 slots of parkstatd's answer cache), so pages are read, not replayed.
--   wrk -t1 -c4 -d5s --latency -s bench/api_rank.lua http://HOST:PORT
local n = 0
function request()
  n = n + 1
  local p = string.format("2025-%02d", (n % 12) + 1)
  local l = 100 + (n * 7) % 64
  return wrk.format("GET", "/api/v1/rankings/bench?period=" .. p .. "&limit=" .. l)
end
