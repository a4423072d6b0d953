// Types for mock-idp's Node helper: a mock Auth0 tenant for tests, steered through its control API.
import type { ChildProcess } from 'node:child_process';

export interface StartOptions {
  /** A tenant TOML file (`serve --config`). */
  config?: string;
  /** Log this user in at /authorize without the login form (`serve --auto-login`). */
  autoLogin?: string;
  /** The repository's fixed RSA key instead of a fresh one: faster start, for tests only. */
  fixtureKeys?: boolean;
  /** Keep keys and CA here (default: a temporary directory removed by stop()). */
  stateDir?: string;
  /** The mock-idp binary (default: $MOCK_IDP_BIN, else the installed platform package's). */
  binary?: string;
  /** More arguments for `serve`. */
  args?: string[];
  /** How long to wait for the tenant to be ready (default 30000). */
  timeoutMs?: number;
  /** Passwords of the TOML's users, for login(email) (Node has no TOML parser). */
  users?: Record<string, string>;
  /** The application login() uses when the TOML's differs from the default tenant's. */
  loginClient?: { clientId: string; redirectUri: string; clientSecret?: string };
}

export interface ConnectOptions {
  /** https://HOST:PORT of a running `mock-idp serve`. */
  baseUrl: string;
  /** The admin secret serve printed or was given (--admin-secret / MOCK_IDP_ADMIN_SECRET). */
  adminSecret: string;
  /** The CA to trust (`mock-idp ca`). */
  caFile?: string;
  /** The tenant's default API (default https://my-flask-api). */
  audience?: string;
  /** Where to connect when the issuer's host does not resolve here. */
  connectHost?: string;
  users?: Record<string, string>;
  loginClient?: { clientId: string; redirectUri: string; clientSecret?: string };
}

/** A TokenSpec (mock-idp/openapi/control.json); camelCase names for the common fields. */
export interface TokenOptions {
  scope?: string;
  claims?: Record<string, unknown>;
  /** Lifetime in seconds; negative: already expired. */
  expiresIn?: number;
  audience?: string;
  sub?: string;
  /** Bind to a DPoP key (cnf.jkt): a PKCS#8 PEM P-256 key, or true for the tenant's test key. */
  dpopKey?: string | true;
  unsetClaims?: string[];
  signAlg?: 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512';
  noDefaultClaims?: boolean;
  /** Any other TokenSpec field, as the control API spells it (`signing`, `header`, `dialect`...). */
  [field: string]: unknown;
}

export interface ProofOptions {
  method?: string;
  url: string;
  /** Bind the proof to this token (`ath`). */
  accessToken?: string;
  /** PKCS#8 PEM P-256 key (default: the tenant's fixed test key). */
  dpopKey?: string;
  nonce?: string;
  /** Any other ProofSpec field (`iat`, `jti`, `htm`...). */
  [field: string]: unknown;
}

export interface LoginOptions {
  password?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  /** Default: `openid profile email offline_access`. */
  scope?: string;
  /** Default: the tenant's audience; null for none. */
  audience?: string | null;
}

export interface LoginTokens {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  scope?: string;
  expires_in: number;
  token_type: string;
}

export interface SigningKey {
  kid: string;
  cert?: string | null;
  current?: boolean;
  next?: boolean;
  previous?: boolean;
  revoked?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string | null;
  headers: [string, string][];
  body: string;
}

export type Fault =
  | { status: number }
  | { delay_ms: number }
  | 'malformed_body'
  | 'drop_connection'
  | { redirect: { status?: number; location?: string } }
  | { respond: { status?: number; content_type?: string; body?: string } };

export interface FaultOptions {
  status?: number;
  delayMs?: number;
  fault?: Fault;
  /** Only the next N calls. */
  next?: number;
  /** Only call number N. */
  call?: number;
}

export interface Env {
  AUTH0_DOMAIN: string;
  AUTH0_AUDIENCE: string;
  AUTH0_CA_FILE: string;
}

export interface Tenant {
  /** https://HOST:PORT */
  baseUrl: string;
  /** https://HOST:PORT/ */
  issuer: string;
  /** HOST:PORT (AUTH0_DOMAIN) */
  domain: string;
  audience: string;
  caFile: string | undefined;
  adminSecret: string;
  jwksUri: string;
  /** The .env values `mock-idp init` writes. */
  env: Env;
  token(options?: TokenOptions): Promise<string>;
  mint(options?: TokenOptions): Promise<{ token: string; header: object | null; claims: object | null }>;
  proof(options: ProofOptions): Promise<string>;
  dpopJkt(dpopKey?: string | true): Promise<string>;
  /** A user's tokens through the real flow: /authorize with PKCE, the login form, the code exchange. */
  login(email?: string, options?: LoginOptions): Promise<LoginTokens>;
  keys: {
    list(): Promise<SigningKey[]>;
    rotate(): Promise<SigningKey>;
    revoke(kid: string): Promise<SigningKey>;
    publishNext(): Promise<unknown>;
    retire(kid: string): Promise<unknown>;
    current(): Promise<string>;
  };
  clock: {
    get(): Promise<{ now: number; offset: number; frozen: boolean }>;
    advance(seconds: number): Promise<{ now: number; offset: number; frozen: boolean }>;
    set(unix: number): Promise<{ now: number; offset: number; frozen: boolean }>;
    freeze(frozen?: boolean): Promise<{ now: number; offset: number; frozen: boolean }>;
  };
  faults: {
    add(endpoint: 'discovery' | 'jwks' | 'token', options: FaultOptions): Promise<unknown>;
    list(): Promise<unknown[]>;
    clear(): Promise<void>;
  };
  journal(options?: { limit?: number }): Promise<RecordedRequest[]>;
  clearJournal(): Promise<void>;
  stats(): Promise<{ discovery_fetches: number; jwks_fetches: number; token_requests: number }>;
  reset(): Promise<void>;
  /** Stop the tenant (SIGTERM) and remove its temporary state directory. */
  stop(): Promise<void>;
  /** Only for tenants startTenant() started: the child process and its last output lines. */
  process?: ChildProcess;
  log?: () => string[];
}

export declare class ControlApiError extends Error {
  status: number;
  body: string;
}

export declare const DEFAULT_USER: { email: string; password: string };
export declare function startTenant(options?: StartOptions): Promise<Tenant>;
export declare function connectTenant(options: ConnectOptions): Tenant;
export declare function binaryPath(): string;
