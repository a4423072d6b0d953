// The unmodified npm `auth0` ManagementClient against `mock-idp serve`: one PASS/FAIL line per
// check, exit 1 on any FAIL. (auth0 7.x has no Authentication API client: the token requests
// that show what a change did are plain `fetch` calls.)
import { ManagementClient, ManagementError } from "auth0";

const domain = process.env.DOMAIN;
const suffix = Date.now().toString(36);
let failed = false;
const check = (name, ok, detail = "") => {
  console.log(`${ok ? "PASS" : "FAIL"} node auth0: ${name}${ok ? "" : ` (${detail})`}`);
  if (!ok) failed = true;
};
async function token(form) {
  const res = await fetch(`https://${domain}/oauth/token`, { method: "POST", body: new URLSearchParams(form) });
  return res.json();
}
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());
async function status(promise) {
  try {
    await promise;
    return [200, null];
  } catch (e) {
    return e instanceof ManagementError ? [e.statusCode, e.body] : [0, String(e)];
  }
}

const m = new ManagementClient({ domain, clientId: "mgmt-client", clientSecret: "mgmt-secret" });

// An API, an M2M application and its grant, then a token for it.
const audience = `https://orders-${suffix}.example`;
await m.resourceServers.create({
  identifier: audience, name: "Orders",
  scopes: [{ value: "read:orders", description: "Read orders" }],
  enforce_policies: true, token_dialect: "access_token_authz",
});
const app = await m.clients.create({ name: `worker-${suffix}`, app_type: "non_interactive" });
await m.clientGrants.create({ client_id: app.client_id, audience, scope: ["read:orders"] });
const cc = await token({ grant_type: "client_credentials", client_id: app.client_id, client_secret: app.client_secret, audience });
const ccClaims = claims(cc.access_token);
check("an M2M application created over the API gets a token with its grant",
  ccClaims.scope === "read:orders" && ccClaims.azp === app.client_id, JSON.stringify(ccClaims));

// A user with a password, a role with permissions, assigned: the user's next token shows them.
const email = `ada-${suffix}@example.com`;
const user = await m.users.create({ connection: "Username-Password-Authentication", email, password: "Analytical-1843" });
const role = await m.roles.create({ name: `reader-${suffix}`, description: "Reads orders" });
await m.roles.permissions.add(role.id, { permissions: [{ resource_server_identifier: audience, permission_name: "read:orders" }] });
await m.users.roles.assign(user.user_id, { roles: [role.id] });
const login = await token({
  grant_type: "password", client_id: "ropg-client", client_secret: "ropg-secret",
  username: email, password: "Analytical-1843", audience, scope: "openid read:orders",
});
const perms = claims(login.access_token).permissions;
check("a role assigned over the API shows in the user's next token", JSON.stringify(perms) === '["read:orders"]', JSON.stringify(perms));

// Pagination with include_totals.
for (let i = 0; i < 3; i++) {
  await m.users.create({ connection: "Username-Password-Authentication", email: `p${i}-${suffix}@example.com`, password: "pw-123456" });
}
const page = await m.users.list({ page: 1, per_page: 2, include_totals: true });
check("users.list pages with include_totals", page.data.length === 2 && page.response.total >= 4 && page.response.start === 2,
  JSON.stringify({ n: page.data.length, total: page.response.total, start: page.response.start }));
const found = await m.users.listUsersByEmail({ email });
check("users-by-email finds the user", found.length === 1 && found[0].user_id === user.user_id, JSON.stringify(found));

// The errors a client branches on.
let [s, body] = await status(m.users.get("auth0|nobody"));
check("404 inexistent user", s === 404 && body.errorCode === "inexistent_user", `${s} ${JSON.stringify(body)}`);
[s, body] = await status(m.users.create({ connection: "Username-Password-Authentication", email, password: "x-123456" }));
check("409 existing user", s === 409 && body.message === "The user already exists.", `${s} ${JSON.stringify(body)}`);
[s, body] = await status(m.clients.create({ app_type: "non_interactive" }));
check("400 bad payload", s === 400 && body.errorCode === "invalid_body", `${s} ${JSON.stringify(body)}`);
const reader = new ManagementClient({ domain, clientId: "reader-client", clientSecret: "reader-secret" });
[s, body] = await status(reader.users.create({ connection: "Username-Password-Authentication", email: `r-${suffix}@example.com`, password: "pw-123456" }));
check("403 insufficient scope", s === 403 && body.errorCode === "insufficient_scope", `${s} ${JSON.stringify(body)}`);
const forged = new ManagementClient({ domain, token: "not-a-token" });
[s, body] = await status(forged.users.list());
check("401 bad token", s === 401 && body.statusCode === 401, `${s} ${JSON.stringify(body)}`);

// Actions: created, deployed and bound over the API; the next token carries the Action's claim,
// and the secret never comes back.
const action = await m.actions.create({
  name: `stamp-${suffix}`,
  supported_triggers: [{ id: "credentials-exchange", version: "v2" }],
  code: "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/stamp', event.secrets.STAMP); };",
  secrets: [{ name: "STAMP", value: "stamped-by-action" }],
});
check("actions.create answers a built, undeployed action", action.status === "built" && action.all_changes_deployed === false && action.secrets[0].value === undefined,
  JSON.stringify(action));
