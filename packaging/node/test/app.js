'use strict';
// The API under test: Express with Auth0's middleware (express-oauth2-jwt-bearer), configured from
// the tenant's .env values and trusting its CA through an https.Agent. Listens on 127.0.0.1.
const express = require('express');
const fs = require('node:fs');
const https = require('node:https');
const { auth, requiredScopes } = require('express-oauth2-jwt-bearer');

/** Starts the API; resolves with { url, close() }. `cooldownDuration`: the JWKS refetch cooldown. */
async function startApi(env, { cooldownDuration } = {}) {
  const app = express();
  app.use('/api', auth({
    issuerBaseURL: `https://${env.AUTH0_DOMAIN}/`,
    audience: env.AUTH0_AUDIENCE,
    agent: new https.Agent({ ca: fs.readFileSync(env.AUTH0_CA_FILE) }),
    cooldownDuration,
  }));
  app.get('/api/private', (req, res) => res.json({ sub: req.auth.payload.sub }));
  app.get('/api/private-scoped', requiredScopes('read:messages'), (req, res) => res.json({ sub: req.auth.payload.sub }));
  // The library's errors carry their status and WWW-Authenticate header.
  app.use((err, req, res, next) => res.status(err.status || 500).set(err.headers || {}).json({ error: err.code || 'server_error', message: err.message }));
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

/** GET url with a Bearer token: { status, body, headers }. */
async function get(url, token) {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

module.exports = { startApi, get };
