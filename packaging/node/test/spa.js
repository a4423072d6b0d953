'use strict';
// The single-page app the Playwright specs drive: Auth0's browser SDK, @auth0/auth0-spa-js,
// unmodified, on http://localhost:3000 (the default tenant's SPA application, mock-spa-client,
// allows http://localhost:3000/callback).
const fs = require('node:fs');
const http = require('node:http');
const { expect } = require('mock-idp/playwright');

const sdk = fs.readFileSync(require.resolve('@auth0/auth0-spa-js/dist/auth0-spa-js.production.js'));

function page(tenant) {
  return `<!doctype html><meta charset="utf-8"><title>spa</title><p id="out">loading</p>
<script src="/sdk.js"></script><script>
(async () => {
  const client = await auth0.createAuth0Client({
    domain: ${JSON.stringify(tenant.domain)}, clientId: "mock-spa-client",
    authorizationParams: { redirect_uri: "http://localhost:3000/callback", audience: ${JSON.stringify(tenant.audience)}, scope: "openid profile email read:messages" },
  });
  window.client = client;
  if (location.pathname === "/callback") {
    await client.handleRedirectCallback();
    history.replaceState(null, "", "/");
  }
  document.getElementById("out").textContent = (await client.isAuthenticated()) ? "in" : "out";
})().catch((e) => { document.getElementById("out").textContent = "error: " + e.message; });
</script>`;
}

/** The single-page app on http://localhost:3000 (127.0.0.1). */
async function serveSpa(tenant) {
  const html = page(tenant);
  const server = http.createServer((req, res) => {
    if (req.url === '/sdk.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise((resolve) => server.listen(3000, '127.0.0.1', resolve));
  return { close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }) };
}

async function loggedIn(page) {
  await page.waitForURL('http://localhost:3000/');
  await expect(page.locator('#out')).toHaveText('in');
  const user = await page.evaluate(() => window.client.getUser());
  expect(user.email).toBe('user@example.com');
  expect(user.sub).toMatch(/^auth0\|/);
}

module.exports = { serveSpa, loggedIn };
