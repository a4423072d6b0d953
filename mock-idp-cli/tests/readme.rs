//! `mock-idp-cli/README.md` states each command's flags as the binary prints them: the blocks
//! between `<!-- help: CMD -->` and `<!-- /help -->` are `mock-idp CMD -h`, generated from clap.
//! A flag added, renamed or documented differently fails this test until the README follows
//! (`UPDATE_README=1 cargo test -p mock-idp-cli --test cli readme` rewrites the blocks).

use std::process::Command;

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");

/// The commands whose help the README carries (`conformance` is documented with its crate).
const COMMANDS: &[&str] = &[
    "",
    "serve",
    "healthcheck",
    "token",
    "proof",
    "init",
    "ca",
    "import",
    "export",
    "otp",
];

fn short_help(command: &str) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mock-idp"));
    // Values of `env` flags would show in the help.
    c.env_remove("MOCK_IDP_STATE_DIR")
        .env_remove("MOCK_IDP_ADMIN_SECRET");
    if !command.is_empty() {
        c.arg(command);
    }
    let out = c.arg("-h").output().unwrap();
    assert!(out.status.success(), "mock-idp {command} -h");
    String::from_utf8(out.stdout).unwrap()
}

/// The README with every help block regenerated.
fn regenerated(readme: &str) -> String {
    let mut text = readme.to_owned();
    for command in COMMANDS {
        let label = if command.is_empty() {
            "mock-idp"
        } else {
            command
        };
        let open = format!("<!-- help: {label} -->\n");
        let start = text
            .find(&open)
            .unwrap_or_else(|| panic!("README has no `{}` block for {label}", open.trim()))
            + open.len();
        let end = start
            + text[start..]
                .find("<!-- /help -->")
                .expect("every help block ends with <!-- /help -->");
        let block = format!("```text\n{}```\n", short_help(command));
        text.replace_range(start..end, &block);
    }
    text
}

#[test]
fn readme_flag_lists_are_the_binarys_help() {
    let readme = std::fs::read_to_string(README).unwrap();
    let fresh = regenerated(&readme);
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(README, &fresh).unwrap();
        return;
    }
    assert!(
        readme == fresh,
        "mock-idp-cli/README.md's help blocks differ from the binary's `-h`: run \
         UPDATE_README=1 cargo test -p mock-idp-cli --test cli readme"
    );
}
