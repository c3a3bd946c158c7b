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
        ("colour = 1\n".into(), 1, 1, "colour", "expected one of `emulator`, `functions`, `template`"),
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

// cargo-lambda's `[package.metadata.lambda]`: real-shaped packages on disk, read through
// `Config::load` as the local Lambda reads them.

/// A directory of its own holding `files` (paths relative to it); `name` must be unique among
/// the config tests (`template_tests` uses it too).
pub(super) fn tree(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("lambda-test-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The config of the package in `dir`, as the local Lambda loads it.
fn load_package(dir: &Path) -> Result<Config, Error> {
    Config::load(&dir.join(crate::CONFIG_FILE_NAME))
}

/// `cargo lambda new`'s shape, with every key that matters locally and some that do not.
const SINGLE: &str = r#"[package]
name = "orders"
version = "0.1.0"
edition = "2021"

[dependencies]
lambda_runtime = "0.14"

[package.metadata.lambda.env]
RUST_LOG = "info"
SHARED = "from-env-table"

[package.metadata.lambda.deploy]
memory = 512
timeout = 30
tracing = "active"
name = "orders-api"
env_file = ".env.production"
env = { "TABLE" = "orders", "SHARED" = "from-deploy-env" }
role = "arn:aws:iam::123456789012:role/orders"
layers = ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"]
tags = { team = "orders" }
vpc = { subnet_ids = ["subnet-1"], security_group_ids = ["sg-1"] }
s3_bucket = "artifacts"
region = "eu-west-1"
profile = "prod"
runtime = "provided.al2023"

[package.metadata.lambda.deploy.remote_config]
alias = "live"

[package.metadata.lambda.build]
arm64 = true

[package.metadata.lambda.watch]
invoke_port = 9001
"#;

#[test]
fn cargo_lambda_single_binary_every_key() {
    let dir = tree(
        "single",
        &[
            ("Cargo.toml", SINGLE),
            ("src/main.rs", "fn main() {}"),
            (
                ".env.production",
                "# production\nexport FROM_FILE=yes\nQUOTED = \"a b\"\nTABLE=from-file\n\n",
            ),
        ],
    );
    let c = load_package(&dir).unwrap();
    assert_eq!(c.functions.keys().collect::<Vec<_>>(), ["orders-api"]);
    let f = &c.functions["orders-api"];
    let v = &f.latest;
    // Deployed under `name`, running the package's one binary.
    assert_eq!(v.code, Code::Bin("orders".into()));
    assert_eq!(v.task_root, dir);
    assert_eq!(v.memory_size, 512);
    assert_eq!(v.timeout, Duration::from_secs(30));
    let env: Vec<_> = v
        .environment
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    // The env table, then the env file, then `deploy.env`: later wins.
    assert_eq!(
        env,
        [
            "FROM_FILE=yes",
            "QUOTED=a b",
            "RUST_LOG=info",
            "SHARED=from-deploy-env",
            "TABLE=orders"
        ]
    );
    // No lambda-test.toml: the package directory is the base, the overlay path is where
    // the file would be.
    assert_eq!(c.base_dir, dir);
    assert_eq!(c.path, dir.join(crate::CONFIG_FILE_NAME));
}

#[test]
fn cargo_lambda_names_the_binary_and_reads_env_lists() {
    let manifest = r#"[package]
name = "basic-lambda"
version = "0.1.0"

[package.metadata.lambda.deploy]
env_var = ["GREETING=Hi", " SPACED = yes "]
binary_name = "other"
"#;
    let dir = tree("list", &[("Cargo.toml", manifest), ("src/main.rs", "")]);
    let c = load_package(&dir).unwrap();
    let v = &c.functions["basic-lambda"].latest;
    assert_eq!(v.code, Code::Bin("other".into()));
    assert_eq!(v.environment["GREETING"], "Hi");
    assert_eq!(v.environment["SPACED"], "yes");
    // What the metadata does not say, the defaults give.
    assert_eq!(v.memory_size, 128);
    assert_eq!(v.timeout, Duration::from_secs(3));
}

/// A workspace with a multi-binary package: the precedence of every layer.
fn workspace_files() -> Vec<(&'static str, &'static str)> {
    let root = r#"[workspace]
members = ["products"]

[workspace.metadata.lambda.env]
WS = "ws"
LAYER = "ws"

[workspace.metadata.lambda.deploy]
memory = 256
timeout = 10
env = ["WS_LIST=ws"]

[workspace.metadata.lambda.bin.get-product.env]
LAYER = "ws-bin"

[workspace.metadata.lambda.bin.get-product.deploy]
timeout = 20

# A binary of another member: not this package's business.
[workspace.metadata.lambda.bin.elsewhere.env]
X = "1"
"#;
    let package = r#"[package]
name = "products"
version.workspace = true

[[bin]]
name = "get-product"
path = "src/bin/lambda/get-product.rs"

[[bin]]
name = "put-product"
path = "src/bin/lambda/put-product.rs"

[package.metadata.lambda.env]
LAYER = "package"

[package.metadata.lambda.deploy]
memory = 1024

[package.metadata.lambda.bin.get-product.env]
OWN = "get"

[package.metadata.lambda.bin.get-product.deploy]
env = { PKG_BIN = "get" }
"#;
    vec![
        ("Cargo.toml", root),
        ("products/Cargo.toml", package),
        ("products/src/bin/lambda/get-product.rs", "fn main() {}"),
        ("products/src/bin/lambda/put-product.rs", "fn main() {}"),
        ("products/src/bin/delete-product.rs", "fn main() {}"),
        ("products/src/bin/list/main.rs", "fn main() {}"),
    ]
}

#[test]
fn cargo_lambda_precedence_workspace_package_binary() {
    let dir = tree("workspace", &workspace_files());
    let c = load_package(&dir.join("products")).unwrap();
    // Each binary is a function: the declared ones and those cargo finds in src/bin.
    assert_eq!(
        c.functions.keys().collect::<Vec<_>>(),
        ["delete-product", "get-product", "list", "put-product"]
    );
    let env = |f: &str| {
        let v = &c.functions[f].latest;
        v.environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
    };
    // put-product has no table of its own: the workspace, then the package table.
    let put = &c.functions["put-product"].latest;
    assert_eq!(put.code, Code::Bin("put-product".into()));
    assert_eq!(put.memory_size, 1024);
    assert_eq!(put.timeout, Duration::from_secs(10));
    assert_eq!(env("put-product"), ["LAYER=package", "WS=ws", "WS_LIST=ws"]);
    // get-product: the workspace, the workspace's table for it, then the package's table
    // for it *instead of* the package table (as cargo-lambda does): no memory 1024, no
    // LAYER=package; and its `deploy.env` list replaces the workspace's whole.
    let get = &c.functions["get-product"].latest;
    assert_eq!(get.memory_size, 256);
    assert_eq!(get.timeout, Duration::from_secs(20));
    assert_eq!(
        env("get-product"),
        ["LAYER=ws-bin", "OWN=get", "PKG_BIN=get", "WS=ws"]
    );
    let delete = &c.functions["delete-product"].latest;
    assert_eq!(delete.code, Code::Bin("delete-product".into()));
    assert_eq!(delete.task_root, dir.join("products"));
}

#[test]
fn lambda_test_toml_overlays_cargo_lambda_field_by_field() {
    let mut files = workspace_files();
    let overlay = r#"[emulator]
region = "eu-west-1"

[functions.put-product]
timeout = 5
environment = { LAYER = "overlay", TEST_ONLY = "1" }
reserved_concurrency = 2

[functions.extra]
bin = "extra"
"#;
    files.push(("products/lambda-test.toml", overlay));
    let dir = tree("overlay", &files);
    let c = load_package(&dir.join("products")).unwrap();
    let put = &c.functions["put-product"];
    assert_eq!(put.latest.timeout, Duration::from_secs(5));
    // Not in the overlay: cargo-lambda's.
    assert_eq!(put.latest.memory_size, 1024);
    assert_eq!(put.latest.code, Code::Bin("put-product".into()));
    assert_eq!(put.latest.environment["LAYER"], "overlay");
    assert_eq!(put.latest.environment["TEST_ONLY"], "1");
    assert_eq!(put.latest.environment["WS"], "ws");
    assert_eq!(put.reserved_concurrency, Some(2));
    assert_eq!(
        put.arn,
        "arn:aws:lambda:eu-west-1:123456789012:function:put-product"
    );
    assert!(c.functions.contains_key("extra"));
    assert!(c.functions.contains_key("get-product"));
}

#[test]
fn a_package_without_either_source_is_an_error_to_read() {
    let manifest = "[package]\nname = \"plain\"\nversion = \"0.1.0\"\n\n[package.metadata.docs.rs]\nall-features = true\n";
    let dir = tree("plain", &[("Cargo.toml", manifest), ("src/main.rs", "")]);
    let error = load_package(&dir).unwrap_err();
    assert!(matches!(error, Error::ConfigRead { .. }), "{error}");
}

#[test]
fn bad_cargo_lambda_metadata_is_refused_at_its_line_with_a_fix() {
    const HEAD: &str = "[package]\nname = \"fn\"\nversion = \"0.1.0\"\n\n";
    // (manifest after HEAD, extra files, file the error names, line, column, needle)
    type Case<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a str,
        usize,
        usize,
        &'a str,
    );
    let cases: &[Case] = &[
        (
            "[package.metadata.lambda.deploy]\nmemory = \"big\"\n",
            &[],
            "Cargo.toml",
            6,
            10,
            "`memory` = \"big\" must be a whole number of MB from 128 to 10240, like `memory = 512`",
        ),
        (
            "[package.metadata.lambda.deploy]\nmemory = 64\n",
            &[],
            "Cargo.toml",
            6,
            10,
            "from 128 to 10240",
        ),
        (
            "[package.metadata.lambda.deploy]\ntimeout = 2.5\n",
            &[],
            "Cargo.toml",
            6,
            11,
            "`timeout` = 2.5 must be a whole number of seconds from 1 to 900, like `timeout = 30`",
        ),
        (
            "[package.metadata.lambda.deploy]\ntimeout = 901\n",
            &[],
            "Cargo.toml",
            6,
            11,
            "from 1 to 900",
        ),
        (
            "[package.metadata.lambda.deploy]\nenv = [\"A=1\",\n  \"FOO\"]\n",
            &[],
            "Cargo.toml",
            7,
            3,
            "`deploy.env` item \"FOO\" is not KEY=value (cargo-lambda refuses it too); write it like \"FOO=value\"",
        ),
        (
            "[package.metadata.lambda.deploy]\nenv = [\"EMPTY=\"]\n",
            &[],
            "Cargo.toml",
            6,
            8,
            "write it like \"EMPTY=value\"",
        ),
        (
            "[package.metadata.lambda.deploy]\nenv = [3]\n",
            &[],
            "Cargo.toml",
            6,
            8,
            "`env` item 3 must be a string like \"KEY=value\"",
        ),
        (
            "[package.metadata.lambda.deploy]\nenv = { PORT = 8080 }\n",
            &[],
            "Cargo.toml",
            6,
            16,
            "`env.PORT` = 8080 must be a string; write PORT = \"8080\"",
        ),
        (
            "[package.metadata.lambda.deploy]\nenv = \"A=1\"\n",
            &[],
            "Cargo.toml",
            6,
            7,
            "expected a list like [\"KEY=value\"] or a table like { KEY = \"value\" }",
        ),
        (
            "[package.metadata.lambda.env]\nDEBUG = true\n",
            &[],
            "Cargo.toml",
            6,
            9,
            "`DEBUG` = true must be a string; write DEBUG = \"true\"",
        ),
        (
            "[package.metadata.lambda.deploy]\nenv_file = \".env.missing\"\n",
            &[],
            "Cargo.toml",
            6,
            12,
            "create it, or fix the path (relative to the Cargo.toml that names it)",
        ),
        (
            "[package.metadata.lambda.deploy]\nenv_file = \".env\"\n",
            &[(".env", "OK=1\nnot a variable\n")],
            ".env",
            2,
            1,
            "\"not a variable\" is not KEY=value",
        ),
        (
            "[package.metadata.lambda.deploy]\ntracing = \"on\"\n",
            &[],
            "Cargo.toml",
            6,
            11,
            "must be \"active\" or \"passthrough\"",
        ),
        (
            "[package.metadata.lambda.deploy]\nname = 7\n",
            &[],
            "Cargo.toml",
            6,
            8,
            "`name` = 7 must be a string, like `name = \"my-function\"`",
        ),
        (
            "[package.metadata.lambda.bin.fnn.env]\nA = \"1\"\n",
            &[],
            "Cargo.toml",
            5,
            30,
            "package `fn` has no binary `fnn` (its binaries: fn); name the table after one of them, or add the `[[bin]]`",
        ),
        (
            "[[bin]]\nname = \"a\"\npath = \"src/main.rs\"\n[[bin]]\nname = \"b\"\npath = \"src/b.rs\"\n[package.metadata.lambda.deploy]\nname = \"same\"\n",
            &[],
            "Cargo.toml",
            12,
            8,
            "give each its own `name` under `[package.metadata.lambda.bin.<binary>.deploy]`",
        ),
        (
            "autobins = false\n[package.metadata.lambda.env]\nA = \"1\"\n",
            &[],
            "Cargo.toml",
            5,
            19,
            "has no binary to run as a function; add `src/main.rs` or a `[[bin]]`",
        ),
        (
            "[package.metadata.lambda.deploy]\nmemory = 512\n",
            &[("lambda-test.toml", "[functions.fn]\nmemory_size = 100\n")],
            "lambda-test.toml",
            2,
            15,
            "`memory_size` = 100 must be between 128 and 10240 MB",
        ),
    ];
    let mut failures = Vec::new();
    for (n, (manifest, extra, file, line, column, needle)) in cases.iter().enumerate() {
        // `autobins` belongs to [package]: such a case starts with it.
        let text = format!("{HEAD}{manifest}");
        let text = text.replacen("\n\nautobins", "\nautobins", 1);
        let mut files = vec![("Cargo.toml", text.as_str()), ("src/main.rs", "")];
        files.extend(extra.iter().copied());
        let dir = tree(&format!("bad-{n}"), &files);
        let message = match load_package(&dir) {
            Ok(_) => {
                failures.push(format!("accepted:\n{text}"));
                continue;
            }
            Err(e) => e.to_string(),
        };
        let at = format!(
            "invalid {}: line {line}, column {column}: ",
            dir.join(file).display()
        );
        if !message.starts_with(&at) || !message.contains(needle) {
            failures.push(format!(
                "{text:?}\n  want {at:?} and {needle:?}\n  got  {message}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_cargo_lambda_example_is_read_as_deployed() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/cargo-lambda-fn");
    assert!(!example.join(crate::CONFIG_FILE_NAME).exists());
    let c = load_package(&example).unwrap();
    let v = &c.functions["order-status"].latest;
    assert_eq!(v.code, Code::Bin("order-status".into()));
    assert_eq!(v.memory_size, 256);
    assert_eq!(v.timeout, Duration::from_secs(2));
    assert_eq!(v.environment["TABLE_NAME"], "orders");
    assert_eq!(v.environment["STAGE"], "production");
}

#[test]
fn a_package_that_is_its_own_workspace_root_reads_both_tables() {
    let manifest = r#"[package]
name = "root-fn"
version = "0.1.0"

[workspace]

[workspace.metadata.lambda.deploy]
memory = 2048
timeout = 60

[package.metadata.lambda.deploy]
timeout = 15
"#;
    let dir = tree("own-root", &[("Cargo.toml", manifest), ("src/main.rs", "")]);
    let v = &load_package(&dir).unwrap().functions["root-fn"].latest;
    assert_eq!(v.memory_size, 2048);
    assert_eq!(v.timeout, Duration::from_secs(15));
}

#[test]
fn reserved_and_underscore_variables_are_refused() {
    check_all(&[
        (
            "[functions.f]\nbin = \"f\"\nenvironment = { AWS_REGION = \"eu-west-1\" }\n",
            1,
            12,
            "`environment` sets AWS_REGION, which Lambda reserves and sets itself",
        ),
        (
            "[functions.f]\nbin = \"f\"\n[functions.f.versions.1]\nenvironment = { AWS_ACCESS_KEY_ID = \"A\" }\n",
            3,
            23,
            "locally, give them with `aws = { credentials = \"static\"",
        ),
        (
            "[functions.f]\nbin = \"f\"\nenvironment = { _SECRET = \"x\" }\n",
            1,
            12,
            "names starting with `_` are Lambda's own",
        ),
    ]);
    // What AWS lets a function replace is its to set.
    // (AWS_ENDPOINT_URL too on AWS; locally it comes from `aws`, see aws_access.rs.)
    let c = parse("[functions.f]\nbin = \"f\"\nenvironment = { TZ = \"Europe/Paris\" }\n").unwrap();
    assert_eq!(c.functions["f"].latest.environment["TZ"], "Europe/Paris");
}

#[test]
fn only_a_manifest_that_names_metadata_is_parsed_for_it() {
    let has = |text: &str| -> bool {
        let table: toml::Table = text.parse().unwrap();
        table
            .get("package")
            .and_then(|p| p.get("metadata"))
            .is_some()
    };
    let plain = "[package]\nname = \"f\"\n\n[dev-dependencies]\nlambda-test = \"1\"\n";
    let manifests = [
        plain,
        "[package]\nname = \"f\"\n\n[package.metadata.lambda.deploy]\nmemory = 512\n",
        "[package]\nname = \"f\"\nmetadata.lambda-test = { target = \"aws\" }\n",
        // The key written with an escape: no `metadata` in the text, yet the table.
        "[package]\nname = \"f\"\n\n[package.\"met\\u0061data\".lambda-test]\ntarget = \"aws\"\n",
        "[package]\nname = \"f\"\n\n[package.\"met\\U00000061data\".lambda]\n",
    ];
    for text in manifests {
        // The check may say yes for nothing; it never says no for a table.
        assert!(may_have_metadata(text) || !has(text), "{text}");
    }
    assert!(!may_have_metadata(plain));
    assert!(has(manifests[3]) && may_have_metadata(manifests[3]));
}
