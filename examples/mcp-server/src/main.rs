//! A minimal MCP server (Streamable HTTP transport, JSON responses, one tool) protected by
//! `oauth2-jwt-bearer` with RFC 9728 protected-resource metadata, so that an unmodified MCP
//! client finds the tenant from nothing but this server's URL.
//!
//! Not the `rmcp` crate: the transport an OAuth-protected MCP server needs is one POST route
//! answering JSON-RPC with JSON, and `rmcp` would add its macro, schema and transport
//! dependencies to prove nothing more about the authorization side, which is what this example
//! is for. The MCP methods served: `initialize`, `notifications/*` (202), `ping`,
//! `tools/list`, `tools/call` (the `whoami` tool: the caller's `sub` and scopes).
//!
//! Settings (environment): `AUTH0_DOMAIN` (`host:port` of the tenant), `AUTH0_CA_FILE` (its
//! CA, optional), `PORT` (default 8000). The MCP endpoint is `http://127.0.0.1:{PORT}/mcp`; that
//! URL is the resource, the API identifier tokens must carry, and what the metadata names.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use oauth2_jwt_bearer::resource_metadata::{self, ResourceMetadata};
use oauth2_jwt_bearer::{Authenticated, Verifier, VerifierOptions};
use serde_json::{Value, json};

/// The protocol versions this server speaks (the client's is echoed when it is one of them).
const VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];

fn result(id: &Value, result: Value) -> Response {
    axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
}

fn failure(id: &Value, code: i64, message: &str) -> Response {
    axum::Json(json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}))
        .into_response()
}

/// `POST /mcp`: one JSON-RPC message, after the token was verified.
async fn mcp(Authenticated(claims): Authenticated, body: axum::body::Bytes) -> Response {
    let Ok(msg) = serde_json::from_slice::<Value>(&body) else {
        return failure(&Value::Null, -32700, "Parse error");
    };
    let id = msg.get("id").cloned().unwrap_or(Value::Null);
    let method = msg.get("method").and_then(Value::as_str).unwrap_or_default();
    if msg.get("id").is_none() {
        // A notification (or a response): accepted, nothing to answer.
        return StatusCode::ACCEPTED.into_response();
    }
    match method {
        "initialize" => {
            let asked = msg["params"]["protocolVersion"].as_str().unwrap_or_default();
            let version = VERSIONS
                .iter()
                .find(|v| **v == asked)
                .unwrap_or(&VERSIONS[0]);
            result(
                &id,
                json!({
                    "protocolVersion": version,
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "mcp-server-example", "version": "0.0.0"},
                }),
            )
        }
        "ping" => result(&id, json!({})),
        "tools/list" => result(
            &id,
            json!({"tools": [{
                "name": "whoami",
                "description": "The caller's user id and scopes, from its verified access token",
                "inputSchema": {"type": "object", "properties": {}},
            }]}),
        ),
        "tools/call" if msg["params"]["name"] == "whoami" => {
            let text = format!(
                "sub={} scope={}",
                claims.sub().unwrap_or_default(),
                claims.scopes().collect::<Vec<_>>().join(" ")
            );
            result(&id, json!({"content": [{"type": "text", "text": text}]}))
        }
        "tools/call" => failure(&id, -32602, "Unknown tool"),
        _ => failure(&id, -32601, "Method not found"),
    }
}

#[tokio::main]
async fn main() {
    let domain = std::env::var("AUTH0_DOMAIN").unwrap_or_else(|_| {
        eprintln!("error: AUTH0_DOMAIN is not set (the tenant's host:port)");
        std::process::exit(2)
    });
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8000);
    let base = format!("http://127.0.0.1:{port}");
    let resource = format!("{base}/mcp");
    let mut options = VerifierOptions::new(domain, resource.clone())
        .public_base_url(base)
        .resource_metadata(ResourceMetadata::new(resource.clone()).scopes_supported(["tools:call"]));
    if let Ok(ca) = std::env::var("AUTH0_CA_FILE") {
        options = options.ca_file(ca);
    }
    let verifier = Verifier::new(options).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let app = Router::new()
        .route("/mcp", post(mcp))
        .merge(resource_metadata::router(&verifier))
        .with_state(verifier);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(2)
        });
    eprintln!("MCP server at {resource}");
    axum::serve(listener, app).await.ok();
}
