// @auth0/auth0-auth-js and openid-client against mock-idp serve: tokens and Auth0's error codes.
import { AuthClient } from '@auth0/auth0-auth-js';
import * as oidc from 'openid-client';
import { createHmac } from 'node:crypto';

const domain = process.env.DOMAIN;
const API = 'https://my-flask-api';
let failures = 0;

function check(sdk, name, ok, detail = '') {
  if (!ok) failures += 1;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${sdk}: ${name}${ok ? '' : ': ' + detail}`);
}

function claims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

async function refusal(sdk, name, call, status, code, description) {
  try {
    const got = await call();
    check(sdk, name, false, `no error: ${JSON.stringify(got).slice(0, 200)}`);
  } catch (e) {
    // auth0-auth-js: ApiError {code, cause: {error, error_description}, statusCode};
    // openid-client: ResponseBodyError {error, error_description, status}.
    const error = e.cause?.error ?? e.error;
    const text = e.cause?.error_description ?? e.error_description;
    const got = e.statusCode ?? e.status;
    const ok = got === status && error === code && (description === undefined || text === description);
    check(sdk, name, ok, `got ${got} ${error} ${JSON.stringify(text)} (${e.constructor.name}: ${e.message})`);
  }
}

// @auth0/auth0-auth-js
{
  const sdk = 'auth0-auth-js';
  const app = new AuthClient({ domain, clientId: 'mock-test-client', clientSecret: 'mock-test-secret' });
  try {
    const tok = await app.getTokenByClientCredentials({ audience: API });
    const c = claims(tok.accessToken);
    check(sdk, 'client_credentials gets a token', c.aud === API && c.iss === `https://${domain}/`, JSON.stringify(c));
  } catch (e) {
    check(sdk, 'client_credentials gets a token', false, `${e.constructor.name}: ${e.message} ${JSON.stringify(e.cause)}`);
  }
  const wrong = new AuthClient({ domain, clientId: 'mock-test-client', clientSecret: 'wrong' });
  await refusal(sdk, 'wrong secret -> 401 access_denied', () => wrong.getTokenByClientCredentials({ audience: API }), 401, 'access_denied', 'Unauthorized');
  await refusal(sdk, 'unknown audience -> 403 access_denied', () => app.getTokenByClientCredentials({ audience: 'https://unknown-api' }), 403, 'access_denied', 'Service not enabled within domain: https://unknown-api');
}

// openid-client (a generic OIDC client: discovery, then the grant)
{
  const sdk = 'openid-client';
  const issuer = new URL(`https://${domain}/`);
  const config = await oidc.discovery(issuer, 'mock-test-client', 'mock-test-secret');
  try {
    const tok = await oidc.clientCredentialsGrant(config, { audience: API, scope: 'read:messages' });
    const c = claims(tok.access_token);
    check(sdk, 'client_credentials gets a token', c.scope === 'read:messages' && tok.token_type === 'bearer', JSON.stringify(tok));
  } catch (e) {
    check(sdk, 'client_credentials gets a token', false, `${e.constructor.name}: ${e.message}`);
  }
  const wrong = await oidc.discovery(issuer, 'mock-test-client', 'wrong');
  await refusal(sdk, 'wrong secret -> 401 access_denied', () => oidc.clientCredentialsGrant(wrong, { audience: API }), 401, 'access_denied', 'Unauthorized');
  await refusal(sdk, 'ungranted scope -> 403 access_denied', () => oidc.clientCredentialsGrant(config, { audience: API, scope: 'delete:everything' }), 403, 'access_denied', 'Client has not been granted scopes: delete:everything');
  await refusal(sdk, 'unknown audience -> 403 access_denied', () => oidc.clientCredentialsGrant(config, { audience: 'https://unknown-api' }), 403, 'access_denied', 'Service not enabled within domain: https://unknown-api');
}

// Browser flows, server side: the authorization URL is followed without a browser (the tenant
// runs with --auto-login), then the SDK exchanges the code, refreshes and reads /userinfo.
const loginDomain = process.env.LOGIN_DOMAIN;
const redirectUri = 'http://localhost:3000/callback';
async function landOnCallback(url) {
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location?.startsWith(redirectUri)) {
    throw new Error(`authorize answered ${res.status} ${location}`);
  }
  return new URL(location);
}

{
  const sdk = 'auth0-auth-js';
  const app = new AuthClient({
    domain: loginDomain, clientId: 'mock-web-client', clientSecret: 'mock-web-secret',
    authorizationParams: { redirect_uri: redirectUri },
  });
  try {
    const { authorizationUrl, codeVerifier } = await app.buildAuthorizationUrl({
      authorizationParams: { scope: 'openid profile email offline_access', audience: API },
    });
    const callback = await landOnCallback(authorizationUrl);
    const tok = await app.getTokenByCode(callback, { codeVerifier });
    const idClaims = claims(tok.idToken);
    check(sdk, 'login with PKCE: code -> access, ID and refresh tokens',
      claims(tok.accessToken).sub === idClaims.sub && idClaims.email === 'user@example.com' && !!tok.refreshToken,
      JSON.stringify(idClaims));
    const refreshed = await app.getTokenByRefreshToken({ refreshToken: tok.refreshToken });
    check(sdk, 'refresh', !!refreshed.accessToken && claims(refreshed.accessToken).sub === idClaims.sub, JSON.stringify(refreshed).slice(0, 200));
    const info = await app.getUserInfo({ accessToken: tok.accessToken });
    check(sdk, 'userinfo', info.sub === idClaims.sub && info.email === 'user@example.com', JSON.stringify(info));
  } catch (e) {
    check(sdk, 'login, refresh, userinfo', false, `${e.constructor.name}: ${e.message} ${JSON.stringify(e.cause ?? '')}`);
  }
}

