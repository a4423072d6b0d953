// auth0-spa-js in Chromium against the mock tenant: login with redirect (PKCE), the callback,
// getUser, a refresh-token renewal, and logout. Prints one line per check; exits 1 on failure.
import http from "node:http";
import fs from "node:fs";
import { chromium } from "playwright-core";

const DOMAIN = "localhost:8443";
const CLIENT_ID = "mock-spa-client";
const AUDIENCE = "https://my-flask-api";
const sdk = fs.readFileSync("node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.js");

// The application: one page that is also its own callback (http://localhost:3000/callback).
const page = `<!doctype html><meta charset="utf-8"><title>spa</title><p id="out">loading</p>
<script src="/sdk.js"></script><script>
(async () => {
  const client = await auth0.createAuth0Client({
    domain: "${DOMAIN}", clientId: "${CLIENT_ID}", useRefreshTokens: true, cacheLocation: "localstorage",
    authorizationParams: { redirect_uri: "http://localhost:3000/callback", audience: "${AUDIENCE}", scope: "openid profile email read:messages" },
  });
  window.client = client;
  if (location.pathname === "/callback") {
    await client.handleRedirectCallback();
    history.replaceState(null, "", "/");
  }
  document.getElementById("out").textContent = (await client.isAuthenticated()) ? "in" : "out";
})().catch((e) => { document.getElementById("out").textContent = "error: " + e.message; });
</script>`;
const server = http.createServer((req, res) => {
  if (req.url === "/sdk.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(sdk);
  res.writeHead(200, { "content-type": "text/html" }).end(page);
}).listen(3000, "127.0.0.1");

let failed = false;
const check = (what, ok, detail = "") => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ": " + detail : ""}`);
  if (!ok) failed = true;
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true }); // the tenant's own CA
  const tab = await context.newPage();
  await tab.goto("http://localhost:3000/");
  await tab.waitForFunction(() => document.getElementById("out").textContent !== "loading");
  check("not authenticated before login", (await tab.textContent("#out")) === "out");

  await tab.evaluate(() => window.client.loginWithRedirect());
  await tab.waitForURL(/\/u\/login/);
  check("loginWithRedirect lands on the tenant's login page", true, new URL(tab.url()).pathname);
  await tab.fill("[data-testid=login-email]", "user@example.com");
  await tab.fill("[data-testid=login-password]", "Passw0rd!");
  await tab.click("[data-testid=login-submit]");
  await tab.waitForURL("http://localhost:3000/");
  await tab.waitForFunction(() => document.getElementById("out").textContent !== "loading");
  const state = await tab.textContent("#out");
  check("handleRedirectCallback accepts the code, tokens and id_token", state === "in", state);

  const user = await tab.evaluate(() => window.client.getUser());
  check("getUser returns the id_token's profile", user?.email === "user@example.com" && user?.sub?.startsWith("auth0|"),
    `${user?.name} <${user?.email}> ${user?.sub}`);
  const claims = await tab.evaluate(() => window.client.getIdTokenClaims());
  check("id_token: iss, aud, nonce", claims.iss === `https://${DOMAIN}/` && claims.aud === CLIENT_ID && !!claims.nonce);

  const first = await tab.evaluate(() => window.client.getTokenSilently());
  const at = JSON.parse(Buffer.from(first.split(".")[1], "base64url").toString());
  check("access token for the API", Array.isArray(at.aud) && at.aud[0] === AUDIENCE && at.scope.includes("read:messages"),
    `aud ${JSON.stringify(at.aud)}, scope "${at.scope}"`);
  const renewed = await tab.evaluate(() => window.client.getTokenSilently({ cacheMode: "off", detailedResponse: true }));
  check("getTokenSilently renews with the rotating refresh token", !!renewed.access_token && !!renewed.id_token,
    "new access token " + (renewed.access_token !== first ? "differs" : "same (same second)"));

  await tab.evaluate(() => window.client.logout({ logoutParams: { returnTo: "http://localhost:3000" } }));
  await tab.waitForURL("http://localhost:3000/");
  await tab.waitForFunction(() => document.getElementById("out").textContent !== "loading");
  check("logout returns to the app, signed out", (await tab.textContent("#out")) === "out");
} catch (e) {
  check("flow", false, e.message);
} finally {
  await browser.close();
  server.close();
}
console.log(failed ? "auth0-spa-js against mock-idp: FAILED" : "auth0-spa-js against mock-idp: all checks passed");
process.exit(failed ? 1 : 0);
