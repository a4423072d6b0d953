'use strict';
// The Playwright fixture (mock-idp/playwright) with a tenant started with --auto-login: Auth0's
// auth0-spa-js logs in without the form, and the Express API accepts the SDK's access token. The
// browser trusts the worker's tenant by key; another tenant's certificate is still refused.
const { test, expect } = require('mock-idp/playwright');
const { startTenant } = require('mock-idp');
const { startApi, get } = require('./app.js');
const { serveSpa, loggedIn } = require('./spa.js');

test.use({ mockIdpOptions: { autoLogin: 'user@example.com' } });

test('auth0-spa-js logs in without the form; the API accepts its token', async ({ page, tenant }) => {
  const spa = await serveSpa(tenant);
  const api = await startApi(tenant.env);
  try {
    await page.goto('http://localhost:3000/');
    await expect(page.locator('#out')).toHaveText('out');
    await page.evaluate(() => window.client.loginWithRedirect());
    await loggedIn(page);
    const token = await page.evaluate(() => window.client.getTokenSilently());
    const res = await get(`${api.url}/api/private-scoped`, token);
    expect(res.status).toBe(200);
    expect(res.body.sub).toMatch(/^auth0\|/);
  } finally {
    await api.close();
    await spa.close();
  }
});

test("the browser trusts this tenant's keys only", async ({ page }) => {
  const other = await startTenant();
  try {
    const failed = await page.goto(`${other.baseUrl}/.well-known/jwks.json`).then(() => null, (e) => e.message);
    expect(failed).toContain('net::ERR_CERT_AUTHORITY_INVALID');
  } finally {
    await other.stop();
  }
});
