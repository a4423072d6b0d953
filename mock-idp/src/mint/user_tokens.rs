//! Tokens for a logged-in user, as Auth0 mints them for the authorization code and refresh
//! grants, and the check of tokens this tenant signed (for `/userinfo` and `id_token_hint`).
//!
//! Access token: `sub` the user id, `aud` the API (an array with `https://{domain}/userinfo`
//! when `openid` was granted; only the userinfo URL without an API), `azp`, `scope`, no `gty`,
//! `permissions` from the user's roles in the `_authz` dialects (after an organization login,
//! from their roles in the organization only). ID token: the application's
//! algorithm (RS256, or HS256 with its client secret), the profile
//! and email claims the scopes grant, then `iss`, `sub`, `aud` = client_id, `iat`, `exp`,
//! `sid`, `auth_time`, `nonce`.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde_json::{Map, Value, json};

use crate::actions::TokenChanges;
use crate::config::UserConfig;
use crate::config::{ApiConfig, ApplicationConfig, IdTokenAlg};
use crate::keys::SigAlg;
use crate::mint::token::{MintContext, Signing, TokenBuilder};

/// ID token lifetime (Auth0's default: 10 hours).
pub(crate) const ID_TOKEN_LIFETIME: i64 = 36_000;
/// Lifetime of an access token for `/userinfo` only (no audience asked).
pub(crate) const USERINFO_TOKEN_LIFETIME: i64 = 86_400;

/// What a user's tokens say.
#[derive(Debug)]
pub(crate) struct UserGrant<'a> {
    pub(crate) app: &'a ApplicationConfig,
    pub(crate) user: &'a UserConfig,
    pub(crate) scopes: &'a [String],
    pub(crate) audience: Option<&'a str>,
    pub(crate) nonce: Option<&'a str>,
    pub(crate) auth_time: i64,
    pub(crate) sid: &'a str,
    pub(crate) jkt: Option<String>,
    /// The organization (id) the user logged in to.
    pub(crate) organization: Option<&'a str>,
    /// What the post-login Actions asked of the tokens (custom claims, scopes).
    pub(crate) changes: &'a TokenChanges,
}

/// `org_id`, and `org_name` (lower case) when the organization has a name, as Auth0 puts them
/// in a user's tokens after an organization login.
fn org_claims(ctx: &MintContext, g: &UserGrant<'_>) -> Vec<(&'static str, Value)> {
    let Some(org) = g.organization.and_then(|o| ctx.config.organization(o)) else {
        return Vec::new();
    };
    let mut out = vec![("org_id", json!(org.id))];
    if let Some(name) = &org.name {
        out.push(("org_name", json!(name.to_ascii_lowercase())));
    }
    out
}

