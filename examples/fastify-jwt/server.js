// An API on @fastify/jwt with get-jwks, as @fastify/jwt's README shows it ("Example using
// get-jwks"): decode the token complete, and the secret is get-jwks' getPublicKey for the token's
// kid and alg at its issuer. As get-jwks' README recommends, the issuers are allow-listed
// (issuersWhitelist), and @fastify/jwt's `verify` options require the audience and the issuer.
// The scope check on /api/private-scoped is this file's. Errors are @fastify/jwt's own replies
// (`reply.send(err)` in the onRequest hook, as in its README). Bearer only.
const Fastify = require('fastify');
const fjwt = require('@fastify/jwt');
const buildGetJwks = require('get-jwks');

const issuer = `https://${process.env.AUTH0_DOMAIN}/`;
const fastify = Fastify();
const getJwks = buildGetJwks({ issuersWhitelist: [issuer] });

fastify.register(fjwt, {
  decode: { complete: true },
  secret: (request, token) => {
    const { header: { kid, alg }, payload: { iss } } = token;
    return getJwks.getPublicKey({ kid, domain: iss, alg });
  },
  verify: { allowedIss: issuer, allowedAud: process.env.AUTH0_AUDIENCE },
});

fastify.addHook('onRequest', async (request, reply) => {
  try {
    await request.jwtVerify();
  } catch (err) {
    reply.send(err);
  }
});

fastify.get('/api/private', async (request) => ({ sub: request.user.sub }));
fastify.get('/api/private-scoped', async (request, reply) => {
  const scopes = typeof request.user.scope === 'string' ? request.user.scope.split(' ') : [];
  if (!scopes.includes('read:messages')) {
    reply.code(403).header('www-authenticate', 'Bearer error="insufficient_scope", scope="read:messages"');
    return { error: 'insufficient_scope' };
  }
  return { sub: request.user.sub };
});

fastify.listen({ port: Number(process.env.PORT || 5087), host: '127.0.0.1' });
