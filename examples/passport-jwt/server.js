// An API on passport-jwt with jwks-rsa, as jwks-rsa's README shows it ("Passport"): a JwtStrategy
// whose secretOrKeyProvider is passportJwtSecret (cache, rate limit of 5 JWKS requests a minute),
// the token from the Authorization header as Bearer, the audience, the issuer and RS256; routes
// behind passport.authenticate('jwt', { session: false }). The scope check on /api/private-scoped
// is this file's. Refusals are passport's own. Bearer only.
const express = require('express');
const passport = require('passport');
const { Strategy: JwtStrategy, ExtractJwt } = require('passport-jwt');
const jwksRsa = require('jwks-rsa');

const issuer = `https://${process.env.AUTH0_DOMAIN}/`;

passport.use(new JwtStrategy({
  secretOrKeyProvider: jwksRsa.passportJwtSecret({
    cache: true,
    rateLimit: true,
    jwksRequestsPerMinute: 5,
    jwksUri: `${issuer}.well-known/jwks.json`,
  }),
  jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
  audience: process.env.AUTH0_AUDIENCE,
  issuer,
  algorithms: ['RS256'],
}, (payload, done) => done(null, payload)));

const app = express();
app.use(passport.initialize());
const auth = passport.authenticate('jwt', { session: false });

app.get('/api/private', auth, (req, res) => res.json({ sub: req.user.sub }));
app.get('/api/private-scoped', auth, (req, res) => {
  const scopes = typeof req.user.scope === 'string' ? req.user.scope.split(' ') : [];
  if (!scopes.includes('read:messages')) {
    return res.status(403).set('WWW-Authenticate', 'Bearer error="insufficient_scope", scope="read:messages"')
      .json({ error: 'insufficient_scope' });
  }
  return res.json({ sub: req.user.sub });
});

app.listen(Number(process.env.PORT || 5088), '127.0.0.1');
