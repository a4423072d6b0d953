'use strict';
// mock-idp for Node: start a mock Auth0 tenant (`mock-idp serve`) for a test run and steer it
// through its control API (mock-idp/openapi/control.json in the repository), over HTTPS with the
// admin secret. Works from node:test, Vitest and Jest (CommonJS; ESM imports it too). The tenant
// listens on 127.0.0.1 on a free port, with a temporary state directory and a random secret
// passed through MOCK_IDP_ADMIN_SECRET (never on the command line); it is ready when
// `--log-format json` prints its `listening` line. No dependencies beyond Node's own modules.
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { binaryPath } = require('./lib/binary.js');

/** The default tenant's user and the application users log in to (mock-idp/README.md). */
const DEFAULT_USER = { email: 'user@example.com', password: 'Passw0rd!' };
const DEFAULT_LOGIN_CLIENT = { clientId: 'mock-spa-client', redirectUri: 'http://localhost:3000/callback' };

/** A control API call (or a login step) answered with an unexpected status. */
class ControlApiError extends Error {
  constructor(method, route, status, body) {
    super(`${method} ${route}: ${status} ${String(body).slice(0, 500)}`);
    this.name = 'ControlApiError';
    this.status = status;
    this.body = body;
  }
}

const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts `mock-idp serve` and resolves when it is ready.
 * @param {import('./index').StartOptions} [options]
 * @returns {Promise<import('./index').Tenant>}
 */
