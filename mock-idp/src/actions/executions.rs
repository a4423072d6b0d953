//! The last Action executions, for the journal handle and the Test page: bounded to
//! [`MAX_EXECUTIONS`] entries, each message, log line and dropped claim capped at
//! [`MAX_MESSAGE`] bytes and at [`MAX_LINES`] lines of each, the oldest going first.

use std::collections::VecDeque;
use std::sync::Mutex;

/// How many executions are kept.
pub(crate) const MAX_EXECUTIONS: usize = 200;
/// Longest message, log line or dropped-claim note kept (bytes).
pub(crate) const MAX_MESSAGE: usize = 1024;
/// Most log lines and dropped-claim notes kept per execution.
pub(crate) const MAX_LINES: usize = 20;

/// One execution of one Action, as the journal shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActionExecution {
    /// The Action's name.
    pub action: String,
    /// `post-login` or `credentials-exchange`.
    pub trigger: String,
    /// `ok`, `denied`, or `failed` (threw, timed out, returned a value, crashed the worker,
    /// called what mock-idp does not support).
    pub outcome: String,
    /// Why it failed or denied; empty when it succeeded.
    pub message: String,
    /// Custom claims it set that Auth0 drops (restricted names or namespaces), each with the
    /// reason.
    pub dropped_claims: Vec<String>,
    /// What it wrote with `console.log`.
    pub logs: Vec<String>,
    /// How long the execution took, in microseconds.
    pub micros: u64,
}

/// Cuts `s` to [`MAX_MESSAGE`] bytes (on a character boundary), marking the cut with `…`.
fn cap(s: &mut String) {
    if s.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
}

/// The bounded log.
#[derive(Debug, Default)]
pub(crate) struct Executions(Mutex<VecDeque<ActionExecution>>);

impl Executions {
    pub(crate) fn record(&self, mut e: ActionExecution) {
        cap(&mut e.message);
        // The worker caps log lines too; the bound holds here whatever it sends.
        for lines in [&mut e.logs, &mut e.dropped_claims] {
            lines.truncate(MAX_LINES);
            lines.iter_mut().for_each(cap);
        }
        let mut q = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() >= MAX_EXECUTIONS {
            q.pop_front();
        }
        q.push_back(e);
    }

    /// Oldest first.
    pub(crate) fn all(&self) -> Vec<ActionExecution> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries and bytes: 200 executions, each within 41 fields of at most 1 KiB (+ `…`).
    #[test]
    fn the_log_is_bounded_in_entries_and_bytes() {
        let log = Executions::default();
        let long = "é".repeat(5_000);
        for _ in 0..MAX_EXECUTIONS + 5 {
            log.record(ActionExecution {
                action: "a".into(),
                trigger: "post-login".into(),
                outcome: "failed".into(),
                message: long.clone(),
                dropped_claims: vec![long.clone(); 50],
                logs: vec![long.clone(); 50],
                micros: 1,
            });
        }
        let all = log.all();
        assert_eq!(all.len(), MAX_EXECUTIONS);
        let e = &all[0];
        assert_eq!(
            (e.logs.len(), e.dropped_claims.len()),
            (MAX_LINES, MAX_LINES)
        );
        let fields = std::iter::once(&e.message)
            .chain(&e.logs)
            .chain(&e.dropped_claims);
        for f in fields {
            assert_eq!(f.len(), MAX_MESSAGE + '…'.len_utf8(), "{}", f.len());
        }
    }
}
