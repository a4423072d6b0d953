//! `mock-idp token` and `mock-idp proof` can say everything the Rust builders can: one row per
//! flag, each checked on the token or proof it prints.

use std::process::Command;

use mock_idp::{DpopKey, SigningKey};
use serde_json::{Value, json};

use crate::support::{TempDir, parts};

fn mint(dir: &TempDir, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mock-idp"))
        .arg("--state-dir")
        .arg(dir.path())
        .arg("--fixture-keys")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn segments(token: &str) -> Vec<&str> {
    token.split('.').collect()
}

/// Whether `token`'s RS256 signature verifies under `key`.
fn rsa_verifies(token: &str, key: &SigningKey) -> bool {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = mock_idp::jose::b64url_decode(sig).unwrap_or_default();
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        key.public_key_pkcs1_der(),
    )
    .verify(input.as_bytes(), &sig)
    .is_ok()
}

type Check = fn(&str);
/// Checks a proof's header, claims and compact form.
type ProofCheck = fn(&Value, &Value, &str);

#[test]
fn every_token_flag_changes_what_it_names() {
    let dir = TempDir::new("cli-token-flags");
    let rows: Vec<(&str, Vec<&str>, Check)> = vec![
        (
            "--unset-claim",
            vec!["--unset-claim", "iat", "--unset-claim", "azp"],
            |t| {
                let c = parts(t).1;
                assert!(c.get("iat").is_none() && c.get("azp").is_none() && c.get("exp").is_some());
            },
        ),
        ("--unset-header", vec!["--unset-header", "kid"], |t| {
            assert_eq!(parts(t).0, json!({"alg": "RS256", "typ": "JWT"}));
        }),
        (
            "--no-default-claims",
            vec!["--no-default-claims", "--claim", "only=1"],
            |t| {
                assert_eq!(parts(t).1, json!({"only": 1}));
            },
        ),
        ("--iss", vec!["--iss", "https://evil.example/"], |t| {
            assert_eq!(parts(t).1["iss"], "https://evil.example/");
        }),
        ("--iat", vec!["--iat", "-7200"], |t| {
            let c = parts(t).1;
            let now = c["exp"].as_i64().unwrap() - 86_400;
            assert_eq!(c["iat"].as_i64().unwrap(), now - 7200);
        }),
        ("--nbf", vec!["--nbf", "3600"], |t| {
            let c = parts(t).1;
            assert_eq!(
                c["nbf"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
                3600
            );
        }),
        ("--dialect", vec!["--dialect", "rfc9068_profile"], |t| {
            let (h, c) = parts(t);
            assert_eq!(h["typ"], "at+jwt");
            assert!(
                c.get("client_id").is_some() && c.get("jti").is_some() && c.get("azp").is_none()
            );
        }),
        ("--sign-with none", vec!["--sign-with", "none"], |t| {
            assert_eq!(parts(t).0["alg"], "none");
            assert_eq!(segments(t)[2], "");
        }),
        ("--sign-with empty", vec!["--sign-with", "empty"], |t| {
            assert_eq!(parts(t).0["alg"], "RS256");
            assert_eq!(segments(t)[2], "");
        }),
        (
            "--sign-with tampered",
            vec!["--sign-with", "tampered"],
            |t| {
                assert!(!rsa_verifies(t, &SigningKey::fixture(1)));
                assert_eq!(segments(t)[2].len(), 342);
            },
        ),
        (
            "--sign-with attacker",
            vec!["--sign-with", "attacker"],
            |t| {
                assert_eq!(
                    parts(t).0["kid"],
                    "tenant-1",
                    "the tenant's kid, another key"
                );
                assert!(rsa_verifies(t, &SigningKey::attacker()));
                assert!(!rsa_verifies(t, &SigningKey::fixture(1)));
            },
        ),
        (
            "--sign-with key:KID",
            vec!["--sign-with", "key:tenant-1"],
            |t| {
                assert!(rsa_verifies(t, &SigningKey::fixture(1)));
            },
        ),
        (
            "--sign-with hmac-public-key",
            vec!["--sign-with", "hmac-public-key"],
            |t| {
                assert_eq!(parts(t).0["alg"], "HS256");
                let secret = SigningKey::fixture(1).public_key_pem();
                let (input, sig) = t.rsplit_once('.').unwrap();
                let key =
                    aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
                let want = aws_lc_rs::hmac::sign(&key, input.as_bytes());
                assert_eq!(mock_idp::jose::b64url_decode(sig).unwrap(), want.as_ref());
            },
        ),
        (
            "--sign-with hmac:SECRET",
            vec!["--sign-with", "hmac:secret"],
            |t| {
                let (input, sig) = t.rsplit_once('.').unwrap();
                let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, b"secret");
                let want = aws_lc_rs::hmac::sign(&key, input.as_bytes());
                assert_eq!(mock_idp::jose::b64url_decode(sig).unwrap(), want.as_ref());
            },
        ),
        ("--sign-with ec", vec!["--sign-with", "ec"], |t| {
            assert_eq!(parts(t).0["alg"], "ES256");
            assert_eq!(
                mock_idp::jose::b64url_decode(segments(t)[2]).unwrap().len(),
                64
            );
        }),
        ("--sign-with ec-der", vec!["--sign-with", "ec-der"], |t| {
            let der = mock_idp::jose::b64url_decode(segments(t)[2]).unwrap();
            assert_eq!(der[0], 0x30, "a DER SEQUENCE, not R||S");
        }),
        (
            "--sign-with raw:SEGMENT",
            vec!["--sign-with", "raw:AAAA"],
            |t| {
                assert_eq!(segments(t)[2], "AAAA");
            },
        ),
        (
            "--sign-with exponent-one",
            vec!["--sign-with", "exponent-one"],
            |t| {
                let em = mock_idp::jose::b64url_decode(segments(t)[2]).unwrap();
                assert_eq!(
                    (em.len(), em[0], em[1]),
                    (256, 0x00, 0x01),
                    "EMSA-PKCS1-v1_5"
                );
            },
        ),
        (
            "--sign-alg",
            vec!["--sign-alg", "PS256", "--header", "alg=\"PS256\""],
            |t| {
                assert_eq!(parts(t).0["alg"], "PS256");
                assert!(
                    !rsa_verifies(t, &SigningKey::fixture(1)),
                    "PSS, not PKCS#1 v1.5"
                );
            },
        ),
        (
            "--raw-header",
            vec!["--raw-header", "{\"alg\":\"RS256\",\"alg\":\"none\"}"],
            |t| {
                let h = mock_idp::jose::b64url_decode(segments(t)[0]).unwrap();
                assert_eq!(h, br#"{"alg":"RS256","alg":"none"}"#);
            },
        ),
        ("--raw-payload", vec!["--raw-payload", "not json"], |t| {
            assert_eq!(
                mock_idp::jose::b64url_decode(segments(t)[1]).unwrap(),
                b"not json"
            );
        }),
    ];
    for (flag, args, check) in rows {
        let mut argv = vec!["token"];
        argv.extend(args);
        let token = mint(&dir, &argv);
        eprintln!("checking {flag}");
        check(&token);
    }
}

#[test]
fn a_token_spec_file_is_the_control_api_body_and_flags_apply_over_it() {
    let dir = TempDir::new("cli-token-spec");
    let spec = dir.path().join("spec.json");
    std::fs::write(
        &spec,
        json!({"scope": "read:messages", "unset_claims": ["gty"], "header": {"kid": "k9"}})
            .to_string(),
    )
    .unwrap();
    let token = mint(
        &dir,
        &[
            "token",
            "--spec",
            spec.to_str().unwrap(),
            "--sub",
            "cli-wins",
        ],
    );
    let (h, c) = parts(&token);
    assert_eq!(
        (h["kid"].clone(), c["scope"].clone()),
        (json!("k9"), json!("read:messages"))
    );
    assert_eq!(c["sub"], "cli-wins");
    assert!(c.get("gty").is_none());
}

#[test]
fn every_proof_flag_changes_what_it_names() {
    let dir = TempDir::new("cli-proof-flags");
    let key_file = dir.path().join("k.pem");
    std::fs::write(&key_file, DpopKey::fixture().private_key_pem()).unwrap();
    let key = key_file.to_str().unwrap().to_owned();
    let rows: Vec<(&str, Vec<&str>, ProofCheck)> = vec![
        ("--ath", vec!["--ath", "abc"], |_, c, _| {
            assert_eq!(c["ath"], "abc")
        }),
        ("--token", vec!["--token", "t"], |_, c, _| {
            assert_eq!(c["ath"], mock_idp::jose::ath("t"));
        }),
        ("--nonce", vec!["--nonce", "n1"], |_, c, _| {
            assert_eq!(c["nonce"], "n1")
        }),
        ("--iat", vec!["--iat", "-600"], |_, c, _| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            assert!((now - 600 - c["iat"].as_i64().unwrap()).abs() <= 5);
        }),
        ("--jti", vec!["--jti", "j1"], |_, c, _| {
            assert_eq!(c["jti"], "j1")
        }),
        ("--htm", vec!["--htm", "get"], |_, c, _| {
            assert_eq!(c["htm"], "get")
        }),
        ("--htu", vec!["--htu", "https://other/x"], |_, c, _| {
            assert_eq!(c["htu"], "https://other/x");
        }),
        ("--typ", vec!["--typ", "JWT"], |h, _, _| {
            assert_eq!(h["typ"], "JWT")
        }),
        ("--alg", vec!["--alg", "ES384"], |h, _, _| {
            assert_eq!(h["alg"], "ES384")
        }),
        ("--claim", vec!["--claim", "extra=[1]"], |_, c, _| {
            assert_eq!(c["extra"], json!([1]))
        }),
        ("--unset-claim", vec!["--unset-claim", "jti"], |_, c, _| {
            assert!(c.get("jti").is_none())
        }),
        ("--header", vec!["--header", "kid=\"k\""], |h, _, _| {
            assert_eq!(h["kid"], "k")
        }),
        (
            "--unset-header",
            vec!["--unset-header", "jwk"],
            |h, _, _| {
                assert!(h.get("jwk").is_none());
            },
        ),
        ("--private-jwk", vec!["--private-jwk"], |h, _, _| {
            assert!(h["jwk"].get("d").is_some())
        }),
        (
            "--signed-by-other-key",
            vec!["--signed-by-other-key"],
            |h, _, p| {
                assert_eq!(h["jwk"], DpopKey::fixture().public_jwk());
                assert!(!es256_verifies(p, &DpopKey::fixture()));
            },
        ),
        ("--der-signature", vec!["--der-signature"], |_, _, p| {
            let sig = mock_idp::jose::b64url_decode(p.rsplit('.').next().unwrap()).unwrap();
            assert_eq!(sig[0], 0x30);
        }),
        (
            "--tampered-signature",
            vec!["--tampered-signature"],
            |_, _, p| {
                assert!(!es256_verifies(p, &DpopKey::fixture()));
            },
        ),
        (
            "--raw-signature",
            vec!["--raw-signature", "AAAA"],
            |_, _, p| {
                assert!(p.ends_with(".AAAA"));
            },
        ),
        ("--raw-header", vec!["--raw-header", "{}"], |h, _, _| {
            assert_eq!(*h, json!({}))
        }),
        (
            "--raw-payload",
            vec!["--raw-payload", "{\"a\":1}"],
            |_, c, _| {
                assert_eq!(*c, json!({"a": 1}));
            },
        ),
    ];
    // The unmodified proof verifies: the rows above are what changes it.
    let plain = mint(
        &dir,
        &["proof", "--key", &key, "--url", "https://api.example/x"],
    );
    assert!(es256_verifies(&plain, &DpopKey::fixture()));
    for (flag, args, check) in rows {
        let mut argv = vec!["proof", "--key", &key, "--url", "https://api.example/x"];
        argv.extend(args);
        let proof = mint(&dir, &argv);
        let (h, c) = parts(&proof);
        eprintln!("checking {flag}");
        check(&h, &c, &proof);
    }
}

fn es256_verifies(proof: &str, key: &DpopKey) -> bool {
    let (input, sig) = proof.rsplit_once('.').unwrap();
    let jwk = key.public_jwk();
    let mut point = vec![0x04];
    point.extend(mock_idp::jose::b64url_decode(jwk["x"].as_str().unwrap()).unwrap());
    point.extend(mock_idp::jose::b64url_decode(jwk["y"].as_str().unwrap()).unwrap());
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        &point,
    )
    .verify(
        input.as_bytes(),
        &mock_idp::jose::b64url_decode(sig).unwrap_or_default(),
    )
    .is_ok()
}
