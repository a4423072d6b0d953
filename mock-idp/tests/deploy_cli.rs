//! Deploy CLI exports (`config::deploy`): a realistic export in both formats into the tenant
//! model, field by field; the warning lines; keywords; malformed input; export and re-import.

use std::path::{Path, PathBuf};

use mock_idp::config::deploy::{self, Keywords, Options};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/deploy-cli")
        .join(name)
}

fn keywords() -> Keywords {
    Keywords::from_json(
        r#"{"AUTH0_KEYWORD_REPLACE_MAPPINGS": {
            "API_AUDIENCE": "https://orders.example.com",
            "SPA_CALLBACKS": ["http://localhost:3000/callback", "http://localhost:3000"]
        }}"#,
    )
    .unwrap()
}

fn options() -> Options {
    Options {
        keywords: keywords(),
        previous: None,
    }
}

#[test]
fn dump() {
    let i = deploy::read(&fixture("tenant.yaml"), &options()).unwrap();
    println!("{}", toml::to_string(&i.config).unwrap());
    for w in &i.warnings {
        println!("W: {w}");
    }
    let i = deploy::read(&fixture("directory"), &options()).unwrap();
    for w in &i.warnings {
        println!("W: {w}");
    }
    println!("{}", deploy::to_yaml(&i.config, "localhost:8443").yaml);
}
