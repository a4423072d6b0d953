//! Deploy CLI exports (`config::deploy`): a realistic export in both formats into the tenant
//! model, field by field; the warning lines; keywords; malformed input; export and re-import.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mock_idp::config::deploy::{self, Keywords, Options, client_id_for, organization_id_for};
use mock_idp::config::{
    ApiConfig, AppType, ApplicationConfig, AuthMethod, Dialect, GrantType, OrganizationConfig,
    OrganizationUsage, RefreshTokenSettings, RoleConfig, RotationType, TenantConfig,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/deploy-cli")
        .join(name)
}

const ORDERS: &str = "https://orders.example.com";
const REPORTS: &str = "https://reports.example.com";

fn options() -> Options {
    let keywords = Keywords::from_json(
        r#"{"AUTH0_KEYWORD_REPLACE_MAPPINGS": {
            "API_AUDIENCE": "https://orders.example.com",
            "SPA_CALLBACKS": ["http://localhost:3000/callback", "http://localhost:3000"]
        }}"#,
    )
    .unwrap();
    Options {
        keywords,
        previous: None,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The tenant the fixture describes, secrets aside (they are generated).
fn expected() -> TenantConfig {
    let worker = client_id_for("Orders Worker");
    TenantConfig {
        apis: vec![
            ApiConfig {
                name: Some("Orders API".into()),
                token_lifetime: 3600,
                dialect: Dialect::AccessTokenAuthz,
                permissions: strings(&["read:orders", "write:orders"]),
                permission_descriptions: BTreeMap::from([
                    ("read:orders".into(), "Read orders".into()),
                    ("write:orders".into(), "Write orders".into()),
                ]),
                allow_offline_access: true,
                ..ApiConfig::new(ORDERS)
            },
            ApiConfig {
                name: Some("Reports API".into()),
                signing_alg: "PS256".into(),
                dialect: Dialect::Rfc9068Profile,
                permissions: strings(&["read:reports"]),
                ..ApiConfig::new(REPORTS)
            },
        ],
        applications: vec![
            ApplicationConfig {
                name: Some("Orders Worker".into()),
                organization_usage: OrganizationUsage::Allow,
                grants: BTreeMap::from([
                    (ORDERS.into(), strings(&["read:orders", "write:orders"])),
                    (
                        mock_idp::config::MANAGEMENT_API.into(),
                        strings(&["read:users", "read:signing_keys"]),
                    ),
                ]),
                refresh_token: Some(RefreshTokenSettings {
                    rotation_type: RotationType::NonRotating,
                    leeway: 0,
                    token_lifetime: 31_557_600,
                    idle_token_lifetime: 2_592_000,
                }),
                ..ApplicationConfig::machine(&worker, "")
            },
            ApplicationConfig {
                name: Some("Orders SPA".into()),
                app_type: AppType::Spa,
                callbacks: strings(&["http://localhost:3000/callback", "http://localhost:3000"]),
                allowed_logout_urls: strings(&["http://localhost:3000"]),
                web_origins: strings(&["http://localhost:3000"]),
                refresh_token: Some(RefreshTokenSettings {
                    rotation_type: RotationType::Rotating,
                    leeway: 0,
                    token_lifetime: 2_592_000,
                    idle_token_lifetime: 1_296_000,
                }),
                ..ApplicationConfig::machine(&client_id_for("Orders SPA"), "")
            },
            ApplicationConfig {
                name: Some("Back Office".into()),
                app_type: AppType::RegularWeb,
                grant_types: Some(vec![
                    GrantType::AuthorizationCode,
                    GrantType::RefreshToken,
                    GrantType::ClientCredentials,
                    GrantType::Password,
                ]),
                token_endpoint_auth_method: Some(AuthMethod::ClientSecretBasic),
                callbacks: strings(&["https://backoffice.example.com/callback"]),
                allowed_logout_urls: strings(&["https://backoffice.example.com"]),
                grants: BTreeMap::from([(REPORTS.into(), strings(&["read:reports"]))]),
                ..ApplicationConfig::machine(&client_id_for("Back Office"), "")
            },
        ],
        roles: vec![
            RoleConfig {
                description: Some("Manages orders".into()),
                permissions: BTreeMap::from([(
                    ORDERS.into(),
                    strings(&["read:orders", "write:orders"]),
                )]),
                ..RoleConfig::new("Order Admin")
            },
            RoleConfig {
                permissions: BTreeMap::from([(REPORTS.into(), strings(&["read:reports"]))]),
                ..RoleConfig::new("Reporter")
            },
        ],
        organizations: vec![OrganizationConfig {
            id: organization_id_for("acme"),
            name: Some("acme".into()),
            applications: vec![worker],
            members: vec![],
            display_name: Some("Acme Corp".into()),
            member_roles: BTreeMap::new(),
            invitations: Vec::new(),
        }],
        allowed_logout_urls: strings(&["https://example.com/logged-out"]),
        default_directory: Some("Username-Password-Authentication".into()),
        session_lifetime: 168,
        ..TenantConfig::default()
    }
}

/// `config` with its secrets checked (64 characters for a confidential client, none for a
/// public one) and then blanked.
fn without_secrets(mut config: TenantConfig) -> TenantConfig {
    for a in &mut config.applications {
        if a.auth_method() == AuthMethod::None {
            assert_eq!(a.client_secret, "", "{}", a.client_id);
        } else {
            assert_eq!(a.client_secret.len(), 64, "{}", a.client_id);
        }
        a.client_secret.clear();
    }
    config
}

#[test]
fn a_tenant_yaml_becomes_the_tenant_model_field_by_field() {
    let i = deploy::read(&fixture("tenant.yaml"), &options()).unwrap();
    let mut got = without_secrets(i.config);
    // Its Action, with the code file it names (relative to the tenant.yaml).
    let actions = std::mem::take(&mut got.actions);
    assert_eq!(got, expected());
    assert_eq!(
        actions
            .iter()
            .map(|a| (a.name.as_str(), a.trigger))
            .collect::<Vec<_>>(),
        [("add-roles", mock_idp::config::ActionTrigger::PostLogin)]
    );
    assert!(actions[0].source().unwrap().contains("onExecutePostLogin"));
    assert_eq!(i.generated_secrets, ["Orders Worker", "Back Office"]);
    assert_eq!(client_id_for("Orders Worker").len(), 32);
    assert!(organization_id_for("acme").starts_with("org_"));
    assert_eq!(
        i.warnings,
        [
            "ignored 1 attackProtection (not modelled)",
            "ignored 1 branding (not modelled)",
            "ignored clientGrants scopes not served: read:logs",
            "ignored clients fields logo_uri, native_social_login, refresh_token.expiration_type, refresh_token.infinite_idle_token_lifetime, refresh_token.infinite_token_lifetime (not modelled)",
            "ignored 1 connections (not modelled)",
            "ignored databases fields is_domain_connection, options (not modelled)",
            "ignored 3 emailTemplates (not modelled)",
            "ignored 2 guardianFactors (not modelled)",
            "ignored organizations fields branding, connections (not modelled)",
            "ignored 1 prompts (not modelled)",
            "ignored tenant fields enabled_locales, flags, friendly_name (not modelled)",
        ]
    );
}

#[test]
fn the_directory_format_gives_the_same_tenant() {
    let i = deploy::read(&fixture("directory"), &options()).unwrap();
    let mut got = without_secrets(i.config);
    let mut want = expected();
    // The directory's files are read in name order (Back Office first).
    got.applications.sort_by(|a, b| a.name.cmp(&b.name));
    want.applications.sort_by(|a, b| a.name.cmp(&b.name));
    // Its Action, bound to post-login, deployed as written.
    let actions = std::mem::take(&mut got.actions);
    assert_eq!(got, want);
    assert_eq!(actions.len(), 1);
    assert_eq!(
        (actions[0].name.as_str(), actions[0].trigger),
        ("add-roles", mock_idp::config::ActionTrigger::PostLogin)
    );
    assert!(actions[0].source().unwrap().contains("onExecutePostLogin"));
    // A tenant.yaml cannot carry the code: the YAML export says it left the Action out.
    got.actions = actions;
    let export = deploy::to_yaml(&got, "localhost:8443");
    assert!(
        export.warnings.contains(
            &"not in the Deploy CLI format: 1 actions (a0deploy export writes them with their code files)".to_owned()
        ),
        "{:?}",
        export.warnings
    );
    assert_eq!(
        i.warnings,
        [
            "ignored 1 attack-protection (not modelled)",
            "ignored 1 branding (not modelled)",
            "ignored clientGrants scopes not served: read:logs",
            "ignored clients fields logo_uri, native_social_login, refresh_token.expiration_type, refresh_token.infinite_idle_token_lifetime, refresh_token.infinite_token_lifetime (not modelled)",
            "ignored 1 connections (not modelled)",
            "ignored databases fields is_domain_connection, options (not modelled)",
            "ignored 3 emails (not modelled)",
            "ignored 1 guardian (not modelled)",
            "ignored organizations fields branding, connections (not modelled)",
            "ignored 1 prompts (not modelled)",
            "ignored tenant fields enabled_locales, flags, friendly_name (not modelled)",
        ]
    );
}

#[test]
fn keywords_are_replaced_as_the_deploy_cli_replaces_them() {
    let k = Keywords::from_json(r#"{"A": "x", "L": ["u", "v"], "N": 3}"#).unwrap();
    assert_eq!(k.replace("a: ##A##-##A##"), "a: x-x");
    assert_eq!(k.replace("l: @@L@@"), r#"l: ["u","v"]"#);
    assert_eq!(k.replace("l: '@@L@@'"), r#"l: ["u","v"]"#);
    assert_eq!(k.replace(r#""l": "@@L@@""#), r#""l": ["u","v"]"#);
    assert_eq!(k.replace("s: '##L##'"), "s: 'u,v'");
    assert_eq!(k.replace("n: @@N@@ ##N##"), "n: 3 3");
    assert_eq!(k.replace("##B## @@B@@"), "##B## @@B@@");
    // A Deploy CLI config.json and a bare mapping read the same.
    let bare = Keywords::from_json(r#"{"A": "x"}"#).unwrap();
    let cfg = Keywords::from_json(r#"{"AUTH0_KEYWORD_REPLACE_MAPPINGS": {"A": "x"}}"#).unwrap();
    assert_eq!(bare, cfg);
}

#[test]
fn a_keyword_without_a_value_is_one_warning_and_a_clear_error_where_it_matters() {
    let yaml = "resourceServers:\n  - identifier: https://a\n    name: '##NAME##'\n";
    let i = deploy::parse_yaml(yaml, "t.yaml", &Options::default()).unwrap();
    assert_eq!(i.config.apis[0].name.as_deref(), Some("##NAME##"));
    assert_eq!(
        i.warnings,
        ["keywords without a value (left as written): ##NAME##"]
    );
    let yaml = "resourceServers:\n  - identifier: https://a\nclients:\n  - name: w\n    app_type: spa\n    token_endpoint_auth_method: none\n    callbacks: ['##CB##']\n";
    let e = deploy::parse_yaml(yaml, "t.yaml", &Options::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.yaml: applications[0].callbacks: `##CB##` is not an absolute URL"
    );
}

#[test]
fn malformed_yaml_is_one_line_naming_the_file_and_line() {
    let yaml = "clients:\n  - name: a\n    callbacks: [x\n  - name: b\n";
    let e = deploy::parse_yaml(yaml, "tenant.yaml", &Options::default()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("tenant.yaml: line 4 column"), "{msg}");
    assert!(msg.contains("not valid YAML"), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
    let e = deploy::parse_yaml("- a\n- b\n", "t.yaml", &Options::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.yaml: document: expected a mapping of resource types (clients:, resourceServers:...)"
    );
}

#[test]
fn malformed_json_in_a_directory_export_names_the_file_and_line() {
    let dir = crate::support::TempDir::new("deploy-json");
    std::fs::create_dir_all(dir.path().join("clients")).unwrap();
    let app = dir.path().join("clients/App.json");
    std::fs::write(&app, "{\n  \"name\": \"App\",\n}\n").unwrap();
    let e = deploy::read(dir.path(), &Options::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("clients/App.json: line 3 column 1: not valid JSON"),
        "{e}"
    );
    assert!(!e.contains('\n'));
}

/// An alias bomb ("billion laughs") is refused by the parser's budget, quickly.
#[test]
fn a_yaml_alias_bomb_is_refused() {
    let mut yaml = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..9u8 {
        let prev = (b'a' + i) as char;
        let next = (b'b' + i) as char;
        yaml.push_str(&format!(
            "{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    let e = deploy::parse_yaml(&yaml, "bomb.yaml", &Options::default()).unwrap_err();
    assert!(e.to_string().starts_with("bomb.yaml: "), "{e}");
}

/// Export as tenant.yaml, import it again: the same tenant, secrets kept from the previous
/// configuration.
#[test]
fn export_then_import_gives_the_same_tenant() {
    let first = deploy::read(&fixture("tenant.yaml"), &options())
        .unwrap()
        .config;
    let export = deploy::to_yaml(&first, "localhost:8443");
    assert_eq!(
        export.warnings,
        [
            "not in the Deploy CLI format: 1 users",
            "not in the Deploy CLI format: 1 actions (a0deploy export writes them with their code files)"
        ]
    );
    // The Action does not travel through the YAML text; the rest does.
    let mut first = first;
    first.actions.clear();
    let again = deploy::parse_yaml(
        &export.yaml,
        "export.yaml",
        &Options {
            previous: Some(first.clone()),
            ..Options::default()
        },
    )
    .unwrap();
    assert!(again.generated_secrets.is_empty());
    assert_eq!(again.config, first);
    // The TOML the CLI writes parses back to the same tenant.
    let toml = deploy::to_toml(&first).unwrap();
    assert_eq!(TenantConfig::parse(&toml, "t.toml").unwrap(), first);
}

/// A secret written in the export wins; without one, the previous configuration's is kept.
#[test]
fn secrets_come_from_the_export_then_the_previous_configuration() {
    let yaml = "resourceServers:\n  - identifier: https://a\nclients:\n  - name: w\n    client_secret: '##S##'\n  - name: v\n";
    let mut o = Options::default();
    o.keywords.insert("S", "s3cret-from-keyword");
    let first = deploy::parse_yaml(yaml, "t.yaml", &o).unwrap();
    assert_eq!(
        first.config.applications[0].client_secret,
        "s3cret-from-keyword"
    );
    assert_eq!(first.generated_secrets, ["v"]);
    o.previous = Some(first.config.clone());
    let second = deploy::parse_yaml(yaml, "t.yaml", &o).unwrap();
    assert_eq!(second.config, first.config);
    assert!(second.generated_secrets.is_empty());
}

/// The README's I- rows (Deploy CLI exports) are the ones these tests and the CLI's
/// `tests/deploy.rs` cover.
#[test]
fn readme_lists_the_i_rows() {
    let readme = include_str!("../README.md");
    let listed: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|id| id.len() == 4 && id.starts_with("I-"))
        .collect();
    let rows = [
        "I-01", "I-02", "I-03", "I-04", "I-05", "I-06", "I-07", "I-08", "I-09", "I-10",
    ];
    assert_eq!(listed, rows);
}

/// An HS256 API and an HS256 ID-token client: the API's secret comes from the export or is
/// generated (and said), kept by the next import; the client's `jwt_configuration.alg` is
/// read and written back.
#[test]
fn hs256_apis_and_id_tokens_import_and_export() {
    let yaml = "resourceServers:\n  - identifier: https://hs.example.com\n    signing_alg: HS256\nclients:\n  - name: web\n    app_type: regular_web\n    callbacks: [https://app.example.com/cb]\n    jwt_configuration:\n      alg: HS256\n      lifetime_in_seconds: 36000\n";
    let first = deploy::parse_yaml(yaml, "t.yaml", &Options::default()).unwrap();
    assert_eq!(
        first.generated_secrets,
        ["https://hs.example.com (signing_secret)", "web"]
    );
    let api = &first.config.apis[0];
    assert_eq!(api.signing_alg, "HS256");
    assert_eq!(api.signing_secret.as_ref().map(String::len), Some(64));
    assert_eq!(
        first.config.applications[0].id_token_alg(),
        mock_idp::config::IdTokenAlg::HS256
    );
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    let again = deploy::parse_yaml(
        &deploy::to_yaml(&first.config, "localhost:8443").yaml,
        "export.yaml",
        &Options::default(),
    )
    .unwrap();
    assert_eq!(again.generated_secrets, ["web"]);
    assert_eq!(again.config.apis, first.config.apis);
    assert_eq!(
        again.config.applications[0].jwt_configuration,
        first.config.applications[0].jwt_configuration
    );
}