const version = await m.actions.deploy(action.id);
check("actions.deploy answers version 1", version.number === 1 && version.deployed === true, JSON.stringify(version));
const unbound = claims((await token({ grant_type: "client_credentials", client_id: app.client_id, client_secret: app.client_secret, audience })).access_token);
check("a deployed, unbound action does not run", unbound["https://example.com/stamp"] === undefined, JSON.stringify(unbound));
await m.actions.triggers.bindings.updateMany("credentials-exchange", {
  bindings: [{ ref: { type: "action_name", value: action.name }, display_name: action.name }],
});
const stamped = claims((await token({ grant_type: "client_credentials", client_id: app.client_id, client_secret: app.client_secret, audience })).access_token);
check("a bound action's claim is in the next token", stamped["https://example.com/stamp"] === "stamped-by-action", JSON.stringify(stamped));
const bindings = await m.actions.triggers.bindings.list("credentials-exchange");
check("bindings list the action", bindings.data.length === 1 && bindings.data[0].action.id === action.id, JSON.stringify(bindings.data));
const listedActions = [];
for await (const a of await m.actions.list()) listedActions.push(a);
const again = await m.actions.get(action.id);
check("actions.list and actions.get never return the secret", listedActions.some((a) => a.id === action.id) && !JSON.stringify([listedActions, again]).includes("stamped-by-action"),
  JSON.stringify(again));
[s, body] = await status(reader.actions.create({ name: "x", supported_triggers: [{ id: "post-login" }] }));
check("403 creating an action without create:actions", s === 403 && body.errorCode === "insufficient_scope", `${s} ${JSON.stringify(body)}`);
[s, body] = await status(m.actions.get("00000000-0000-0000-0000-000000000000"));
check("404 unknown action", s === 404 && body.errorCode === "inexistent_action", `${s} ${JSON.stringify(body)}`);
await m.actions.triggers.bindings.updateMany("credentials-exchange", { bindings: [] });
await m.actions.delete(action.id);

// An organization invitation: created over the API, its link opened at /authorize, the invitee
// signs up on the page the link leads to, and is then a member with the invitation's role; the
// token carries the organization; the invitation is spent.
const editor = await m.roles.create({ name: `editor-${suffix}`, description: "Edits" });
const invitee = `invitee-${suffix}@example.com`;
const inv = await m.organizations.invitations.create("org_invite", {
  inviter: { name: "Ada Admin" }, invitee: { email: invitee }, client_id: "invite-spa",
  roles: [editor.id], send_invitation_email: false,
});
const link = new URL(inv.invitation_url);
check("organizations.invitations.create answers Auth0's invitation with its link",
  inv.id.startsWith("uinv_") && inv.organization_id === "org_invite" && inv.invitee.email === invitee
    && link.origin + link.pathname === "https://app.example/login"
    && link.searchParams.get("invitation") === inv.ticket_id
    && link.searchParams.get("organization") === "org_invite"
    && link.searchParams.get("organization_name") === "invite-org"
    && Date.parse(inv.expires_at) - Date.parse(inv.created_at) === 604800000,
  JSON.stringify(inv));
const listed = await m.organizations.invitations.list("org_invite");
const got = await m.organizations.invitations.get("org_invite", inv.id);
check("organizations.invitations.list and get find it",
  listed.data.length === 1 && listed.data[0].id === inv.id && got.ticket_id === inv.ticket_id,
  JSON.stringify({ listed: listed.data, got }));
// The browser's part, with fetch: cookies kept by hand, redirects not followed.
const jar = new Map();
async function browse(url, init = {}) {
  const headers = { ...(init.headers || {}), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") };
  const res = await fetch(new URL(url, `https://${domain}`), { ...init, headers, redirect: "manual" });
  for (const c of res.headers.getSetCookie()) {
    const [kv] = c.split(";");
    const at = kv.indexOf("=");
    jar.set(kv.slice(0, at), kv.slice(at + 1));
  }
  return res;
}
const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const authorize = new URL(`https://${domain}/authorize`);
for (const [k, v] of Object.entries({
  client_id: "invite-spa", redirect_uri: "https://app.example/callback", response_type: "code",
  scope: "openid", state: "st", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  code_challenge_method: "S256", invitation: link.searchParams.get("invitation"),
  organization: link.searchParams.get("organization"),
})) authorize.searchParams.set(k, v);
let res = await browse(authorize);
res = await browse(res.headers.get("location"));
const signup = res.headers.get("location") || "";
const tx = new URL(signup, `https://${domain}`).searchParams.get("state");
res = await browse("/u/signup", { method: "POST", body: new URLSearchParams({ state: tx, username: invitee, password: "a long passphrase" }) });
const back = new URL(res.headers.get("location") || "https://nowhere.invalid");
const tokens = await token({
  grant_type: "authorization_code", client_id: "invite-spa", code: back.searchParams.get("code") || "",
  code_verifier: verifier, redirect_uri: "https://app.example/callback",
});
const orgClaims = tokens.access_token ? claims(tokens.access_token) : {};
check("the invitee signs up at the link and the token names the organization",
  signup.startsWith("/u/signup?") && orgClaims.org_id === "org_invite" && orgClaims.org_name === "invite-org",
  JSON.stringify({ signup, back: back.href, orgClaims }));
const members = await m.organizations.members.list("org_invite");
const member = members.data.find((u) => u.email === invitee);
const memberRoles = member ? await m.organizations.members.roles.list("org_invite", member.user_id) : { data: [] };
check("the invitee is a member with the invitation's role",
  member !== undefined && memberRoles.data.length === 1 && memberRoles.data[0].id === editor.id,
  JSON.stringify({ members: members.data, roles: memberRoles.data }));
[s, body] = await status(m.organizations.invitations.get("org_invite", inv.id));
check("the invitation is spent (404)", s === 404, `${s} ${JSON.stringify(body)}`);

process.exit(failed ? 1 : 0);
