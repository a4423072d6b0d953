// The Actions worker: one Node process per tenant, started by mock-idp (src/actions/worker.rs)
// with the permission model on (no file system beyond the dependencies directory, no child
// processes, no worker threads, no native bindings). It reads one JSON request per line on
// stdin and answers one JSON line per request on stdout:
//
//   {"id":1,"op":"load","name":"add-roles","code":"exports.onExecutePostLogin = ...","dependencies":["lodash"]}
//   {"id":1,"ok":true}
//   {"id":2,"op":"run","name":"add-roles","trigger":"post-login","event":{...},"timeout_ms":20000}
//   {"id":2,"ok":true,"calls":[["accessToken.setCustomClaim","https://x/roles",["admin"]]],"logs":["..."]}
//   {"id":3,"ok":false,"error":"TypeError: ..."}
//   {"id":4,"op":"unload","name":"add-roles@<version id>"}   (a version no longer deployed)
//
// Each Action lives in a `vm` context of its own, loaded once. Nothing of this (the host)
// realm is reachable from it: the event arrives as a JSON string parsed inside the context, the
// `api` object, `console` and the timers are built inside it, and results leave it as a JSON
// string. The host functions the context needs (its `require`, the timers, the answer) are
// captured in closures before the Action's code runs and are never handed to it, so
// `this.constructor.constructor('return process')()` finds only the context's own `Function`.
'use strict';

const vm = require('vm');
const readline = require('readline');
const { createRequire } = require('module');

// Defence in depth for what runs with host powers (a declared dependency): no outgoing
// connections from this process. Its stdin and stdout are already-open pipes.
const refuse = () => {
  throw new Error('network access is disabled in mock-idp Actions');
};
require('net').Socket.prototype.connect = refuse;
require('dgram').Socket.prototype.send = refuse;
require('dgram').Socket.prototype.bind = refuse;
require('dns').lookup = refuse;
globalThis.fetch = refuse;

// Kept for the worker's own use: the global goes (see the end of this file).
const nodeRequire = require;

const modulesDir = process.env.MOCK_IDP_ACTIONS_MODULES || '';
const hostRequire = modulesDir ? createRequire(modulesDir.replace(/\/?$/, '/') + 'package.json') : null;

// Auth0's cache limits, per trigger: 20 entries, 64-byte keys, 4 KB values, 8 KB in all, at
// most 24 h (default 15 min).
const CACHE_MAX_ENTRIES = 20;
const CACHE_MAX_KEY = 64;
const CACHE_MAX_VALUE = 4096;
const CACHE_MAX_TOTAL = 8192;
const CACHE_DEFAULT_TTL = 15 * 60 * 1000;
const CACHE_MAX_TTL = 24 * 3600 * 1000;
const caches = new Map(); // trigger -> Map(key -> {value, expires_at})

function cacheOf(trigger) {
  let c = caches.get(trigger);
  if (!c) {
    c = new Map();
    caches.set(trigger, c);
  }
  return c;
}

function cacheGet(trigger, key) {
  const c = cacheOf(trigger);
  const e = c.get(String(key));
  if (!e) return undefined;
  if (e.expires_at <= Date.now()) {
    c.delete(String(key));
    return undefined;
  }
  return JSON.stringify(e);
}

function cacheSet(trigger, key, value, ttl, expiresAt) {
  const c = cacheOf(trigger);
  key = String(key);
  value = String(value);
  const now = Date.now();
  for (const [k, e] of c) if (e.expires_at <= now) c.delete(k);
  if (Buffer.byteLength(key) > CACHE_MAX_KEY) return JSON.stringify({ type: 'error', code: 'KEY_TOO_LARGE' });
  if (Buffer.byteLength(value) > CACHE_MAX_VALUE) return JSON.stringify({ type: 'error', code: 'VALUE_TOO_LARGE' });
  let total = Buffer.byteLength(key) + Buffer.byteLength(value);
  for (const [k, e] of c) if (k !== key) total += Buffer.byteLength(k) + Buffer.byteLength(e.value);
  if (total > CACHE_MAX_TOTAL) return JSON.stringify({ type: 'error', code: 'TOTAL_SIZE_EXCEEDED' });
  if (!c.has(key) && c.size >= CACHE_MAX_ENTRIES) {
    c.delete(c.keys().next().value);
  }
  let expires = now + CACHE_DEFAULT_TTL;
  if (typeof ttl === 'number' && ttl > 0) expires = now + ttl;
  if (typeof expiresAt === 'number' && expiresAt > now) expires = expiresAt;
  expires = Math.min(expires, now + CACHE_MAX_TTL);
  c.set(key, { value, expires_at: expires });
  return JSON.stringify({ type: 'success', record: { value, expires_at: expires } });
}

