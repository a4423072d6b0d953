//! What must not leak: credentials in the journal, the admin secret in the Test page's
//! cookie, and the local CA's reach (names and lifetime).

use super::*;

/// Review L2: whoever reads the journal (`read:mock_tenant`) learned every password, client
/// secret and refresh token. They are redacted by default; the debugging option keeps them.
#[tokio::test]
async fn the_journal_redacts_credentials_unless_asked_to_keep_them() {
    let t = builder().start().await;
    let tokens = t
        .login(DEFAULT_USER_EMAIL)
        .client(DEFAULT_SPA_CLIENT_ID)
        .await
        .unwrap();
    let rt = tokens.refresh_token.unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", DEFAULT_SPA_CLIENT_ID),
        ("refresh_token", rt.as_str()),
    ];
    let (s, _) = post_token(&t, &form, &[]).await;
    assert_eq!(s, 200);
    let res = t
        .http_client()
        .post(t.urls().token())
        .basic_auth("mock-test-client", Some("mock-test-secret"))
        .header("dpop", "eyJ.not.a-proof")
        .header("cookie", "did=abc")
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", "https://my-flask-api"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    let (s, journal) = control(&t, SECRET, Method::GET, "/control/journal", None).await;
    assert_eq!(s, 200);
    let text = journal.to_string();
    for secret in [
        DEFAULT_USER_PASSWORD,
        "Passw0rd%21",
        rt.as_str(),
        "bW9jay10ZXN0LWNsaWVudDptb2NrLXRlc3Qtc2VjcmV0",
        "eyJ.not.a-proof",
        "did=abc",
    ] {
        assert!(!text.contains(secret), "{secret} in the journal");
    }
    let entries = journal.as_array().unwrap();
    let login = entries
        .iter()
        .find(|e| e["path"] == "/u/login" && e["method"] == "POST")
        .unwrap();
    let body = login["body"].as_str().unwrap();
    assert!(
        body.ends_with("username=user%40example.com&password=%5Bredacted%5D"),
        "{body}"
    );
    let refresh = &entries
        .iter()
        .filter(|e| e["path"] == "/oauth/token")
        .nth(1)
        .unwrap();
    assert_eq!(
        refresh["body"],
        "grant_type=refresh_token&client_id=mock-spa-client&refresh_token=%5Bredacted%5D"
    );
    let last = entries.last().unwrap();
    let header = |name: &str| {
        last["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == name)
            .map(|h| h[1].clone())
    };
    assert_eq!(header("authorization"), Some(json!("[redacted]")));
    assert_eq!(header("dpop"), Some(json!("[redacted]")));
    assert_eq!(header("cookie"), Some(json!("[redacted]")));

    // For debugging, a tenant started to keep them shows them.
    let t = builder().journal_credentials(true).start().await;
    let (s, _) = post_token(
        &t,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "mock-test-client"),
            ("client_secret", "mock-test-secret"),
            ("audience", "https://my-flask-api"),
        ],
        &[],
    )
    .await;
    assert_eq!(s, 200);
    let (_, journal) = control(&t, SECRET, Method::GET, "/control/journal", None).await;
    assert_eq!(
        journal[0]["body"],
        "grant_type=client_credentials&client_id=mock-test-client&client_secret=mock-test-secret&audience=https%3A%2F%2Fmy-flask-api"
    );
}

/// The credentials of the grants added after review 3 (MFA: `mfa_token`, `otp`,
/// `recovery_code`; Device Authorization: `device_code`, which is all a poller needs to
/// collect the tokens) read `[redacted]` in the journal too.
#[tokio::test]
async fn the_journal_redacts_the_mfa_and_device_credentials() {
    use mock_idp::config::{AppType, GrantType};
    let mut config = crate::mfa::config();
    let user = config
        .users
        .iter()
        .find(|u| u.mfa.is_some())
        .unwrap()
        .clone();
    config.applications.push(ApplicationConfig {
        client_secret: "journal-secret".into(),
        grant_types: Some(vec![
            GrantType::Password,
            GrantType::MfaOtp,
            GrantType::MfaRecoveryCode,
        ]),
        ..ApplicationConfig::browser("journal-web", AppType::RegularWeb, "https://app.example/cb")
    });
    config.applications.push(ApplicationConfig {
        grant_types: Some(vec![GrantType::DeviceCode]),
        ..ApplicationConfig::browser("journal-cli", AppType::Native, "https://unused.example/cb")
    });
    let t = MockTenant::builder()
        .config(config)
        .admin_secret(SECRET)
        .start()
        .await;
    t.clock().freeze_at(crate::mfa::t0());
    let web = [
        ("client_id", "journal-web"),
        ("client_secret", "journal-secret"),
    ];
    let grant = |g: &'static str, extra: Vec<(&'static str, String)>| {
        let mut f: Vec<(&str, String)> = web.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        f.push(("grant_type", g.to_owned()));
        f.extend(extra);
        f
    };
    let send = |form: Vec<(&'static str, String)>| {
        let req = t.http_client().post(t.urls().token()).form(&form);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let password = grant(
        "password",
        vec![
            ("username", user.email.clone()),
            ("password", user.password.clone()),
        ],
    );
    let (s, body) = send(password.clone()).await;
    assert_eq!((s, &body["error"]), (403, &json!("mfa_required")), "{body}");
    let mfa_token = body["mfa_token"].as_str().unwrap().to_owned();
    let otp = t.login(&user.email).current_otp().unwrap();
    let (s, body) = send(grant(
        "http://auth0.com/oauth/grant-type/mfa-otp",
        vec![("mfa_token", mfa_token.clone()), ("otp", otp.clone())],
    ))
    .await;
    assert_eq!(s, 200, "{body}");
    let (_, body) = send(password).await;
    let second = body["mfa_token"].as_str().unwrap().to_owned();
    let recovery = user.mfa.as_ref().unwrap().recovery_codes[0].clone();
    let (s, body) = send(grant(
        "http://auth0.com/oauth/grant-type/mfa-recovery-code",
        vec![
            ("mfa_token", second.clone()),
            ("recovery_code", recovery.clone()),
        ],
    ))
    .await;
    assert_eq!(s, 200, "{body}");
    let res = t
        .http_client()
        .post(format!("{}/oauth/device/code", t.uri()))
        .form(&[("client_id", "journal-cli"), ("scope", "openid")])
        .send()
        .await
        .unwrap();
    let device_code = res.json::<Value>().await.unwrap()["device_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", "journal-cli"),
        ("device_code", device_code.as_str()),
    ];
    let (s, body) = post_token(&t, &poll, &[]).await;
    assert_eq!((s, &body["error"]), (403, &json!("authorization_pending")));

    let (s, journal) = control(&t, SECRET, Method::GET, "/control/journal", None).await;
    assert_eq!(s, 200);
    let text = journal.to_string();
    for secret in [&mfa_token, &second, &otp, &recovery, &device_code] {
        assert!(!text.contains(secret.as_str()), "{secret} in the journal");
    }
    let bodies: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"] == "/oauth/token")
        .map(|e| e["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies.contains(&"client_id=journal-web&client_secret=%5Bredacted%5D&grant_type=http%3A%2F%2Fauth0.com%2Foauth%2Fgrant-type%2Fmfa-otp&mfa_token=%5Bredacted%5D&otp=%5Bredacted%5D"),
        "{bodies:?}"
    );
    assert!(
        bodies.contains(&"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=journal-cli&device_code=%5Bredacted%5D"),
        "{bodies:?}"
    );
}

