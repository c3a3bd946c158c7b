//! `lambda-test.toml`: the functions the embedded local Lambda serves.
//!
//! ```toml
//! [emulator]                       # optional
//! region = "us-east-1"
//! account_id = "123456789012"
//! event_retry_delays = [1.0, 2.0]  # seconds before each retry of a failed Event (AWS: ~60, ~120)
//! dead_letter_file = "dead-letters.jsonl"   # failed events, one destination record per line
//! bin_dir = "target/debug"         # where `bin` is looked for (default: next to the test binary)
//!
//! [emulator.principals.ci]         # declaring any principal turns SigV4 verification on
//! access_key_id = "AKIDCI"
//! secret_access_key = "ci-secret"
//! # arn = "arn:aws:iam::123456789012:role/ci"   (default: ...:user/<name>)
//!
//! [functions.greeter]
//! bin = "greeter"                  # a [[bin]] of this package, or a path
//! # command = ["python3", "-m", "awslambdaric", "app.handler"]   (instead of `bin`)
//! timeout = 3                      # seconds (default 3)
//! memory_size = 128                # MB (default 128), reported in REPORT lines
//! handler = "bootstrap"            # `_HANDLER`
//! environment = { GREETING = "Hello" }
//! reserved_concurrency = 4         # more concurrent invocations get 429
//! allow = ["ci"]                   # who may invoke (default: anyone)
//!
//! [functions.greeter.versions.1]   # a published version: $LATEST's settings with overrides
//! environment = { GREETING = "Hi" }
//!
//! [functions.greeter.aliases]
//! live = "1"                       # or { version = "2", weights = { "1" = 0.25 }, allow = [...] }
//! ```
//!
//! Every table rejects unknown keys; errors name the file, the line and the valid keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

pub use crate::CONFIG_FILE_NAME;

/// A parsed `lambda-test.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// Settings of the local Lambda itself.
    #[serde(default)]
    pub emulator: EmulatorSettings,
    /// The functions, by name.
    #[serde(default)]
    pub functions: BTreeMap<String, FunctionConfig>,
    /// The directory the file was read from: relative paths resolve against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The file itself, for error messages.
    #[serde(skip)]
    pub path: PathBuf,
}

/// The `[emulator]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EmulatorSettings {
    /// The region the local Lambda pretends to be in (ARNs, `AWS_REGION`).
    #[serde(default = "default_region")]
    pub region: String,
    /// The account id in ARNs.
    #[serde(default = "default_account_id")]
    pub account_id: String,
    /// Where binaries named by `bin` are looked for, relative to this file.
    /// Default: the directory of the running test executable, then `target/debug`
    /// and `target/release` above this file.
    #[serde(default)]
    pub bin_dir: Option<PathBuf>,
    /// Seconds before each retry of a failed `Event` invocation; its length is the number of
    /// retries. AWS retries twice, after about 1 and 2 minutes; the default keeps tests fast.
    #[serde(default = "default_event_retry_delays")]
    pub event_retry_delays: Vec<f64>,
    /// A file (relative to this one) that dead-letter records are appended to, one JSON per line.
    #[serde(default)]
    pub dead_letter_file: Option<PathBuf>,
    /// Callers, by name. Declaring any turns on SigV4 verification: every request must then be
    /// signed by one of them.
    #[serde(default)]
    pub principals: BTreeMap<String, PrincipalConfig>,
}

/// An `[emulator.principals.<name>]` table: a caller and its credentials.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PrincipalConfig {
    /// The access key id it signs with.
    pub access_key_id: String,
    /// Its secret access key.
    pub secret_access_key: String,
    /// Its ARN (default `arn:aws:iam::<account>:user/<name>`).
    pub arn: Option<String>,
}

impl Default for EmulatorSettings {
    fn default() -> Self {
        Self {
            region: default_region(),
            account_id: default_account_id(),
            bin_dir: None,
            event_retry_delays: default_event_retry_delays(),
            dead_letter_file: None,
            principals: BTreeMap::new(),
        }
    }
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

fn default_event_retry_delays() -> Vec<f64> {
    vec![1.0, 2.0]
}

fn default_account_id() -> String {
    "123456789012".to_owned()
}

/// One `[functions.<name>]` table: the settings of `$LATEST`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FunctionConfig {
    /// A `[[bin]]` target of the package (or a path to an executable).
    pub bin: Option<String>,
    /// A command line to run instead of a binary, e.g.
    /// `["python3", "-m", "awslambdaric", "app.handler"]`.
    pub command: Option<Vec<String>>,
    /// Timeout in seconds (default 3, as on AWS).
    pub timeout: Option<f64>,
    /// Memory size in MB (default 128), reported in REPORT lines.
    pub memory_size: Option<u32>,
    /// The `Handler` setting, passed as `_HANDLER`.
    pub handler: Option<String>,
    /// Environment variables of the function.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Reserved concurrency: more concurrent invocations get 429.
    pub reserved_concurrency: Option<u32>,
    /// Published versions, by number, with their overrides.
    #[serde(default)]
    pub versions: BTreeMap<String, VersionConfig>,
    /// Aliases, by name.
    #[serde(default)]
    pub aliases: BTreeMap<String, AliasConfig>,
    /// Principals (names under `[emulator.principals]`, their ARNs, or `"*"`) allowed to invoke
    /// the function; default: anyone.
    pub allow: Option<Vec<String>>,
}

