// Auth0's previous Node API quickstart (auth0-express-api-samples, 01-Authorization-RS256, before it
// moved to express-oauth2-jwt-bearer), as published: express-jwt with jwks-rsa's expressJwtSecret
// (cache, rate limit of 5 JWKS requests a minute), audience, issuer and RS256; express-jwt-authz
// for the scope; its error handler. Differences, all to make it scriptable: the domain, audience
// and port come from the environment, CORS is left out, and the error handler also copies the
// headers a library error carries (as the later sample does), so a challenge a library sets is seen.
const express = require('express');
const { expressjwt: jwt } = require('express-jwt'); // express-jwt 7+ exports it by name
const jwtAuthz = require('express-jwt-authz');
const jwksRsa = require('jwks-rsa');

const app = express();

const checkJwt = jwt({
  secret: jwksRsa.expressJwtSecret({
    cache: true,
    rateLimit: true,
    jwksRequestsPerMinute: 5,
    jwksUri: `https://${process.env.AUTH0_DOMAIN}/.well-known/jwks.json`,
  }),
  audience: process.env.AUTH0_AUDIENCE,
  issuer: [`https://${process.env.AUTH0_DOMAIN}/`],
  algorithms: ['RS256'],
});

const checkScopes = jwtAuthz(['read:messages']);

app.get('/api/public', (req, res) => res.json({ message: 'public' }));
app.get('/api/private', checkJwt, (req, res) => res.json({ user: req.auth.sub }));
app.get('/api/private-scoped', checkJwt, checkScopes, (req, res) => res.json({ user: req.auth.sub }));

app.use((err, req, res, next) => {
  return res.set(err.headers || {}).status(err.status || err.statusCode || 500).json({ message: err.message });
});

app.listen(Number(process.env.PORT || 3010), '127.0.0.1');
