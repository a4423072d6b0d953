-- wrk script: a DPoP-bound token with a fresh, never-reused proof on every request.
-- Proofs are made beforehand (`mock-idp proof --count N`), one per line, in $PROOFS; each wrk thread
-- takes its own share, so no proof is sent twice (the API's replay store would refuse it).
-- Usage: TOKEN=... PROOFS=proofs.txt wrk -t2 -c32 -d10s -s bench/dpop.lua http://127.0.0.1:5000/api/dpop-protected
-- Keep -d short enough that a thread does not run out of proofs (it then stops sending).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  proofs = {}
  local i = 0
  local nthreads = 2
  for line in io.lines(os.getenv("PROOFS")) do
    if i % nthreads == id then table.insert(proofs, line) end
    i = i + 1
  end
  next_proof = 1
  token = os.getenv("TOKEN")
end

function request()
  local proof = proofs[next_proof]
  if proof == nil then
    wrk.thread:stop()
    return wrk.format()
  end
  next_proof = next_proof + 1
  return wrk.format("GET", nil, { ["Authorization"] = "DPoP " .. token, ["DPoP"] = proof })
end
