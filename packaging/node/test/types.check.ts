// Compiled with `tsc --noEmit --strict` by packaging/check.sh: the published types describe the
// helper as the tests use it (a wrong name or shape fails the build).
import { startTenant, connectTenant, ControlApiError, type Tenant, type LoginTokens } from 'mock-idp';
import { test, expect } from 'mock-idp/playwright';

test.use({ mockIdpOptions: { autoLogin: 'user@example.com' } });
test('types', async ({ page, tenant }) => {
  await page.goto(tenant.issuer);
  expect(tenant.env.AUTH0_AUDIENCE).toBe('https://my-flask-api');
});

async function main(): Promise<void> {
  const tenant: Tenant = await startTenant({ fixtureKeys: true, timeoutMs: 10_000 });
  const token: string = await tenant.token({ scope: 'read:messages', claims: { a: 1 }, expiresIn: 60, dpopKey: true });
  const proof: string = await tenant.proof({ method: 'GET', url: `${tenant.issuer}x`, accessToken: token });
  const tokens: LoginTokens = await tenant.login('user@example.com', { scope: 'openid' });
  const kid: string = (await tenant.keys.rotate()).kid;
  const offset: number = (await tenant.clock.advance(60)).offset;
  await tenant.faults.add('jwks', { status: 503, next: 1 });
  const paths: string[] = (await tenant.journal({ limit: 10 })).map((r) => r.path);
  const domain: string = tenant.env.AUTH0_DOMAIN;
  const other = connectTenant({ baseUrl: tenant.baseUrl, adminSecret: tenant.adminSecret, caFile: tenant.caFile });
  try {
    await other.stats();
  } catch (e) {
    if (e instanceof ControlApiError) console.log(e.status, e.body);
  }
  console.log(proof, tokens.access_token, kid, offset, paths, domain);
  await tenant.stop();
}

void main();
