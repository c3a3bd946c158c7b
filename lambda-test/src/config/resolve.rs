//! From [`Definitions`] to the [`Config`] model: every rule checked once, whichever source a
//! value came from, and every default applied. Each error names where the value was read.

mod emulator;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::definition::{
    AliasDefinition, Definitions, FunctionDefinition, LoggingDefinition, Origin,
    SettingsDefinition, Sourced, UrlDefinition,
};
use super::model::{
    self, Alias, Config, EmulatorSettings, Function, FunctionUrl, Logging, UrlAuthType,
    UrlInvokeMode, Version, WeightedVersion,
};
use crate::Error;

/// A broken rule: where, and what is wrong with the fix.
pub(super) struct Invalid {
    pub(super) origin: Origin,
    pub(super) message: String,
}

impl Invalid {
    pub(super) fn new(origin: &Origin, message: impl Into<String>) -> Self {
        Self {
            origin: origin.clone(),
            message: message.into(),
        }
    }
}

impl From<Invalid> for Error {
    fn from(invalid: Invalid) -> Error {
        Error::ConfigInvalid {
            path: invalid.origin.file.to_path_buf(),
            message: format!("{}: {}", invalid.origin, invalid.message),
        }
    }
}

impl Definitions {
    /// Checks the merged definitions and applies the defaults. `path` is the overlay
    /// (`lambda-test.toml`): the model's [`Config::path`], and its directory the fallback
    /// task root.
    pub(crate) fn resolve(self, path: &Path) -> Result<Config, Error> {
        let base_dir = path
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("/"));
        let emulator = emulator::emulator_settings(self.emulator)?;
        let mut functions = BTreeMap::new();
        for (name, function) in self.functions {
            let function = resolve_function(&emulator, &base_dir, &name, function)?;
            functions.insert(name, function);
        }
        Ok(Config {
            emulator,
            functions,
            base_dir,
            path: path.to_owned(),
        })
    }
}

fn resolve_function(
    emulator: &EmulatorSettings,
    base_dir: &Path,
    name: &str,
    f: FunctionDefinition,
) -> Result<Function, Invalid> {
    check_allow(emulator, &f.allow, &format!("function `{name}`"))?;
    for (alias, a) in &f.aliases {
        check_allow(
            emulator,
            &a.allow,
            &format!("function `{name}` alias `{alias}`"),
        )?;
    }
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Invalid::new(
            &f.origin,
            format!("function name {name:?} must be 1 to 64 letters, digits, `-` or `_`"),
        ));
    }
    let context = format!("function `{name}` (line {})", f.origin.line);
    if f.latest.code.is_none() {
        return Err(Invalid::new(
            &f.origin,
            format!(
                "function `{name}` needs `bin` (a [[bin]] of this package) or `command`{}",
                if f.origin.file.ends_with(crate::CONFIG_FILE_NAME) {
                    String::new()
                } else {
                    format!(
                        "; its template gives no code the local Lambda can run: give it `Metadata: BuildMethod: rust-cargolambda` and a `CodeUri` of a cargo package, or set `bin` or `command` under [functions.{name}] in lambda-test.toml"
                    )
                }
            ),
        ));
    }
    check_environment(&f.origin, &context, &f.latest.environment)?;
    for (number, v) in &f.versions {
        let context = format!(
            "function `{name}` version {number} (line {})",
            v.origin.line
        );
        check_environment(&v.origin, &context, &v.settings.environment)?;
    }
    let latest = resolve_version(name, "$LATEST", &context, &f.latest, None, base_dir)?;
    let versions = resolve_versions(name, &f, base_dir)?;
    let mut aliases = BTreeMap::new();
    for (alias, a) in f.aliases {
        let resolved = resolve_alias(name, &alias, a, &versions)?;
        aliases.insert(alias, resolved);
    }
    let url = f
        .url
        .map(|u| resolve_url(name, u, &aliases, emulator))
        .transpose()?;
    Ok(Function {
        name: name.to_owned(),
        arn: format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            emulator.region, emulator.account_id
        ),
        latest,
        versions,
        aliases,
        reserved_concurrency: f.reserved_concurrency.map(|c| c.value),
        allow: f.allow.map(values),
        url,
    })
}

