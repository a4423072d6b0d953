use super::*;

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn no_dotenv() -> Sources {
    Sources { dotenv: None }
}

fn load(pairs: &[(&str, &str)]) -> Result<(Settings, Vec<String>), ConfigError> {
    Settings::from_vars(&vars(pairs), no_dotenv())
}

#[test]
fn quickstart_settings_load_with_defaults() {
    let (settings, warnings) = load(&[
        ("AUTH0_DOMAIN", "tenant.us.auth0.com"),
        ("AUTH0_AUDIENCE", "https://my-flask-api"),
    ])
    .unwrap();
    assert_eq!(settings.domain, "tenant.us.auth0.com");
    assert_eq!(settings.audience, "https://my-flask-api");
    assert_eq!(settings.port, 5000);
    assert_eq!(settings.dpop_mode, DpopMode::Allowed);
    assert!(!settings.dpop_nonces);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn domain_with_scheme_slash_and_capitals_is_normalised_with_warnings() {
    let (settings, warnings) = load(&[
        ("AUTH0_DOMAIN", "https://Tenant.US.auth0.com/"),
        ("AUTH0_AUDIENCE", "https://api"),
    ])
    .unwrap();
    assert_eq!(settings.domain, "tenant.us.auth0.com");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("includes https://"));
    assert!(warnings[1].contains("upper-case"));
}

#[test]
fn domain_with_port_is_kept() {
    let (settings, _) = load(&[
        ("AUTH0_DOMAIN", "localhost:8443"),
        ("AUTH0_AUDIENCE", "https://api"),
    ])
    .unwrap();
    assert_eq!(settings.domain, "localhost:8443");
}

#[test]
fn plain_http_domain_is_refused() {
    let err = load(&[
        ("AUTH0_DOMAIN", "http://tenant.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api"),
    ])
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Invalid {
                var: "AUTH0_DOMAIN",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn domain_with_path_is_refused() {
    let err = load(&[
        ("AUTH0_DOMAIN", "tenant.auth0.com/api"),
        ("AUTH0_AUDIENCE", "https://api"),
    ])
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("AUTH0_DOMAIN=\"tenant.auth0.com/api\" is invalid"),
        "{err}"
    );
}

#[test]
fn missing_domain_names_the_variable_and_where_it_looked() {
    let err = load(&[("AUTH0_AUDIENCE", "https://api")]).unwrap_err();
    let line = err.to_string();
    assert!(
        line.starts_with("AUTH0_DOMAIN is not set (looked in the environment"),
        "{line}"
    );
    assert!(!line.contains('\n'));
}

#[test]
fn empty_audience_is_its_own_error() {
    let err = load(&[("AUTH0_DOMAIN", "t.auth0.com"), ("AUTH0_AUDIENCE", "  ")]).unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Empty {
                var: "AUTH0_AUDIENCE",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn wrong_case_variable_is_pointed_out() {
    let err = load(&[
        ("auth0_domain", "t.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api"),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "AUTH0_DOMAIN is not set, but auth0_domain is (looked in the environment (no .env file found in this \
         directory or its parents)); variable names are case-sensitive: rename it to AUTH0_DOMAIN"
    );
}

#[test]
fn audience_that_is_not_a_uri_warns() {
    let (_, warnings) = load(&[
        ("AUTH0_DOMAIN", "t.auth0.com"),
        ("AUTH0_AUDIENCE", "my-api"),
    ])
    .unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("is not a URL or URN"));
    let (_, warnings) = load(&[
        ("AUTH0_DOMAIN", "t.auth0.com"),
        ("AUTH0_AUDIENCE", "urn:my-api"),
    ])
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn dpop_mode_and_port_are_validated() {
    let base = [
        ("AUTH0_DOMAIN", "t.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api"),
    ];
    let (settings, _) = load(&[
        base[0],
        base[1],
        ("AUTH0_DPOP_MODE", "Required"),
        ("PORT", "8080"),
    ])
    .unwrap();
    assert_eq!(settings.dpop_mode, DpopMode::Required);
    assert_eq!(settings.port, 8080);
    let err = load(&[base[0], base[1], ("AUTH0_DPOP_MODE", "sometimes")]).unwrap_err();
    assert!(matches!(
        err,
        ConfigError::Invalid {
            var: "AUTH0_DPOP_MODE",
            ..
        }
    ));
    let err = load(&[base[0], base[1], ("PORT", "http")]).unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { var: "PORT", .. }));
}

#[test]
fn the_dpop_iat_window_defaults_to_60_s_and_is_validated() {
    let base = [
        ("AUTH0_DOMAIN", "t.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api"),
    ];
    let (settings, _) = load(&base).unwrap();
    assert_eq!(settings.dpop_iat_window, Duration::from_secs(60));
    for (value, secs) in [("300", 300), ("30s", 30), (" 1 ", 1), ("3600", 3600)] {
        let (settings, _) = load(&[base[0], base[1], ("AUTH0_DPOP_IAT_WINDOW", value)]).unwrap();
        assert_eq!(
            settings.dpop_iat_window,
            Duration::from_secs(secs),
            "{value}"
        );
    }
    for bad in ["0", "3601", "-5", "1m", "60.5", "sixty"] {
        let err = load(&[base[0], base[1], ("AUTH0_DPOP_IAT_WINDOW", bad)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "AUTH0_DPOP_IAT_WINDOW={bad:?} is invalid: expected whole seconds from 1 to 3600, \
                 e.g. AUTH0_DPOP_IAT_WINDOW=60 (the default; auth0-api-python uses 300)"
            )
        );
    }
}

#[test]
fn no_redis_url_means_the_in_memory_replay_store() {
    let (settings, _) = load(&[
        ("AUTH0_DOMAIN", "tenant.us.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api"),
        ("DPOP_REPLAY_REDIS_URL", "  "),
    ])
    .unwrap();
    assert_eq!(settings.dpop_replay_redis_url, None);
}

#[cfg(feature = "redis")]
#[test]
fn redis_url_is_checked_and_its_password_never_shown() {
    let with = |url: &str| {
        load(&[
            ("AUTH0_DOMAIN", "tenant.us.auth0.com"),
            ("AUTH0_AUDIENCE", "https://api"),
            ("DPOP_REPLAY_REDIS_URL", url),
        ])
    };
    let (settings, _) = with("redis://127.0.0.1:6379/0").unwrap();
    assert_eq!(
        settings.dpop_replay_redis_url.as_deref(),
        Some("redis://127.0.0.1:6379/0")
    );
    for bad in ["http://127.0.0.1:6379", "redis://:s3cret@127.0.0.1:99999/0"] {
        let err = with(bad).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    var: "DPOP_REPLAY_REDIS_URL",
                    ..
                }
            ),
            "{err:?}"
        );
        let line = err.to_string();
        assert!(!line.contains("s3cret") && !line.contains('\n'), "{line}");
    }
}

