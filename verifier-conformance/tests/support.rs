//! What the tests share: a router served on 127.0.0.1, and the verifiers they grade.

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

/// Serves `app` on a free port of 127.0.0.1 until the test ends; its base URL.
pub(crate) async fn serve_router(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

/// A "verifier" that lets every request through.
pub(crate) async fn accept_everything() -> String {
    serve_router(axum::Router::new().fallback(|| async { "ok" })).await
}

/// A "verifier" that refuses every request with a well-formed RFC 6750 challenge.
pub(crate) async fn refuse_everything() -> String {
    serve_router(axum::Router::new().fallback(|| async {
        (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"api\", error=\"invalid_token\"",
            )],
        )
            .into_response()
    }))
    .await
}
