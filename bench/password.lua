-- wrk script: Resource Owner Password grant against a mock tenant's token endpoint (the
-- examples/auth0-management tenant: ropg-client, the default user).
-- Usage: wrk -t2 -c32 -d10s -s bench/password.lua http://127.0.0.1:PORT/oauth/token
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=password&client_id=ropg-client&client_secret=ropg-secret"
  .. "&username=user%40example.com&password=Passw0rd%21&audience=https%3A%2F%2Fmy-flask-api"