#[cfg(not(feature = "redis"))]
#[test]
fn redis_url_without_the_feature_stops_start_up_in_one_line() {
    let err = load(&[
        ("AUTH0_DOMAIN", "tenant.us.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api"),
        ("DPOP_REPLAY_REDIS_URL", "redis://127.0.0.1:6379/0"),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "DPOP_REPLAY_REDIS_URL is set but this build has no Redis support; build with --features redis"
    );
}

#[test]
fn debug_output_hides_the_redis_url() {
    let mut settings = load(&[
        ("AUTH0_DOMAIN", "t.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api"),
    ])
    .unwrap()
    .0;
    settings.dpop_replay_redis_url = Some("redis://:hunter2@127.0.0.1:6379/0".into());
    let shown = format!("{settings:?}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn allowed_hosts_are_parsed_and_checked() {
    let base = [
        ("AUTH0_DOMAIN", "t.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api"),
    ];
    let (settings, _) = load(&base).unwrap();
    assert!(settings.allowed_hosts.is_empty());
    let mut with = base.to_vec();
    with.push((
        "ALLOWED_HOSTS",
        " API.example.com , 127.0.0.1:5000,[::1]:5000,",
    ));
    let (settings, warnings) = load(&with).unwrap();
    assert_eq!(
        settings.allowed_hosts,
        ["api.example.com", "127.0.0.1:5000", "[::1]:5000"]
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    for bad in [
        "api.example.com/api",
        "https://api.example.com",
        "api.example.com:99999",
    ] {
        let mut with = base.to_vec();
        with.push(("ALLOWED_HOSTS", bad));
        let err = load(&with).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "ALLOWED_HOSTS={bad:?} is invalid: entry {bad:?}: "
            )),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }
}

#[test]
fn dpop_trusting_the_host_header_is_warned_about() {
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut vars = vec![
            ("AUTH0_DOMAIN", "t.auth0.com"),
            ("AUTH0_AUDIENCE", "https://api"),
        ];
        vars.extend_from_slice(extra);
        load(&vars).unwrap().0.host_trust_warning()
    };
    let warning = with(&[]).expect("DPoP allowed by default, no PUBLIC_URL, no ALLOWED_HOSTS");
    assert!(
        warning.contains("neither PUBLIC_URL nor ALLOWED_HOSTS"),
        "{warning}"
    );
    assert_eq!(with(&[("AUTH0_DPOP_MODE", "required")]), Some(warning));
    assert_eq!(with(&[("AUTH0_DPOP_MODE", "disabled")]), None);
    assert_eq!(with(&[("PUBLIC_URL", "https://api.example.com")]), None);
    assert_eq!(with(&[("ALLOWED_HOSTS", "api.example.com")]), None);
}

