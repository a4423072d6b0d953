//! A client that sends its request head one byte at a time (slowloris) is disconnected after
//! the header-read timeout instead of holding a connection open for as long as it likes, and
//! the API keeps serving everyone else.

use std::time::{Duration, Instant};

use oauth2_jwt_bearer::{Verifier, VerifierOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TIMEOUT: Duration = Duration::from_secs(1);

/// The API binary's server loop with a 1 s header-read timeout on 127.0.0.1; dropping the
/// sender stops it.
async fn api() -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // No network at construction: the public route never asks the tenant.
    let verifier =
        Verifier::new(VerifierOptions::new("tenant.example.com", "https://api")).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(protected_api::server::serve(
        listener,
        protected_api::app::app(verifier),
        async {
            let _ = stopped.await;
        },
        TIMEOUT,
    ));
    (addr, stop)
}

/// Sends `head` one byte every 100 ms; returns how long the server kept the connection and
/// what it sent before closing it, or `None` if the whole head went through.
async fn trickle(addr: std::net::SocketAddr, head: &[u8]) -> Option<(Duration, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let start = Instant::now();
    let mut received = Vec::new();
    for byte in head {
        if stream.write_all(&[*byte]).await.is_err() {
            return Some((start.elapsed(), received));
        }
        let mut buf = [0u8; 1024];
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
            Err(_) => {}
            Ok(Ok(0) | Err(_)) => return Some((start.elapsed(), received)),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
    None
}

#[tokio::test]
async fn a_client_sending_one_header_byte_at_a_time_is_disconnected() {
    let (addr, _stop) = api().await;
    // About 9 s at one byte per 100 ms: far past the timeout if nothing stops it.
    let head = format!(
        "GET /api/public HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: {}\r\n\r\n",
        "a".repeat(40)
    );
    let slow = (0..5).map(|_| trickle(addr, head.as_bytes()));
    for outcome in futures::future::join_all(slow).await {
        let (held, received) = outcome.expect("the server read the whole slow head");
        assert!(held >= TIMEOUT, "closed before the timeout: {held:?}");
        assert!(held < TIMEOUT * 3, "held for {held:?}");
        // Closed without an answer, or with a 408: never the route's 200.
        let text = String::from_utf8_lossy(&received);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{text}"
        );
    }
    // Everyone else is served, including a client whose head is merely slowish.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /api/public HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    tokio::time::sleep(TIMEOUT / 2).await;
    stream
        .write_all(b"Connection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.ends_with(r#"{"message":"This endpoint is public"}"#),
        "{answer}"
    );
}
