//! PRM: protected-resource metadata (RFC 9728) and resource indicators (RFC 8707), the
//! resource-server side of what MCP clients rely on (6). A client that gets a 401 follows the
//! challenge's `resource_metadata` URL to the metadata document, checks that its `resource` is
//! the URL it called, and asks the named authorization server for a token for that resource.
//!
//! Serving metadata is optional (RFC 9728 is an extension): the cases that read it are not
//! applicable (skipped, with that reason) unless the target declares `resource_metadata`.
//! Their levels are those of the requirement once metadata is served: a MUST is M, a SHOULD
//! is S. PRM-06 (a token for another resource) holds for every verifier and always runs.

use futures::future::BoxFuture;
use serde_json::Value;

use super::{Case, Ctx, Step, probe, run_probes};
use crate::observe::{Observation, Request};
use crate::target::DpopMode;
use crate::verdict::Expect::InvalidToken;
use crate::verdict::{Grade, Level};

/// The cases of this group, in catalog order.
pub(super) const CASES: &[Case] = &[PRM_01, PRM_02, PRM_03, PRM_04, PRM_05, PRM_06];

/// RFC 9728 §3: the well-known path segment.
const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

fn not_applicable(c: &Ctx<'_>) -> Option<Vec<Step>> {
    (!c.target.features.resource_metadata).then(|| {
        vec![Step::note(
            "not applicable",
            Grade::Skip(
                "not applicable: the target does not declare resource_metadata (RFC 9728 \
                 metadata is optional)"
                    .into(),
            ),
        )]
    })
}

/// A step for a request whose grade the case decides itself.
fn step(label: &str, request: Request, expected: &str, o: Observation, grade: Grade) -> Step {
    let class = matches!(grade, Grade::Fail(_)).then_some(crate::Class::WrongForm);
    Step {
        label: label.into(),
        request: request.summary(),
        expected: expected.into(),
        observed: Some(o),
        grade,
        sent: Some(request),
        class,
    }
}

/// The metadata URL a 401 without credentials advertises (the first `resource_metadata` of
/// its challenges), or the root form at the target's public origin when it advertises none.
async fn advertised_url(c: &Ctx<'_>) -> String {
    let o = c.send(&Request::get(c.target.bearer_route.clone())).await;
    o.challenges
        .iter()
        .find_map(|ch| ch.param("resource_metadata").map(str::to_owned))
        .unwrap_or_else(|| format!("{}{WELL_KNOWN}", c.target.htu_origin()))
}

/// Fetches the document at `url` from the target (its path, at the base URL the runner
/// reaches the target at: behind a proxy the public origin may not resolve from here).
async fn fetch_document(c: &Ctx<'_>, url: &str) -> (Request, Observation, Result<Value, String>) {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| WELL_KNOWN.to_owned());
    let r = Request::get(path);
    let o = c.send(&r).await;
    let doc = if o.status != 200 {
        Err(format!("{} answered {}", r.summary(), o.summary()))
    } else {
        match serde_json::from_str::<Value>(&o.body) {
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(_) => Err("the document is not a JSON object".into()),
            Err(e) => Err(format!("the document is not JSON: {e}")),
        }
    };
    (r, o, doc)
}

/// RFC 9728 §3.1: the metadata URL of a resource identifier.
fn metadata_url_of(resource: &str) -> Option<String> {
    let u = url::Url::parse(resource).ok()?;
    Some(format!(
        "{}{WELL_KNOWN}{}",
        u.origin().ascii_serialization(),
        u.path().trim_end_matches('/')
    ))
}

