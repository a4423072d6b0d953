// The official MCP TypeScript SDK's client, unmodified, given nothing but the MCP server's URL:
// it gets a 401 and its resource_metadata, discovers the tenant (RFC 9728, RFC 8414), registers
// itself (RFC 7591), sends the user to /authorize (the tenant runs with --auto-login, so the
// "browser" is one fetch that reads the redirect), exchanges the code for a token for the
// resource (RFC 8707) and calls the tool. Prints one PASS/FAIL line per step.
//
// With CLIENT_METADATA_PORT (and CLIENT_METADATA_KEY / CLIENT_METADATA_CERT, PEM files) set, it
// identifies itself with a client ID metadata document instead of registering: it serves its
// own document at https://127.0.0.1:PORT/client-metadata.json and hands that URL to the SDK as
// `clientMetadataUrl`, which the SDK uses as client_id when the tenant advertises
// `client_id_metadata_document_supported`.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const serverUrl = new URL(process.argv[2]);
let failed = 0;
const check = (name, ok, detail = '') => {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) failed += 1;
};

// Every request the SDK makes, to show what it did (the SDK's own fetch, only observed).
const seen = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const res = await realFetch(input, init);
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  seen.push({ method: init?.method ?? 'GET', url, status: res.status, www: res.headers.get('www-authenticate') });
  return res;
};

const docPort = process.env.CLIENT_METADATA_PORT;
const docUrl = docPort ? `https://127.0.0.1:${docPort}/client-metadata.json` : undefined;
let docServer;
let docFetches = 0;

class Provider {
  redirectUrl = 'http://127.0.0.1:33418/callback';
  clientMetadataUrl = docUrl;
  clientMetadata = {
    client_name: 'MCP SDK example client',
    redirect_uris: [this.redirectUrl],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
  clientInformation() { return this.client; }
  saveClientInformation(info) { this.client = info; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

const provider = new Provider();
if (docUrl) {
  const document = JSON.stringify({ client_id: docUrl, ...provider.clientMetadata });
  docServer = createServer(
    { key: readFileSync(process.env.CLIENT_METADATA_KEY), cert: readFileSync(process.env.CLIENT_METADATA_CERT) },
    (req, res) => {
      docFetches += 1;
      if (req.url !== '/client-metadata.json') { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': 'application/json' }).end(document);
    },
  );
  await new Promise((ok) => docServer.listen(Number(docPort), '127.0.0.1', ok));
}
let transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
try {
  await new Client({ name: 'example', version: '0.0.0' }).connect(transport);
  check('the server asks for authorization', false, 'connected without a token');
} catch (e) {
  check('the server asks for authorization', e instanceof UnauthorizedError, String(e));
}
const first = seen.find((r) => r.url.href === serverUrl.href);
check('401 with resource_metadata', first?.status === 401 && /resource_metadata="[^"]+"/.test(first?.www ?? ''), first?.www ?? 'no request');
const prm = seen.find((r) => r.url.pathname.startsWith('/.well-known/oauth-protected-resource'));
check('protected-resource metadata fetched', prm?.status === 200, prm?.url.href);
const asm = seen.find((r) => r.url.pathname === '/.well-known/oauth-authorization-server');
check('authorization-server metadata fetched', asm?.status === 200, asm?.url.href);
const reg = seen.find((r) => r.url.pathname === '/oidc/register');
if (docUrl) {
  check('used its client ID metadata document, no registration', !reg && provider.client?.client_id === docUrl, provider.client?.client_id);
} else {
  check('registered itself', reg?.status === 201 && !!provider.client?.client_id, provider.client?.client_id);
}

// The browser: the tenant logs the user in at once and redirects to the callback with a code.
const auth = provider.authorizationUrl;
check('authorization request names the resource', auth?.searchParams.get('resource') === serverUrl.href, auth?.href);
const res = await fetch(auth, { redirect: 'manual' });
const callback = new URL(res.headers.get('location') ?? 'about:blank');
const code = callback.searchParams.get('code');
check('user logged in, code returned', res.status === 302 && !!code, callback.href);
await transport.finishAuth(code);
const token = provider.tokens()?.access_token;
check('access token for the resource', !!token);
if (token) {
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  check('token audience is the MCP server', [claims.aud].flat().includes(serverUrl.href), JSON.stringify(claims.aud));
}

transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
const client = new Client({ name: 'example', version: '0.0.0' });
await client.connect(transport);
const tools = await client.listTools();
check('tools listed', tools.tools.some((t) => t.name === 'whoami'), tools.tools.map((t) => t.name).join(','));
const out = await client.callTool({ name: 'whoami', arguments: {} });
const text = out.content?.[0]?.text ?? '';
check('tool called with the token', /^sub=auth0\|.+ scope=.*tools:call/.test(text), text);
await client.close();
if (docUrl) {
  check('the tenant fetched the document', docFetches >= 1, `${docFetches} fetch(es)`);
  docServer.close();
}
process.exit(failed ? 1 : 0);
