//! The token builder: mints every good and every bad access token a verifier test needs.
//!
//! Defaults are a valid Auth0 token for the tenant's default API and client. Every header
//! parameter and claim can then be set to any JSON value or removed, the exact header or
//! payload text can be replaced, and the signature can come from a published key, an
//! unpublished key, `alg:none`, HMAC keyed with the public key, or be tampered with.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::clock::Clock;
use crate::config::{ApiConfig, ApplicationConfig, Dialect, Snapshot, TenantConfig};
use crate::jose::{b64url, random_id};
use crate::keys::{KeyRing, SigAlg, SigningKey};
use crate::mint::dpop_key::DpopKey;

/// Where a token's signature comes from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Signing {
    /// The tenant's current key (the default).
    Current,
    /// A key of the ring by kid (published, or retired), e.g. a published next key. The header
    /// `kid` becomes that kid; a kid the ring does not know signs with the current key.
    Key(String),
    /// A key the tenant does not publish (e.g. [`SigningKey::attacker`]). The header keeps the
    /// tenant's kid unless `kid(..)` is set: the classic "attacker key, tenant kid" case.
    Unpublished(SigningKey),
    /// `alg: "none"` with an empty signature.
    None,
    /// HS256 (or the HS* alg set with `alg`) keyed with the current key's SPKI PEM: the
    /// RS→HS key-confusion attack.
    HmacWithPublicKey,
    /// HMAC (HS256 unless `alg` says HS384/HS512) with an arbitrary secret (other public-key
    /// encodings, blank or common secrets).
    Hmac(Vec<u8>),
    /// ES256 with an EC key (for ES256 access-token cases).
    Ec(DpopKey),
    /// ES256 with the signature DER-encoded instead of R‖S (RFC 7518 §3.4 forbids it).
    EcDer(DpopKey),
    /// A valid signature by the current key with one bit flipped.
    TamperedSignature,
    /// The header and payload with an empty signature segment (`header.payload.`).
    EmptySignature,
    /// Exactly this third segment.
    RawSignature(String),
    /// The bare PKCS#1 v1.5 encoded message for a modulus of this many bytes (256 for
    /// RSA-2048): a valid RS256 signature under any published key with exponent `e = 1`.
    ExponentOne(usize),
}

/// What a [`TokenBuilder`] needs from its tenant.
#[derive(Debug, Clone)]
pub(crate) struct MintContext {
    pub(crate) issuer: String,
    /// `https://host[:port]/userinfo`, the second audience when `openid` is granted.
    pub(crate) userinfo: String,
    pub(crate) clock: Clock,
    pub(crate) keys: KeyRing,
    pub(crate) config: Arc<Snapshot>,
}

/// Builds one access token. See the crate docs for a tour.
#[derive(Debug, Clone)]
#[must_use]
pub struct TokenBuilder {
    keys: KeyRing,
    now: i64,
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signing: Signing,
    sign_alg: Option<SigAlg>,
    alg_explicit: bool,
    kid_explicit: bool,
    api_alg: SigAlg,
    raw_header: Option<Vec<u8>>,
    raw_payload: Option<Vec<u8>>,
}

impl TokenBuilder {
    /// A valid token for the default API and default client with all granted scopes.
    pub(crate) fn new(ctx: &MintContext) -> Self {
        let api = ctx
            .config
            .default_api()
            .cloned()
            .unwrap_or_else(|| TenantConfig::default().apis.remove(0));
        let app = ctx.config.default_application().cloned();
        let scopes: Vec<String> = app
            .as_ref()
            .and_then(|a| a.grants.get(&api.identifier).cloned())
            .unwrap_or_else(|| api.permissions.clone());
        Self::for_grant(ctx, &api, app.as_ref(), &scopes, None)
    }

    /// A builder outside a running tenant (the `mock-idp token` command): the token the tenant
    /// at `issuer` would issue for `audience` (default API when `None`) to the default client.
    pub fn standalone(
        issuer: &str,
        keys: &KeyRing,
        config: &TenantConfig,
        clock: &Clock,
        audience: Option<&str>,
    ) -> Self {
        let base = issuer.trim_end_matches('/');
        let ctx = MintContext {
            issuer: issuer.to_owned(),
            userinfo: format!("{base}/userinfo"),
            clock: clock.clone(),
            keys: keys.clone(),
            config: Arc::new(Snapshot::new(config.clone())),
        };
        match audience.and_then(|a| config.api(a)) {
            Some(api) => {
                let app = config.default_application();
                let scopes = app
                    .and_then(|a| a.grants.get(&api.identifier).cloned())
                    .unwrap_or_default();
                Self::for_grant(&ctx, api, app, &scopes, None)
            }
            None => {
                let b = Self::new(&ctx);
                match audience {
                    Some(a) => b.audience(a),
                    None => b,
                }
            }
        }
    }

