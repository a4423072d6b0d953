// The smallest Express API on Auth0's middleware (express-oauth2-jwt-bearer, its defaults: DPoP
// allowed), used by run.sh and run-conformance.sh to show how an unmodified verifier meets mock-idp.
const express = require('express');
const { auth, requiredScopes } = require('express-oauth2-jwt-bearer');

const app = express();
app.use('/api', auth({
  issuerBaseURL: `https://${process.env.AUTH0_DOMAIN}/`,
  audience: process.env.AUTH0_AUDIENCE,
}));
app.get('/api/private', (req, res) => res.json({ user: req.auth.payload.sub }));
app.get('/api/private-scoped', requiredScopes('read:messages'), (req, res) => res.json({ ok: true }));
app.get('/api/dpop-protected', (req, res) => res.json({ user: req.auth.payload.sub }));
// The library's errors carry their status and WWW-Authenticate headers.
app.use((err, req, res, next) => res.status(err.status || 500).set(err.headers || {}).json({ error: err.code, msg: err.message }));
app.listen(Number(process.env.PORT || 5020), '127.0.0.1');
