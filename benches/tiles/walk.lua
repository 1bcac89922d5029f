-- wrk script: walks a file of request paths, one per line, each thread from its own
-- offset, and prints one machine-readable RESULT line at the end.
--   wrk -s walk.lua URL -- PATHS_FILE
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no paths in " .. args[1]) end
  -- Threads start spread over the list so they do not ask for the same tiles together.
  n = (id * math.floor(#paths / 4 + 1)) % #paths
  bad = 0
  empty = 0
end

function request()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end

function response(status, headers, body)
  if status == 204 then
    empty = empty + 1
  elseif status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local bad_total, empty_total = 0, 0
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    empty_total = empty_total + t:get("empty")
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f mean_ms=%.3f bytes=%d non200=%d empty=%d socket_errors=%d timeouts=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000,
    summary.bytes, bad_total, empty_total,
    e.connect + e.read + e.write, e.timeout))
end
