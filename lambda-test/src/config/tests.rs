//! The model's defaults and overrides, and the toml source's exact positions.

use std::path::Path;
use std::time::Duration;

use super::*;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("/pkg/lambda-test.toml")).map_err(|e| e.to_string())
}

/// The message of a refused file, checked to name the file and start at `line:column`.
fn refused(text: &str, line: usize, column: usize) -> String {
    let message = parse(text)
        .err()
        .unwrap_or_else(|| panic!("accepted:\n{text}"));
    let at = format!("invalid /pkg/lambda-test.toml: line {line}, column {column}: ");
    assert!(message.starts_with(&at), "expected {at:?}, got: {message}");
    message
}

/// Checks every `(text, line, column, needle)` case, reporting all mismatches at once.
fn check_all<T: AsRef<str>>(cases: &[(T, usize, usize, &str)]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(text, line, column, needle)| {
            let text = text.as_ref();
            let message = match parse(text) {
                Ok(_) => return Some(format!("accepted:\n{text}")),
                Err(message) => message,
            };
            let at = format!("invalid /pkg/lambda-test.toml: line {line}, column {column}: ");
            (!message.starts_with(&at) || !message.contains(needle))
                .then(|| format!("{text:?}\n  want {at:?} and {needle:?}\n  got  {message}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn minimal_function() {
    let c = parse("[functions.greeter]\nbin = \"greeter\"\n").unwrap();
    assert_eq!(
        c.functions["greeter"].latest.code,
        Code::Bin("greeter".into())
    );
    assert_eq!(c.emulator.region, "us-east-1");
    assert_eq!(c.base_dir, Path::new("/pkg"));
    assert_eq!(c.path, Path::new("/pkg/lambda-test.toml"));
}

#[test]
fn a_bare_file_name_resolves_against_the_current_directory() {
    let c = Config::parse(
        "[functions.f]\nbin = \"f\"\n",
        Path::new("lambda-test.toml"),
    )
    .unwrap();
    assert!(c.base_dir.is_absolute(), "{:?}", c.base_dir);
    assert_eq!(c.base_dir, std::env::current_dir().unwrap());
    assert_eq!(c.functions["f"].latest.task_root, c.base_dir);
}

#[test]
fn defaults_are_applied() {
    let c = parse("[emulator.principals.ci]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n[functions.f]\nbin = \"f\"\n").unwrap();
    let e = &c.emulator;
    assert_eq!(e.account_id, "123456789012");
    assert_eq!(
        e.event_retry_delays,
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
    assert_eq!(e.bin_dir, None);
    assert_eq!(e.dead_letter_file, None);
    assert_eq!(e.principals["ci"].arn, "arn:aws:iam::123456789012:user/ci");
    let f = &c.functions["f"];
    assert_eq!(f.arn, "arn:aws:lambda:us-east-1:123456789012:function:f");
    assert_eq!(f.allow, None);
    assert_eq!(f.reserved_concurrency, None);
    let v = &f.latest;
    assert_eq!(v.version, "$LATEST");
    assert_eq!(v.timeout, Duration::from_secs(3));
    assert_eq!(v.memory_size, 128);
    assert_eq!(v.handler, "bootstrap");
    assert!(v.environment.is_empty());
    assert_eq!(v.architecture, Architecture::X86_64);
    assert_eq!(v.logging, Logging::defaults("f"));
    assert_eq!(v.logging.format, LogFormat::Text);
}

#[test]
fn emulator_settings_and_principals_resolve() {
    let c = parse(
        "[emulator]\nregion = \"eu-west-1\"\naccount_id = \"000000000042\"\nbin_dir = \"bins\"\ndead_letter_file = \"dl/dead.jsonl\"\nevent_retry_delays = [0.5]\n[emulator.principals.ci]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::000000000042:role/ci\"\n[functions.f]\nbin = \"f\"\n",
    )
    .unwrap();
    let e = &c.emulator;
    assert_eq!(e.bin_dir.as_deref(), Some(Path::new("/pkg/bins")));
    assert_eq!(
        e.dead_letter_file.as_deref(),
        Some(Path::new("/pkg/dl/dead.jsonl"))
    );
    assert_eq!(e.event_retry_delays, [Duration::from_millis(500)]);
    assert_eq!(e.principals["ci"].arn, "arn:aws:iam::000000000042:role/ci");
    assert_eq!(
        c.functions["f"].arn,
        "arn:aws:lambda:eu-west-1:000000000042:function:f"
    );
}

#[test]
fn versions_take_latest_settings_with_their_overrides() {
    let c = parse(
        "[functions.f]\nbin = \"f\"\ntimeout = 10\nmemory_size = 256\nhandler = \"h\"\nenvironment = { A = \"1\", B = \"1\" }\nlogging = { format = \"JSON\", application_level = \"WARN\" }\n\
         [functions.f.versions.1]\n\
         [functions.f.versions.2]\ntimeout = 2.5\nenvironment = { B = \"2\", C = \"2\" }\nlogging = { system_level = \"DEBUG\" }\n\
         [functions.f.versions.3]\ncommand = [\"python3\", \"-m\", \"app\"]\nlogging = { format = \"Text\" }\n",
    )
    .unwrap();
    let f = &c.functions["f"];
    let one = &f.versions["1"];
    assert_eq!(one.version, "1");
    assert_eq!(one.timeout, Duration::from_secs(10));
    assert_eq!((one.memory_size, one.handler.as_str()), (256, "h"));
    assert_eq!(one.code, Code::Bin("f".into()));
    assert_eq!(one.environment, f.latest.environment);
    assert_eq!(one.logging, f.latest.logging);
    let two = &f.versions["2"];
    assert_eq!(two.timeout, Duration::from_secs_f64(2.5));
    let env: Vec<_> = two
        .environment
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(env, ["A=1", "B=2", "C=2"]);
    // Logging merges key by key over $LATEST's.
    assert_eq!(two.logging.format, LogFormat::Json);
    assert_eq!(two.logging.application_level, ApplicationLogLevel::Warn);
    assert_eq!(two.logging.system_level, SystemLogLevel::Debug);
    let three = &f.versions["3"];
    assert_eq!(
        three.code,
        Code::Command {
            program: "python3".into(),
            args: vec!["-m".into(), "app".into()]
        }
    );
    // Text has no levels: $LATEST's do not carry over.
    assert_eq!(three.logging.format, LogFormat::Text);
    assert_eq!(three.logging.application_level, ApplicationLogLevel::Info);
    assert_eq!(f.all_versions().count(), 4);
}

#[test]
fn aliases_resolve_with_weights_and_allow_lists() {
    let c = parse(
        "[emulator.principals.ci]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n\
         [functions.f]\nbin = \"f\"\nallow = [\"*\"]\n[functions.f.versions.1]\n[functions.f.versions.2]\n\
         [functions.f.aliases]\nplain = \"1\"\nlatest = \"$LATEST\"\nlive = { version = \"2\", weights = { \"1\" = 0.25 }, allow = [\"ci\"] }\n",
    )
    .unwrap();
    let f = &c.functions["f"];
    assert_eq!(f.allow.as_deref(), Some(&["*".to_owned()][..]));
    let plain = &f.aliases["plain"];
    assert_eq!((plain.version.as_str(), &plain.additional), ("1", &None));
    assert_eq!(plain.allow, None);
    assert_eq!(f.aliases["latest"].version, "$LATEST");
    let live = &f.aliases["live"];
    assert_eq!(live.name, "live");
    assert_eq!(live.version, "2");
    let extra = live.additional.as_ref().unwrap();
    assert_eq!((extra.version.as_str(), extra.weight), ("1", 0.25));
    assert_eq!(live.allow.as_deref(), Some(&["ci".to_owned()][..]));
}

#[test]
fn logging_is_accepted_per_function_and_version() {
    let c = parse(
        "[functions.f]\nbin = \"f\"\n[functions.f.logging]\nformat = \"JSON\"\napplication_level = \"DEBUG\"\nsystem_level = \"WARN\"\nlog_group = \"/custom/group#1\"\n",
    )
    .unwrap();
    let logging = &c.functions["f"].latest.logging;
    assert_eq!(logging.format, LogFormat::Json);
    assert_eq!(logging.application_level, ApplicationLogLevel::Debug);
    assert_eq!(logging.system_level, SystemLogLevel::Warn);
    assert_eq!(logging.log_group, "/custom/group#1");
}

// The old lookup searched the text for the alias's name and found it in the comment first.
#[test]
fn an_alias_error_points_at_the_alias_not_a_comment_naming_it() {
    let text = "# live traffic: see the live alias below\n[functions.f]\nbin = \"f\" # live\n[functions.f.versions.1]\n\n[functions.f.aliases]\nbeta = \"1\"\nlive = \"7\"   # live\n";
    let e = refused(text, 8, 8);
    assert!(e.contains("alias `live` points at version \"7\""), "{e}");
    assert!(e.contains("declare [functions.f.versions.7]"), "{e}");
    let routed = text.replace(
        "live = \"7\"",
        "live = { version = \"1\", weights = { \"9\" = 0.5 } }",
    );
    let e = refused(&routed, 8, 37);
    assert!(
        e.contains("published versions only (got \"1\" and \"9\")"),
        "{e}"
    );
}

#[test]
fn unknown_keys_of_every_table_name_the_position_and_valid_keys() {
    let function = "[functions.f]\nbin = \"f\"\n";
    let cases: &[(String, usize, usize, &str, &str)] = &[
        ("colour = 1\n".into(), 1, 1, "colour", "expected `emulator` or `functions`"),
        ("[emulator]\nregon = \"us-east-1\"\n".into(), 2, 1, "regon", "did you mean `region`?"),
        (
            "[emulator.principals.ci]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\nrole = \"r\"\n".into(),
            4,
            1,
            "role",
            "`access_key_id`, `secret_access_key`, `arn`",
        ),
        (format!("{function}  timout = 3\n"), 3, 3, "timout", "did you mean `timeout`?"),
        (
            format!("{function}[functions.f.versions.1]\nmemory = 256\n"),
            4,
            1,
            "memory",
            "`memory_size`",
        ),
        (
            format!("{function}logging = {{ format = \"JSON\", level = \"INFO\" }}\n"),
            3,
            30,
            "level",
            "`format`, `application_level`, `system_level`, `log_group`",
        ),
        (
            format!("{function}[functions.f.aliases]\nlive = {{ version = \"$LATEST\", weight = {{}} }}\n"),
            4,
            31,
            "weight",
            "did you mean `weights`?",
        ),
    ];
    for (text, _, _, key, _) in cases {
        assert!(text.contains(&format!("{key} =")), "{text}");
    }
    let cases: Vec<(String, usize, usize, String)> = cases
        .iter()
        .flat_map(|(text, line, column, key, valid)| {
            [
                (
                    text.clone(),
                    *line,
                    *column,
                    format!("unknown field `{key}`"),
                ),
                (text.clone(), *line, *column, (*valid).to_owned()),
            ]
        })
        .collect();
    let cases: Vec<_> = cases
        .iter()
        .map(|(t, l, c, n)| (t.as_str(), *l, *c, n.as_str()))
        .collect();
    check_all(&cases);
}

#[test]
fn bad_values_name_their_exact_position() {
    let function = "[functions.f]\nbin = \"f\"\n";
    let versions = "[functions.f.versions.1]\n[functions.f.versions.2]\n[functions.f.aliases]\n";
    let principal = "[emulator.principals.ci]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n";
    let cases: &[(String, usize, usize, &str)] = &[
        (
            format!("{function}timeout = 0\n"),
            3,
            11,
            "function `f` (line 1): `timeout` = 0",
        ),
        (
            format!("{function}timeout = 901\n"),
            3,
            11,
            "`timeout` = 901 must be between 1 and 900",
        ),
        (
            format!("{function}memory_size = 64\n"),
            3,
            15,
            "`memory_size` = 64 must be between 128 and 10240 MB",
        ),
        (
            format!("{function}memory_size = 10241\n"),
            3,
            15,
            "`memory_size` = 10241",
        ),
        (
            format!("{function}[functions.f.versions.3]\nmemory_size = 20000\n"),
            4,
            15,
            "function `f` version 3 (line 3): `memory_size` = 20000",
        ),
        (
            format!(
                "{function}{versions}live = {{ version = \"2\", weights = {{ \"1\" = 1.5 }} }}\n"
            ),
            6,
            43,
            "weight 1.5 must be between 0.0 and 1.0",
        ),
        (
            format!(
                "{function}{versions}live = {{ version = \"2\", weights = {{ \"1\" = -0.1 }} }}\n"
            ),
            6,
            43,
            "weight -0.1",
        ),
        (
            format!(
                "{function}{versions}live = {{ version = \"2\", weights = {{ \"1\" = 0.1, \"2\" = 0.2 }} }}\n"
            ),
            6,
            48,
            "at most one additional version",
        ),
        (
            format!(
                "{function}{versions}live = {{ version = \"2\", weights = {{ \"2\" = 0.1 }} }}\n"
            ),
            6,
            37,
            "must differ from `version`",
        ),
        (
            format!("{function}{versions}live = {{ version = \"5\" }}\n"),
            6,
            20,
            "alias `live` points at version \"5\"",
        ),
        (
            format!("{function}{versions}7 = \"1\"\n"),
            6,
            1,
            "alias \"7\" must be",
        ),
        (
            format!("{function}allow = [\"*\", \"ghost\"]\n"),
            3,
            15,
            "function `f`: `allow` names \"ghost\"",
        ),
        (
            format!("{principal}{function}allow = [\"ci\", \"ghost\"]\n"),
            6,
            16,
            "which is not a principal",
        ),
        (
            format!(
                "{principal}{function}{versions}live = {{ version = \"1\", allow = [\"nobody\"] }}\n"
            ),
            9,
            34,
            "function `f` alias `live`: `allow` names \"nobody\"",
        ),
        (
            format!(
                "{principal}[emulator.principals.cd]\naccess_key_id = \"A\"\nsecret_access_key = \"t\"\n"
            ),
            5,
            17,
            "access key id \"A\" is already used",
        ),
        (
            "[emulator]\nregion = \"mars\"\n".into(),
            2,
            10,
            "`emulator.region` = \"mars\"",
        ),
        (
            "[emulator]\naccount_id = \"42\"\n".into(),
            2,
            14,
            "must be 12 digits",
        ),
        (
            "[emulator]\nevent_retry_delays = [1, 2, 3]\n".into(),
            2,
            22,
            "at most 2 delays",
        ),
        (
            format!("{function}logging = {{ format = \"json\" }}\n"),
            3,
            22,
            "`logging.format` = \"json\" is not one of \"Text\", \"JSON\"",
        ),
        (
            format!("{function}logging = {{ application_level = \"INFO\" }}\n"),
            3,
            33,
            "applies to the JSON log format only",
        ),
        (
            format!("{function}logging = {{ format = \"JSON\", system_level = \"TRACE\" }}\n"),
            3,
            45,
            "`logging.system_level` = \"TRACE\" is not one of \"DEBUG\", \"INFO\", \"WARN\"",
        ),
        (
            format!("{function}logging = {{ log_group = \"no spaces\" }}\n"),
            3,
            25,
            "`logging.log_group` = \"no spaces\"",
        ),
        (
            format!("{function}[functions.f.versions.01]\n"),
            3,
            23,
            "version \"01\" must be a number",
        ),
        (
            "[functions.f]\ncommand = []\n".into(),
            2,
            11,
            "`command` is empty",
        ),
        (
            format!("{function}[functions.f.versions.1]\ncommand = [\"\"]\n"),
            4,
            11,
            "function `f` version 1 (line 3): `command` is empty",
        ),
        (
            "[functions.f]\nbin = \"f\"\ncommand = [\"x\"]\n".into(),
            1,
            12,
            "has both `bin` and `command` (lines 2 and 3)",
        ),
        ("[functions.f]\ntimeout = 3\n".into(), 1, 12, "needs `bin`"),
        (
            "[functions.\"a b\"]\nbin = \"f\"\n".into(),
            1,
            12,
            "function name \"a b\"",
        ),
        (
            format!("{function}timeout = \"3\"\n"),
            3,
            11,
            "invalid type: string \"3\", expected f64",
        ),
        (
            format!("{function}[functions.f.aliases]\nlive = 1\n"),
            4,
            8,
            "expected a version like \"1\"",
        ),
        ("[functions.f\n".into(), 1, 13, "TOML parse error"),
        (
            "[emulator.principals.ci]\naccess_key_id = \"A\"\n".into(),
            1,
            1,
            "`emulator.principals.ci`: missing field `secret_access_key`; add `secret_access_key`",
        ),
        (
            format!("{function}environment = [\"A=1\"]\n"),
            3,
            15,
            "`functions.f.environment`: invalid type: sequence, expected a map; write it as a table of strings",
        ),
        (
            format!("{function}memory_size = -1\n"),
            3,
            15,
            "`functions.f.memory_size`: invalid value: integer `-1`",
        ),
    ];
    check_all(cases);
}

#[test]
fn columns_count_characters_not_bytes() {
    let e = refused(
        "[functions.f]\nbin = \"f\"\nenvironment = { \"GRÜSSE\" = \"é\" }\ntimeout = 0\n",
        4,
        11,
    );
    assert!(e.contains("`timeout` = 0"), "{e}");
    let e = refused(
        "[functions.f]\nbin = \"f\"\nhandler = \"ü\"; timeout = 0\n",
        3,
        14,
    );
    assert!(e.contains("TOML parse error"), "{e}");
}

#[test]
fn a_later_source_overlays_an_earlier_one() {
    let template = TomlSource::new(
        "[functions.f]\ncommand = [\"template-runtime\"]\nmemory_size = 512\nenvironment = { A = \"template\", B = \"template\" }\n[functions.f.versions.1]\ntimeout = 30\n[functions.g]\nbin = \"g\"\n",
        Path::new("/pkg/template.toml"),
    );
    let overlay = TomlSource::new(
        "[functions.f]\nbin = \"f\"\nenvironment = { B = \"overlay\" }\n[functions.f.versions.1]\nhandler = \"h\"\n",
        Path::new("/pkg/lambda-test.toml"),
    );
    let c =
        Config::from_sources(&[&template, &overlay], Path::new("/pkg/lambda-test.toml")).unwrap();
    let f = &c.functions["f"];
    assert_eq!(f.latest.code, Code::Bin("f".into()));
    assert_eq!(f.latest.memory_size, 512);
    let env: Vec<_> = f
        .latest
        .environment
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(env, ["A=template", "B=overlay"]);
    let one = &f.versions["1"];
    assert_eq!(
        (one.timeout, one.handler.as_str()),
        (Duration::from_secs(30), "h")
    );
    assert!(c.functions.contains_key("g"));
    // An error names the file the bad value came from.
    let bad = TomlSource::new(
        "[functions.f]\nbin = \"f\"\ntimeout = 0\n",
        Path::new("/pkg/template.toml"),
    );
    let e = Config::from_sources(&[&bad, &overlay], Path::new("/pkg/lambda-test.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("invalid /pkg/template.toml: line 3, column 11: "),
        "{e}"
    );
}

#[test]
fn a_function_url_takes_aws_settings_with_aws_defaults() {
    let c = parse(
        "[emulator.principals.ci]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n\
         [functions.f]\nbin = \"f\"\n[functions.f.aliases]\nlive = \"1\"\n[functions.f.versions.1]\n\
         [functions.f.url]\n\
         [functions.g]\nbin = \"g\"\n[functions.g.aliases]\nlive = \"$LATEST\"\n\
         [functions.g.url]\nauth_type = \"AWS_IAM\"\ninvoke_mode = \"RESPONSE_STREAM\"\nqualifier = \"live\"\n\
         cors = { allow_origins = [\"https://example.com\"], allow_methods = [\"GET\"], max_age = 300 }\n",
    )
    .unwrap();
    let f = c.functions["f"].url.as_ref().unwrap();
    assert_eq!(
        (
            f.auth_type,
            f.invoke_mode,
            f.qualifier.as_deref(),
            f.cors.is_none()
        ),
        (UrlAuthType::None, UrlInvokeMode::Buffered, None, true)
    );
    let g = c.functions["g"].url.as_ref().unwrap();
    assert_eq!(g.auth_type, UrlAuthType::AwsIam);
    assert_eq!(g.invoke_mode, UrlInvokeMode::ResponseStream);
    assert_eq!(g.qualifier.as_deref(), Some("live"));
    let cors = g.cors.as_ref().unwrap();
    assert_eq!(cors.allow_origins, ["https://example.com"]);
    assert_eq!(cors.max_age, Some(300));
}

#[test]
fn bad_function_urls_name_the_line_and_the_fix() {
    check_all(&[
        (
            "[functions.f]\nbin = \"f\"\n[functions.f.url]\nauth_type = \"IAM\"\n",
            4,
            13,
            "`url.auth_type` = \"IAM\" is not one of \"NONE\", \"AWS_IAM\"",
        ),
        (
            "[functions.f]\nbin = \"f\"\n[functions.f.url]\ninvoke_mode = \"STREAM\"\n",
            4,
            15,
            "is not one of \"BUFFERED\", \"RESPONSE_STREAM\"",
        ),
        (
            "[functions.f]\nbin = \"f\"\n[functions.f.url]\nqualifier = \"1\"\n",
            4,
            13,
            "is not an alias of it; a Function URL invokes $LATEST or an alias (it has none",
        ),
        (
            "[functions.f]\nbin = \"f\"\n[functions.f.url]\nauth_type = \"AWS_IAM\"\n",
            3,
            1,
            "none is declared; declare one under [emulator.principals]",
        ),
        (
            "[functions.f]\nbin = \"f\"\n[functions.f.url]\ncors = { allow_origin = [\"*\"] }\n",
            4,
            10,
            "allow_origin",
        ),
    ]);
}