{
  const sdk = 'openid-client';
  try {
    const config = await oidc.discovery(new URL(`https://${loginDomain}/`), 'mock-web-client', 'mock-web-secret');
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: 'openid profile email offline_access', audience: API,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state,
    });
    const tok = await oidc.authorizationCodeGrant(config, await landOnCallback(url), {
      pkceCodeVerifier: verifier, expectedState: state,
    });
    const sub = tok.claims().sub;
    check(sdk, 'login with PKCE: ID token validated (iss, aud, exp, nonce-less)', !!sub && !!tok.refresh_token, JSON.stringify(tok.claims()));
    const info = await oidc.fetchUserInfo(config, tok.access_token, sub);
    check(sdk, 'userinfo (subject checked)', info.email === 'user@example.com', JSON.stringify(info));
    const refreshed = await oidc.refreshTokenGrant(config, tok.refresh_token);
    check(sdk, 'refresh (a new ID token for the same user)', refreshed.claims()?.sub === sub, JSON.stringify(refreshed));
  } catch (e) {
    check(sdk, 'login, refresh, userinfo', false, `${e.constructor.name}: ${e.message} ${JSON.stringify(e.cause ?? '')}`);
  }
}

// @auth0/auth0-auth-js: Resource Owner Password against a tenant with a Default Directory
// (password-tenant.toml).
if (process.env.PASSWORD_DOMAIN) {
  const sdk = 'auth0-auth-js';
  const ropg = new AuthClient({ domain: process.env.PASSWORD_DOMAIN, clientId: 'ropg-client', clientSecret: 'ropg-secret' });
  for (const realm of [undefined, 'Username-Password-Authentication']) {
    const name = `getTokenByPassword (${realm ? 'password-realm' : 'password'}) gets the user's tokens`;
    try {
      const tok = await ropg.getTokenByPassword({
        username: 'user@example.com', password: 'Passw0rd!', audience: API, scope: 'openid read:messages',
        realm, auth0ForwardedFor: '203.0.113.7',
      });
      const c = claims(tok.accessToken);
      check(sdk, name, c.gty === 'password' && c.permissions?.[0] === 'read:messages' && !!tok.idToken, JSON.stringify(c));
    } catch (e) {
      check(sdk, name, false, `${e.constructor.name}: ${e.message} ${JSON.stringify(e.cause ?? '')}`);
    }
  }
  await refusal(sdk, 'wrong password -> 403 invalid_grant', () => ropg.getTokenByPassword({ username: 'user@example.com', password: 'nope' }), 403, 'invalid_grant', 'Wrong email or password.');
}

// @auth0/auth0-auth-js's MFA client against a tenant with the MFA policy on
// (mfa-policy-tenant.toml): the password grant asks a user without an authenticator for MFA,
// mfa.enrollAuthenticator (POST /mfa/associate) enrols them, mfa.verify confirms with a code.
if (process.env.MFA_DOMAIN) {
  const sdk = 'auth0-auth-js';
  const client = new AuthClient({ domain: process.env.MFA_DOMAIN, clientId: 'mfa-client', clientSecret: 'mfa-secret' });
  const mfaToken = async () => {
    try {
      await client.getTokenByPassword({ username: 'newbie@example.com', password: 'Passw0rd!', scope: 'openid' });
    } catch (e) {
      if (e.cause?.error === 'mfa_required') return e.cause.mfa_token;
      throw e;
    }
    throw new Error('no mfa_required');
  };
  try {
    const token = await mfaToken();
    check(sdk, 'MFA policy: getTokenByPassword for a user without MFA -> mfa_required', typeof token === 'string');
    const e = await client.mfa.enrollAuthenticator({ authenticatorTypes: ['otp'], mfaToken: token });
    check(sdk, 'mfa.enrollAuthenticator (otp) gets a secret, barcode URI and a recovery code',
      e.authenticatorType === 'otp' && /^[A-Z2-7]{32}$/.test(e.secret)
        && e.barcodeUri.startsWith('otpauth://totp/') && e.barcodeUri.includes(`secret=${e.secret}&`)
        && e.recoveryCodes.length === 1, JSON.stringify(e));
    const tok = await client.mfa.verify({ mfaToken: token, factorType: 'otp', otp: totp(e.secret) });
    check(sdk, 'mfa.verify with a code of the new secret confirms it and gets the tokens', !!tok.accessToken && !!tok.idToken, JSON.stringify(tok));
    const again = await mfaToken();
    await refusal(sdk, 'a second enrollAuthenticator -> 403 access_denied', () => client.mfa.enrollAuthenticator({ authenticatorTypes: ['otp'], mfaToken: again }), 403, 'access_denied', 'User is already enrolled.');
    await refusal(sdk, 'enrollAuthenticator (oob) -> 400, not modelled', () => client.mfa.enrollAuthenticator({ authenticatorTypes: ['oob'], oobChannels: ['sms'], phoneNumber: '+15555550100', mfaToken: again }), 400, 'invalid_request');
  } catch (e) {
    check(sdk, 'MFA policy enrolment', false, `${e.constructor.name}: ${e.message} ${JSON.stringify(e.cause ?? '')}`);
  }
}

/** The current TOTP code (RFC 6238: HMAC-SHA-1, 6 digits, 30 s) of a base32 secret, as an
 * authenticator app computes it. */
function totp(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

process.exit(failures ? 1 : 0);
