//! Tools written by others that some tests check hindsight's output with:
//! Prometheus' `promtool`, Python's `icalendar` and `vobject`. `.ci/run`
//! installs them and sets `HINDSIGHT_REQUIRE_TOOLS`, so in CI a missing tool
//! fails the test; elsewhere the test says on stderr that it could not run
//! that check.

use std::{
    io::Write as _,
    process::{Command, Output, Stdio},
};

/// The Python that has `icalendar` and `vobject`: `HINDSIGHT_TEST_PYTHON`
/// (what `.ci/run` sets), or `python3`.
pub fn python() -> String {
    std::env::var("HINDSIGHT_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Whether `program args` runs and succeeds. When it does not and tools are
/// required, panics naming it.
pub fn available(program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("HINDSIGHT_REQUIRE_TOOLS").is_none(),
            "`{program} {}` is required (HINDSIGHT_REQUIRE_TOOLS) but does not run",
            args.join(" ")
        );
        eprintln!(
            "NOT CHECKED: `{program} {}` does not run here (.ci/run installs it)",
            args.join(" ")
        );
    }
    ok
}

/// Runs `program args` with `input` on standard input.
pub fn run(program: &str, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {program}: {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}