function cacheDelete(trigger, key) {
  cacheOf(trigger).delete(String(key));
  return JSON.stringify({ type: 'success' });
}

// The code evaluated in each context before the Action's: it builds `console`, the timers,
// `require`, and `__mockIdpRun`, closing over the host functions it receives once.
const PRELUDE = `
(function (host) {
  'use strict';
  const g = globalThis;
  const stringify = JSON.stringify, parse = JSON.parse;
  const logs = [];
  const say = (...a) => { if (logs.length < 100) logs.push(a.map(x => typeof x === 'string' ? x : (() => { try { return stringify(x); } catch (_) { return String(x); } })()).join(' ').slice(0, 1024)); };
  g.console = { log: say, info: say, warn: say, error: say, debug: say };
  g.setTimeout = (f, ms, ...args) => host.setTimeout(() => f(...args), ms);
  g.clearTimeout = (id) => host.clearTimeout(id);
  g.setInterval = undefined;
  g.require = (name) => {
    const n = String(name);
    const r = host.require(n);
    if (r === undefined) throw new Error("Cannot find module '" + n + "' (not a declared dependency of this Action)");
    return r;
  };
  const module = { exports: {} };
  g.module = module;
  g.exports = module.exports;
  const run = (trigger, eventJson, id) => {
    const done = (s) => host.finish(id, s);
    logs.length = 0;
    const calls = [];
    const call = (...c) => { calls.push(c); };
    const event = parse(eventJson);
    const cache = {
      get: (key) => { const r = host.cacheGet(trigger, key); return r === undefined ? undefined : parse(r); },
      set: (key, value, options) => parse(host.cacheSet(trigger, key, value, options && options.ttl, options && options.expires_at)),
      delete: (key) => parse(host.cacheDelete(trigger, key)),
    };
    const api = {};
    api.cache = cache;
    if (trigger === 'post-login') {
      api.access = { deny: (reason) => { call('access.deny', String(reason)); return api; } };
      api.accessToken = {
        setCustomClaim: (name, value) => { call('accessToken.setCustomClaim', String(name), value === undefined ? null : value); return api; },
        addScope: (s) => { call('accessToken.addScope', String(s)); return api; },
        removeScope: (s) => { call('accessToken.removeScope', String(s)); return api; },
      };
      api.idToken = {
        setCustomClaim: (name, value) => { call('idToken.setCustomClaim', String(name), value === undefined ? null : value); return api; },
      };
      api.user = {
        setAppMetadata: (k, v) => { call('user.setAppMetadata', String(k), v === undefined ? null : v); if (event.user) { event.user.app_metadata = event.user.app_metadata || {}; if (v === null || v === undefined) delete event.user.app_metadata[k]; else event.user.app_metadata[k] = v; } return api; },
        setUserMetadata: (k, v) => { call('user.setUserMetadata', String(k), v === undefined ? null : v); if (event.user) { event.user.user_metadata = event.user.user_metadata || {}; if (v === null || v === undefined) delete event.user.user_metadata[k]; else event.user.user_metadata[k] = v; } return api; },
      };
      const unsupported = (what) => () => { call('unsupported', what); throw new Error(what + " is not supported by mock-idp (redirects out of a login need Auth0's /continue)"); };
      api.redirect = { sendUserTo: unsupported('api.redirect.sendUserTo'), encodeToken: unsupported('api.redirect.encodeToken'), validateToken: unsupported('api.redirect.validateToken') };
    } else {
      api.access = { deny: (code, reason) => { call('access.deny', String(code), reason === undefined ? '' : String(reason)); return api; } };
      api.accessToken = {
        setCustomClaim: (name, value) => { call('accessToken.setCustomClaim', String(name), value === undefined ? null : value); return api; },
      };
    }
    const handler = trigger === 'post-login' ? module.exports.onExecutePostLogin : module.exports.onExecuteCredentialsExchange;
    const finish = (err) => {
      let out;
      try {
        out = err === undefined
          ? stringify({ ok: true, calls, logs })
          : stringify({ ok: false, error: err, logs });
      } catch (e) {
        out = stringify({ ok: false, error: 'a value the Action set cannot be serialized to JSON', logs });
      }
      done(String(out));
    };
    const describe = (e) => {
      try {
        if (e && typeof e === 'object' && typeof e.message === 'string') return String(e.message);
        return 'threw ' + String(e);
      } catch (_) { return 'threw a value that cannot be shown'; }
    };
    if (typeof handler !== 'function') {
      finish('the Action exports no ' + (trigger === 'post-login' ? 'onExecutePostLogin' : 'onExecuteCredentialsExchange') + ' function');
      return;
    }
    let result;
    try {
      result = handler(event, api);
    } catch (e) {
      finish(describe(e));
      return;
    }
    Promise.resolve(result).then(
      (v) => { if (v !== undefined) finish('the Action returned a value (' + typeof v + '); Actions return nothing'); else finish(); },
      (e) => finish(describe(e)),
    );
  };
  Object.defineProperty(g, '__mockIdpRun', { value: run });
})
`;

