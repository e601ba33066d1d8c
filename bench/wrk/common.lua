-- Shared by the scenario scripts: targets per thread, fixed-rate pacing, the status mix and
-- a one-line JSON summary that bench/run.py reads.
--
-- BENCH_TARGETS  a Lua file returning a list of targets ({path=, token=, ...}); thread k of
--                BENCH_THREADS gets every BENCH_THREADS-th target, starting at the k-th.
-- BENCH_RATE     requests per second over all threads; 0 or unset: as fast as it goes.
--                wrk 4 has no fixed-rate mode (wrk2 is not packaged in Debian): each thread
--                hands out send slots 1/rate apart through delay(), so the request rate is
--                fixed while the server keeps up. Latency is measured from the actual send,
--                as wrk does, not from the slot (no coordinated-omission correction).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local now_ts = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(1, now_ts) -- CLOCK_MONOTONIC
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local threads = {}

-- wrk copies only flat values between its Lua states (nested tables crash it), so setup()
-- hands each thread its number and the thread loads its own targets in init().
function setup(thread)
  local k = #threads + 1
  thread:set("thread_number", k)
  threads[k] = thread
end

function init(args)
  local all = dofile(os.getenv("BENCH_TARGETS"))
  mine = {}
  for i = thread_number, #all, thread_count do
    mine[#mine + 1] = all[i]
  end
  if #mine == 0 then
    mine[1] = all[(thread_number - 1) % #all + 1]
  end
end

-- The status mix: one number per key (e.g. GET_200) and a list of the keys seen, both flat.
status_keys = ""

function count(key)
  local name = "n_" .. key
  local n = _G[name]
  if n == nil then
    status_keys = status_keys .. key .. ","
    n = 0
  end
  _G[name] = n + 1
end

if rate > 0 then
  local interval = 1000 * thread_count / rate
  local next_slot = nil
  function delay()
    local now = now_ms()
    if next_slot == nil then
      next_slot = now
    end
    local slot = next_slot
    next_slot = next_slot + interval
    if slot <= now then
      return 0
    end
    return math.floor(slot - now)
  end
end

function done(summary, latency, requests)
  local mix = {}
  for _, thread in ipairs(threads) do
    for key in string.gmatch(thread:get("status_keys") or "", "([^,]+)") do
      mix[key] = (mix[key] or 0) + thread:get("n_" .. key)
    end
  end
  local parts = {}
  for key, n in pairs(mix) do
    parts[#parts + 1] = string.format('"%s":%d', key, n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout, table.concat(parts, ",")))
end
