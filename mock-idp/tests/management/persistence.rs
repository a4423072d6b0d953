//! What the Management API changed, kept across restarts in the state directory (unless
//! ephemeral), and the lock that keeps a second tenant off the same directory.

use super::*;

/// A tenant on `port` keeping its changes in `dir` (or not), once the last one let go of the
/// port (a dropped tenant stops on its own thread).
async fn kept(dir: &std::path::Path, port: u16, keep: bool) -> MockTenant {
    for _ in 0..250 {
        let started = MockTenant::builder()
            .admin_secret(SECRET)
            .state_dir(dir)
            .port(port)
            .keep_changes(keep)
            .try_start();
        match started {
            Ok(t) => return t,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    panic!("port {port} stayed busy");
}

/// Waits until `path` holds `needle` (or, with `held` false, no longer does).
async fn wait_for_file(path: &std::path::Path, needle: &str, held: bool) {
    for _ in 0..100 {
        if std::fs::read_to_string(path).is_ok_and(|t| t.contains(needle) == held) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!(
        "{}: {needle} never {}",
        path.display(),
        if held { "came" } else { "went" }
    );
}

#[tokio::test]
async fn a_restarted_tenant_keeps_what_the_api_changed_unless_ephemeral() {
    let dir = crate::support::TempDir::new("kept-model");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let create = json!({"email": "kept@example.com", "password": "pw-123456", "connection": "Username-Password-Authentication"});
    {
        let t = kept(dir.path(), port, true).await;
        assert_eq!(
            call(&t, Method::POST, "/api/v2/users", Some(create.clone()))
                .await
                .0,
            201
        );
        wait_for_file(&dir.path().join("tenant.json"), "kept@example.com", true).await;
    }
    {
        let t = kept(dir.path(), port, true).await;
        let (_, found) = call(
            &t,
            Method::GET,
            "/api/v2/users-by-email?email=kept%40example.com",
            None,
        )
        .await;
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
        // Reset returns to the file, and that is kept too.
        assert_eq!(call(&t, Method::POST, "/control/reset", None).await.0, 204);
        wait_for_file(&dir.path().join("tenant.json"), "kept@example.com", false).await;
    }
    let t = kept(dir.path(), port, true).await;
    assert!(t.config().user_by_email("kept@example.com").is_none());
    drop(t);
    // Ephemeral: nothing read, nothing written.
    let t = kept(dir.path(), port, false).await;
    assert_eq!(
        call(&t, Method::POST, "/api/v2/users", Some(create))
            .await
            .0,
        201
    );
    drop(t);
    let t = kept(dir.path(), port, true).await;
    assert!(t.config().user_by_email("kept@example.com").is_none());
}

#[test]
fn a_second_tenant_on_the_same_state_directory_is_refused_with_one_line() {
    let dir = crate::support::TempDir::new("locked");
    let sd = mock_idp::StateDir::open(dir.path()).unwrap();
    let held = sd.lock().unwrap();
    let again = mock_idp::StateDir::open(dir.path())
        .unwrap()
        .lock()
        .unwrap_err();
    assert_eq!(
        again.to_string(),
        format!(
            "{}: another `mock-idp serve` uses this state directory (one tenant per state directory)",
            dir.path().display()
        )
    );
    drop(held);
    assert!(sd.lock().is_ok());
}

/// An organization invitation is part of the model: a restarted tenant still knows it, and
/// its link still works.
#[tokio::test]
async fn a_restarted_tenant_keeps_pending_invitations() {
    let dir = crate::support::TempDir::new("kept-invitations");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let spa = mock_idp::config::DEFAULT_SPA_CLIENT_ID;
    let path;
    let created;
    {
        let t = kept(dir.path(), port, true).await;
        let (s, _) = call(
            &t,
            Method::PATCH,
            &format!("/api/v2/clients/{spa}"),
            Some(json!({"organization_usage": "allow", "initiate_login_uri": "https://app.example/login"})),
        )
        .await;
        assert_eq!(s, 200);
        let (_, org) = call(
            &t,
            Method::POST,
            "/api/v2/organizations",
            Some(json!({"name": "kept-org"})),
        )
        .await;
        let org_id = org["id"].as_str().unwrap().to_owned();
        let (s, inv) = call(
            &t,
            Method::POST,
            &format!("/api/v2/organizations/{org_id}/invitations"),
            Some(json!({"inviter": {"name": "Ada"}, "invitee": {"email": "kept@example.com"}, "client_id": spa})),
        )
        .await;
        assert_eq!(s, 201, "{inv}");
        path = format!(
            "/api/v2/organizations/{org_id}/invitations/{}",
            inv["id"].as_str().unwrap()
        );
        wait_for_file(
            &dir.path().join("tenant.json"),
            inv["ticket_id"].as_str().unwrap(),
            true,
        )
        .await;
        created = inv;
    }
    let t = kept(dir.path(), port, true).await;
    let (s, found) = call(&t, Method::GET, &path, None).await;
    assert_eq!((s.as_u16(), found), (200, created));
}
