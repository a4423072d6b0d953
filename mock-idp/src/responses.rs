//! The plain answers every face shares: the JSON 404 and a dropped connection.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The JSON 404 of every path the tenant does not serve (and of the control API and the
/// Test page while they are off).
pub(crate) async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"error": "not_found", "error_description": "Not Found"})),
    )
        .into_response()
}

/// A response whose body fails on its first poll, which makes hyper abort the connection
/// mid-response: the client sees a dropped connection, not an answer.
pub(crate) fn dropped_connection() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("mock-idp dropped the connection"))
    });
    (
        [(header::CONTENT_LENGTH, HeaderValue::from_static("100"))],
        Body::from_stream(stream),
    )
        .into_response()
}
