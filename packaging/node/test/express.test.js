'use strict';
// The packed mock-idp npm packages against an Express API on express-oauth2-jwt-bearer: the
// binary in node_modules/.bin, a good token, an expired one (the tenant's clock), key rotation,
// a JWKS outage (faults), a user login and a DPoP-bound token. Every request goes to 127.0.0.1;
// statuses and error codes are asserted exactly.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { startTenant, connectTenant, ControlApiError } = require('mock-idp');
const { startApi, get } = require('./app.js');

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url'));
const headerOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url'));

let shared;
let api;
before(async () => {
  shared = await startTenant();
  api = await startApi(shared.env);
});
after(async () => {
  await api.close();
  await shared.stop();
});

/** A tenant of the test's own, for tests that change keys, clock or faults. */
async function own(t) {
  const tenant = await startTenant();
  t.after(() => tenant.stop());
  return tenant;
}

test('npm install put mock-idp in node_modules/.bin', () => {
  const bin = path.join(process.cwd(), 'node_modules', '.bin', 'mock-idp');
  const version = require('mock-idp/package.json').version;
  assert.equal(execFileSync(bin, ['--version'], { encoding: 'utf8' }), `mock-idp ${version}\n`);
  assert.equal(require('@mock-idp/linux-x64/package.json').version, version);
});

test('env and CA', () => {
  assert.match(shared.env.AUTH0_DOMAIN, /^localhost:\d+$/);
  assert.equal(shared.env.AUTH0_AUDIENCE, 'https://my-flask-api');
  assert.equal(shared.issuer, `https://${shared.env.AUTH0_DOMAIN}/`);
  assert.equal(shared.caFile, shared.env.AUTH0_CA_FILE);
});

test('a good token, a missing scope, no token, a forged signature', async () => {
  const token = await shared.token({ scope: 'read:messages', claims: { 'https://example.com/tier': 'gold' } });
  assert.equal(claimsOf(token)['https://example.com/tier'], 'gold');
  let res = await get(`${api.url}/api/private-scoped`, token);
  assert.deepEqual([res.status, res.body], [200, { sub: 'mock-test-client@clients' }]);
  res = await get(`${api.url}/api/private-scoped`, await shared.token({ scope: 'write:messages' }));
  assert.deepEqual([res.status, res.body.error], [403, 'insufficient_scope']);
  res = await get(`${api.url}/api/private`);
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate'), /^Bearer realm="api"/);
  res = await get(`${api.url}/api/private`, await shared.token({ signing: { key: 'attacker' } }));
  assert.deepEqual([res.status, res.body.error], [401, 'invalid_token']);
});

test('an expired token from the tenant clock', async (t) => {
  const tenant = await own(t);
  const app = await startApi(tenant.env);
  t.after(() => app.close());
  const before = (await tenant.clock.get()).now;
  assert.equal((await tenant.clock.advance(-7200)).offset, -7200);
  const token = await tenant.token({ expiresIn: 3600 });
  assert.ok(Math.abs(claimsOf(token).exp - (before - 3600)) <= 5);
  const res = await get(`${app.url}/api/private`, token);
  assert.deepEqual([res.status, res.body], [401, { error: 'invalid_token', message: '"exp" claim timestamp check failed' }]);
  await tenant.clock.advance(7200);
  assert.equal((await get(`${app.url}/api/private`, await tenant.token({ expiresIn: 60 }))).status, 200);
});

