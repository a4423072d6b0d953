//! The quickstart's catch-all error handler: anything unexpected is a 500 whose cause is logged,
//! never shown (`{"error": "Internal server error"}`).

use std::any::Any;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::{CatchPanicLayer, ResponseForPanic};

/// Turns a panic in a handler into the quickstart's generic 500 instead of a dropped connection.
#[derive(Clone, Copy, Debug, Default)]
pub struct InternalError;

impl ResponseForPanic for InternalError {
    type ResponseBody = axum::body::Body;

    fn response_for_panic(
        &mut self,
        cause: Box<dyn Any + Send + 'static>,
    ) -> http::Response<axum::body::Body> {
        let cause = cause
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| cause.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        tracing::error!(%cause, "unexpected error while handling a request");
        internal_error()
    }
}

/// The layer the app wraps around every route.
pub fn internal_error_layer() -> CatchPanicLayer<InternalError> {
    CatchPanicLayer::custom(InternalError)
}

/// `500 {"error": "Internal server error"}`.
pub fn internal_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":"Internal server error"}"#,
    )
        .into_response()
}
