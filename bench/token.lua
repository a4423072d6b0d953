-- wrk script: client_credentials issuance against a mock tenant's token endpoint.
-- Usage: wrk -t2 -c32 -d10s -s bench/token.lua https://127.0.0.1:PORT/oauth/token
-- CLIENT_ID / CLIENT_SECRET / AUDIENCE come from the environment (mock-idp's defaults otherwise).
-- wrk prints "Non-2xx or 3xx responses: N" when any request failed.
local client_id = os.getenv("CLIENT_ID") or "mock-test-client"
local client_secret = os.getenv("CLIENT_SECRET") or "mock-test-secret"
local audience = os.getenv("AUDIENCE") or "https://my-flask-api"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=client_credentials&client_id=" .. client_id .. "&client_secret=" .. client_secret
  .. "&audience=" .. audience
