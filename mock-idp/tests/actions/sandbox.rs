//! The attacker: an Action that reaches for the network, the file system, child processes and
//! the worker's `process`. Each attempt's outcome is put in a claim and must be a refusal. The
//! Action runs in a `vm` context of its own (no `process`, no `require` of I/O modules, no
//! `fetch`), inside a process with Node's permission model on (no file system, no child
//! processes) and outgoing connections refused; what escapes the context through a built-in
//! module meets the process's limits.

use serde_json::{Value, json};

use super::*;

const ATTACKER: &str = r#"
const attempt = (f) => { try { const r = f(); return r === undefined ? 'undefined' : 'GOT ' + typeof r; } catch (e) { return 'refused: ' + (e.code ? e.code + ' ' : '') + e.message; } };
const attemptAsync = async (f) => { try { await f(); return 'GOT'; } catch (e) { return 'refused: ' + e.message; } };
exports.onExecuteCredentialsExchange = async (event, api) => {
  const out = {};
  out.require_fs = attempt(() => require('fs'));
  out.require_http = attempt(() => require('http'));
  out.require_net = attempt(() => require('node:net'));
  out.require_child = attempt(() => require('child_process'));
  out.process_global = typeof process;
  out.fetch_global = typeof fetch;
  out.constructor_escape = attempt(() => this.constructor.constructor('return process')());
  out.event_escape = attempt(() => event.constructor.constructor('return process')());
  out.api_escape = attempt(() => api.constructor.constructor('return process')());
  out.function_escape = attempt(() => Function('return typeof process === "undefined" ? undefined : process')());
  // Through a built-in module the context may require, the host realm is reachable: the
  // process's own limits must hold there.
  const hostFunction = require('crypto').constructor.constructor;
  const hostProcess = hostFunction('return process')();
  out.escaped_process = typeof hostProcess;
  out.escaped_env = Object.keys(hostProcess.env).join(',');
  out.escaped_require = hostFunction('return typeof require')();
  out.escaped_binding = attempt(() => hostProcess.binding('fs'));
  out.escaped_tcp = attempt(() => hostProcess.binding('tcp_wrap'));
  out.escaped_dlopen = attempt(() => hostProcess.dlopen({ exports: {} }, '/nonexistent.node'));
  out.escaped_fetch = await attemptAsync(() => hostFunction('return fetch')()('http://127.0.0.1:9/'));
  api.accessToken.setCustomClaim('https://example.com/attempts', out);
};
"#;

#[tokio::test]
async fn an_action_cannot_reach_the_network_the_file_system_or_processes() {
    if !node_available() {
        return;
    }
    let tenant = tenant(vec![credentials_exchange("attacker", ATTACKER)]).await;
    let (status, body) = client_credentials(&tenant).await;
    assert_eq!(status, 200, "{body}");
    let out = claims(&body, "access_token")["https://example.com/attempts"].clone();
    let refused = |k: &str| {
        let v = out[k].as_str().unwrap_or_else(|| panic!("{k}: {out}"));
        assert!(v.starts_with("refused: "), "{k}: {v}");
        v.to_owned()
    };
    for k in ["require_fs", "require_http", "require_net", "require_child"] {
        assert!(
            refused(k).contains("not a declared dependency of this Action"),
            "{k}: {out}"
        );
    }
    assert_eq!(out["process_global"], "undefined");
    assert_eq!(out["fetch_global"], "undefined");
    // The context's own Function finds no `process`.
    for k in ["constructor_escape", "event_escape", "api_escape"] {
        assert!(refused(k).contains("process is not defined"), "{k}: {out}");
    }
    assert_eq!(out["function_escape"], "undefined");
    // Escaped through `crypto`: the process has no environment and no `require`; its native
    // bindings are refused by the permission model, its fetch by the worker.
    assert_eq!(out["escaped_process"], "object");
    assert_eq!(out["escaped_env"], json!(""));
    assert_eq!(out["escaped_require"], "undefined");
    for k in ["escaped_binding", "escaped_tcp", "escaped_dlopen"] {
        let v = refused(k);
        assert!(
            v.starts_with("refused: ERR_ACCESS_DENIED ")
                || v.starts_with("refused: ERR_DLOPEN_DISABLED "),
            "{k}: {v}"
        );
    }
    assert_eq!(
        out["escaped_fetch"],
        "refused: network access is disabled in mock-idp Actions"
    );
    let _: &Value = &out;
}
