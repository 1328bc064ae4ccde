-- wrk script: POST check/consume with a unique Idempotency-Key per request, or GET /health/live.
-- args: <action: consume|check|health> <accounts: N random accounts, or 1 for one hot account> <key prefix>
local thread_count = 0
function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  action = args[1] or "consume"
  accounts = tonumber(args[2]) or 1000
  prefix = args[3] or "run"
  counter = 0
  token = os.getenv("TG_KEY") or ""
  math.randomseed(os.time() + tid)
end

function request()
  if action == "health" then
    return wrk.format("GET", "/health/live")
  end
  counter = counter + 1
  local account = "bench" .. math.random(0, accounts - 1)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = prefix .. "-" .. tid .. "-" .. counter,
  }
  return wrk.format("POST", "/v1/accounts/" .. account .. "/" .. action, headers,
    '{"metric":"api_calls","quantity":1}')
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.2f %.2f %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
