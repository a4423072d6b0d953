"""Creates users and roles through a mock tenant's Management API, one request after another on
one keep-alive connection, and prints how long it took.

Usage: python3 bench/management_load.py HOST:PORT ADMIN_SECRET USERS ROLES [EMAIL_PREFIX]
"""
import http.client
import json
import sys
import time

host, secret, users, roles = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
prefix = sys.argv[5] if len(sys.argv) > 5 else "load"
conn = http.client.HTTPConnection(host)
headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}


def post(path, body):
    conn.request("POST", path, json.dumps(body), headers)
    res = conn.getresponse()
    text = res.read()
    if res.status not in (200, 201):
        sys.exit(f"{path}: {res.status} {text[:200]!r}")


start = time.perf_counter()
for i in range(users):
    post("/api/v2/users", {"email": f"{prefix}{i}@example.com", "password": "pw-123456",
                           "connection": "Username-Password-Authentication"})
after_users = time.perf_counter()
for i in range(roles):
    post("/api/v2/roles", {"name": f"{prefix}-role-{i}"})
end = time.perf_counter()
print(f"{users} users in {after_users - start:.2f} s, {roles} roles in {end - after_users:.2f} s, "
      f"total {end - start:.2f} s")