/// A Function URL: its auth type and invoke mode as AWS spells them (defaults `NONE` and
/// `BUFFERED`), and a qualifier that is `$LATEST` or an alias, as AWS requires.
fn resolve_url(
    function: &str,
    u: UrlDefinition,
    aliases: &BTreeMap<String, Alias>,
    emulator: &EmulatorSettings,
) -> Result<FunctionUrl, Invalid> {
    fn parse<T: std::str::FromStr<Err = String>>(
        value: &Option<Sourced<String>>,
        key: &str,
        function: &str,
    ) -> Result<Option<T>, Invalid> {
        value
            .as_ref()
            .map(|v| {
                v.value.parse().map_err(|e| {
                    Invalid::new(
                        &v.origin,
                        format!("function `{function}`: `url.{key}` = {e}"),
                    )
                })
            })
            .transpose()
    }
    let auth_type = parse(&u.auth_type, "auth_type", function)?.unwrap_or(UrlAuthType::None);
    if auth_type == UrlAuthType::AwsIam && emulator.principals.is_empty() {
        return Err(Invalid::new(
            &u.origin,
            format!(
                "function `{function}`: a Function URL with `auth_type = \"AWS_IAM\"` admits only signed requests of principals, and none is declared; declare one under [emulator.principals], or use `auth_type = \"NONE\"`"
            ),
        ));
    }
    let invoke_mode =
        parse(&u.invoke_mode, "invoke_mode", function)?.unwrap_or(UrlInvokeMode::Buffered);
    let qualifier = match u.qualifier {
        None => None,
        Some(q) if q.value == "$LATEST" => None,
        Some(q) if aliases.contains_key(&q.value) => Some(q.value),
        Some(q) => {
            let known: Vec<&str> = aliases.keys().map(String::as_str).collect();
            return Err(Invalid::new(
                &q.origin,
                format!(
                    "function `{function}`: `url.qualifier` = {:?} is not an alias of it; a Function URL invokes $LATEST or an alias ({})",
                    q.value,
                    if known.is_empty() {
                        "it has none: declare one under [functions.{function}.aliases]".to_owned()
                    } else {
                        format!("declared: {}", known.join(", "))
                    }
                ),
            ));
        }
    };
    let mut url = FunctionUrl {
        auth_type,
        invoke_mode,
        qualifier,
        cors: None,
    };
    url.cors = u.cors.map(|c| c.value);
    Ok(url)
}

/// A function's own variables may not set what Lambda reserves (CreateFunction refuses
/// them), nor start with `_` (Lambda drops those).
fn check_environment(
    origin: &Origin,
    context: &str,
    environment: &BTreeMap<String, String>,
) -> Result<(), Invalid> {
    for name in environment.keys() {
        if model::RESERVED_VARIABLES.contains(&name.as_str()) {
            return Err(Invalid::new(
                origin,
                format!(
                    "{context}: `environment` sets {name}, which Lambda reserves and sets itself (CreateFunction refuses it); remove it{}",
                    if name.starts_with("AWS_ACCESS_KEY")
                        || name == "AWS_SECRET_ACCESS_KEY"
                        || name == "AWS_SESSION_TOKEN"
                    {
                        ". A function that calls AWS gets its credentials from its role on AWS; locally, give them with `aws = { credentials = \"static\", access_key_id = ..., secret_access_key = ... }` or `aws = { credentials = \"caller\" }`"
                    } else {
                        ""
                    }
                ),
            ));
        }
        if let Some(fix) = super::aws_access::set_by_aws(name) {
            return Err(Invalid::new(origin, format!("{context}: {fix}")));
        }
        if name.starts_with('_') {
            return Err(Invalid::new(
                origin,
                format!(
                    "{context}: `environment` sets {name}: names starting with `_` are Lambda's own, and it drops the function's; rename it"
                ),
            ));
        }
    }
    Ok(())
}

