-- wrk script for bench/soak.sh: counts every response by status, so a soak run can tell the
-- deliberate refusals (429/503 of a full replay store) from failures of valid credentials.
--
-- Environment:
--   TOKEN      access token (Bearer requests, or DPoP requests whose PROOFS lines are bare proofs)
--   PROOFS     file of DPoP proofs, one per line, each used once; a line may be "token<TAB>proof"
--              (several clients, each with its own DPoP-bound token). Unset: Bearer requests.
--   THREADS    wrk's -t (how the proofs are shared out between threads); default 1
--   DELAY_MS   pause before each request on a connection (paces the load); default 0
--   DONE_FILE  with PROOFS: a thread that has sent all its proofs creates DONE_FILE.<thread id>
-- A thread that runs out of proofs marks it (DONE_FILE) and sends only /health from then on, ten
-- a second per connection, until wrk stops: the answers to proofs still in flight are counted,
-- /health answers never are (they do enter wrk's latency histogram: few and fast). At the end it prints one line per status, "SOAK status=200 count=N",
-- "SOAK sent=N" (DPoP requests sent; 0 for Bearer) and "SOAK requests=N p50_us=N p99_us=N
-- max_us=N" (latency from wrk's own histogram).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  sent = 0
  token = os.getenv("TOKEN") or ""
  delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
  local path = os.getenv("PROOFS")
  dpop = path ~= nil and path ~= ""
  exhausted = false
  if dpop then
    proofs = {}
    local nthreads = tonumber(os.getenv("THREADS") or "1")
    local i = 0
    for line in io.lines(path) do
      if i % nthreads == id then table.insert(proofs, line) end
      i = i + 1
    end
    next_proof = 1
  end
end

function delay()
  if exhausted then return 100 end
  return delay_ms
end

function request()
  -- wrk calls thread 0's request() once before connecting, only to check the request's shape:
  -- answer that call with /health, so no proof is spent on a request that is never sent.
  if id == 0 and not verified then
    verified = true
    return wrk.format("GET", "/health")
  end
  if not dpop then
    return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. token })
  end
  local line = proofs[next_proof]
  if line == nil then
    if not exhausted then
      exhausted = true
      local marker = os.getenv("DONE_FILE")
      if marker ~= nil and marker ~= "" then
        local f = io.open(marker .. "." .. id, "w")
        if f ~= nil then f:close() end
      end
    end
    return wrk.format("GET", "/health")
  end
  next_proof = next_proof + 1
  sent = sent + 1
  local tok, proof = line:match("^([^\t]+)\t(.+)$")
  if tok == nil then tok, proof = token, line end
  return wrk.format("GET", nil, { ["Authorization"] = "DPoP " .. tok, ["DPoP"] = proof })
end

function response(status, headers, body)
  if body == '{"status":"ok"}' then return end
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  local proofs_sent = 0
  for _, thread in ipairs(threads) do
    proofs_sent = proofs_sent + (thread:get("sent") or 0)
    local c = thread:get("counts") or {}
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do
    io.write(string.format("SOAK status=%s count=%d\n", status, n))
  end
  io.write(string.format("SOAK sent=%d\n", proofs_sent))
  io.write(string.format("SOAK requests=%d p50_us=%d p99_us=%d max_us=%d\n", summary.requests,
    latency:percentile(50), latency:percentile(99), latency.max))
end
