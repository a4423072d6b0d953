//! The last Action executions, for the journal handle and the Test page: bounded to
//! [`MAX_EXECUTIONS`] entries, each message capped, the oldest going first.

use std::collections::VecDeque;
use std::sync::Mutex;

/// How many executions are kept.
pub(crate) const MAX_EXECUTIONS: usize = 200;
/// Longest message kept (bytes).
const MAX_MESSAGE: usize = 1024;

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

/// The bounded log.
#[derive(Debug, Default)]
pub(crate) struct Executions(Mutex<VecDeque<ActionExecution>>);

impl Executions {
    pub(crate) fn record(&self, mut e: ActionExecution) {
        if e.message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !e.message.is_char_boundary(cut) {
                cut -= 1;
            }
            e.message.truncate(cut);
            e.message.push('…');
        }
        e.logs.truncate(20);
        e.dropped_claims.truncate(20);
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