/// Every entry of an `allow` list names a declared principal (by name or ARN) or is `"*"`.
fn check_allow(
    emulator: &EmulatorSettings,
    allow: &Option<Vec<Sourced<String>>>,
    whose: &str,
) -> Result<(), Invalid> {
    for entry in allow.iter().flatten() {
        let known = entry.value == "*"
            || emulator.principals.contains_key(&entry.value)
            || emulator.principals.values().any(|p| p.arn == entry.value);
        if !known {
            return Err(Invalid::new(
                &entry.origin,
                format!(
                    "{whose}: `allow` names {:?}, which is not a principal under [emulator.principals] (or \"*\"); declare it there, or name a declared principal",
                    entry.value
                ),
            ));
        }
    }
    Ok(())
}

/// The published versions of a function, each over its `$LATEST`.
fn resolve_versions(
    name: &str,
    f: &FunctionDefinition,
    base_dir: &Path,
) -> Result<BTreeMap<String, Version>, Invalid> {
    let mut versions = BTreeMap::new();
    for (number, v) in &f.versions {
        if number.is_empty()
            || !number.bytes().all(|b| b.is_ascii_digit())
            || number.starts_with('0')
        {
            return Err(Invalid::new(
                &v.origin,
                format!(
                    "function `{name}`: version {number:?} must be a number like \"1\"; published versions are numbered from 1"
                ),
            ));
        }
        let context = format!(
            "function `{name}` version {number} (line {})",
            v.origin.line
        );
        let version = resolve_version(
            name,
            number,
            &context,
            &v.settings,
            Some(&f.latest),
            base_dir,
        )?;
        versions.insert(number.clone(), version);
    }
    Ok(versions)
}

/// One version's settings: its own, else `$LATEST`'s (for a published version), else the
/// defaults.
fn resolve_version(
    function: &str,
    version: &str,
    context: &str,
    own: &SettingsDefinition,
    latest: Option<&SettingsDefinition>,
    base_dir: &Path,
) -> Result<Version, Invalid> {
    let code_from = inherit(own, latest, |s| &s.code)
        .map(|(from, _)| from)
        .expect("checked: $LATEST has code");
    let (code, task_root) = resolve_code(context, code_from, base_dir)?;
    let timeout = resolve_timeout(context, inherit(own, latest, |s| &s.timeout))?;
    let memory_size = resolve_memory_size(context, inherit(own, latest, |s| &s.memory_size))?;
    let handler = inherit(own, latest, |s| &s.handler).map_or_else(
        || model::DEFAULT_HANDLER.to_owned(),
        |(_, h)| h.value.clone(),
    );
    let mut environment = latest.map(|l| l.environment.clone()).unwrap_or_default();
    environment.extend(own.environment.clone());
    let architecture = match inherit(own, latest, |s| &s.architecture) {
        Some((_, a)) => a
            .value
            .parse()
            .map_err(|e| Invalid::new(&a.origin, format!("{context}: `architecture` {e}")))?,
        None => model::Architecture::default(),
    };
    let logging = resolve_logging(function, context, &own.logging, latest.map(|l| &l.logging))?;
    let aws = inherit(own, latest, |s| &s.aws).map(|(_, aws)| aws);
    let aws = super::aws_access::resolve(context, aws, &|name| std::env::var(name).ok())?;
    Ok(Version {
        version: version.to_owned(),
        code,
        task_root,
        timeout,
        memory_size,
        handler,
        environment,
        architecture,
        logging,
        aws,
    })
}

