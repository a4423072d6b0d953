'use strict';
// Jest 30 with the packed mock-idp package: one tenant per file (beforeAll / afterAll), a token
// for the tenant's API signed by the current key, and a rotation that changes the signing key.
// packaging/check.sh runs it as `npx jest tenant.jest.test.js` in the fresh npm project.
const { startTenant } = require('mock-idp');

const headerOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url'));
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url'));

let tenant;
beforeAll(async () => {
  tenant = await startTenant();
});
afterAll(() => tenant.stop());

test('a token for the tenant API, signed by the current key', async () => {
  const token = await tenant.token({ scope: 'read:messages', expiresIn: 60 });
  const claims = claimsOf(token);
  expect(claims).toMatchObject({ iss: tenant.issuer, aud: tenant.audience, scope: 'read:messages' });
  expect(claims.exp - claims.iat).toBe(60);
  expect(headerOf(token).kid).toBe(await tenant.keys.current());
});

test('a rotation changes the signing key', async () => {
  const before = await tenant.keys.current();
  await tenant.keys.rotate();
  const kid = headerOf(await tenant.token()).kid;
  expect(kid).not.toBe(before);
  expect(kid).toBe(await tenant.keys.current());
});