/// In an organization login, the user's permissions on `api` are those of their roles in that
/// organization only: their own roles and direct permissions apply outside organizations, as
/// on Auth0 (its community answer "Organization Permissions claim empty", thread 99135).
fn org_permissions(ctx: &MintContext, g: &UserGrant<'_>, api: &str) -> Option<Vec<String>> {
    let org = ctx.config.organization(g.organization?)?;
    let names = org.member_roles.get(&g.user.id());
    let mut out: Vec<String> = Vec::new();
    let roles = ctx
        .config
        .roles
        .iter()
        .filter(|r| names.is_some_and(|n| n.contains(&r.name)));
    for p in roles.filter_map(|r| r.permissions.get(api)).flatten() {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    Some(out)
}

/// The access token and its lifetime in seconds, with Auth0's `gty` claim when the grant has
/// one (`password`).
fn access_token(ctx: &MintContext, g: &UserGrant<'_>, gty: Option<&str>) -> (String, i64) {
    let api = g.audience.and_then(|a| ctx.config.api(a)).cloned();
    let only_userinfo = api.is_none();
    let api = api.unwrap_or_else(|| ApiConfig {
        token_lifetime: USERINFO_TOKEN_LIFETIME,
        ..ApiConfig::new(&ctx.userinfo)
    });
    // An application's custom claims belong to its client_credentials tokens only.
    let app = ApplicationConfig {
        custom_claims: serde_json::Map::new(),
        ..g.app.clone()
    };
    let scopes = g.changes.scopes(g.scopes);
    let mut b = TokenBuilder::for_grant(ctx, &api, Some(&app), &scopes, g.jkt.clone())
        .for_user(g.user, &ctx.config);
    if only_userinfo {
        b = b.audience(&ctx.userinfo);
    }
    if let Some(gty) = gty {
        b = b.claim("gty", json!(gty));
    }
    for (name, value) in org_claims(ctx, g) {
        b = b.claim(name, value);
    }
    if b.claims_json().get("permissions").is_some()
        && let Some(perms) = org_permissions(ctx, g, &api.identifier)
    {
        b = b.claim("permissions", json!(perms));
    }
    for (name, value) in &g.changes.access_claims {
        b = b.claim(name, value.clone());
    }
    (b.build(), api.token_lifetime)
}

impl TokenBuilder {
    /// Makes the token a user's: `sub` is the user id, no `gty`, and `permissions` (when the
    /// token has them) are the user's permissions on its audience, as Auth0 RBAC puts them.
    pub fn for_user(self, user: &UserConfig, config: &crate::config::TenantConfig) -> Self {
        let claims = self.claims_json();
        let aud = match &claims["aud"] {
            Value::Array(a) => a.first().and_then(Value::as_str).unwrap_or("").to_owned(),
            v => v.as_str().unwrap_or("").to_owned(),
        };
        let mut b = self.sub(&user.id()).remove_claim("gty");
        if claims.get("permissions").is_some() {
            b = b.claim(
                "permissions",
                json!(user.permissions_for(&config.roles, &aud)),
            );
        }
        b
    }
}

/// The ID token, signed as the application's `jwt_configuration.alg` says (RS256 by default)
/// whatever the API signs with, as on Auth0.
pub(crate) fn id_token(ctx: &MintContext, g: &UserGrant<'_>) -> String {
    let now = ctx.clock.now();
    let mut claims: Map<String, Value> = g.user.profile_claims(g.scopes);
    claims.insert("iss".into(), json!(ctx.issuer));
    claims.insert("sub".into(), json!(g.user.id()));
    claims.insert("aud".into(), json!(g.app.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + ID_TOKEN_LIFETIME));
    claims.insert("sid".into(), json!(g.sid));
    claims.insert("auth_time".into(), json!(g.auth_time));
    if let Some(n) = g.nonce {
        claims.insert("nonce".into(), json!(n));
    }
    for (name, value) in org_claims(ctx, g) {
        claims.insert(name.into(), value);
    }
    for (name, value) in &g.changes.id_claims {
        claims.insert(name.clone(), value.clone());
    }
    let b = TokenBuilder::new(ctx)
        .typ("JWT")
        .raw_payload(Value::Object(claims).to_string());
    match g.app.id_token_alg() {
        IdTokenAlg::RS256 => b
            .alg("RS256")
            .signed_with(Signing::Key(ctx.keys.current().kid().to_owned())),
        IdTokenAlg::HS256 => b
            .alg("HS256")
            .remove_header("kid")
            .signed_with(Signing::Hmac(g.app.client_secret.as_bytes().to_vec())),
    }
    .build()
}

/// Why a token this tenant is shown was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenCheckError {
    #[error("The token is malformed")]
    Malformed,
    #[error("The token signature is invalid")]
    Signature,
    #[error("The token was not issued by this tenant")]
    Issuer,
    #[error("The token has expired")]
    Expired,
}