/// A version's own value of a field, else its `$LATEST`'s, with the settings it came from.
fn inherit<'a, T>(
    own: &'a SettingsDefinition,
    latest: Option<&'a SettingsDefinition>,
    field: fn(&SettingsDefinition) -> &Option<T>,
) -> Option<(&'a SettingsDefinition, &'a T)> {
    let from = |s: &'a SettingsDefinition| field(s).as_ref().map(|value| (s, value));
    from(own).or_else(|| latest.and_then(from))
}

/// What a version runs, and its task root: the directory of the source that declared the
/// code, else the overlay's.
fn resolve_code(
    context: &str,
    from: &SettingsDefinition,
    base_dir: &Path,
) -> Result<(model::Code, PathBuf), Invalid> {
    let code = from.code.clone().expect("picked for its code");
    if let model::Code::Command { program, .. } = &code.value
        && program.is_empty()
    {
        return Err(Invalid::new(
            &code.origin,
            format!("{context}: `command` is empty; give the program and its arguments"),
        ));
    }
    let task_root = from.code_dir.clone().unwrap_or_else(|| base_dir.to_owned());
    Ok((code.value, task_root))
}

fn resolve_timeout(
    context: &str,
    timeout: Option<(&SettingsDefinition, &Sourced<f64>)>,
) -> Result<Duration, Invalid> {
    match timeout {
        Some((_, t)) if !(t.value > 0.0 && t.value <= 900.0) => Err(Invalid::new(
            &t.origin,
            format!(
                "{context}: `timeout` = {} must be between 1 and 900 seconds",
                t.value
            ),
        )),
        Some((_, t)) => Ok(Duration::from_secs_f64(t.value)),
        None => Ok(model::DEFAULT_TIMEOUT),
    }
}

fn resolve_memory_size(
    context: &str,
    memory_size: Option<(&SettingsDefinition, &Sourced<u32>)>,
) -> Result<u32, Invalid> {
    match memory_size {
        Some((_, m)) if !(128..=10240).contains(&m.value) => Err(Invalid::new(
            &m.origin,
            format!(
                "{context}: `memory_size` = {} must be between 128 and 10240 MB",
                m.value
            ),
        )),
        Some((_, m)) => Ok(m.value),
        None => Ok(model::DEFAULT_MEMORY_SIZE),
    }
}

/// Logging controls: each field its own, else `$LATEST`'s, else AWS's default. Levels need
/// the JSON format, as on AWS.
fn resolve_logging(
    function: &str,
    context: &str,
    own: &LoggingDefinition,
    latest: Option<&LoggingDefinition>,
) -> Result<Logging, Invalid> {
    fn field<'a>(
        own: &'a Option<Sourced<String>>,
        latest: Option<&'a Option<Sourced<String>>>,
    ) -> Option<&'a Sourced<String>> {
        own.as_ref().or(latest.and_then(Option::as_ref))
    }
    fn parse<T: std::str::FromStr<Err = String>>(
        value: Option<&Sourced<String>>,
        key: &str,
        context: &str,
    ) -> Result<Option<T>, Invalid> {
        value
            .map(|v| {
                v.value.parse().map_err(|e| {
                    Invalid::new(&v.origin, format!("{context}: `logging.{key}` = {e}"))
                })
            })
            .transpose()
    }
    let mut logging = Logging::defaults(function);
    let format = field(&own.format, latest.map(|l| &l.format));
    if let Some(format) = parse(format, "format", context)? {
        logging.format = format;
    }
    let application = field(&own.application_level, latest.map(|l| &l.application_level));
    let system = field(&own.system_level, latest.map(|l| &l.system_level));
    let own_levels = [
        (&own.application_level, "application_level"),
        (&own.system_level, "system_level"),
    ];
    for (level, key) in own_levels {
        if let Some(level) = level
            && logging.format != model::LogFormat::Json
        {
            return Err(Invalid::new(
                &level.origin,
                format!(
                    "{context}: `logging.{key}` applies to the JSON log format only (as on AWS); add `format = \"JSON\"` to `logging`, or remove `{key}`"
                ),
            ));
        }
    }
    // A version that switches to Text drops the levels it would inherit: Text has none.
    if logging.format == model::LogFormat::Json {
        if let Some(level) = parse(application, "application_level", context)? {
            logging.application_level = level;
        }
        if let Some(level) = parse(system, "system_level", context)? {
            logging.system_level = level;
        }
    }
    if let Some(group) = field(&own.log_group, latest.map(|l| &l.log_group)) {
        let valid = (1..=512).contains(&group.value.len())
            && group
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_/#".contains(&b));
        if !valid {
            return Err(Invalid::new(
                &group.origin,
                format!(
                    "{context}: `logging.log_group` = {:?} must be 1 to 512 letters, digits or `.-_/#`, like \"/aws/lambda/{function}\"",
                    group.value
                ),
            ));
        }
        logging.log_group = group.value.clone();
    }
    Ok(logging)
}

