//! Why the verifier parses and checks JWS itself instead of calling `jsonwebtoken::decode`:
//! every row below is a conformance-catalog case (verifier-conformance) where a token signed by
//! a key of the tenant's JWKS gets through `jsonwebtoken::decode` configured the way its docs teach,
//! while our [`Verifier`] refuses it with the named error.
//!
//! Both sides see the same token and the same JWKS, served by a [`MockTenant`] over HTTPS.
//! jsonwebtoken is driven as a careful user would drive it: the key is chosen by `kid` from the
//! tenant's JWKS (`JwkSet::find` + `DecodingKey::from_jwk`), `Validation::new(RS256)` with
//! `set_issuer` and `set_audience`. Two configurations are tried (see [`JwtConfig`]); each row
//! says which of them let the token through, and the test checks exactly that, so a
//! jsonwebtoken upgrade that closes a gap makes this test fail and the README table must
//! follow. Claims are decoded as `serde_json::Value`, so only jsonwebtoken's own checks are
//! measured (a typed claims struct would add checks of the user's, not of the library).
//!
//! All tokens are far from any time boundary (minutes or more), so the wall clock both sides
//! read cannot change an outcome.

use std::collections::HashSet;

use http::{HeaderMap, HeaderValue, Method};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mock_idp::{DpopKey, MockTenant, Signing, SigningKey, TokenBuilder};
use serde_json::{Value, json};

use crate::TokenError;
use crate::{AuthError, RequestContext, Verifier, VerifierOptions};

/// How the jsonwebtoken side is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JwtConfig {
    /// `Validation::new(Algorithm::RS256)` + `set_issuer` + `set_audience`, everything else as
    /// shipped: `exp` required, 60 s leeway, `nbf` not checked, `iss`/`aud` checked only when
    /// present.
    Documented,
    /// The most jsonwebtoken offers: `Documented` plus `exp`, `iss`, `aud` required and
    /// `validate_nbf` on. (There is no setting for `iat`, `typ`, `crit`, `cnf` or JWK metadata.)
    Hardened,
}

/// Which jsonwebtoken configurations accept a row's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lets {
    /// Both: no configuration of jsonwebtoken refuses it.
    Through,
    /// Only [`JwtConfig::Documented`]; [`JwtConfig::Hardened`] refuses it.
    DocumentedOnly,
}

/// A token, and the JWKS the tenant serves for it (`None`: the tenant's own).
struct Minted {
    token: String,
    jwks: Option<Value>,
}

fn own(t: TokenBuilder) -> Minted {
    Minted {
        token: t.build(),
        jwks: None,
    }
}

/// A row of the table: a catalog case (id and title as in verifier-conformance), the probe,
/// what jsonwebtoken does wrong, and our verifier's answer.
struct Case {
    id: &'static str,
    title: &'static str,
    probe: &'static str,
    /// What jsonwebtoken fails to check (the README's wording).
    flaw: &'static str,
    lets: Lets,
    mint: fn(&MockTenant) -> Minted,
    ours: TokenError,
}

/// A JWKS with the tenant's keys plus fixture key 3 under a fresh kid, the JWK edited by
/// `edit`; the token is signed by key 3. The key itself is sound: only its metadata says it
/// must not verify RS256 signatures.
fn extra_key(tenant: &MockTenant, kid: &str, edit: fn(&mut Value)) -> Minted {
    let key = SigningKey::fixture(3).with_kid(kid);
    let mut jwk = key.public_jwk();
    edit(&mut jwk);
    let mut jwks = tenant.keys().jwks();
    jwks["keys"].as_array_mut().unwrap().push(jwk);
    Minted {
        token: tenant
            .token()
            .kid(kid)
            .signed_with(Signing::Unpublished(key))
            .build(),
        jwks: Some(jwks),
    }
}

/// The claims jsonwebtoken validates, as a JSON array in the field order of its internal
/// `ClaimsForValidation` (exp, nbf, sub, iss, aud): serde fills a struct from a sequence
/// positionally, so the array passes as a claims set.
fn claims_as_array(tenant: &MockTenant) -> Minted {
    let t = tenant.token();
    let c = t.claims_json();
    let payload = json!([c["exp"], 0, c["sub"], c["iss"], c["aud"]]).to_string();
    own(t.raw_payload(payload))
}