const PRM_01: Case = Case::script(
    "PRM-01",
    "Every 401 names the metadata (resource_metadata)",
    Level::S,
    "RFC 9728 §5.1; MCP Authorization 2025-11-25",
    prm01,
);
fn prm01<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if let Some(s) = not_applicable(c) {
            return s;
        }
        let other = c.at().audience("https://other-resource.example/").build();
        let mut probes = vec![
            (
                "no credentials",
                Request::get(c.target.bearer_route.clone()),
            ),
            (
                "Basic",
                c.auth(&c.target.bearer_route, "Basic Zm9vOmJhcg=="),
            ),
            ("not a JWT", c.bearer("not-a-jwt")),
            ("another resource's token", c.bearer(&other)),
        ];
        if c.target.dpop() {
            let t = c.bound().build();
            probes.push((
                "DPoP without proof",
                c.auth(c.target.dpop_path(), &format!("DPoP {t}")),
            ));
        }
        let mut seen: Option<String> = None;
        let mut steps = Vec::new();
        for (label, r) in probes {
            let o = c.send(&r).await;
            let values: Vec<Option<&str>> = o
                .challenges
                .iter()
                .map(|ch| ch.param("resource_metadata"))
                .collect();
            let grade = if o.status != 401 {
                Grade::Fail(format!("expected 401, got {}", o.summary()))
            } else if values.is_empty() || values.iter().any(Option::is_none) {
                Grade::Fail(format!(
                    "a challenge without resource_metadata: {:?}",
                    o.www_authenticate
                ))
            } else if values.windows(2).any(|w| w[0] != w[1])
                || seen.as_deref().is_some_and(|s| Some(s) != values[0])
            {
                Grade::Fail(format!(
                    "different resource_metadata values: {:?}",
                    o.www_authenticate
                ))
            } else {
                seen = values[0].map(str::to_owned);
                Grade::Pass
            };
            steps.push(step(
                label,
                r,
                "401, resource_metadata on every challenge",
                o,
                grade,
            ));
        }
        steps
    })
}

const PRM_02: Case = Case::script(
    "PRM-02",
    "Metadata document at the advertised URL, members well-typed",
    Level::M,
    "RFC 9728 §2, §3, §3.2",
    prm02,
);
fn prm02<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if let Some(s) = not_applicable(c) {
            return s;
        }
        let url = advertised_url(c).await;
        let (r, o, doc) = fetch_document(c, &url).await;
        let strings = |v: &Value| {
            v.as_array()
                .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string))
        };
        let grade = match doc {
            Err(e) => Grade::Fail(e),
            Ok(doc) => {
                let mut wrong = Vec::new();
                if !doc["resource"].is_string() {
                    wrong.push("resource (REQUIRED) is not a string".to_owned());
                }
                for member in [
                    "authorization_servers",
                    "scopes_supported",
                    "bearer_methods_supported",
                    "dpop_signing_alg_values_supported",
                ] {
                    if doc.get(member).is_some_and(|v| !strings(v)) {
                        wrong.push(format!("{member} is not a non-empty array of strings"));
                    }
                }
                if doc
                    .get("dpop_bound_access_tokens_required")
                    .is_some_and(|v| !v.is_boolean())
                {
                    wrong.push("dpop_bound_access_tokens_required is not a boolean".into());
                }
                if wrong.is_empty() {
                    Grade::Pass
                } else {
                    Grade::Fail(wrong.join("; "))
                }
            }
        };
        vec![step(
            "document",
            r,
            "200, a JSON object (RFC 9728 §2)",
            o,
            grade,
        )]
    })
}

const PRM_03: Case = Case::script(
    "PRM-03",
    "resource is the URL the document was found by",
    Level::M,
    "RFC 9728 §3.3",
    prm03,
);
fn prm03<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if let Some(s) = not_applicable(c) {
            return s;
        }
        let url = advertised_url(c).await;
        let (r, o, doc) = fetch_document(c, &url).await;
        let called = format!("{}{}", c.target.htu_origin(), c.target.bearer_route);
        let grade = match doc {
            Err(e) => Grade::Fail(e),
            Ok(doc) => {
                let resource = doc["resource"].as_str().unwrap_or_default();
                let same_origin_prefix = url::Url::parse(resource)
                    .ok()
                    .zip(url::Url::parse(&called).ok())
                    .is_some_and(|(res, req)| {
                        res.origin() == req.origin()
                            && req.path().starts_with(res.path().trim_end_matches('/'))
                    });
                if metadata_url_of(resource).as_deref() != Some(url.as_str()) {
                    Grade::Fail(format!(
                        "resource {resource:?} is described at {:?}, not at {url:?}, where it was \
                         found (§3.3: a client must discard it)",
                        metadata_url_of(resource).unwrap_or_default()
                    ))
                } else if resource == called {
                    Grade::Pass
                } else if same_origin_prefix {
                    Grade::Tolerated(format!(
                        "resource {resource:?} is a prefix of the URL called ({called:?}); §3.3 \
                         asks for the same URL, MCP clients accept a prefix"
                    ))
                } else {
                    Grade::Fail(format!(
                        "resource {resource:?} is not the URL called ({called:?}) nor a prefix \
                         of it"
                    ))
                }
            }
        };
        vec![step(
            "resource",
            r,
            "resource matches the metadata URL and the URL called",
            o,
            grade,
        )]
    })
}