fn resolve_alias(
    name: &str,
    alias: &str,
    a: AliasDefinition,
    versions: &BTreeMap<String, Version>,
) -> Result<Alias, Invalid> {
    if alias.is_empty()
        || alias.len() > 128
        || alias.bytes().all(|b| b.is_ascii_digit())
        || !alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Invalid::new(
            &a.origin,
            format!(
                "function `{name}`: alias {alias:?} must be 1 to 128 letters, digits, `-` or `_`, and not all digits"
            ),
        ));
    }
    let version = &a.version;
    if version.value != "$LATEST" && !versions.contains_key(&version.value) {
        return Err(Invalid::new(
            &version.origin,
            format!(
                "function `{name}`: alias `{alias}` points at version {:?}, which is not `$LATEST` or a version under [functions.{name}.versions]; declare [functions.{name}.versions.{}] or point it at an existing one",
                version.value, version.value
            ),
        ));
    }
    let additional = additional_version(name, alias, &a, versions)?;
    Ok(Alias {
        name: alias.to_owned(),
        version: a.version.value,
        additional,
        allow: a.allow.map(values),
    })
}

/// The weighted second version of alias `alias`, if it routes to one.
fn additional_version(
    name: &str,
    alias: &str,
    a: &AliasDefinition,
    versions: &BTreeMap<String, Version>,
) -> Result<Option<WeightedVersion>, Invalid> {
    let at = |origin: &Origin, message: String| Err(Invalid::new(origin, message));
    let version = &a.version;
    let (extra, weight) = match a.weights.as_slice() {
        [] => return Ok(None),
        [(extra, weight)] => (extra, weight),
        [_, (second, _), ..] => {
            return at(
                &second.origin,
                format!(
                    "function `{name}`: alias `{alias}` may route to at most one additional version; keep one entry in `weights`"
                ),
            );
        }
    };
    if !versions.contains_key(&extra.value) || !versions.contains_key(&version.value) {
        return at(
            &extra.origin,
            format!(
                "function `{name}`: a weighted alias routes between published versions only (got {:?} and {:?}); declare both under [functions.{name}.versions]",
                version.value, extra.value
            ),
        );
    }
    if extra.value == version.value {
        return at(
            &extra.origin,
            format!(
                "function `{name}`: alias `{alias}`: the additional version must differ from `version`"
            ),
        );
    }
    if !(0.0..=1.0).contains(&weight.value) {
        return at(
            &weight.origin,
            format!(
                "function `{name}`: alias `{alias}`: weight {} must be between 0.0 and 1.0 (the share of invocations version {} gets)",
                weight.value, extra.value
            ),
        );
    }
    Ok(Some(WeightedVersion {
        version: extra.value.clone(),
        weight: weight.value,
    }))
}

fn values<T>(sourced: Vec<Sourced<T>>) -> Vec<T> {
    sourced.into_iter().map(|s| s.value).collect()
}