/// The claims of a JWT this tenant signed ([`check_signature`]), checking `iss`
/// and, when `check_exp`, `exp` against the tenant clock.
pub(crate) fn verify_own(
    ctx: &MintContext,
    token: &str,
    check_exp: bool,
) -> Result<Value, TokenCheckError> {
    let jws = crate::jose::decode_unverified(token).map_err(|_| TokenCheckError::Malformed)?;
    check_signature(ctx, &jws)?;
    let claims = jws.payload;
    if claims.get("iss").and_then(Value::as_str) != Some(ctx.issuer.as_str()) {
        return Err(TokenCheckError::Issuer);
    }
    if check_exp {
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or(TokenCheckError::Malformed)?;
        if exp <= ctx.clock.now() {
            return Err(TokenCheckError::Expired);
        }
    }
    Ok(claims)
}

/// Checks the signature of a token this tenant signed: RS*/PS* by a key it publishes, or HS256
/// by the secret of what its first audience names (an HS256 API, or an application whose ID
/// tokens are HS256). The unverified `aud` only picks the key: a forger still needs it.
fn check_signature(
    ctx: &MintContext,
    jws: &crate::jose::DecodedJws,
) -> Result<(), TokenCheckError> {
    let alg = jws.header.get("alg").and_then(Value::as_str);
    if alg == Some("HS256") {
        let aud = match jws.payload.get("aud") {
            Some(Value::Array(a)) => a.first(),
            other => other,
        };
        let aud = aud.and_then(Value::as_str).unwrap_or_default();
        let secret = ctx
            .config
            .api(aud)
            .and_then(ApiConfig::hs256_secret)
            .or_else(|| {
                ctx.config
                    .application(aud)
                    .filter(|a| a.id_token_alg() == IdTokenAlg::HS256)
                    .map(|a| a.client_secret.as_bytes())
            })
            .ok_or(TokenCheckError::Signature)?;
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
        // Constant time (aws-lc-rs compares the tags without early exit).
        return aws_lc_rs::hmac::verify(&key, jws.signing_input.as_bytes(), &jws.signature)
            .map_err(|_| TokenCheckError::Signature);
    }
    let alg: SigAlg = alg
        .and_then(|a| a.parse().ok())
        .ok_or(TokenCheckError::Signature)?;
    let key = jws
        .header
        .get("kid")
        .and_then(Value::as_str)
        .filter(|kid| ctx.keys.published_kids().iter().any(|k| k == kid))
        .and_then(|kid| ctx.keys.get(kid))
        .ok_or(TokenCheckError::Signature)?;
    let algorithm: &'static dyn VerificationAlgorithm = match alg {
        SigAlg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        SigAlg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        SigAlg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        SigAlg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        SigAlg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        SigAlg::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
    };
    UnparsedPublicKey::new(algorithm, key.public_key_pkcs1_der())
        .verify(jws.signing_input.as_bytes(), &jws.signature)
        .map_err(|_| TokenCheckError::Signature)
}

/// The token endpoint's answer for a user grant: access token, ID token when `openid` was
/// granted (refresh answers too: auth0-spa-js requires one), refresh token when one was
/// issued, `scope`, `expires_in`, `token_type`.
pub(crate) fn token_response(
    ctx: &MintContext,
    g: &UserGrant<'_>,
    refresh: Option<String>,
) -> Value {
    token_response_with_gty(ctx, g, refresh, None)
}

/// [`token_response`] whose access token carries `gty` (Auth0 stamps `"password"` on the
/// password grant's tokens).
pub(crate) fn token_response_with_gty(
    ctx: &MintContext,
    g: &UserGrant<'_>,
    refresh: Option<String>,
    gty: Option<&str>,
) -> Value {
    let (access, expires_in) = access_token(ctx, g, gty);
    let mut body = json!({
        "access_token": access,
        "scope": g.changes.scopes(g.scopes).join(" "),
        "expires_in": expires_in,
        "token_type": if g.jkt.is_some() { "DPoP" } else { "Bearer" },
    });
    if g.scopes.iter().any(|s| s == "openid") {
        body["id_token"] = json!(id_token(ctx, g));
    }
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    body
}