fn cases() -> Vec<Case> {
    vec![
        // ---- TOK: structure and JOSE header
        Case {
            id: "TOK-08",
            title: "Claims set is not an object",
            probe: "payload [exp, 0, sub, iss, aud]",
            flaw: "claims set may be a JSON array: exp/iss/aud are read by position",
            lets: Lets::Through,
            mint: claims_as_array,
            ours: TokenError::PayloadNotObject,
        },
        // The catalog's own probe (`"urn:x": 1`) is refused by jsonwebtoken only because its
        // `Header` wants every unknown parameter to be a string; a string value gets through.
        Case {
            id: "TOK-13",
            title: "Unknown critical extension",
            probe: "crit [\"urn:x\"], urn:x \"1\"",
            flaw: "crit is parsed but never enforced (RFC 7515 §4.1.11)",
            lets: Lets::Through,
            mint: |t| {
                own(t
                    .token()
                    .header("crit", json!(["urn:x"]))
                    .header("urn:x", json!("1")))
            },
            ours: TokenError::UnsupportedCrit,
        },
        Case {
            id: "TOK-14",
            title: "Malformed crit",
            probe: "crit []",
            flaw: "an empty crit list is accepted (RFC 7515 §4.1.11 forbids it)",
            lets: Lets::Through,
            mint: |t| own(t.token().header("crit", json!([]))),
            ours: TokenError::UnsupportedCrit,
        },
        Case {
            id: "TOK-14",
            title: "Malformed crit",
            probe: "crit names an absent parameter",
            flaw: "crit is parsed but never enforced",
            lets: Lets::Through,
            mint: |t| own(t.token().header("crit", json!(["urn:absent"]))),
            ours: TokenError::UnsupportedCrit,
        },
        Case {
            id: "TOK-14",
            title: "Malformed crit",
            probe: "crit [\"alg\"]",
            flaw: "crit naming a registered parameter is accepted (RFC 7515 §4.1.11 forbids it)",
            lets: Lets::Through,
            mint: |t| own(t.token().header("crit", json!(["alg"]))),
            ours: TokenError::UnsupportedCrit,
        },
        Case {
            id: "TOK-19",
            title: "Wrong explicit type",
            probe: "typ dpop+jwt",
            flaw: "typ is never checked: a DPoP proof type passes as an access token",
            lets: Lets::Through,
            mint: |t| own(t.token().typ("dpop+jwt")),
            ours: TokenError::UnsupportedType,
        },
        Case {
            id: "TOK-19",
            title: "Wrong explicit type",
            probe: "typ secevent+jwt",
            flaw: "typ is never checked (RFC 8725 §3.11 explicit typing)",
            lets: Lets::Through,
            mint: |t| own(t.token().typ("secevent+jwt")),
            ours: TokenError::UnsupportedType,
        },
        // ---- CLM: time and registered claims
        Case {
            id: "CLM-07",
            title: "Not yet valid",
            probe: "nbf now+600",
            flaw: "nbf is not checked unless validate_nbf is set",
            lets: Lets::DocumentedOnly,
            mint: |t| own(t.token().not_before(600)),
            ours: TokenError::NotYetValid,
        },
        Case {
            id: "CLM-08",
            title: "nbf of the wrong type",
            probe: "nbf \"x\"",
            flaw: "a malformed nbf is ignored unless validate_nbf is set",
            lets: Lets::DocumentedOnly,
            mint: |t| own(t.token().claim("nbf", json!("x"))),
            ours: TokenError::InvalidNbfClaim,
        },
        Case {
            id: "CLM-10",
            title: "iat missing",
            probe: "no iat",
            flaw: "iat cannot be required (RFC 9068 §2.2 requires it)",
            lets: Lets::Through,
            mint: |t| own(t.token().remove_claim("iat")),
            ours: TokenError::MissingIatClaim,
        },
        Case {
            id: "CLM-11",
            title: "iat of the wrong type",
            probe: "iat \"now\"",
            flaw: "iat is never read",
            lets: Lets::Through,
            mint: |t| own(t.token().claim("iat", json!("now"))),
            ours: TokenError::InvalidIatClaim,
        },
        Case {
            id: "CLM-12",
            title: "iat in the future",
            probe: "iat now+86400",
            flaw: "iat is never read",
            lets: Lets::Through,
            mint: |t| own(t.token().issued_at(86_400)),
            ours: TokenError::IssuedInFuture,
        },
        // ---- ISS
        Case {
            id: "ISS-02",
            title: "iss missing",
            probe: "no iss",
            flaw: "set_issuer checks iss only when present",
            lets: Lets::DocumentedOnly,
            mint: |t| own(t.token().remove_claim("iss")),
            ours: TokenError::MissingIssClaim,
        },
        Case {
            id: "ISS-08",
            title: "Wrong type",
            probe: "iss [issuer]",
            flaw: "iss may be an array of strings (RFC 7519 §4.1.1: a StringOrURI)",
            lets: Lets::Through,
            mint: |t| {
                let iss = t.issuer().to_owned();
                own(t.token().claim("iss", json!([iss])))
            },
            ours: TokenError::InvalidIssClaim,
        },
        Case {
            id: "ISS-08",
            title: "Wrong type",
            probe: "iss 123",
            flaw: "an iss that is not a string is skipped, as if absent",
            lets: Lets::DocumentedOnly,
            mint: |t| own(t.token().claim("iss", json!(123))),
            ours: TokenError::InvalidIssClaim,
        },
        // ---- AUD
        Case {
            id: "AUD-04",
            title: "aud missing",
            probe: "no aud",
            flaw: "set_audience checks aud only when present",
            lets: Lets::DocumentedOnly,
            mint: |t| own(t.token().remove_claim("aud")),
            ours: TokenError::MissingAudClaim,
        },
        Case {
            id: "AUD-08",
            title: "Empty or null",
            probe: "aud null",
            flaw: "aud null counts as absent",
            lets: Lets::DocumentedOnly,
            mint: |t| own(t.token().aud_json(Value::Null)),
            ours: TokenError::InvalidAudClaim,
        },
        Case {
            id: "AUD-09",
            title: "Wrong type",
            probe: "aud 123",
            flaw: "an aud that is not a string or string array is skipped, as if absent",
            lets: Lets::DocumentedOnly,
            mint: |t| own(t.token().aud_json(json!(123))),
            ours: TokenError::InvalidAudClaim,
        },
        Case {
            id: "AUD-09",
            title: "Wrong type",
            probe: "aud {API: true}",
            flaw: "an aud that is not a string or string array is skipped, as if absent",
            lets: Lets::DocumentedOnly,
            mint: |t| {
                let mut o = serde_json::Map::new();
                o.insert(t.audience().to_owned(), json!(true));
                own(t.token().aud_json(Value::Object(o)))
            },
            ours: TokenError::InvalidAudClaim,
        },
        Case {
            id: "AUD-09",
            title: "Wrong type",
            probe: "aud [[API]]",
            flaw: "an aud that is not a string or string array is skipped, as if absent",
            lets: Lets::DocumentedOnly,
            mint: |t| own(t.token().aud_json(json!([[t.audience()]]))),
            ours: TokenError::InvalidAudClaim,
        },
        // ---- KEY: JWK metadata
        Case {
            id: "KEY-06",
            title: "use:enc key",
            probe: "JWK use enc",
            flaw: "DecodingKey::from_jwk ignores use (RFC 7517 §4.2)",
            lets: Lets::Through,
            mint: |t| extra_key(t, "contrast-enc", |k| k["use"] = json!("enc")),
            ours: TokenError::NoMatchingSigningKey,
        },
        Case {
            id: "KEY-07",
            title: "JWK alg mismatch",
            probe: "JWK alg PS256, token RS256",
            flaw: "DecodingKey::from_jwk ignores the JWK's alg (RFC 7517 §4.4)",
            lets: Lets::Through,
            mint: |t| extra_key(t, "contrast-alg", |k| k["alg"] = json!("PS256")),
            ours: TokenError::NoMatchingSigningKey,
        },
        Case {
            id: "KEY-08",
            title: "key_ops lacks verify",
            probe: "JWK key_ops [encrypt]",
            flaw: "DecodingKey::from_jwk ignores key_ops (RFC 7517 §4.3)",
            lets: Lets::Through,
            mint: |t| extra_key(t, "contrast-ops", |k| k["key_ops"] = json!(["encrypt"])),
            ours: TokenError::NoMatchingSigningKey,
        },
        // ---- DPB: DPoP binding
        Case {
            id: "DPB-07",
            title: "Malformed cnf",
            probe: "cnf {}",
            flaw: "cnf is never read: a malformed confirmation is taken for an unbound token",
            lets: Lets::Through,
            mint: |t| own(t.token().claim("cnf", json!({}))),
            ours: TokenError::InvalidCnfClaim,
        },
        Case {
            id: "DPB-07",
            title: "Malformed cnf",
            probe: "cnf {jkt: \"\"}",
            flaw: "cnf is never read: a malformed confirmation is taken for an unbound token",
            lets: Lets::Through,
            mint: |t| own(t.token().claim("cnf", json!({"jkt": ""}))),
            ours: TokenError::InvalidCnfClaim,
        },
        Case {
            id: "DPB-08",
            title: "Bound token sent as Bearer",
            probe: "cnf.jkt token, Bearer scheme",
            flaw: "cnf is never read: a DPoP-bound token works as a bearer token (RFC 9449 §7.2)",
            lets: Lets::Through,
            mint: |t| own(t.token().bound_to(&DpopKey::fixture())),
            ours: TokenError::BoundTokenAsBearer,
        },
    ]
}