/// A `[functions.<name>.versions.<n>]` table: overrides of `$LATEST`'s settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct VersionConfig {
    /// Overrides `bin`.
    pub bin: Option<String>,
    /// Overrides `command`.
    pub command: Option<Vec<String>>,
    /// Overrides `timeout`.
    pub timeout: Option<f64>,
    /// Overrides `memory_size`.
    pub memory_size: Option<u32>,
    /// Overrides `handler`.
    pub handler: Option<String>,
    /// Merged over `$LATEST`'s environment.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
}

/// An alias: a version, optionally with a weighted second version.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AliasConfig {
    /// `live = "1"`
    Version(String),
    /// `live = { version = "2", weights = { "1" = 0.25 } }`
    Routed(RoutedAlias),
}

/// The table form of an alias.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RoutedAlias {
    /// The primary version.
    pub version: String,
    /// At most one additional version with its weight (0.0 to 1.0).
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    /// Principals allowed to invoke through this alias (instead of the function's `allow`).
    pub allow: Option<Vec<String>>,
}

impl AliasConfig {
    /// The primary version the alias points at.
    pub fn version(&self) -> &str {
        match self {
            AliasConfig::Version(v) => v,
            AliasConfig::Routed(r) => &r.version,
        }
    }

    /// The alias's own `allow` list, if it has one.
    pub fn allow(&self) -> Option<&[String]> {
        match self {
            AliasConfig::Version(_) => None,
            AliasConfig::Routed(r) => r.allow.as_deref(),
        }
    }