/// Review L4: the Test page cookie was the admin secret itself, sent to `/dashboard` on every
/// port of the host. It is now a random session id the tenant keeps; the secret as a cookie
/// opens nothing, and neither does a made-up id.
#[tokio::test]
async fn the_test_page_cookie_is_not_the_secret() {
    let t = builder().start().await;
    let http = browser(&t);
    let res = http
        .post(format!("{}/dashboard/session", t.uri()))
        .form(&[("secret", SECRET)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = set_cookie(&res, "mock_idp_admin");
    assert_ne!(session, SECRET);
    assert_eq!(
        res.headers()["set-cookie"],
        format!("mock_idp_admin={session}; Path=/dashboard; HttpOnly; SameSite=Strict; Secure")
    );
    for (cookie, status) in [
        (SECRET.to_owned(), 401),
        ("A".repeat(22), 401),
        (session.clone(), 200),
    ] {
        let res = http
            .get(format!("{}/dashboard", t.uri()))
            .header("cookie", format!("mock_idp_admin={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{cookie}");
    }
    // The session id is no bearer credential for the control API either.
    let got = control(&t, &session, Method::GET, "/control/stats", None).await;
    assert_eq!(got.0, StatusCode::UNAUTHORIZED);
}

/// Review L8: the CA users are told to trust had no name constraints and was valid until 2049,
/// so whoever read its key could intercept any site. It now vouches only for localhost, the
/// loopback addresses and the tenant's names, for a year: a leaf its key signs for another
/// name is refused by a real verifier (webpki), and so is the tenant's own leaf past a year.
#[tokio::test]
async fn the_local_ca_vouches_only_for_the_tenants_names_and_only_for_a_year() {
    use rustls::client::danger::ServerCertVerifier as _;
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

    let dir = crate::support::TempDir::new("ca-constraints");
    let t = builder()
        .state_dir(dir.path())
        .custom_domain("idp.test")
        .start()
        .await;
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    let ca = CertificateDer::from_pem_slice(read("ca.pem").as_bytes()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        std::sync::Arc::new(roots),
        std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
    )
    .build()
    .unwrap();
    let verify = |leaf: &CertificateDer<'_>, name: &str, at: UnixTime| {
        verifier
            .verify_server_cert(
                leaf,
                &[],
                &ServerName::try_from(name.to_owned()).unwrap(),
                &[],
                at,
            )
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    };
    let now = UnixTime::now();
    let leaf = CertificateDer::from_pem_slice(read("leaf.pem").as_bytes()).unwrap();
    for name in ["localhost", "127.0.0.1", "idp.test"] {
        assert_eq!(verify(&leaf, name, now), Ok(()), "{name}");
    }
    let in_400_days =
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.as_secs() + 400 * 86_400));
    let expired = verify(&leaf, "localhost", in_400_days).unwrap_err();
    assert!(expired.contains("Expired"), "{expired}");

    // The attacker holds the CA key and signs a leaf for a site the tenant does not serve.
    let ca_key = rcgen::KeyPair::from_pem(&read("ca-key.pem")).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mock-idp local CA");
    ca_params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "mock-idp");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    for name in ["bank.example", "10.0.0.5"] {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
        p.use_authority_key_identifier_extension = true;
        let forged = p.signed_by(&key, &issuer).unwrap();
        let err = verify(forged.der(), name, now).unwrap_err();
        assert!(err.contains("NameConstraintViolation"), "{name}: {err}");
    }
    drop(t);
}
