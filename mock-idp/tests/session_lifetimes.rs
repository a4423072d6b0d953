//! Login session lifetimes, as Auth0's tenant settings `session_lifetime` (absolute) and
//! `idle_session_lifetime` set them, from the TOML and live over the Management API; each
//! checked by `prompt=none`, which succeeds only with a live session.

use mock_idp::MockTenant;
use mock_idp::config::{DEFAULT_CALLBACK, TenantConfig};
use reqwest::Method;
use serde_json::{Value, json};

use crate::control::call_as;
use crate::silent_auth::{Agent, spa};

const SECRET: &str = "session-admin-secret-0123456789";

async fn tenant(config: TenantConfig) -> MockTenant {
    MockTenant::builder()
        .config(config)
        .admin_secret(SECRET)
        .start()
        .await
}

/// `prompt=none` in query mode: `Ok(())` when a code comes back, else the `error`.
async fn silent(agent: &mut Agent, t: &MockTenant) -> Result<(), String> {
    let res = agent.authorize(t, &spa(&[("prompt", "none")])).await;
    assert_eq!(res.status, 302, "{}", res.body);
    let location = url::Url::parse(res.header("location")).unwrap();
    assert!(
        location.as_str().starts_with(DEFAULT_CALLBACK),
        "{location}"
    );
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    match (param("code"), param("error")) {
        (Some(_), None) => Ok(()),
        (None, Some(error)) => Err(error),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_session_unused_for_idle_session_lifetime_ends_and_each_use_renews_it() {
    let t = tenant(TenantConfig {
        idle_session_lifetime: 1,
        ..TenantConfig::default()
    })
    .await;
    let mut agent = Agent::new(&t);
    agent.log_in(&t).await;
    for _ in 0..3 {
        // Used within the hour each time: alive for three hours and more.
        t.clock().advance(59 * 60);
        assert_eq!(silent(&mut agent, &t).await, Ok(()));
    }
    t.clock().advance(61 * 60);
    assert_eq!(
        silent(&mut agent, &t).await,
        Err("login_required".to_owned())
    );
}

#[tokio::test]
async fn session_lifetime_set_over_the_management_api_ends_an_active_session() {
    let t = tenant(TenantConfig::default()).await;
    let (status, settings) = call_as(
        &t,
        SECRET,
        Method::PATCH,
        "/api/v2/tenants/settings",
        Some(json!({"session_lifetime": 2, "idle_session_lifetime": 1})),
    )
    .await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(
        (
            &settings["session_lifetime"],
            &settings["idle_session_lifetime"]
        ),
        (&json!(2), &json!(1))
    );
    let mut agent = Agent::new(&t);
    let login = agent
        .submit_login_with(
            &t,
            &spa(&[]),
            mock_idp::config::DEFAULT_USER_EMAIL,
            mock_idp::config::DEFAULT_USER_PASSWORD,
        )
        .await;
    assert_eq!(login.status, 302, "{}", login.body);
    let cookie = login
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("auth0="))
        .unwrap()
        .to_owned();
    assert!(cookie.contains("; Max-Age=7200;"), "{cookie}");
    // Active every 50 minutes, so never idle; the session still ends two hours after login.
    for _ in 0..2 {
        t.clock().advance(50 * 60);
        assert_eq!(silent(&mut agent, &t).await, Ok(()));
    }
    t.clock().advance(50 * 60);
    assert_eq!(
        silent(&mut agent, &t).await,
        Err("login_required".to_owned())
    );
}

#[tokio::test]
async fn lifetimes_outside_auth0s_limits_are_refused() {
    let t = tenant(TenantConfig::default()).await;
    let cases = [
        (
            json!({"session_lifetime": 0}),
            "session_lifetime must be a whole number of hours from 1 to 8760",
        ),
        (
            json!({"session_lifetime": 8761}),
            "session_lifetime must be a whole number of hours from 1 to 8760",
        ),
        (
            json!({"session_lifetime": "24"}),
            "session_lifetime must be a whole number of hours from 1 to 8760",
        ),
        (
            json!({"idle_session_lifetime": 2401}),
            "idle_session_lifetime must be a whole number of hours from 1 to 2400",
        ),
        (
            json!({"idle_session_lifetime": 1.5}),
            "idle_session_lifetime must be a whole number of hours from 1 to 2400",
        ),
    ];
    for (body, problem) in cases {
        let (status, answer) = call_as(
            &t,
            SECRET,
            Method::PATCH,
            "/api/v2/tenants/settings",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            answer,
            json!({"statusCode": 400, "error": "Bad Request",
                   "message": format!("Payload validation error: '{problem}'."),
                   "errorCode": "invalid_body"}),
            "{body}"
        );
    }
    // Nothing changed: a new tenant's defaults (30 days, 3 days idle).
    let (_, settings): (_, Value) =
        call_as(&t, SECRET, Method::GET, "/api/v2/tenants/settings", None).await;
    assert_eq!(
        (
            &settings["session_lifetime"],
            &settings["idle_session_lifetime"]
        ),
        (&json!(720), &json!(72))
    );
    // The TOML says the same in one line.
    let err = TenantConfig::parse(
        "idle_session_lifetime = 0\n[[apis]]\nidentifier = \"https://api.example\"\n",
        "tenant.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tenant.toml: idle_session_lifetime: idle_session_lifetime must be a whole number of \
         hours from 1 to 2400"
    );
}
