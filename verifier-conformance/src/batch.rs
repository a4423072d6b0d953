//! Cases that need the target to load keys it has never seen (rotation, JWKS variants), played
//! so that one JWKS refresh serves them all.
//!
//! A verifier refreshes its JWKS on an unknown kid at most once per cooldown (30 s in jose, hence
//! Auth0's Express middleware). Played one by one, each such case waits a cooldown out: minutes.
//! Batched, the tenant publishes every case's keys (and a control key per case) at once under
//! fresh kids; one refresh loads them all, then each case sends its tokens. A batch control
//! token, signed by a key published only in the batch, shows the target loaded this JWKS; a
//! case whose own control is refused (the target dropped its key, or the whole set) is played
//! again alone, last, where it can be told apart from the others. A second refresh serves the
//! rotation cases (a key that must reach a target which already cached the JWKS: on a cold
//! target the first refresh is its first fetch) and the cases that check what happens once their
//! keys are withdrawn.
//!
//! Waiting is optimistic ([`Ctx::fetching`]): a request that should make the target fetch is
//! sent at once, and only when the tenant saw no fetch does the runner wait out the cooldown and
//! send it again.

use serde_json::Value;

use super::catalog::{Ctx, KeySet, Probe, Step, probe, run_probes};
use super::verdict::{Expect, Grade, Level};
use mock_idp::SigningKey;

/// One case of a batch: its index in the run, level, key set and control key.
pub(crate) struct Member {
    /// Index of the case in the catalog being run.
    pub(crate) index: usize,
    /// Its level.
    pub(crate) level: Level,
    /// What it publishes and sends.
    pub(crate) set: KeySet,
    control: Option<SigningKey>,
}

impl Member {
    pub(crate) fn new(c: &Ctx<'_>, index: usize, level: Level, set: KeySet) -> Member {
        let control = set.control.then(|| c.fresh_key("control", 2));
        Member {
            index,
            level,
            set,
            control,
        }
    }

    fn published(&self) -> Vec<Value> {
        let mut keys: Vec<Value> = self.control.iter().map(SigningKey::public_jwk).collect();
        keys.extend(self.set.keys.iter().cloned());
        keys
    }
}

/// The steps of one member, or `None` when it must be played again alone.
pub(crate) type Played = (usize, Option<Vec<Step>>);

/// Plays `members` on one JWKS refresh (and one more for rotation members and those with
/// `withdrawn` probes). Members the batch could not grade come back with `None`.
pub(crate) async fn play_batch(c: &Ctx<'_>, members: Vec<Member>) -> Vec<Played> {
    if members.is_empty() {
        return Vec::new();
    }
    let (rotations, loads): (Vec<Member>, Vec<Member>) =
        members.into_iter().partition(|m| m.set.rotation);

    // First refresh: every variant key, and a batch control key.
    let batch_key = c.fresh_key("batch", 2);
    let mut extra = vec![batch_key.public_jwk()];
    for m in &loads {
        extra.extend(m.published());
    }
    c.set_jwks_with(extra);
    let batch_token = c.signed_by(&batch_key).build();
    let loaded = c
        .fetching(|| {
            c.check(
                Level::S,
                probe("batch control", c.bearer(&batch_token), Expect::Accept),
            )
        })
        .await;
    if !loaded.grade.is_ok() {
        c.restore();
        return loads
            .into_iter()
            .chain(rotations)
            .map(|m| (m.index, None))
            .collect();
    }
    let mut out: Vec<(Member, Option<Vec<Step>>)> = Vec::new();
    for m in loads {
        let mut steps = Vec::new();
        if let Some(k) = &m.control {
            let control = check_control(c, k).await;
            if !control.grade.is_ok() {
                out.push((m, None));
                continue;
            }
            steps.push(control);
        }
        steps.extend(run_probes(c, m.level, m.set.probes.clone()).await);
        out.push((m, Some(steps)));
    }

    // Second refresh: the keys above withdrawn, the rotation keys published. A rotation
    // member's own token is what makes the target refresh, as in a real rotation.
    c.restore();
    let rotated: Vec<Value> = rotations.iter().flat_map(Member::published).collect();
    if !rotated.is_empty() {
        c.set_jwks_with(rotated);
    }
    let before = c.tenant.journal().jwks_fetches();
    for m in rotations {
        let steps = play_fetching(c, &m).await.ok();
        out.push((m, steps));
    }
    let withdrawing = out
        .iter()
        .any(|(m, s)| s.is_some() && !m.set.withdrawn.is_empty());
    if withdrawing {
        let refreshed = c.tenant.journal().jwks_fetches() > before;
        let (nudge, fetched) = nudge(c, !refreshed).await;
        let refreshed = refreshed || fetched;
        for (m, steps) in &mut out {
            if let Some(steps) = steps.as_mut().filter(|_| !m.set.withdrawn.is_empty()) {
                steps.push(nudge.clone());
                steps.extend(withdrawn(c, m.level, &m.set.withdrawn, refreshed).await);
            }
        }
    }
    c.restore();
    out.into_iter()
        .map(|(m, steps)| {
            let steps = steps.map(|mut s| {
                if let Some(review) = m.set.review {
                    review(&mut s);
                }
                s
            });
            (m.index, steps)
        })
        .collect()
}