#[test]
fn the_in_memory_replay_store_can_be_sized() {
    let base = [
        ("AUTH0_DOMAIN", "t.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api"),
    ];
    let (settings, _) = load(&base).unwrap();
    assert_eq!(settings.dpop_replay_max_entries, None);
    assert_eq!(settings.dpop_replay_per_key_limit, None);
    let (settings, _) = load(&[
        base[0],
        base[1],
        ("DPOP_REPLAY_MAX_ENTRIES", "2000000"),
        ("DPOP_REPLAY_PER_KEY_LIMIT", "500000"),
    ])
    .unwrap();
    assert_eq!(settings.dpop_replay_max_entries, Some(2_000_000));
    assert_eq!(settings.dpop_replay_per_key_limit, Some(500_000));

    let err = load(&[base[0], base[1], ("DPOP_REPLAY_MAX_ENTRIES", "0")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "DPOP_REPLAY_MAX_ENTRIES=\"0\" is invalid: expected a whole number from 1 to 10000000"
    );
    // A key's share cannot exceed the store.
    let err = load(&[
        base[0],
        base[1],
        ("DPOP_REPLAY_MAX_ENTRIES", "100"),
        ("DPOP_REPLAY_PER_KEY_LIMIT", "101"),
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "DPOP_REPLAY_PER_KEY_LIMIT=\"101\" is invalid: expected a whole number from 1 to 100"
    );
    // With Redis the in-memory sizes would be silently ignored: refused instead.
    #[cfg(feature = "redis")]
    {
        let err = load(&[
            base[0],
            base[1],
            ("DPOP_REPLAY_REDIS_URL", "redis://127.0.0.1:6379/0"),
            ("DPOP_REPLAY_MAX_ENTRIES", "100"),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "DPOP_REPLAY_MAX_ENTRIES=\"100\" is invalid: it sizes the in-memory replay store, and \
         DPOP_REPLAY_REDIS_URL is set: remove one of them (Redis is sized by its own maxmemory)"
        );
    }
}

#[test]
fn the_jwks_staleness_bound_defaults_to_a_day_and_is_validated() {
    let base = [
        ("AUTH0_DOMAIN", "t.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api"),
    ];
    let (settings, _) = load(&base).unwrap();
    assert_eq!(settings.jwks_max_stale, Duration::from_secs(86_400));
    for (value, secs) in [("0", 0), ("3600", 3600), ("600s", 600), ("604800", 604_800)] {
        let (settings, _) = load(&[base[0], base[1], ("AUTH0_JWKS_MAX_STALE", value)]).unwrap();
        assert_eq!(
            settings.jwks_max_stale,
            Duration::from_secs(secs),
            "{value}"
        );
    }
    for bad in ["604801", "-1", "1d", "soon"] {
        let err = load(&[base[0], base[1], ("AUTH0_JWKS_MAX_STALE", bad)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "AUTH0_JWKS_MAX_STALE={bad:?} is invalid: expected whole seconds from 0 to 604800, \
                 e.g. AUTH0_JWKS_MAX_STALE=86400 (the default: Auth0's stale-if-error)"
            )
        );
    }
}

#[test]
fn algorithms_and_the_signing_secret_are_checked_together() {
    use oauth2_jwt_bearer::Algorithm;
    let base = [
        ("AUTH0_DOMAIN", "tenant.us.auth0.com"),
        ("AUTH0_AUDIENCE", "https://my-flask-api"),
    ];
    let with = |extra: &[(&str, &str)]| {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        load(&pairs)
    };
    let secret = "an-api-signing-secret-of-32-byte";
    assert_eq!(with(&[]).unwrap().0.signing, TokenSigning::default());
    let (s, _) = with(&[("AUTH0_SIGNING_SECRET", secret)]).unwrap();
    assert_eq!(s.signing.secret.as_deref(), Some(secret));
    assert!(!format!("{s:?}").contains(secret), "Debug hides the secret");
    let (s, _) = with(&[("AUTH0_ALGORITHMS", "RS256, PS256")]).unwrap();
    assert_eq!(
        s.signing.algorithms,
        Some(vec![Algorithm::RS256, Algorithm::PS256])
    );
    let (s, _) = with(&[
        ("AUTH0_ALGORITHMS", "HS256,RS256"),
        ("AUTH0_SIGNING_SECRET", secret),
    ])
    .unwrap();
    assert!(VerifierOptions::try_from(&s).is_ok());
    let one_line = |extra: &[(&str, &str)]| {
        let e = with(extra).unwrap_err().to_string();
        assert!(!e.contains('\n') && !e.contains(secret), "{e}");
        e
    };
    assert_eq!(
        one_line(&[("AUTH0_SIGNING_SECRET", "fifteen-bytes!!")]),
        "AUTH0_SIGNING_SECRET=\"(hidden)\" is invalid: shorter than 16 bytes, Auth0's minimum for an API's signing secret"
    );
    assert!(
        one_line(&[("AUTH0_ALGORITHMS", "HS256")])
            .starts_with("AUTH0_SIGNING_SECRET is not set, but AUTH0_ALGORITHMS is")
    );
    assert_eq!(
        one_line(&[
            ("AUTH0_ALGORITHMS", "RS256"),
            ("AUTH0_SIGNING_SECRET", secret)
        ]),
        "AUTH0_ALGORITHMS=\"RS256\" is invalid: AUTH0_SIGNING_SECRET is set, so list HS256 too (or remove the secret)"
    );
    assert!(
        one_line(&[("AUTH0_ALGORITHMS", "RS256,HS384")])
            .starts_with("AUTH0_ALGORITHMS=\"RS256,HS384\" is invalid: `HS384` is not one of")
    );
}

#[test]
fn resource_metadata_needs_public_url_equal_to_the_audience() {
    let base = [
        ("AUTH0_DOMAIN", "t.auth0.com"),
        ("AUTH0_AUDIENCE", "https://api.example.com"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut vars = base.to_vec();
        vars.extend_from_slice(extra);
        load(&vars)
    };
    assert!(!with(&[]).unwrap().0.resource_metadata);
    let on = with(&[
        ("RESOURCE_METADATA", "true"),
        ("PUBLIC_URL", "https://api.example.com/"),
    ])
    .unwrap()
    .0;
    assert!(on.resource_metadata);
    let doc = oauth2_jwt_bearer::Verifier::new(VerifierOptions::try_from(&on).unwrap()).unwrap();
    let published = doc.resource_metadata().unwrap();
    assert_eq!(published.resource(), "https://api.example.com");
    assert_eq!(
        published.document()["scopes_supported"],
        serde_json::json!(["read:messages", "admin:write"])
    );

    let missing = with(&[("RESOURCE_METADATA", "true")]).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "PUBLIC_URL is not set, but RESOURCE_METADATA is (looked in the environment (no .env \
         file found in this directory or its parents)); set it to the URL clients call, the same \
         as AUTH0_AUDIENCE (RFC 9728 §3.3)"
    );
    let mismatch = with(&[
        ("RESOURCE_METADATA", "true"),
        ("PUBLIC_URL", "https://api.example.com/v2"),
    ])
    .unwrap_err();
    assert_eq!(
        mismatch.to_string(),
        "AUTH0_AUDIENCE=\"https://api.example.com\" and PUBLIC_URL=\"https://api.example.com/v2\" \
         disagree: with RESOURCE_METADATA on, the resource clients call and the audience of their \
         tokens are one URL (RFC 9728 §3.3, RFC 8707): make them equal"
    );
    assert!(!mismatch.to_string().contains('\n'));
    let not_bool = with(&[("RESOURCE_METADATA", "yes please")]).unwrap_err();
    assert!(
        not_bool.to_string().starts_with("RESOURCE_METADATA="),
        "{not_bool}"
    );
    // A mismatch only matters when the metadata is on.
    assert!(with(&[("PUBLIC_URL", "https://elsewhere.example.com")]).is_ok());
}
