//! Fault injection per endpoint: make discovery, JWKS or the token endpoint fail the way real
//! identity providers do (5xx, slowness, garbage, resets), always or on chosen calls.

use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The endpoints a fault can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `/.well-known/openid-configuration`
    Discovery,
    /// `/.well-known/jwks.json`
    Jwks,
    /// `POST /oauth/token`
    Token,
}

impl Endpoint {
    pub(crate) fn index(self) -> usize {
        match self {
            Endpoint::Discovery => 0,
            Endpoint::Jwks => 1,
            Endpoint::Token => 2,
        }
    }
}

/// What goes wrong. The control API's JSON form (`POST /control/faults`):
/// `{"status": 503}`, `{"delay_ms": 2000}`, `"malformed_body"`, `"drop_connection"`,
/// `{"redirect": {"status": 302, "location": "..."}}`,
/// `{"respond": {"status": 200, "content_type": "text/html", "body": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and a small JSON error body.
    Status(u16),
    /// Wait this long (real time) before answering normally (or failing by another fault).
    #[serde(rename = "delay_ms", with = "delay_ms")]
    Delay(Duration),
    /// 200 with `Content-Type: application/json` and a truncated, unparsable JSON body.
    MalformedBody,
    /// Close the connection without a complete response.
    DropConnection,
    /// Redirect (e.g. 302) to `location`, such as a JWKS on another origin.
    Redirect {
        /// A 3xx status.
        status: u16,
        /// The `Location` value.
        location: String,
    },
    /// Answer with exactly this status, content type and body (HTML pages, `{"keys":{}}`...).
    Respond {
        /// Status code.
        status: u16,
        /// `Content-Type` value.
        content_type: String,
        /// Body text.
        body: String,
    },
}

/// [`Fault::Delay`] in JSON: whole milliseconds.
mod delay_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// When a fault applies, counted in calls to its endpoint (1-based, since tenant start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum When {
    Always,
    Calls(RangeInclusive<usize>),
}

#[derive(Debug, Clone)]
struct Rule {
    endpoint: Endpoint,
    when: When,
    fault: Fault,
}

/// The fault table plus per-endpoint call counters.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    inner: Arc<Mutex<FaultState>>,
}

#[derive(Debug, Default)]
struct FaultState {
    rules: Vec<Rule>,
    calls: [usize; 3],
}

/// Most fault rules kept; adding one more drops the oldest.
pub(crate) const MAX_FAULTS: usize = 256;
/// Most bytes of fault rules kept (bodies and locations); the oldest go first.
pub(crate) const MAX_FAULT_BYTES: usize = 4 << 20;

impl Rule {
    fn footprint(&self) -> usize {
        64 + match &self.fault {
            Fault::Redirect { location, .. } => location.len(),
            Fault::Respond {
                content_type, body, ..
            } => content_type.len() + body.len(),
            _ => 0,
        }
    }
}

impl FaultState {
    /// Adds `rule`, dropping the oldest rules beyond [`MAX_FAULTS`] or [`MAX_FAULT_BYTES`].
    fn push(&mut self, rule: Rule) {
        self.rules.push(rule);
        let bytes = |s: &Self| s.rules.iter().map(Rule::footprint).sum::<usize>();
        while self.rules.len() > MAX_FAULTS
            || (self.rules.len() > 1 && bytes(self) > MAX_FAULT_BYTES)
        {
            self.rules.remove(0);
        }
    }
}

impl Faults {
    fn state(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add(&self, endpoint: Endpoint, when: When, fault: Fault) {
        self.state().push(Rule {
            endpoint,
            when,
            fault,
        });
    }

    /// Registers a fault for the next `n` calls to `endpoint`.
    pub(crate) fn add_next(&self, endpoint: Endpoint, n: usize, fault: Fault) {
        let mut s = self.state();
        let done = s.calls[endpoint.index()];
        s.push(Rule {
            endpoint,
            when: When::Calls(done + 1..=done + n),
            fault,
        });
    }

    pub(crate) fn clear(&self) {
        self.state().rules.clear();
    }

    /// The faults in force, in the order they were added.
    pub(crate) fn list(&self) -> Vec<(Endpoint, When, Fault)> {
        self.state()
            .rules
            .iter()
            .map(|r| (r.endpoint, r.when.clone(), r.fault.clone()))
            .collect()
    }

    /// Counts one call and returns the faults that apply to it, delays first.
    pub(crate) fn on_call(&self, endpoint: Endpoint) -> Vec<Fault> {
        let mut s = self.state();
        s.calls[endpoint.index()] += 1;
        let n = s.calls[endpoint.index()];
        let mut out: Vec<Fault> = s
            .rules
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .filter(|r| match &r.when {
                When::Always => true,
                When::Calls(range) => range.contains(&n),
            })
            .map(|r| r.fault.clone())
            .collect();
        out.sort_by_key(|f| !matches!(f, Fault::Delay(_)));
        out
    }

    pub(crate) fn calls(&self, endpoint: Endpoint) -> usize {
        self.state().calls[endpoint.index()]
    }
}