/// Plays one member on refreshes of its own: the fallback for members a batch could not grade.
pub(crate) async fn play_alone(c: &Ctx<'_>, m: Member) -> Vec<Step> {
    c.set_jwks_with(m.published());
    let mut steps = match play_fetching(c, &m).await {
        Ok(steps) => steps,
        Err(control) => {
            c.restore();
            return vec![Step::note(
                "control",
                Grade::Skip(format!(
                    "target did not pick up a key published under a new kid ({}); without a \
                     JWKS refresh on an unknown kid this case cannot be observed",
                    control
                        .observed
                        .as_ref()
                        .map(|o| o.summary())
                        .unwrap_or_default()
                )),
            )];
        }
    };
    c.restore();
    if !m.set.withdrawn.is_empty() {
        if !steps.iter().all(|s| s.grade.is_ok()) {
            return vec![Step::note(
                "setup",
                Grade::Skip("target did not pick up a newly published key (see KEY-02)".into()),
            )];
        }
        let (nudge, refreshed) = nudge(c, true).await;
        steps.push(nudge);
        steps.extend(withdrawn(c, m.level, &m.set.withdrawn, refreshed).await);
    }
    if let Some(review) = m.set.review {
        review(&mut steps);
    }
    steps
}

/// Sends a member's requests, once its keys are published. The first (its control, else its
/// first probe) is the one that makes the target fetch them, so it goes through
/// [`Ctx::fetching`]. `Err` with the control step when the control is refused.
async fn play_fetching(c: &Ctx<'_>, m: &Member) -> Result<Vec<Step>, Step> {
    let mut steps = Vec::new();
    let mut probes = m.set.probes.iter().cloned();
    if let Some(k) = &m.control {
        let control = c.fetching(|| check_control(c, k)).await;
        if !control.grade.is_ok() {
            return Err(control);
        }
        steps.push(control);
    } else if let Some(first) = probes.next() {
        steps.push(c.fetching(|| c.check(m.level, first.clone())).await);
    }
    steps.extend(run_probes(c, m.level, probes.collect()).await);
    Ok(steps)
}

/// The control token of a member: signed by a good key published with its variant keys.
async fn check_control(c: &Ctx<'_>, k: &SigningKey) -> Step {
    // Graded at S whatever the case's level: an informational case must not turn a control
    // failure into "info" and go on to grade a JWKS the target never loaded.
    c.check(
        Level::S,
        probe(
            "control (fresh published kid)",
            c.bearer(&c.signed_by(k).build()),
            Expect::Accept,
        ),
    )
    .await
}

/// A token under a kid no one published: it makes the target refresh its JWKS, so withdrawn
/// keys are seen to be gone without waiting out the cache lifetime. With `wait`, a cooldown is
/// waited out if the target does not fetch at once; without, the target has just refreshed.
/// Also whether the target fetched.
async fn nudge(c: &Ctx<'_>, wait: bool) -> (Step, bool) {
    let before = c.tenant.journal().jwks_fetches();
    let send = || {
        let kid = c.fresh_kid("nudge");
        c.check(
            Level::S,
            probe(
                "unknown kid (forces a refresh)",
                c.tok(|t| t.kid(&kid)),
                Expect::InvalidToken,
            ),
        )
    };
    let step = if wait {
        c.fetching(send).await
    } else {
        send().await
    };
    (step, c.tenant.journal().jwks_fetches() > before)
}

/// The probes sent once keys are withdrawn, when the target did refresh: without a refresh a
/// withdrawn key still in its cache says nothing about how it handles removal.
async fn withdrawn(c: &Ctx<'_>, level: Level, probes: &[Probe], refreshed: bool) -> Vec<Step> {
    if refreshed {
        return run_probes(c, level, probes.to_vec()).await;
    }
    vec![Step::note(
        "withdrawal",
        Grade::Skip(
            "the target did not fetch its JWKS again on an unknown kid (a refresh cooldown? give \
             --jwks-cooldown-ms), so a removed key cannot be told from a cached one"
                .into(),
        ),
    )]
}
