//! The report as one self-contained HTML page (`--html FILE`): no external asset, so it can be
//! mailed or attached to a CI run. A summary by verdict class and by group, the wrongly
//! accepted cases, then every case with its RFC source and, per step, the exact request sent
//! (headers, the token and proof decoded) and what came back.
//!
//! Every case is a `<details>` element (failed ones open), so the page reads with JavaScript
//! off; a few lines of inline script only add filters by class, level and group.

use std::fmt::Write as _;

use base64::Engine as _;

use super::catalog::{Group, Step};
use super::class::Class;
use super::observe::{Observation, Request};
use super::report::{CaseResult, Report};
use super::verdict::{Grade, Level};

/// Longest header value shown in full; longer ones (oversized-header cases) are cut.
const MAX_VALUE: usize = 4096;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#1d1d1f}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
pre{background:#f5f5f7;padding:.5em;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:.3em 0}
details.case{border:1px solid #ddd;border-radius:4px;margin:.3em 0;padding:.2em .6em}
details.case>summary{cursor:pointer}
.id{font-family:monospace;font-weight:600}.lvl{font-family:monospace;color:#555}
.grade{font-family:monospace;font-weight:600;padding:0 .3em;border-radius:3px}
.g-pass{background:#d9f2dd}.g-fail{background:#f8d3d3}.g-tol{background:#fdf0c8}.g-skip,.g-info{background:#e8e8ed}
.accepted{color:#a00;font-weight:600}.refused{color:#a05a00;font-weight:600}.form{color:#555}
.step{border-top:1px dashed #ddd;padding:.3em 0}
#filters label{margin-right:1em}
";

const SCRIPT: &str = "
(function(){
  var f=document.getElementById('filters');f.hidden=false;
  var sel=function(n){return document.getElementById('f-'+n).value;};
  function apply(){
    var c=sel('class'),l=sel('level'),g=sel('group'),shown=0;
    document.querySelectorAll('details.case').forEach(function(d){
      var ok=(c===''||d.dataset.class===c||(c==='failed'&&d.dataset.grade==='fail'))
        &&(l===''||d.dataset.level===l)&&(g===''||d.dataset.group===g);
      d.hidden=!ok;if(ok)shown++;
    });
    document.getElementById('shown').textContent=shown+' case(s) shown';
  }
  f.addEventListener('change',apply);apply();
})();
";

/// HTML text and attribute escaping.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn grade_tag(g: &Grade) -> (&'static str, &'static str) {
    match g {
        Grade::Pass => ("pass", "PASS"),
        Grade::Tolerated(_) => ("tol", "TOL"),
        Grade::Fail(_) => ("fail", "FAIL"),
        Grade::Skip(_) => ("skip", "SKIP"),
        Grade::Info(_) => ("info", "INFO"),
    }
}

impl Report {
    /// The report as one self-contained HTML page.
    pub fn to_html(&self) -> String {
        let mut s = String::with_capacity(256 * 1024);
        let title = format!("Conformance of {}", self.target.base_url);
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>\
             <style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<p>Issuer {} · {} cases · {} ms</p>\n",
            esc(&title),
            esc(&title),
            esc(&self.issuer),
            self.results.len(),
            self.elapsed_ms
        );
        self.html_classes(&mut s);
        self.html_accepted(&mut s);
        self.html_groups(&mut s);
        html_filters(&mut s);
        s.push_str("<h2>Cases</h2>\n<div id=\"cases\">\n");
        for r in &self.results {
            html_case(&mut s, r);
        }
        let _ = write!(s, "</div>\n<script>{SCRIPT}</script>\n</body></html>\n");
        s
    }

    fn html_classes(&self, s: &mut String) {
        s.push_str(
            "<h2 id=\"summary\">Failures by class</h2>\n<table id=\"classes\"><tr><th>class</th>",
        );
        for l in Level::ALL {
            let _ = write!(s, "<th>{}</th>", l.as_str());
        }
        s.push_str("<th>total</th></tr>\n");
        for c in Class::ALL {
            let _ = write!(
                s,
                "<tr data-class=\"{}\"><td class=\"{}\">{}</td>",
                c.name(),
                c.name(),
                esc(c.title())
            );
            for l in Level::ALL {
                let _ = write!(s, "<td>{}</td>", self.class_count(c, l));
            }
            let _ = writeln!(s, "<td>{}</td></tr>", self.in_class(c).len());
        }
        s.push_str("</table>\n");
    }

    fn html_accepted(&self, s: &mut String) {
        let accepted = self.in_class(Class::WronglyAccepted);
        let _ = writeln!(
            s,
            "<h2 id=\"accepted\">Wrongly accepted ({})</h2>",
            accepted.len()
        );
        if accepted.is_empty() {
            s.push_str("<p>No token or proof that must be refused got through.</p>\n");
            return;
        }
        s.push_str("<ul>\n");
        for r in accepted {
            let _ = writeln!(
                s,
                "<li><a href=\"#case-{id}\" class=\"id\">{id}</a> <span class=\"lvl\">{}</span> \
                 {} ({}): {}</li>",
                r.level.as_str(),
                esc(&r.title),
                esc(&r.source),
                esc(&r.finding()),
                id = esc(&r.id),
            );
        }
        s.push_str("</ul>\n");
    }

    fn html_groups(&self, s: &mut String) {
        s.push_str(
            "<h2>By group</h2>\n<table id=\"groups\"><tr><th>group</th><th>cases</th>\
             <th>pass</th><th>tol</th><th>fail</th><th>skip</th><th>info</th></tr>\n",
        );
        for g in Group::ALL {
            let t = self.group(g);
            if t.total() == 0 {
                continue;
            }
            let _ = writeln!(
                s,
                "<tr><td>{} <small>{}</small></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td></tr>",
                g.as_str(),
                esc(g.title()),
                t.total(),
                t.pass,
                t.tolerated,
                t.fail,
                t.skip,
                t.info
            );
        }
        s.push_str("</table>\n");
    }
}

/// The filter form: hidden until the script shows it, so a page without JavaScript does not
/// offer controls that do nothing.
fn html_filters(s: &mut String) {
    s.push_str(
        "<form id=\"filters\" hidden><label>class <select id=\"f-class\"><option value=\"\">all</option>\
         <option value=\"failed\">any failure</option>",
    );
    for c in Class::ALL {
        let _ = write!(
            s,
            "<option value=\"{}\">{}</option>",
            c.name(),
            esc(c.title())
        );
    }
    s.push_str(
        "</select></label><label>level <select id=\"f-level\"><option value=\"\">all</option>",
    );
    for l in Level::ALL {
        let _ = write!(s, "<option value=\"{0}\">{0}</option>", l.as_str());
    }
    s.push_str(
        "</select></label><label>group <select id=\"f-group\"><option value=\"\">all</option>",
    );
    for g in Group::ALL {
        let _ = write!(s, "<option value=\"{0}\">{0}</option>", g.as_str());
    }
    s.push_str("</select></label> <span id=\"shown\"></span></form>\n");
}

fn html_case(s: &mut String, r: &CaseResult) {
    let (gclass, glabel) = grade_tag(&r.grade);
    let class = r.class.map_or("", Class::name);
    let _ = write!(
        s,
        "<details class=\"case\" id=\"case-{id}\" data-class=\"{class}\" data-level=\"{lvl}\" \
         data-group=\"{grp}\" data-grade=\"{gclass}\"{open}><summary><span class=\"id\">{id}</span> \
         <span class=\"lvl\">{lvl}</span> <span class=\"grade g-{gclass}\">{glabel}</span> ",
        id = esc(&r.id),
        lvl = r.level.as_str(),
        grp = r.group.as_str(),
        open = if gclass == "fail" { " open" } else { "" },
    );
    if let Some(c) = r.class {
        let _ = write!(s, "<span class=\"{}\">{}</span> ", c.name(), esc(c.title()));
    }
    let _ = writeln!(
        s,
        "{}</summary>\n<p>Source: {}</p>",
        esc(&r.title),
        esc(&r.source)
    );
    if !r.grade.note().is_empty() {
        let _ = writeln!(s, "<p>{}</p>", esc(&r.note()));
    }
    for step in &r.steps {
        html_step(s, step);
    }
    s.push_str("</details>\n");
}

fn html_step(s: &mut String, step: &Step) {
    let (gclass, glabel) = grade_tag(&step.grade);
    let _ = write!(
        s,
        "<div class=\"step\"><b>{}</b> <span class=\"grade g-{gclass}\">{glabel}</span>",
        esc(&step.label)
    );
    if let Some(c) = step.class {
        let _ = write!(s, " <span class=\"{}\">{}</span>", c.name(), esc(c.title()));
    }
    if !step.grade.note().is_empty() {
        let _ = write!(s, " {}", esc(step.grade.note()));
    }
    s.push('\n');
    if !step.expected.is_empty() {
        let _ = writeln!(s, "<div>Expected: {}</div>", esc(&step.expected));
    }
    match &step.sent {
        Some(req) => html_request(s, req),
        None if !step.request.is_empty() => {
            let _ = writeln!(s, "<div>Request</div><pre>{}</pre>", esc(&step.request));
        }
        None => {}
    }
    if let Some(o) = &step.observed {
        html_response(s, o);
    }
    s.push_str("</div>\n");
}

fn html_request(s: &mut String, req: &Request) {
    let mut text = format!("{} {}\n", req.method, req.path);
    let mut decoded = Vec::new();
    for (name, value) in &req.headers {
        let v = String::from_utf8_lossy(value);
        let _ = writeln!(text, "{name}: {}", cut(&v));
        let jws = match name.to_ascii_lowercase().as_str() {
            "authorization" => v.split_once(' ').map(|(_, t)| t.trim().to_owned()),
            "dpop" => Some(v.trim().to_owned()),
            _ => None,
        };
        if let Some(d) = jws.as_deref().and_then(decode_jws) {
            decoded.push((name.clone(), d));
        }
    }
    if let Some((ct, body)) = &req.body {
        let _ = write!(
            text,
            "content-type: {ct}\n\n{}",
            cut(&String::from_utf8_lossy(body))
        );
    }
    let _ = writeln!(s, "<div>Request</div><pre>{}</pre>", esc(&text));
    for (name, d) in decoded {
        let _ = writeln!(
            s,
            "<div>{} decoded (header . payload)</div><pre>{}</pre>",
            esc(&name),
            esc(&d)
        );
    }
}

fn html_response(s: &mut String, o: &Observation) {
    let mut text = match &o.transport_error {
        Some(e) => format!("no response: {e}\n"),
        None => format!("{}\n", o.status),
    };
    for w in &o.www_authenticate {
        let _ = writeln!(text, "www-authenticate: {w}");
    }
    for n in &o.dpop_nonce {
        let _ = writeln!(text, "dpop-nonce: {n}");
    }
    if !o.body.is_empty() {
        let _ = write!(text, "\n{}", o.body);
    }
    let _ = writeln!(
        s,
        "<div>Response ({} ms)</div><pre>{}</pre>",
        o.elapsed_ms,
        esc(&text)
    );
}

/// `s` cut to [`MAX_VALUE`] characters, saying how long it was.
fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_VALUE {
        s.to_owned()
    } else {
        let head: String = s.chars().take(MAX_VALUE).collect();
        format!("{head}… ({} bytes in all)", s.len())
    }
}

/// The header and payload of a compact JWS, pretty-printed; None when it is not one.
fn decode_jws(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (h, p) = (parts.next()?, parts.next()?);
    let json = |seg: &str| -> Option<String> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(seg.trim_end_matches('='))
            .ok()?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        serde_json::to_string_pretty(&v).ok()
    };
    Some(format!("{}\n.\n{}", json(h)?, cut(&json(p)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_tokens_decoded() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let p = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"sub":"<x>"}"#);
        let d = decode_jws(&format!("{h}.{p}.")).unwrap();
        assert_eq!(d, "{\n  \"alg\": \"none\"\n}\n.\n{\n  \"sub\": \"<x>\"\n}");
        assert_eq!(decode_jws("not-a-token"), None);
        assert_eq!(decode_jws("a.b.c"), None);
    }
}