    /// The token the token endpoint issues for `app` on `api` with `scopes`.
    pub(crate) fn for_grant(
        ctx: &MintContext,
        api: &ApiConfig,
        app: Option<&ApplicationConfig>,
        scopes: &[String],
        jkt: Option<String>,
    ) -> Self {
        let now = ctx.clock.now();
        let current = ctx.keys.current();
        let client_id = app.map_or("mock-client", |a| a.client_id.as_str());
        let mut header = Map::new();
        header.insert("typ".into(), json!("JWT"));
        // An HS256 API's tokens are MACed with its signing secret and name no key: the JWKS
        // publishes only the tenant's RSA keys.
        let signing = match api.hs256_secret() {
            Some(secret) => {
                header.insert("alg".into(), json!("HS256"));
                Signing::Hmac(secret.to_vec())
            }
            None => {
                header.insert("alg".into(), json!(api.sig_alg().as_str()));
                header.insert("kid".into(), json!(current.kid()));
                Signing::Current
            }
        };
        let aud = if scopes.iter().any(|s| s == "openid") {
            json!([api.identifier, ctx.userinfo])
        } else {
            json!(api.identifier)
        };
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(ctx.issuer));
        claims.insert("sub".into(), json!(format!("{client_id}@clients")));
        claims.insert("aud".into(), aud);
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + api.token_lifetime));
        // Auth0 leaves `scope` out of a token whose grant has none.
        if !scopes.is_empty() {
            claims.insert("scope".into(), json!(scopes.join(" ")));
        }
        claims.insert("gty".into(), json!("client-credentials"));
        claims.insert("azp".into(), json!(client_id));
        if let Some(jkt) = jkt {
            claims.insert("cnf".into(), json!({ "jkt": jkt }));
        }
        // The API's, then the application's custom claims (the tenant's Actions, as data).
        for (name, value) in api
            .custom_claims
            .iter()
            .chain(app.iter().flat_map(|a| a.custom_claims.iter()))
        {
            claims.insert(name.clone(), value.clone());
        }
        let b = TokenBuilder {
            keys: ctx.keys.clone(),
            now,
            header,
            claims,
            signing,
            sign_alg: None,
            alg_explicit: false,
            kid_explicit: false,
            api_alg: api.sig_alg(),
            raw_header: None,
            raw_payload: None,
        };
        b.dialect(api.dialect)
    }

    /// Applies an Auth0 token dialect: `typ`, `azp` vs `client_id`, `jti`, `permissions`.
    /// Call it before fine-grained overrides, which it may otherwise undo.
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        let client_id = self
            .claims
            .get("azp")
            .or_else(|| self.claims.get("client_id"))
            .cloned()
            .unwrap_or(Value::Null);
        if dialect.is_rfc9068() {
            self.header.insert("typ".into(), json!("at+jwt"));
            self.claims.remove("azp");
            self.claims.insert("client_id".into(), client_id);
            if !self.claims.contains_key("jti") {
                self.claims.insert("jti".into(), json!(random_id()));
            }
        } else {
            self.header.insert("typ".into(), json!("JWT"));
            self.claims.remove("client_id");
            self.claims.remove("jti");
            self.claims.insert("azp".into(), client_id);
        }
        if dialect.has_permissions() {
            let perms = self.scope_list();
            self.claims.insert("permissions".into(), json!(perms));
        } else {
            self.claims.remove("permissions");
        }
        self
    }

    fn scope_list(&self) -> Vec<String> {
        self.claims
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| {
                s.split(' ')
                    .filter(|t| !t.is_empty() && *t != "openid")
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sets `aud` to one string.
    pub fn audience(self, aud: &str) -> Self {
        self.claim("aud", json!(aud))
    }

    /// Sets `aud` to any JSON (array, number, null...).
    pub fn aud_json(self, aud: Value) -> Self {
        self.claim("aud", aud)
    }

    /// Sets `scope` (and `permissions`, when the token has them).
    pub fn scope(mut self, scope: &str) -> Self {
        self.claims.insert("scope".into(), json!(scope));
        if self.claims.contains_key("permissions") {
            let perms = self.scope_list();
            self.claims.insert("permissions".into(), json!(perms));
        }
        self
    }

    /// Sets `sub`.
    #[allow(
        clippy::should_implement_trait,
        reason = "named after the JWT claim, as the other claim setters are"
    )]
    pub fn sub(self, sub: &str) -> Self {
        self.claim("sub", json!(sub))
    }

    /// Sets `iss`.
    pub fn issuer(self, iss: &str) -> Self {
        self.claim("iss", json!(iss))
    }

    /// Sets any claim to any JSON value.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Merges every member of a JSON object into the claims (non-objects are ignored).
    pub fn claims(mut self, claims: &Value) -> Self {
        if let Some(o) = claims.as_object() {
            for (k, v) in o {
                self.claims.insert(k.clone(), v.clone());
            }
        }
        self
    }

    /// Removes a claim.
    pub fn remove_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets any header parameter to any JSON value.
    pub fn header(mut self, name: &str, value: Value) -> Self {
        match name {
            "alg" => self.alg_explicit = true,
            "kid" => self.kid_explicit = true,
            _ => {}
        }
        self.header.insert(name.to_owned(), value);
        self
    }

    /// Removes a header parameter.
    pub fn remove_header(mut self, name: &str) -> Self {
        match name {
            "alg" => self.alg_explicit = true,
            "kid" => self.kid_explicit = true,
            _ => {}
        }
        self.header.remove(name);
        self
    }

    /// Sets header `typ`.
    pub fn typ(self, typ: &str) -> Self {
        self.header("typ", json!(typ))
    }

    /// Sets header `kid`.
    pub fn kid(self, kid: &str) -> Self {
        self.header("kid", json!(kid))
    }

    /// Sets header `alg`. For RSA algs the signature follows it unless `sign_alg` says otherwise.
    pub fn alg(self, alg: &str) -> Self {
        self.header("alg", json!(alg))
    }

    /// Signs with this RSA algorithm whatever the header says (header/alg mismatch cases).
    pub fn sign_alg(mut self, alg: SigAlg) -> Self {
        self.sign_alg = Some(alg);
        self
    }

    /// Sets `exp` to now + `secs` (negative: already expired).
    pub fn expires_in(mut self, secs: i64) -> Self {
        let v = self.now + secs;
        self.claims.insert("exp".into(), json!(v));
        self
    }

    /// Sets `iat` to now + `offset`.
    pub fn issued_at(mut self, offset: i64) -> Self {
        let v = self.now + offset;
        self.claims.insert("iat".into(), json!(v));
        self
    }

    /// Sets `nbf` to now + `offset`.
    pub fn not_before(mut self, offset: i64) -> Self {
        let v = self.now + offset;
        self.claims.insert("nbf".into(), json!(v));
        self
    }

    /// Binds the token to a DPoP key: `cnf: {jkt: <RFC 7638 thumbprint>}`.
    pub fn bound_to(self, key: &DpopKey) -> Self {
        self.claim("cnf", json!({ "jkt": key.thumbprint() }))
    }

    /// Chooses where the signature comes from.
    pub fn signed_with(mut self, signing: Signing) -> Self {
        self.signing = signing;
        self
    }

    /// Uses this exact payload text (duplicate keys, `[]`, non-JSON...).
    pub fn raw_payload(mut self, text: impl Into<String>) -> Self {
        self.raw_payload = Some(text.into().into_bytes());
        self
    }

    /// Uses these exact payload bytes (UTF-16, a BOM, invalid UTF-8...).
    pub fn raw_payload_bytes(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.raw_payload = Some(bytes.into());
        self
    }

    /// Uses this exact header text.
    pub fn raw_header(mut self, text: impl Into<String>) -> Self {
        self.raw_header = Some(text.into().into_bytes());
        self
    }

    /// Uses these exact header bytes.
    pub fn raw_header_bytes(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.raw_header = Some(bytes.into());
        self
    }

    /// "Now" as this builder sees it (the tenant clock when the builder was made).
    pub fn now(&self) -> i64 {
        self.now
    }

    /// The claims as they stand (before `raw_payload`).
    pub fn claims_json(&self) -> Value {
        Value::Object(self.claims.clone())
    }

    /// The header as it would be built for the current signing choice (before `raw_header`).
    pub fn header_json(&self) -> Value {
        Value::Object(self.final_header().0)
    }

    /// Resolves the header and the RSA key (if any) for the signing choice.
    fn final_header(&self) -> (Map<String, Value>, Option<SigningKey>) {
        let mut header = self.header.clone();
        let set_alg = |h: &mut Map<String, Value>, alg: &str| {
            if !self.alg_explicit {
                h.insert("alg".into(), json!(alg));
            }
        };
        let key = match &self.signing {
            Signing::Current | Signing::TamperedSignature | Signing::EmptySignature => {
                Some(self.keys.current())
            }
            Signing::Key(kid) => {
                if !self.kid_explicit {
                    header.insert("kid".into(), json!(kid));
                }
                self.keys.get(kid)
            }
            Signing::Unpublished(k) => Some(k.clone()),
            Signing::None => {
                set_alg(&mut header, "none");
                None
            }
            Signing::HmacWithPublicKey | Signing::Hmac(_) => {
                set_alg(&mut header, "HS256");
                None
            }
            Signing::Ec(_) | Signing::EcDer(_) => {
                set_alg(&mut header, "ES256");
                None
            }
            Signing::RawSignature(_) | Signing::ExponentOne(_) => None,
        };
        (header, key)
    }

    fn rsa_alg(&self, header: &Map<String, Value>) -> SigAlg {
        self.sign_alg
            .or_else(|| {
                header
                    .get("alg")
                    .and_then(Value::as_str)
                    .and_then(|a| a.parse::<SigAlg>().ok())
            })
            .unwrap_or(self.api_alg)
    }

    /// The compact JWS.
    pub fn build(self) -> String {
        let (header, key) = self.final_header();
        let header_bytes = self
            .raw_header
            .clone()
            .unwrap_or_else(|| Value::Object(header.clone()).to_string().into_bytes());
        let payload_bytes = self
            .raw_payload
            .clone()
            .unwrap_or_else(|| Value::Object(self.claims.clone()).to_string().into_bytes());
        let input = format!("{}.{}", b64url(&header_bytes), b64url(&payload_bytes));
        let msg = input.as_bytes();
        let rsa = |k: &SigningKey| k.sign(self.rsa_alg(&header), msg).unwrap_or_default();
        let sig = match &self.signing {
            Signing::Current | Signing::Key(_) | Signing::Unpublished(_) => {
                // An unknown kid under `Signing::Key` falls back to the current key: the token
                // then names a kid the JWKS lacks, which is the case being built.
                let k = key.unwrap_or_else(|| self.keys.current());
                b64url(rsa(&k))
            }
            Signing::TamperedSignature => {
                let mut s = key.map(|k| rsa(&k)).unwrap_or_default();
                if let Some(b) = s.last_mut() {
                    *b ^= 0x01;
                }
                b64url(s)
            }
            Signing::EmptySignature | Signing::None => String::new(),
            Signing::HmacWithPublicKey => {
                let secret = self.keys.current().public_key_pem();
                b64url(hmac(&header, secret.as_bytes(), msg))
            }
            Signing::Hmac(secret) => b64url(hmac(&header, secret, msg)),
            Signing::Ec(k) => b64url(k.sign(msg).unwrap_or_default()),
            Signing::EcDer(k) => b64url(k.sign_der(msg).unwrap_or_default()),
            Signing::RawSignature(s) => s.clone(),
            Signing::ExponentOne(k) => b64url(
                crate::keys::pkcs1_v15_encoded_message(self.rsa_alg(&header), msg, *k)
                    .unwrap_or_default(),
            ),
        };
        format!("{input}.{sig}")
    }
}

fn hmac(header: &Map<String, Value>, secret: &[u8], msg: &[u8]) -> Vec<u8> {
    use aws_lc_rs::hmac;
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some("HS384") => hmac::HMAC_SHA384,
        Some("HS512") => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    };
    hmac::sign(&hmac::Key::new(alg, secret), msg)
        .as_ref()
        .to_vec()
}
