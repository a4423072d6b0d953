//! The harness itself: Chromium renders a page served on 127.0.0.1 and a form posts back.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::{get, post};
use browser_test::Browser;
use browser_test::fantoccini::Locator;

#[tokio::test]
async fn chromium_renders_a_loopback_page_and_submits_its_form() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                axum::response::Html(
                    r#"<title>hello</title><form method="post" action="/done"><input name="who" data-testid="who"><button>Go</button></form>"#,
                )
            }),
        )
        .route(
            "/done",
            post(|axum::Form(f): axum::Form<std::collections::HashMap<String, String>>| async move {
                axum::response::Html(format!("<p id=out>hi {}</p>", f["who"]))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let c = browser.client();
    c.goto(&format!("http://{addr}/")).await.unwrap();
    assert_eq!(c.title().await.unwrap(), "hello");
    c.find(Locator::Css("[data-testid=who]"))
        .await
        .unwrap()
        .send_keys("ada")
        .await
        .unwrap();
    c.find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let out = c.wait().for_element(Locator::Id("out")).await.unwrap();
    assert_eq!(out.text().await.unwrap(), "hi ada");
    browser.close().await;
}
