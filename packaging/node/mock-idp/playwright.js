'use strict';
// A Playwright Test fixture (`require('mock-idp/playwright')`): `tenant`, one mock Auth0 tenant
// per worker (options: `mockIdpOptions`, e.g. { autoLogin: 'user@example.com' }), and a Chromium
// that trusts exactly that tenant: launched with --ignore-certificate-errors-spki-list naming the
// tenant's TLS keys (its certificate and its CA), so no other bad certificate is accepted and no
// system trust store changes. Chromium only (the flag is Chromium's).
const crypto = require('node:crypto');
const fs = require('node:fs');
const tls = require('node:tls');
const { test: base, expect } = require('@playwright/test');
const { startTenant } = require('./index.js');

const spkiHash = (cert) =>
  crypto.createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');

/** The base64 SHA-256 SPKI hashes of the tenant's certificate and of its CA. */
async function tenantKeyHashes(tenant) {
  const ca = fs.readFileSync(tenant.caFile);
  const url = new URL(tenant.baseUrl);
  const leaf = await new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port: Number(url.port), servername: url.hostname, ca },
      () => {
        const cert = socket.getPeerX509Certificate();
        socket.end();
        resolve(cert);
      },
    );
    socket.on('error', reject);
  });
  return [spkiHash(leaf), spkiHash(new crypto.X509Certificate(ca))];
}

const test = base.extend({
  mockIdpOptions: [{}, { option: true, scope: 'worker' }],
  tenant: [
    async ({ mockIdpOptions }, use) => {
      const tenant = await startTenant(mockIdpOptions);
      await use(tenant);
      await tenant.stop();
    },
    { scope: 'worker' },
  ],
  browser: [
    async ({ playwright, browserName, launchOptions, tenant }, use) => {
      if (browserName !== 'chromium') throw new Error('mock-idp/playwright: Chromium only (it trusts the tenant by key hash)');
      const hashes = await tenantKeyHashes(tenant);
      const browser = await playwright.chromium.launch({
        ...launchOptions,
        args: [...(launchOptions.args || []), `--ignore-certificate-errors-spki-list=${hashes.join(',')}`],
      });
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],
});

module.exports = { test, expect, tenantKeyHashes };
