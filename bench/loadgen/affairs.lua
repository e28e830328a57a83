-- wrk script for the affairs appointment storm (bench/bench_affairs.py), storm.lua with a JSON body per line.
-- TOKENS_FILE lines are "TOKEN SLOT ITEM": the user's token and the slot and item it books
-- (`{"slot": SLOT, "item": ITEM}`); everything else is storm.lua's.
--
--   wrk -t T -c C -d D --timeout 10s -s bench/loadgen/storm.lua URL -- MODE PATH TOKENS_FILE MARKER_DIR
--
-- MODE "book": every request is `POST PATH` with the next token of this thread's share of TOKENS_FILE (one raw
-- token a line; thread i of n takes lines i, i+n, i+2n, ...), so each user books once. When a thread has used
-- its share it writes MARKER_DIR/exhausted.<i> and stops; the driver interrupts wrk (SIGINT) once every thread
-- has, so the run ends when every user has tried once (or at -d, whichever comes first).
-- MODE "ping": plain `GET PATH` (no token), the baseline.
--
-- Each thread counts HTTP statuses and, for 4xx/5xx answers, the problem `code` of the body, in its own
-- tables; done() merges them through the thread objects kept by setup() and prints one line
-- `WRK_JSON {...}` with wrk's summary, errors, latency percentiles (microseconds) and those counts.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

-- per-thread state (each thread has its own Lua state)
local mode, path, marker_dir
local tokens = {}
local next_token = 1
local exhausted = false
statuses = {}
codes = {}
sent = 0

function init(args)
  mode = args[1] or "ping"
  path = args[2] or "/api/v1/ping"
  local tokens_file = args[3]
  marker_dir = args[4]
  if mode == "book" then
    local n = tonumber(args[5]) or 1
    local i = 0
    for line in io.lines(tokens_file) do
      if i % n == tid and #line > 0 then
        tokens[#tokens + 1] = line
      end
      i = i + 1
    end
  end
end

local function mark_exhausted()
  if exhausted then
    return
  end
  exhausted = true
  if marker_dir then
    local f = io.open(marker_dir .. "/exhausted." .. tid, "w")
    if f then
      f:write(tostring(sent))
      f:close()
    end
  end
  if wrk.thread then
    wrk.thread:stop()
  end
end

function request()
  if mode == "book" then
    local token = tokens[next_token]
    if token == nil then
      mark_exhausted()
      -- wrk needs a request even after stop(); it is never sent once the event loop has stopped.
      return wrk.format("GET", "/api/v1/ping")
    end
    next_token = next_token + 1
    sent = sent + 1
    local raw, slot, item = string.match(token, "^(%S+)%s+(%d+)%s+(%d+)")
    return wrk.format("POST", path, {
      ["Authorization"] = "Bearer " .. raw,
      ["Content-Type"] = "application/json",
      ["Accept-Language"] = "en",
    }, '{"slot": ' .. slot .. ', "item": ' .. item .. '}')
  end
  sent = sent + 1
  return wrk.format("GET", path)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status >= 400 and body then
    local code = string.match(body, '"code"%s*:%s*"([%w_%-]+)"') or "unparsed"
    codes[code] = (codes[code] or 0) + 1
  end
end

local function encode(value)
  local t = type(value)
  if t == "table" then
    local parts = {}
    for k, v in pairs(value) do
      parts[#parts + 1] = string.format("%q:%s", tostring(k), encode(v))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif t == "number" then
    return string.format("%.17g", value)
  elseif t == "boolean" then
    return tostring(value)
  elseif value == nil then
    return "null"
  end
  return string.format("%q", tostring(value))
end

local function merge(into, from)
  for k, v in pairs(from or {}) do
    into[k] = (into[k] or 0) + v
  end
end

function done(summary, latency, requests)
  local all_statuses, all_codes, all_sent = {}, {}, 0
  for _, thread in ipairs(threads) do
    merge(all_statuses, thread:get("statuses"))
    merge(all_codes, thread:get("codes"))
    all_sent = all_sent + (thread:get("sent") or 0)
  end
  local out = {
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    sent = all_sent,
    errors = {
      connect = summary.errors.connect,
      read = summary.errors.read,
      write = summary.errors.write,
      status = summary.errors.status,
      timeout = summary.errors.timeout,
    },
    latency_us = {
      p50 = latency:percentile(50),
      p90 = latency:percentile(90),
      p99 = latency:percentile(99),
      max = latency.max,
      mean = latency.mean,
    },
    statuses = all_statuses,
    codes = all_codes,
  }
  io.write("WRK_JSON " .. encode(out) .. "\n")
end
