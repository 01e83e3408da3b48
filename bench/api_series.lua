-- wrk script: one unit's series (/api/v1/series), a different unit and
-- indicator each request, so no answer comes from parkstatd's cache.
-- Units u00000 .. of bench/compute_gen.py; their number after "--":
--   wrk -t1 -c4 -d5s --latency -s bench/api_series.lua http://HOST:PORT -- 200000
local n, units = 0, 50000
function init(args)
  if args[1] then units = tonumber(args[1]) end
end
function request()
  n = n + 1
  local u = string.format("u%05d", (n * 7919) % units)
  local i = string.format("i%02d", n % 10)
  return wrk.format("GET", "/api/v1/series?unit=" .. u .. "&indicator=" .. i)
end
