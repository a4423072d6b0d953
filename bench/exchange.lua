-- wrk script: On-Behalf-Of token exchange against a mock tenant's token endpoint (verifying the
-- subject token, then minting), beside bench/token.lua's client_credentials.
-- Usage: SUBJECT_TOKEN=$(mock-idp token --config mock-idp/fixtures/tenant.exchange.toml --sub 'auth0|alice') \
--        wrk -t2 -c32 -d10s -s bench/exchange.lua http://127.0.0.1:PORT/oauth/token
-- (the tenant started with --config mock-idp/fixtures/tenant.exchange.toml).
local subject = os.getenv("SUBJECT_TOKEN") or error("SUBJECT_TOKEN is not set")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
  .. "&client_id=flask-api-client&client_secret=flask-api-secret"
  .. "&subject_token=" .. subject
  .. "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
  .. "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
  .. "&audience=https%3A%2F%2Fupstream-api"
