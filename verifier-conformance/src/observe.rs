//! Sends one request to the target and records what came back: status, challenges, error
//! code (from the challenge, else from a JSON body), the headers cases look at, and the body.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::challenge::{Challenge, parse_challenges};

/// A request as a case describes it, relative to the target's base URL.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    /// HTTP method.
    pub method: String,
    /// Path and query (`/api/private?x=1`).
    pub path: String,
    /// Header fields in order; a name may repeat. Values are bytes: some cases send obs-text.
    #[serde(serialize_with = "headers_as_text")]
    pub headers: Vec<(String, Vec<u8>)>,
    /// Body bytes with its content type.
    #[serde(skip)]
    pub body: Option<(String, Vec<u8>)>,
    /// Send header names in Title-Case (`Dpop`) instead of lower case.
    #[serde(skip)]
    pub title_case: bool,
}

fn headers_as_text<S: serde::Serializer>(h: &[(String, Vec<u8>)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq as _;
    let mut seq = s.serialize_seq(Some(h.len()))?;
    for (n, v) in h {
        seq.serialize_element(&format!(
            "{n}: {}",
            shorten(&String::from_utf8_lossy(v), 120)
        ))?;
    }
    seq.end()
}

/// `s` cut to `max` chars with an ellipsis (tokens are long).
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

impl Request {
    /// `GET path` with no headers.
    pub fn get(path: impl Into<String>) -> Self {
        Request {
            method: "GET".into(),
            path: path.into(),
            headers: Vec::new(),
            body: None,
            title_case: false,
        }
    }

    /// Adds a header field (repeats allowed).
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Sets the method.
    pub fn method(mut self, m: &str) -> Self {
        self.method = m.to_owned();
        self
    }

    /// Sets a body.
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some((content_type.to_owned(), body.into()));
        self
    }

    /// One line for reports.
    pub fn summary(&self) -> String {
        let mut s = format!("{} {}", self.method, shorten(&self.path, 60));
        for (n, v) in &self.headers {
            s.push_str(&format!(
                " | {n}: {}",
                shorten(&String::from_utf8_lossy(v), 40)
            ));
        }
        s
    }
}

/// What the target answered.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Observation {
    /// HTTP status; 0 when no response arrived.
    pub status: u16,
    /// Why no response arrived (connection reset, timeout...).
    pub transport_error: Option<String>,
    /// Raw `WWW-Authenticate` field values.
    pub www_authenticate: Vec<String>,
    /// The parsed challenges (empty if absent or unparsable).
    pub challenges: Vec<Challenge>,
    /// Why the challenges did not parse.
    pub challenge_error: Option<String>,
    /// The error code: the first challenge `error`, else a JSON body `error`.
    pub error: Option<String>,
    /// The scheme of the challenge carrying `error` (None when it came from the body).
    pub error_scheme: Option<String>,
    /// `DPoP-Nonce` field values.
    pub dpop_nonce: Vec<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Access-Control-Expose-Headers`.
    pub expose_headers: Option<String>,
    /// Every response header name (for injection checks).
    pub header_names: Vec<String>,
    /// Body (first 2 KiB).
    pub body: String,
    /// Round trip.
    pub elapsed_ms: u64,
}

impl Observation {
    /// One line for reports.
    pub fn summary(&self) -> String {
        if let Some(e) = &self.transport_error {
            return format!("no response ({e})");
        }
        let mut s = self.status.to_string();
        if let Some(e) = &self.error {
            s.push(' ');
            s.push_str(e);
        }
        if !self.www_authenticate.is_empty() {
            s.push_str(&format!(
                " [{}]",
                shorten(&self.www_authenticate.join(" / "), 160)
            ));
        }
        s
    }

    /// The challenge carrying `error`, if any.
    pub fn error_challenge(&self) -> Option<&Challenge> {
        self.challenges.iter().find(|c| c.param("error").is_some())
    }
}

/// Builds the HTTP clients the runner uses: no redirects (a verifier's 30x is an answer),
/// no proxies, bounded time.
pub(crate) fn clients(
    timeout: Duration,
) -> Result<(reqwest::Client, reqwest::Client), reqwest::Error> {
    let base = || {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
    };
    Ok((base().build()?, base().http1_title_case_headers().build()?))
}

/// Sends `req` to `base_url` and records the answer. Never fails: transport errors are
/// observations too (an oversized header may legitimately close the connection).
pub(crate) async fn send(
    client: &reqwest::Client,
    title_client: &reqwest::Client,
    base_url: &str,
    req: &Request,
) -> Observation {
    let started = Instant::now();
    let mut obs = Observation::default();
    let url = format!("{base_url}{}", req.path);
    let method = match reqwest::Method::from_bytes(req.method.as_bytes()) {
        Ok(m) => m,
        Err(e) => {
            obs.transport_error = Some(format!("bad method: {e}"));
            return obs;
        }
    };
    let client = if req.title_case { title_client } else { client };
    let mut headers = reqwest::header::HeaderMap::new();
    for (n, v) in &req.headers {
        let name = match reqwest::header::HeaderName::from_bytes(n.as_bytes()) {
            Ok(n) => n,
            Err(e) => {
                obs.transport_error = Some(format!("bad header name {n}: {e}"));
                return obs;
            }
        };
        let value = match reqwest::header::HeaderValue::from_bytes(v) {
            Ok(v) => v,
            Err(e) => {
                obs.transport_error = Some(format!("header {n} not sendable: {e}"));
                return obs;
            }
        };
        headers.append(name, value);
    }
    let mut rb = client.request(method, &url).headers(headers);
    if let Some((ct, body)) = &req.body {
        rb = rb.header("content-type", ct.as_str()).body(body.clone());
    }
    let res = match rb.send().await {
        Ok(r) => r,
        Err(e) => {
            obs.transport_error = Some(error_chain(&e));
            obs.elapsed_ms = elapsed_ms(started);
            return obs;
        }
    };
    obs.status = res.status().as_u16();
    let h = res.headers();
    let all = |name: &str| -> Vec<String> {
        h.get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    };
    obs.www_authenticate = all("www-authenticate");
    obs.dpop_nonce = all("dpop-nonce");
    obs.cache_control = all("cache-control").into_iter().next();
    obs.expose_headers = all("access-control-expose-headers").into_iter().next();
    obs.header_names = h.keys().map(|k| k.as_str().to_owned()).collect();
    if !obs.www_authenticate.is_empty() {
        match parse_challenges(&obs.www_authenticate) {
            Ok(c) => obs.challenges = c,
            Err(e) => obs.challenge_error = Some(e.to_string()),
        }
    }
    let body = res.bytes().await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body[..body.len().min(2048)]).into_owned();
    let from_challenge = obs
        .error_challenge()
        .map(|c| (c.param("error").map(str::to_owned), c.scheme.clone()));
    if let Some((error, scheme)) = from_challenge {
        obs.error = error;
        obs.error_scheme = Some(scheme);
    } else if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
        obs.error = v.get("error").and_then(|e| e.as_str()).map(str::to_owned);
    }
    obs.body = text;
    obs.elapsed_ms = elapsed_ms(started);
    obs
}

fn elapsed_ms(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}
