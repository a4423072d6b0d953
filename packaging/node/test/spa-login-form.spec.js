'use strict';
// The Playwright fixture (mock-idp/playwright) with the default tenant: auth0-spa-js's
// loginWithRedirect shows the tenant's login page, the test fills it, and the page is logged in.
const { test, expect } = require('mock-idp/playwright');
const { serveSpa, loggedIn } = require('./spa.js');

test.use({ mockIdpOptions: {} });

test('auth0-spa-js logs in through the login page', async ({ page, tenant }) => {
  const spa = await serveSpa(tenant);
  try {
    await page.goto('http://localhost:3000/');
    await expect(page.locator('#out')).toHaveText('out');
    await page.evaluate(() => window.client.loginWithRedirect());
    await page.waitForURL(/\/u\/login/);
    await page.fill('[data-testid=login-email]', 'user@example.com');
    await page.fill('[data-testid=login-password]', 'Passw0rd!');
    await page.click('[data-testid=login-submit]');
    await loggedIn(page);
  } finally {
    await spa.close();
  }
});
