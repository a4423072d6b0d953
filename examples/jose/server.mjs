// An API on panva/jose as its README shows it: createRemoteJWKSet (30 s refresh cooldown by
// default) and jwtVerify with the issuer and audience. jose verifies a JWT; the HTTP glue around it
// (Bearer parsing, RFC 6750 challenges, the scope check) is this file's, written plainly, so
// findings about headers and challenges are about this glue, not about jose. Bearer only.
import http from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const issuer = `https://${process.env.AUTH0_DOMAIN}/`;
const audience = process.env.AUTH0_AUDIENCE;
const JWKS = createRemoteJWKSet(new URL(`${issuer}.well-known/jwks.json`));

function refuse(res, status, error, extra = '') {
  const params = ['realm="api"'];
  if (error) params.push(`error="${error}"`);
  if (extra) params.push(extra);
  res.writeHead(status, { 'www-authenticate': `Bearer ${params.join(', ')}`, 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: error || 'unauthorized' }));
}

http.createServer(async (req, res) => {
  const path = req.url.split('?')[0];
  const auth = req.headers.authorization || '';
  const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(auth);
  if (!auth) return refuse(res, 401, '');
  if (!m) return refuse(res, 400, 'invalid_request');
  let payload;
  try {
    ({ payload } = await jwtVerify(m[1], JWKS, { issuer, audience }));
  } catch (e) {
    return refuse(res, 401, 'invalid_token');
  }
  if (path === '/api/private-scoped') {
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.includes('read:messages')) return refuse(res, 403, 'insufficient_scope', 'scope="read:messages"');
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ sub: payload.sub }));
}).listen(Number(process.env.PORT || 5021), '127.0.0.1');