/// `jsonwebtoken::decode` as a careful user writes it: key by `kid` from the JWKS, RS256 only,
/// the tenant's issuer and audience.
fn jsonwebtoken_decode(
    tenant: &MockTenant,
    token: &str,
    jwks: &Value,
    config: JwtConfig,
) -> Result<Value, String> {
    let set: JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| e.to_string())?;
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = set.find(&kid).ok_or("kid not in JWKS")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[tenant.issuer()]);
    v.set_audience(&[tenant.audience()]);
    if config == JwtConfig::Hardened {
        v.required_spec_claims = HashSet::from(["exp", "iss", "aud"].map(String::from));
        v.validate_nbf = true;
    }
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

/// Our verifier on a Bearer request, fresh for each case (nothing cached from another JWKS).
async fn ours(tenant: &MockTenant, token: &str) -> Result<(), AuthError> {
    let v = Verifier::new(
        VerifierOptions::new(tenant.domain(), tenant.audience())
            .ca_pem(tenant.ca().pem().into_bytes()),
    )
    .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let req = RequestContext::new(Method::GET, "https://api.example.com/api/private", headers);
    v.verify_request(&req)
        .await
        .map(|_| ())
        .map_err(|r| r.error)
}

/// The table's cases, each checked on both sides. All mismatches are reported together.
#[tokio::test]
async fn jsonwebtoken_decode_accepts_what_the_verifier_refuses() {
    let tenant = MockTenant::start().await;

    // The baseline: an ordinary token passes both, so every refusal below is the case's doing.
    let good = tenant.token().build();
    for config in [JwtConfig::Documented, JwtConfig::Hardened] {
        jsonwebtoken_decode(&tenant, &good, &tenant.keys().jwks(), config).unwrap();
    }
    ours(&tenant, &good).await.unwrap();

    let mut failures = Vec::new();
    for case in cases() {
        let minted = (case.mint)(&tenant);
        let (jwks, served) = match minted.jwks {
            Some(jwks) => {
                let served = tenant.overrides().jwks(jwks.clone());
                (jwks, Some(served))
            }
            None => (tenant.keys().jwks(), None),
        };
        let documented = jsonwebtoken_decode(&tenant, &minted.token, &jwks, JwtConfig::Documented);
        let hardened = jsonwebtoken_decode(&tenant, &minted.token, &jwks, JwtConfig::Hardened);
        let got = ours(&tenant, &minted.token).await;
        drop(served);

        let row = format!(
            "{} {} [{}] ({})",
            case.id, case.title, case.probe, case.flaw
        );
        if let Err(e) = &documented {
            failures.push(format!("{row}: jsonwebtoken (documented) refused: {e}"));
        }
        match (case.lets, &hardened) {
            (Lets::Through, Err(e)) => {
                failures.push(format!("{row}: jsonwebtoken (hardened) refused: {e}"));
            }
            (Lets::DocumentedOnly, Ok(_)) => {
                failures.push(format!("{row}: jsonwebtoken (hardened) accepted"));
            }
            _ => {}
        }
        if got != Err(AuthError::InvalidToken(case.ours)) {
            failures.push(format!(
                "{row}: verifier answered {got:?}, expected InvalidToken({:?})",
                case.ours
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The table is what the README cites: catalog ids only, each row distinct.
#[test]
fn table_rows_name_catalog_cases() {
    let rows = cases();
    let mut seen = HashSet::new();
    for c in &rows {
        assert!(
            ["TOK-", "CLM-", "ISS-", "AUD-", "KEY-", "DPB-"]
                .iter()
                .any(|p| c.id.starts_with(p)),
            "{}",
            c.id
        );
        assert!(
            seen.insert((c.id, c.probe)),
            "duplicate row {} {}",
            c.id,
            c.probe
        );
    }
}