const PRM_04: Case = Case::script(
    "PRM-04",
    "authorization_servers names the tenant",
    Level::S,
    "RFC 9728 §2; MCP Authorization 2025-11-25",
    prm04,
);
fn prm04<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if let Some(s) = not_applicable(c) {
            return s;
        }
        let url = advertised_url(c).await;
        let (r, o, doc) = fetch_document(c, &url).await;
        let issuer = c.tenant.issuer().to_owned();
        let grade = match doc {
            Err(e) => Grade::Fail(e),
            Ok(doc) => {
                let servers = doc["authorization_servers"].as_array();
                if servers.is_some_and(|s| s.iter().any(|v| v.as_str() == Some(&issuer))) {
                    Grade::Pass
                } else {
                    Grade::Fail(format!(
                        "authorization_servers {} does not name the tenant {issuer:?}: a client \
                         cannot find where to get a token",
                        doc["authorization_servers"]
                    ))
                }
            }
        };
        vec![step(
            "authorization_servers",
            r,
            "the tenant's issuer listed",
            o,
            grade,
        )]
    })
}

const PRM_05: Case = Case::script(
    "PRM-05",
    "Metadata agrees with what the target does",
    Level::S,
    "RFC 9728 §2",
    prm05,
);
fn prm05<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        if let Some(s) = not_applicable(c) {
            return s;
        }
        let url = advertised_url(c).await;
        let (r, o, doc) = fetch_document(c, &url).await;
        let grade = match doc {
            Err(e) => Grade::Fail(e),
            Ok(doc) => {
                let mut wrong = Vec::new();
                let has = |member: &str, value: &str| {
                    doc[member]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(value)))
                };
                if doc.get("bearer_methods_supported").is_some()
                    && !has("bearer_methods_supported", "header")
                {
                    wrong.push(
                        "bearer_methods_supported leaves out \"header\", which the target accepts"
                            .to_owned(),
                    );
                }
                if doc.get("scopes_supported").is_some()
                    && !has("scopes_supported", &c.target.scope)
                {
                    wrong.push(format!(
                        "scopes_supported leaves out {:?}, which the scoped route asks for",
                        c.target.scope
                    ));
                }
                let required = c.target.dpop_mode == DpopMode::Required;
                if doc["dpop_bound_access_tokens_required"]
                    .as_bool()
                    .unwrap_or(false)
                    != required
                {
                    wrong.push(format!(
                        "dpop_bound_access_tokens_required is {}, the target {} DPoP",
                        doc["dpop_bound_access_tokens_required"],
                        if required {
                            "requires"
                        } else {
                            "does not require"
                        }
                    ));
                }
                if c.target.dpop() {
                    match c.dpop_algs().await {
                        Ok(algs)
                            if !algs
                                .iter()
                                .all(|a| has("dpop_signing_alg_values_supported", a)) =>
                        {
                            wrong.push(format!(
                                "dpop_signing_alg_values_supported {} leaves out algs the \
                                 challenge offers ({algs:?})",
                                doc["dpop_signing_alg_values_supported"]
                            ));
                        }
                        _ => {}
                    }
                } else if doc.get("dpop_signing_alg_values_supported").is_some() {
                    wrong.push("dpop_signing_alg_values_supported on a target without DPoP".into());
                }
                if wrong.is_empty() {
                    Grade::Pass
                } else {
                    Grade::Fail(wrong.join("; "))
                }
            }
        };
        vec![step(
            "members",
            r,
            "members that describe the target's behaviour",
            o,
            grade,
        )]
    })
}

const PRM_06: Case = Case::script(
    "PRM-06",
    "A token for another resource is refused",
    Level::M,
    "RFC 8707 §2; RFC 9068 §4",
    prm06,
);
fn prm06<'a>(c: &'a Ctx<'a>) -> BoxFuture<'a, Vec<Step>> {
    Box::pin(async move {
        let ours = c.aud();
        // A resource beside ours on the same origin (an MCP server next to the API), and one
        // elsewhere: a token the tenant issued for either must not open this one.
        let beside = format!("{}/other-resource", ours.trim_end_matches('/'));
        let elsewhere = "https://other-resource.example/mcp".to_owned();
        run_probes(
            c,
            Level::M,
            vec![
                probe(
                    "resource beside ours",
                    c.tok(|t| t.audience(&beside)),
                    InvalidToken,
                ),
                probe(
                    "resource elsewhere",
                    c.tok(|t| t.audience(&elsewhere)),
                    InvalidToken,
                ),
            ],
        )
        .await
    })
}