    /// The additional version and its weight, if any.
    pub fn additional(&self) -> Option<(&str, f64)> {
        match self {
            AliasConfig::Version(_) => None,
            AliasConfig::Routed(r) => r.weights.iter().next().map(|(v, w)| (v.as_str(), *w)),
        }
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates config text; `path` is used for error messages and relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let invalid = |message: String| Error::ConfigInvalid {
            path: path.to_owned(),
            message,
        };
        let mut config: Config = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        // Absolute, so that a relative `--config lambda-test.toml` gives instances a real
        // working directory (a bare file name's parent is the empty path).
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        config.base_dir = path
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("/"));
        config.path = path;
        config.validate(text).map_err(invalid)?;
        Ok(config)
    }

    /// Semantic checks serde cannot express. Messages point at the offending key's line.
    fn validate(&self, text: &str) -> Result<(), String> {
        let at = |needle: &str| line_of(text, needle);
        if !is_region(&self.emulator.region) {
            return Err(format!(
                "{}`emulator.region` = {:?} is not a region like `us-east-1`",
                at("region"),
                self.emulator.region
            ));
        }
        if self.emulator.account_id.len() != 12
            || !self.emulator.account_id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(format!(
                "{}`emulator.account_id` = {:?} must be 12 digits",
                at("account_id"),
                self.emulator.account_id
            ));
        }
        if self.emulator.event_retry_delays.len() > 2
            || self
                .emulator
                .event_retry_delays
                .iter()
                .any(|d| !(*d >= 0.0 && *d <= 3600.0))
        {
            return Err(format!(
                "{}`emulator.event_retry_delays` takes at most 2 delays (AWS retries twice) of 0 to 3600 seconds",
                at("event_retry_delays")
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        for (name, p) in &self.emulator.principals {
            if !keys.insert(&p.access_key_id) {
                return Err(format!(
                    "{}principal `{name}`: access key id {:?} is already used by another principal",
                    at(&p.access_key_id),
                    p.access_key_id
                ));
            }
        }
        let check_allow = |allow: Option<&[String]>, whose: &str| -> Result<(), String> {
            for entry in allow.unwrap_or_default() {
                let known = entry == "*"
                    || self.emulator.principals.contains_key(entry)
                    || self.principal_arns().any(|arn| arn == *entry);
                if !known {
                    return Err(format!(
                        "{}{whose}: `allow` names {entry:?}, which is not a principal under [emulator.principals] (or \"*\")",
                        at("allow")
                    ));
                }
            }
            Ok(())
        };
        for (name, f) in &self.functions {
            check_allow(f.allow.as_deref(), &format!("function `{name}`"))?;
            for (alias, a) in &f.aliases {
                check_allow(a.allow(), &format!("function `{name}` alias `{alias}`"))?;
            }
            let here = match at(&format!("functions.{name}")) {
                found if !found.is_empty() => found,
                _ => at(&format!("functions.\"{name}\"")),
            };
            if name.is_empty()
                || name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(format!(
                    "{here}function name {name:?} must be 1 to 64 letters, digits, `-` or `_`"
                ));
            }
            match (&f.bin, &f.command) {
                (None, None) => {
                    return Err(format!(
                        "{here}function `{name}` needs `bin` (a [[bin]] of this package) or `command`"
                    ));
                }
                (Some(_), Some(_)) => {
                    return Err(format!(
                        "{here}function `{name}` has both `bin` and `command`; keep one"
                    ));
                }
                (None, Some(c)) if c.is_empty() => {
                    return Err(format!("{here}function `{name}`: `command` is empty"));
                }
                _ => {}
            }
            check_settings(name, "", f.timeout, f.memory_size).map_err(|m| format!("{here}{m}"))?;
            for (version, v) in &f.versions {
                let here = at(&format!("versions.{version}"));
                if version.is_empty()
                    || !version.bytes().all(|b| b.is_ascii_digit())
                    || version.starts_with('0')
                {
                    return Err(format!(
                        "{here}function `{name}`: version {version:?} must be a number like \"1\""
                    ));
                }
                check_settings(name, version, v.timeout, v.memory_size)
                    .map_err(|m| format!("{here}{m}"))?;
            }
            for (alias, a) in &f.aliases {
                let here = at(alias);
                if alias.is_empty()
                    || alias.len() > 128
                    || alias.bytes().all(|b| b.is_ascii_digit())
                    || !alias
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(format!(
                        "{here}function `{name}`: alias {alias:?} must be 1 to 128 letters, digits, `-` or `_`, and not all digits"
                    ));
                }
                let known = |v: &str| v == "$LATEST" || f.versions.contains_key(v);
                if !known(a.version()) {
                    return Err(format!(
                        "{here}function `{name}`: alias `{alias}` points at version {:?}, which is not `$LATEST` or a version under [functions.{name}.versions]",
                        a.version()
                    ));
                }
                if let AliasConfig::Routed(r) = a {
                    if r.weights.len() > 1 {
                        return Err(format!(
                            "{here}function `{name}`: alias `{alias}` may route to at most one additional version"
                        ));
                    }
                    if let Some((extra, weight)) = a.additional() {
                        if !f.versions.contains_key(extra) || !f.versions.contains_key(&r.version) {
                            return Err(format!(
                                "{here}function `{name}`: a weighted alias routes between published versions only (got {:?} and {extra:?})",
                                r.version
                            ));
                        }
                        if extra == r.version {
                            return Err(format!(
                                "{here}function `{name}`: alias `{alias}`: the additional version must differ from `version`"
                            ));
                        }
                        if !(0.0..=1.0).contains(&weight) {
                            return Err(format!(
                                "{here}function `{name}`: alias `{alias}`: weight {weight} must be between 0.0 and 1.0"
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_settings(
    name: &str,
    version: &str,
    timeout: Option<f64>,
    memory: Option<u32>,
) -> Result<(), String> {
    let which = if version.is_empty() {
        format!("function `{name}`")
    } else {
        format!("function `{name}` version {version}")
    };
    if let Some(t) = timeout
        && !(t > 0.0 && t <= 900.0)
    {
        return Err(format!(
            "{which}: `timeout` = {t} must be between 1 and 900 seconds"
        ));
    }
    if let Some(m) = memory
        && !(128..=10240).contains(&m)
    {
        return Err(format!(
            "{which}: `memory_size` = {m} must be between 128 and 10240 MB"
        ));
    }
    Ok(())
}

impl Config {
    /// The ARN of each declared principal.
    pub fn principal_arns(&self) -> impl Iterator<Item = String> + '_ {
        self.emulator
            .principals
            .iter()
            .map(|(name, p)| self.principal_arn(name, p))
    }

    /// A principal's ARN: its `arn`, or `arn:aws:iam::<account>:user/<name>`.
    pub fn principal_arn(&self, name: &str, p: &PrincipalConfig) -> String {
        p.arn
            .clone()
            .unwrap_or_else(|| format!("arn:aws:iam::{}:user/{name}", self.emulator.account_id))
    }
}

/// `line N: ` for the first line mentioning `needle`, or nothing.
fn line_of(text: &str, needle: &str) -> String {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| format!("line {}: ", i + 1))
        .unwrap_or_default()
}

/// `^(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-[0-9]$`, by hand: compiling the regex was
/// a cost every test process paid when it loaded lambda-test.toml (BENCHMARKS.md).
pub(crate) fn is_region(s: &str) -> bool {
    fn lower(part: &str) -> bool {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase())
    }
    fn partition(part: &str) -> bool {
        part == "gov"
            || part
                .strip_prefix("iso")
                .is_some_and(|x| x.is_empty() || (x.len() == 1 && lower(x)))
    }
    let name_and_digit = |rest: &[&str]| matches!(rest, [name, digit] if lower(name) && digit.len() == 1 && digit.as_bytes()[0].is_ascii_digit());
    let parts: Vec<&str> = s.strip_prefix("eusc-").unwrap_or(s).split('-').collect();
    match parts.as_slice() {
        [area, rest @ ..] if area.len() == 2 && lower(area) => {
            // The partition is optional: `us-gov-1` is area `us`, name `gov`.
            name_and_digit(rest)
                || matches!(rest, [p, tail @ ..] if partition(p) && name_and_digit(tail))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_region_matches_the_sdk_pattern() {
        let re =
            regex::Regex::new(r"^(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-[0-9]$").unwrap();
        let parts = [
            "", "eusc", "us", "u", "usa", "gov", "iso", "isob", "isoB", "isobb", "west", "1", "12",
            "x", "US", "Ab",
        ];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in parts {
                        for s in [
                            format!("{a}-{b}-{c}-{d}"),
                            format!("{a}-{b}-{c}"),
                            format!("{a}-{b}"),
                        ] {
                            assert_eq!(is_region(&s), re.is_match(&s), "{s:?}");
                            checked += usize::from(re.is_match(&s));
                        }
                    }
                }
            }
        }
        // The grid holds valid regions of every shape, not only refusals.
        assert!(checked > 50, "{checked}");
    }

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("/pkg/lambda-test.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn minimal_function() {
        let c = parse("[functions.greeter]\nbin = \"greeter\"\n").unwrap();
        assert_eq!(c.functions["greeter"].bin.as_deref(), Some("greeter"));
        assert_eq!(c.emulator.region, "us-east-1");
        assert_eq!(c.base_dir, Path::new("/pkg"));
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
    }

    #[test]
    fn unknown_key_names_file_line_and_valid_keys() {
        let e = parse("[functions.greeter]\nbin = \"greeter\"\ntimout = 3\n").unwrap_err();
        assert!(e.contains("/pkg/lambda-test.toml"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("timout"), "{e}");
        assert!(e.contains("`timeout`"), "{e}");
    }

    #[test]
    fn alias_to_unknown_version_is_rejected() {
        let e =
            parse("[functions.f]\nbin = \"f\"\n[functions.f.aliases]\nlive = \"7\"\n").unwrap_err();
        assert!(e.contains("line 4"), "{e}");
        assert!(e.contains("version \"7\""), "{e}");
    }

    #[test]
    fn weighted_alias() {
        let c = parse(
            "[functions.f]\nbin = \"f\"\n[functions.f.versions.1]\n[functions.f.versions.2]\n[functions.f.aliases]\nlive = { version = \"2\", weights = { \"1\" = 0.25 } }\n",
        )
        .unwrap();
        let live = &c.functions["f"].aliases["live"];
        assert_eq!(live.version(), "2");
        assert_eq!(live.additional(), Some(("1", 0.25)));
    }

    #[test]
    fn allow_names_declared_principals() {
        let ok = parse(
            "[emulator.principals.ci]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n[functions.f]\nbin = \"f\"\nallow = [\"ci\", \"arn:aws:iam::123456789012:user/ci\", \"*\"]\n",
        );
        assert!(ok.is_ok(), "{ok:?}");
        let e = parse("[functions.f]\nbin = \"f\"\nallow = [\"ghost\"]\n").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("\"ghost\", which is not a principal"), "{e}");
    }

    #[test]
    fn bin_or_command_is_required() {
        let e = parse("[functions.f]\ntimeout = 3\n").unwrap_err();
        assert!(e.contains("needs `bin`"), "{e}");
    }
}