const actions = new Map(); // name -> { context }

// Node modules an Action may require without declaring them: computation only (no
// `fs`, `net`, `http`, `child_process`...).
const BUILTINS = new Set(['crypto', 'util', 'url', 'querystring', 'buffer', 'events', 'assert', 'string_decoder']);

function load(msg) {
  const allowed = new Set(Array.isArray(msg.dependencies) ? msg.dependencies.map(String) : []);
  const host = {
    setTimeout: (f, ms) => {
      const t = setTimeout(f, Math.min(Number(ms) || 0, 60000));
      const id = nextTimer++;
      timers.set(id, t);
      return id;
    },
    clearTimeout: (id) => { const t = timers.get(id); if (t) { clearTimeout(t); timers.delete(id); } },
    require: (name) => {
      const bare = name.startsWith('node:') ? name.slice(5) : name;
      if (BUILTINS.has(bare)) return nodeRequire(bare);
      if (!allowed.has(name) || !hostRequire) return undefined;
      return hostRequire(name);
    },
    cacheGet,
    cacheSet,
    cacheDelete,
    finish,
  };
  // A sandbox without a prototype: a lookup the context's global misses must not fall
  // through to this realm's Object (`this.constructor.constructor('return process')()`).
  const context = vm.createContext(Object.create(null), {
    name: 'action:' + msg.name,
    codeGeneration: { strings: true, wasm: false },
  });
  vm.runInContext(PRELUDE, context, { filename: 'mock-idp-prelude.js' })(host);
  // Wrapped as CommonJS: the Action's top-level `exports`/`module`/`require` are the
  // context's own.
  const wrapped = '(function (exports, require, module) {' + String(msg.code) + '\n})(module.exports, require, module);';
  vm.runInContext(wrapped, context, { filename: msg.name + '.js', timeout: 5000 });
  actions.set(msg.name, { context });
}

const timers = new Map();
let nextTimer = 1;

function answer(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// Runs in flight: id -> their answer function.
const inFlight = new Map();

// What a context calls when its run ends: only a string crosses back.
function finish(id, json) {
  const done = inFlight.get(id);
  if (done) done(json);
}

function run(msg) {
  const a = actions.get(msg.name);
  if (!a) {
    answer({ id: msg.id, ok: false, error: 'no Action named ' + msg.name });
    return;
  }
  const id = Number(msg.id);
  const timeout = Math.max(1, Number(msg.timeout_ms) || 20000);
  const timer = setTimeout(() => {
    if (!inFlight.delete(id)) return;
    answer({ id, ok: false, error: 'the Action did not finish within ' + timeout + ' ms', timeout: true });
  }, timeout);
  inFlight.set(id, (json) => {
    if (!inFlight.delete(id)) return;
    clearTimeout(timer);
    let r;
    try {
      r = JSON.parse(typeof json === 'string' ? json : '{}');
    } catch (_) {
      r = { ok: false, error: 'the Action produced an unreadable result' };
    }
    answer({ id, ok: r.ok === true, calls: r.calls, error: r.error, logs: r.logs });
  });
  const call = '__mockIdpRun(' + JSON.stringify(String(msg.trigger)) + ',' +
    JSON.stringify(JSON.stringify(msg.event)) + ',' + id + ')';
  try {
    // The synchronous part of the Action runs under vm's own timeout: a busy loop before
    // its first `await` is interrupted here and the process lives on.
    vm.runInContext(call, a.context, { timeout });
  } catch (e) {
    finish(id, JSON.stringify({ ok: false, error: String(e && e.message || e) }));
  }
}

// Code that escapes a context into this realm (through a built-in module's constructor)
// finds no `require` here: only `process`, whose file system, child processes and native
// bindings the permission model refuses.
delete globalThis.require;

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (_) {
    return;
  }
  if (msg.op === 'load') {
    try {
      load(msg);
      answer({ id: msg.id, ok: true });
    } catch (e) {
      const text = e && typeof e.message === 'string' ? (e.name ? e.name + ': ' : '') + e.message : String(e);
      answer({ id: msg.id, ok: false, error: text.split('\n')[0] });
    }
  } else if (msg.op === 'run') {
    run(msg);
  } else if (msg.op === 'unload') {
    // A version no longer deployed: runs already under way keep their context.
    actions.delete(String(msg.name));
    answer({ id: msg.id, ok: true });
  } else if (msg.op === 'ping') {
    answer({ id: msg.id, ok: true });
  }
});
rl.on('close', () => process.exit(0));
