// The smallest Express API on Auth0's middleware, used by run.sh to show that mock-idp tokens,
// DPoP-bound ones included, verify unmodified.
const express = require('express');
const { auth, requiredScopes } = require('express-oauth2-jwt-bearer');
const app = express();
app.use('/api', auth({ issuerBaseURL: `https://${process.env.AUTH0_DOMAIN}/`, audience: process.env.AUTH0_AUDIENCE }));
app.get('/api/private', (req, res) => res.json({ user: req.auth.payload.sub }));
app.get('/api/private-scoped', requiredScopes('read:messages'), (req, res) => res.json({ ok: true }));
app.use((err, req, res, next) => res.status(err.status || 500).set(err.headers || {}).json({ error: err.code, msg: err.message }));
app.listen(5020, '127.0.0.1');
