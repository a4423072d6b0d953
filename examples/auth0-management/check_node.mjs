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
const listed = [];
for await (const a of await m.actions.list()) listed.push(a);
const again = await m.actions.get(action.id);
check("actions.list and actions.get never return the secret", listed.some((a) => a.id === action.id) && !JSON.stringify([listed, again]).includes("stamped-by-action"),
  JSON.stringify(again));
[s, body] = await status(reader.actions.create({ name: "x", supported_triggers: [{ id: "post-login" }] }));
check("403 creating an action without create:actions", s === 403 && body.errorCode === "insufficient_scope", `${s} ${JSON.stringify(body)}`);
[s, body] = await status(m.actions.get("00000000-0000-0000-0000-000000000000"));
check("404 unknown action", s === 404 && body.errorCode === "inexistent_action", `${s} ${JSON.stringify(body)}`);
await m.actions.triggers.bindings.updateMany("credentials-exchange", { bindings: [] });
await m.actions.delete(action.id);

process.exit(failed ? 1 : 0);
