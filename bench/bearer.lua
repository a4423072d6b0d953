-- wrk script: the same valid Bearer token on every request.
-- Usage: TOKEN=... wrk -t2 -c32 -d10s -s bench/bearer.lua http://127.0.0.1:5000/api/private
-- wrk prints "Non-2xx or 3xx responses: N" when any request failed.
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "")