test('key rotation', async (t) => {
  const tenant = await own(t);
  const eager = await startApi(tenant.env, { cooldownDuration: 0 });
  const patient = await startApi(tenant.env); // the library's default: a 30 s refetch cooldown
  t.after(() => Promise.all([eager.close(), patient.close()]));
  const old = await tenant.token();
  assert.equal((await get(`${eager.url}/api/private`, old)).status, 200);
  assert.equal((await get(`${patient.url}/api/private`, old)).status, 200);
  const oldKid = await tenant.keys.current();
  await tenant.keys.rotate();
  const fresh = await tenant.token();
  assert.notEqual(headerOf(fresh).kid, oldKid);
  assert.equal((await get(`${eager.url}/api/private`, fresh)).status, 200);
  const res = await get(`${patient.url}/api/private`, fresh);
  assert.deepEqual([res.status, res.body.error], [401, 'invalid_token']);
  assert.equal((await tenant.stats()).jwks_fetches, 3);
  await tenant.keys.revoke(oldKid);
  const later = await startApi(tenant.env);
  t.after(() => later.close());
  assert.equal((await get(`${later.url}/api/private`, fresh)).status, 200);
  assert.deepEqual((await get(`${later.url}/api/private`, old)).status, 401);
});

test('a JWKS outage', async (t) => {
  const tenant = await own(t);
  const token = await tenant.token();
  await tenant.faults.add('jwks', { status: 503 });
  const app = await startApi(tenant.env);
  t.after(() => app.close());
  // The library answers an outage as an invalid token (401), not as its own failure (5xx).
  const outage = [401, { error: 'invalid_token', message: 'Expected 200 OK from the JSON Web Key Set HTTP response' }];
  let res = await get(`${app.url}/api/private`, token);
  assert.deepEqual([res.status, res.body], outage);
  await tenant.faults.clear();
  assert.equal((await get(`${app.url}/api/private`, token)).status, 200);
  // With the keys cached, an outage does not matter until the cache expires.
  await tenant.faults.add('jwks', { fault: 'drop_connection' });
  assert.equal((await get(`${app.url}/api/private`, token)).status, 200);
  const paths = (await tenant.journal()).map((r) => r.path);
  assert.equal(paths.filter((p) => p === '/.well-known/jwks.json').length, 2);
  // One failing call only: the next fetch succeeds.
  await tenant.faults.clear();
  await tenant.faults.add('jwks', { status: 500, next: 1 });
  const fresh = await startApi(tenant.env);
  t.after(() => fresh.close());
  res = await get(`${fresh.url}/api/private`, token);
  assert.deepEqual([res.status, res.body], outage);
  assert.equal((await get(`${fresh.url}/api/private`, token)).status, 200);
});

test('a user logs in through the real flow', async () => {
  const tokens = await shared.login('user@example.com', { scope: 'openid email read:messages' });
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(claimsOf(tokens.id_token).email, 'user@example.com');
  const res = await get(`${api.url}/api/private-scoped`, tokens.access_token);
  assert.equal(res.status, 200);
  assert.match(res.body.sub, /^auth0\|/);
  await assert.rejects(shared.login('user@example.com', { password: 'wrong' }), (e) => {
    assert.ok(e instanceof ControlApiError);
    assert.equal(e.status, 400);
    assert.match(e.body, /Wrong email or password/);
    return true;
  });
});

test('a DPoP-bound token with its proof', async () => {
  const token = await shared.token({ dpopKey: true });
  assert.equal(claimsOf(token).cnf.jkt, await shared.dpopJkt());
  const url = `${api.url}/api/private`;
  const proof = await shared.proof({ method: 'GET', url, accessToken: token });
  const res = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
  assert.equal(res.status, 200);
  // Sent as a plain Bearer token, a DPoP-bound token is refused.
  assert.equal((await get(url, token)).status, 401);
});

test('connectTenant steers a running tenant; a wrong secret is refused', async () => {
  const other = connectTenant({ baseUrl: shared.baseUrl, adminSecret: shared.adminSecret, caFile: shared.caFile, connectHost: '127.0.0.1' });
  assert.equal(await other.keys.current(), await shared.keys.current());
  const wrong = connectTenant({ baseUrl: shared.baseUrl, adminSecret: 'not-the-secret-0123', caFile: shared.caFile, connectHost: '127.0.0.1' });
  await assert.rejects(wrong.keys.list(), (e) => e instanceof ControlApiError && e.status === 401);
});
