//! Fuzzes the template reader (SAM and CloudFormation, YAML and JSON): it reads files users
//! did not write for us.
//!
//! Input: the template's text (lossily UTF-8). Properties: no panic, no hang; a refusal is a
//! config error that names the template and starts with a line within it (or one past its
//! end, where an unclosed value is noticed), so every message points where a user can look.

#![no_main]

use lambda_test::Error;
use lambda_test::config::Config;
use libfuzzer_sys::fuzz_target;

const PATH: &str = "/fuzz/template.yaml";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Config::parse_template(&text, PATH.as_ref()) {
        Ok(config) => {
            for name in config.functions.keys() {
                assert!(!name.is_empty());
            }
        }
        Err(Error::ConfigInvalid { path, message }) => {
            assert!(path.ends_with("template.yaml"), "{path:?}: {message}");
            let line: usize = message
                .strip_prefix("line ")
                .and_then(|rest| rest.split(',').next()?.parse().ok())
                .unwrap_or_else(|| panic!("no line: {message}"));
            // YAML breaks lines at `\n`, `\r\n` and a lone `\r`.
            let lines = text.replace("\r\n", "\n").matches(['\n', '\r']).count() + 1;
            assert!(
                (1..=lines).contains(&line),
                "line {line} of {lines}: {message}"
            );
        }
        Err(other) => panic!("not a config error: {other}"),
    }
});
