//! The HTML report in headless Chromium, loaded from a file as a user opens it: summary by
//! class, the wrongly accepted list, each case with its source, request (token decoded) and
//! answer, and the filters.

use browser_test::Browser;
use browser_test::fantoccini::{Client, Locator};
use mock_idp::MockTenant;
use verifier_conformance::{Catalog, Runner, Target};

use crate::support::accept_everything;

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn shown(c: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    for d in c.find_all(Locator::Css("details.case")).await.unwrap() {
        if d.is_displayed().await.unwrap() {
            ids.push(d.attr("id").await.unwrap().unwrap());
        }
    }
    ids
}

async fn filter(c: &Client, which: &str, value: &str) {
    c.find(Locator::Id(&format!("f-{which}")))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_reads_and_filters_in_a_browser() {
    let tenant = MockTenant::start().await;
    let base = accept_everything().await;
    let only: Vec<String> = ["HDR-01", "SIG-01", "AUD-01"].map(String::from).to_vec();
    let report = Runner::new(&tenant, Target::new(base))
        .catalog(Catalog::all().only(&only))
        .progress(false)
        .run()
        .await
        .unwrap();
    let html = report.to_html();
    // Self-contained, and readable without JavaScript: no external reference, filters
    // hidden until the script shows them, no case hidden in the markup.
    for external in ["src=\"http", "href=\"http", "<link", "@import", "url("] {
        assert!(!html.contains(external), "{external}");
    }
    assert!(html.contains("<form id=\"filters\" hidden>"));
    assert!(!html.contains("<details class=\"case\" hidden"));
    let file = std::env::temp_dir().join(format!("conformance-report-{}.html", std::process::id()));
    std::fs::write(&file, &html).unwrap();
    // Removed when the test ends, however it ends.
    struct Remove<'a>(&'a std::path::Path);
    impl Drop for Remove<'_> {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(self.0);
        }
    }
    let _remove = Remove(&file);

    let Some(browser) = Browser::launch().await else {
        return;
    };
    let c = browser.client();
    c.goto(&format!("file://{}", file.display())).await.unwrap();
    assert!(
        c.title()
            .await
            .unwrap()
            .starts_with("Conformance of http://127.0.0.1:")
    );
    // Summary by class: two M cases got through.
    assert_eq!(
        text(c, "#classes tr[data-class=accepted]").await,
        "wrongly accepted (security) 2 0 0 0 0 2"
    );
    let accepted = text(c, "#accepted + ul").await;
    assert!(
        accepted.starts_with("HDR-01 M No credentials"),
        "{accepted}"
    );
    assert!(
        accepted.contains("\nSIG-01 M alg none (RFC 9068 §4; RFC 7518 §3.6; RFC 8725 §3.1): "),
        "{accepted}"
    );
    // A failed case is open: its source, the request with the token decoded, the answer.
    let sig = text(c, "#case-SIG-01").await;
    assert!(
        sig.contains("Source: RFC 9068 §4; RFC 7518 §3.6; RFC 8725 §3.1"),
        "{sig}"
    );
    assert!(
        sig.contains("GET /api/private\nauthorization: Bearer ey"),
        "{sig}"
    );
    assert!(
        sig.contains("authorization decoded (header . payload)"),
        "{sig}"
    );
    assert!(sig.contains("\"alg\": \"none\""), "{sig}");
    assert!(sig.contains("Response ("), "{sig}");
    assert!(sig.contains("wrongly accepted (security)"), "{sig}");

    // Filters: shown by the script, and they hide what does not match.
    assert!(
        c.find(Locator::Id("filters"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );
    assert_eq!(
        shown(c).await,
        ["case-HDR-01", "case-SIG-01", "case-AUD-01"]
    );
    filter(c, "class", "accepted").await;
    assert_eq!(shown(c).await, ["case-HDR-01", "case-SIG-01"]);
    assert_eq!(text(c, "#shown").await, "2 case(s) shown");
    filter(c, "group", "SIG").await;
    assert_eq!(shown(c).await, ["case-SIG-01"]);
    filter(c, "class", "").await;
    filter(c, "group", "AUD").await;
    assert_eq!(shown(c).await, ["case-AUD-01"]);
    filter(c, "group", "").await;
    filter(c, "level", "S").await;
    assert_eq!(shown(c).await, Vec::<String>::new());
    browser.close().await;
}