async function startTenant(options = {}) {
  const bin = options.binary || binaryPath();
  const ownDir = !options.stateDir;
  const stateDir = options.stateDir || fs.mkdtempSync(path.join(os.tmpdir(), 'mock-idp-'));
  const secret = crypto.randomBytes(32).toString('base64url');
  const args = ['--state-dir', stateDir];
  if (options.fixtureKeys) args.push('--fixture-keys');
  args.push('serve', '--port', '0', '--bind', '127.0.0.1', '--log-format', 'json');
  if (options.config) args.push('--config', options.config);
  if (options.autoLogin) args.push('--auto-login', options.autoLogin);
  args.push(...(options.args || []));
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MOCK_IDP_ADMIN_SECRET: secret },
  });
  live.add(child);
  const log = [];
  const keep = (line) => {
    log.push(line);
    if (log.length > 200) log.shift();
  };
  readline.createInterface({ input: child.stderr }).on('line', keep);
  const removeDir = () => {
    if (ownDir) fs.rmSync(stateDir, { recursive: true, force: true });
  };
  let banner;
  try {
    banner = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`mock-idp serve not ready after ${options.timeoutMs ?? 30000} ms:\n${log.join('\n')}`)),
        options.timeoutMs ?? 30000,
      );
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`mock-idp: cannot run ${bin}: ${e.message}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        // Give readline the last lines before reporting them.
        setImmediate(() => reject(new Error(`mock-idp serve exited (${code}) before it was ready:\n${log.join('\n')}`)));
      });
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        keep(line);
        if (banner || !line.startsWith('{')) return;
        try {
          const event = JSON.parse(line);
          if (event.event === 'listening') {
            clearTimeout(timer);
            resolve(event);
          }
        } catch {
          // not JSON: ignore
        }
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    live.delete(child);
    removeDir();
    throw e;
  }
  // A test that forgets stop() must not keep the test runner alive; the exit hook kills it.
  child.unref();
  child.stdout.unref();
  child.stderr.unref();
  const listen = String(banner.listen);
  const tenant = connectTenant({
    baseUrl: String(banner.issuer),
    adminSecret: secret,
    caFile: String(banner.ca),
    audience: String(banner.audience),
    connectHost: listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, ''),
    loginDefaults: loginDefaultsFrom(options),
  });
  let stopped;
  tenant.process = child;
  tenant.log = () => [...log];
  tenant.stop = () => {
    if (!stopped) {
      stopped = new Promise((resolve) => {
        const done = () => {
          live.delete(child);
          removeDir();
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(force);
          done();
        });
        child.kill('SIGTERM');
      });
    }
    return stopped;
  };
  return tenant;
}

/**
 * A client for a running tenant's control API (one you did not start: docker-compose, a shell).
 * @param {import('./index').ConnectOptions} options
 * @returns {import('./index').Tenant}
 */
function connectTenant(options) {
  const url = new URL(options.baseUrl);
  const baseUrl = `${url.protocol}//${url.host}`;
  const secure = url.protocol === 'https:';
  const ca = secure && options.caFile ? fs.readFileSync(options.caFile) : undefined;
  const host = options.connectHost || url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (secure ? 443 : 80));
  const audience = options.audience || 'https://my-flask-api';
  const loginDefaults = options.loginDefaults || {};

  function request(method, route, body, headers = {}, auth = true) {
    const sent = { ...headers };
    if (auth) sent.authorization = `Bearer ${options.adminSecret}`;
    if (body !== undefined) sent['content-length'] = Buffer.byteLength(body);
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        { method, host, port, path: route, headers: sent, ca, servername: url.hostname, agent: false, timeout: 30000 },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${route}: timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async function json(method, route, body) {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = data === undefined ? {} : { 'content-type': 'application/json' };
    const res = await request(method, route, data, headers);
    if (res.status < 200 || res.status > 299) throw new ControlApiError(method, route, res.status, res.body);
    return res.body.trim() ? JSON.parse(res.body) : undefined;
  }

  async function dpopJkt(dpopKey) {
    const body = { method: 'GET', url: `${baseUrl}/` };
    if (typeof dpopKey === 'string') body.key_pem = dpopKey;
    return (await json('POST', '/control/proofs', body)).jkt;
  }

  // TokenSpec field names for the camelCase options; any other key goes through as it is.
  const tokenFields = { expiresIn: 'expires_in', unsetClaims: 'unset_claims', signAlg: 'sign_alg', noDefaultClaims: 'no_default_claims' };

  async function mint(opts = {}) {
    const body = {};
    for (const [k, v] of Object.entries(opts)) {
      if (v === undefined || k === 'dpopKey') continue;
      body[tokenFields[k] || k] = v;
    }
    if (opts.dpopKey) body.jkt = await dpopJkt(opts.dpopKey);
    return json('POST', '/control/tokens', body);
  }

  async function login(email = DEFAULT_USER.email, opts = {}) {
    const known = loginDefaults.users?.[email];
    const password = opts.password ?? known ?? DEFAULT_USER.password;
    const app = loginDefaults.app || {};
    const clientId = opts.clientId || app.clientId || DEFAULT_LOGIN_CLIENT.clientId;
    const redirectUri = opts.redirectUri || app.redirectUri || DEFAULT_LOGIN_CLIENT.redirectUri;
    const clientSecret = opts.clientSecret ?? app.clientSecret;
    const verifier = crypto.randomBytes(48).toString('base64url');
    const state = crypto.randomBytes(16).toString('base64url');
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: opts.scope || 'openid profile email offline_access',
      state,
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    if (opts.audience !== null) query.set('audience', opts.audience || audience);
    let res = await request('GET', `/authorize?${query}`, undefined, {}, false);
    let location = redirect(res, 'GET', '/authorize');
    if (location.startsWith('/u/login')) {
      const tx = new URL(location, baseUrl).searchParams.get('state') || '';
      const cookies = [].concat(res.headers['set-cookie'] || []).map((c) => c.split(';')[0]).join('; ');
      const form = new URLSearchParams({ state: tx, username: email, password }).toString();
      res = await request('POST', '/u/login', form, { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies }, false);
      location = redirect(res, 'POST', '/u/login');
    }
    const callback = new URL(location);
    const code = callback.searchParams.get('code');
    if (callback.searchParams.get('state') !== state || !code) {
      throw new ControlApiError('GET', '/authorize', res.status, `callback without a code: ${location}`);
    }
    const exchange = new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: redirectUri, code_verifier: verifier });
    if (clientSecret) exchange.set('client_secret', clientSecret);
    res = await request('POST', '/oauth/token', exchange.toString(), { 'content-type': 'application/x-www-form-urlencoded' }, false);
    if (res.status !== 200) throw new ControlApiError('POST', '/oauth/token', res.status, res.body);
    return JSON.parse(res.body);
  }

  const domain = url.host;
  return {
    baseUrl,
    issuer: `${baseUrl}/`,
    domain,
    audience,
    caFile: options.caFile,
    adminSecret: options.adminSecret,
    jwksUri: `${baseUrl}/.well-known/jwks.json`,
    env: { AUTH0_DOMAIN: domain, AUTH0_AUDIENCE: audience, AUTH0_CA_FILE: options.caFile || '' },
    mint,
    token: async (opts) => (await mint(opts)).token,
    proof: async ({ method = 'GET', url: target, accessToken, dpopKey, nonce, ...spec }) => {
      const details = { ...spec };
      if (accessToken !== undefined) details.access_token = accessToken;
      if (nonce !== undefined) details.nonce = nonce;
      const body = { method, url: target };
      if (dpopKey) body.key_pem = dpopKey;
      if (Object.keys(details).length) body.spec = details;
      return (await json('POST', '/control/proofs', body)).proof;
    },
    dpopJkt,
    login,
    keys: {
      list: () => json('GET', '/api/v2/keys/signing'),
      rotate: () => json('POST', '/api/v2/keys/signing/rotate'),
      revoke: (kid) => json('PUT', `/api/v2/keys/signing/${encodeURIComponent(kid)}/revoke`),
      publishNext: () => json('POST', '/control/keys/publish-next'),
      retire: (kid) => json('POST', `/control/keys/${encodeURIComponent(kid)}/retire`),
      current: async () => (await json('GET', '/api/v2/keys/signing')).find((k) => k.current).kid,
    },
    clock: {
      get: () => json('GET', '/control/clock'),
      advance: (seconds) => json('POST', '/control/clock', { advance: Math.trunc(seconds) }),
      set: (unix) => json('POST', '/control/clock', { set: Math.trunc(unix) }),
      freeze: (frozen = true) => json('POST', '/control/clock', { freeze: frozen }),
    },
    faults: {
      add: (endpoint, opts = {}) => {
        let fault = opts.fault;
        if (fault === undefined && opts.status !== undefined) fault = { status: opts.status };
        if (fault === undefined && opts.delayMs !== undefined) fault = { delay_ms: opts.delayMs };
        if (fault === undefined) throw new TypeError('faults.add: give status, delayMs or fault');
        let when = 'always';
        if (opts.next !== undefined) when = { next: opts.next };
        else if (opts.call !== undefined) when = { call: opts.call };
        return json('POST', '/control/faults', { endpoint, fault, when });
      },
      list: () => json('GET', '/control/faults'),
      clear: () => json('DELETE', '/control/faults'),
    },
    journal: (opts = {}) => json('GET', `/control/journal${opts.limit !== undefined ? `?limit=${Number(opts.limit)}` : ''}`),
    clearJournal: () => json('DELETE', '/control/journal'),
    stats: () => json('GET', '/control/stats'),
    reset: () => json('POST', '/control/reset'),
    stop: async () => {},
  };
}

function redirect(res, method, route) {
  if ((res.status === 302 || res.status === 303) && res.headers.location) return res.headers.location;
  throw new ControlApiError(method, route, res.status, res.body);
}

// Login defaults a tenant TOML would give need a TOML parser, which Node lacks: pass them.
function loginDefaultsFrom(options) {
  return {
    users: options.users || {},
    app: options.loginClient || undefined,
  };
}

module.exports = { startTenant, connectTenant, binaryPath, ControlApiError, DEFAULT_USER };
