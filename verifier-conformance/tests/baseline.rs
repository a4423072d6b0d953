//! The baseline ratchet in the library: what a run against a baseline reports in each
//! direction (new failure, changed class, fixed), and that TOML and JSON files round-trip.

use mock_idp::MockTenant;
use verifier_conformance::{
    Baseline, Catalog, Class, FailOn, KnownFailure, Report, Runner, Target,
};

use crate::support::{accept_everything, refuse_everything};

async fn play(tenant: &MockTenant, base: String, ids: &[&str]) -> Report {
    let only: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    Runner::new(tenant, Target::new(base))
        .catalog(Catalog::all().only(&only))
        .progress(false)
        .run()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baseline_holds_only_for_the_failures_it_lists() {
    let tenant = MockTenant::start().await;
    let m = FailOn::parse("M").unwrap();
    let failing = play(&tenant, accept_everything().await, &["SIG-01", "SIG-02"]).await;
    let baseline = Baseline::from_report(&failing, &m);
    let ids: Vec<(&str, Class)> = baseline
        .failures
        .iter()
        .map(|k| (k.id.as_str(), k.class))
        .collect();
    assert_eq!(
        ids,
        [
            ("SIG-01", Class::WronglyAccepted),
            ("SIG-02", Class::WronglyAccepted)
        ]
    );
    assert!(baseline.check(&failing, &m).holds());

    // New: a failure the file does not list.
    let mut short = baseline.clone();
    short.failures.retain(|k| k.id != "SIG-02");
    let r = short.check(&failing, &m);
    assert_eq!(
        r.new.iter().map(|n| n.0.as_str()).collect::<Vec<_>>(),
        ["SIG-02"]
    );
    assert!(!r.holds());

    // Changed: listed in another class.
    let mut other = baseline.clone();
    other.failures[0].class = Class::WrongForm;
    let r = other.check(&failing, &m);
    assert_eq!(
        r.changed,
        [(
            "SIG-01".to_owned(),
            Class::WrongForm,
            Some(Class::WronglyAccepted)
        )]
    );
    assert!(r.render().contains("SIG-01: listed as form, now accepted"));

    // Fixed: listed cases that pass now.
    let passing = play(&tenant, refuse_everything().await, &["SIG-01", "SIG-02"]).await;
    let r = baseline.check(&passing, &m);
    assert_eq!(r.fixed, ["SIG-01", "SIG-02"]);
    assert!(r.new.is_empty() && !r.holds());

    // A listed case the run did not play is left alone.
    let one = play(&tenant, accept_everything().await, &["SIG-01"]).await;
    assert!(baseline.check(&one, &m).holds());
}

#[test]
fn baselines_round_trip_as_toml_and_json() {
    let b = Baseline {
        failures: vec![KnownFailure {
            id: "KEY-06".into(),
            class: Class::WronglyAccepted,
            title: Some("use:enc key".into()),
        }],
    };
    let dir = std::env::temp_dir().join(format!("conformance-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["b.toml", "b.json"] {
        let p = dir.join(name);
        b.save(&p).unwrap();
        assert_eq!(Baseline::load(&p).unwrap(), b, "{name}");
    }
    let toml = std::fs::read_to_string(dir.join("b.toml")).unwrap();
    assert!(
        toml.contains("[[failures]]\nid = \"KEY-06\"\nclass = \"wrongly-accepted\""),
        "{toml}"
    );
    std::fs::write(
        dir.join("bad.toml"),
        "[[failures]]\nid = \"X\"\nclass = \"nope\"\n",
    )
    .unwrap();
    let err = Baseline::load(&dir.join("bad.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a baseline"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
