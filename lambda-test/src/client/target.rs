//! Where invocations go, and how a package's tests choose it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use crate::Error;

/// The environment variable that chooses the target: `local` or `aws`.
pub const TARGET_ENV: &str = "LAMBDA_TEST_TARGET";
/// The environment variable that sends every invocation to one endpoint.
pub const ENDPOINT_ENV: &str = "LAMBDA_TEST_ENDPOINT_URL";

/// Where invocations go.
///
/// ```no_run
/// use lambda_test::Target;
///
/// // What `#[lambda_test]` does for a test in this package.
/// let target = Target::resolve(env!("CARGO_MANIFEST_DIR").as_ref(), None).unwrap();
/// if let Target::Local { package_dir } = &target {
///     println!("the embedded local Lambda serves {}", package_dir.display());
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// The embedded local Lambda serving the package's functions: its cargo-lambda
    /// `[package.metadata.lambda]` and its `lambda-test.toml`.
    Local {
        /// The package directory: its `Cargo.toml` and `lambda-test.toml`.
        package_dir: PathBuf,
    },
    /// Any Lambda-compatible endpoint (e.g. `lambda-test serve`).
    Endpoint {
        /// Its URL.
        url: String,
    },
    /// Real AWS, through `aws-config`'s default chain.
    Aws,
}

impl Target {
    /// Resolves the target for a package, in this order (crate docs, "Targets"):
    ///
    /// 1. `endpoint_url`, then `LAMBDA_TEST_ENDPOINT_URL`: that endpoint;
    /// 2. `LAMBDA_TEST_TARGET=aws` or `local`;
    /// 3. the package's own choice, `[package.metadata.lambda-test] target = "aws"` (or
    ///    `"local"`) in its `Cargo.toml`;
    /// 4. a `lambda-test.toml` in the package, or cargo-lambda's `[package.metadata.lambda]`
    ///    in its `Cargo.toml`: the local Lambda;
    /// 5. otherwise [`Error::NoTarget`]: real AWS is reached only when asked for, never because
    ///    a file was not found.
    pub fn resolve(package_dir: &Path, endpoint_url: Option<&str>) -> Result<Target, Error> {
        if let Some(url) = endpoint_url {
            return Ok(Target::Endpoint {
                url: url.to_owned(),
            });
        }
        if let Some(url) = env_nonempty(ENDPOINT_ENV) {
            return Ok(Target::Endpoint { url });
        }
        let (setting, value) = match env_nonempty(TARGET_ENV) {
            Some(value) => (TARGET_ENV.to_owned(), Some(value)),
            None => (
                format!(
                    "`[package.metadata.lambda-test] target` in {}",
                    package_dir.join("Cargo.toml").display()
                ),
                package_target(package_dir)?,
            ),
        };
        let local = || {
            let asked = format!("{setting} is `local`");
            Self::local(package_dir).ok_or_else(|| Error::NoLocalConfig {
                reason: if setting == TARGET_ENV {
                    format!("{TARGET_ENV}=local")
                } else {
                    asked
                },
                package_dir: package_dir.to_owned(),
            })
        };
        match value.as_deref() {
            Some("aws") => Ok(Target::Aws),
            Some("local") => local(),
            Some(other) => Err(Error::InvalidTarget {
                setting,
                value: other.to_owned(),
            }),
            None => Self::local(package_dir).ok_or_else(|| Error::NoTarget {
                package_dir: package_dir.to_owned(),
            }),
        }
    }

    /// The directory of the package `package` at run time: the runner's `CARGO_MANIFEST_DIR`
    /// when it names this package (`CARGO_PKG_NAME`), else `compiled`, the directory it was
    /// built in (`env!("CARGO_MANIFEST_DIR")`).
    ///
    /// `cargo test` and `cargo nextest run` both set the two variables for a test; nextest
    /// remaps them to the checkout an archived run is given (`--workspace-remap`), where the
    /// directory the test was built in may not exist.
    ///
    /// ```
    /// use lambda_test::Target;
    ///
    /// let dir = Target::package_dir(env!("CARGO_PKG_NAME"), env!("CARGO_MANIFEST_DIR").as_ref());
    /// assert!(dir.join("Cargo.toml").is_file());
    /// ```
    pub fn package_dir(package: &str, compiled: &Path) -> PathBuf {
        package_dir_from(package, compiled, |name| std::env::var_os(name))
    }

    fn local(package_dir: &Path) -> Option<Target> {
        let defined = package_dir.join(crate::CONFIG_FILE_NAME).is_file()
            || crate::config::has_lambda_metadata(&package_dir.join("Cargo.toml"))
            || crate::config::has_template(package_dir);
        defined.then(|| Target::Local {
            package_dir: package_dir.to_owned(),
        })
    }
}

fn package_dir_from(
    package: &str,
    compiled: &Path,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> PathBuf {
    let ours = env("CARGO_PKG_NAME").is_some_and(|name| name == package);
    match env("CARGO_MANIFEST_DIR").map(PathBuf::from) {
        Some(dir) if ours && dir.is_dir() => dir,
        _ => compiled.to_owned(),
    }
}

/// `[package.metadata.lambda-test] target` of the package's `Cargo.toml`, read once per
/// package and process.
fn package_target(package_dir: &Path) -> Result<Option<String>, Error> {
    static READ: LazyLock<Mutex<HashMap<PathBuf, Option<String>>>> = LazyLock::new(Mutex::default);
    if let Some(found) = READ.lock().expect("poisoned").get(package_dir) {
        return Ok(found.clone());
    }
    let found = read_package_target(&package_dir.join("Cargo.toml"))?;
    READ.lock()
        .expect("poisoned")
        .insert(package_dir.to_owned(), found.clone());
    Ok(found)
}

fn read_package_target(manifest: &Path) -> Result<Option<String>, Error> {
    let fail = |message: String| Error::PackageMetadata {
        manifest: manifest.to_owned(),
        message,
    };
    let text = match std::fs::read_to_string(manifest) {
        Ok(text) => text,
        // No manifest (a test run from a bare directory): no setting.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fail(e.to_string())),
    };
    if !crate::config::may_have_metadata(&text) {
        // No `[package.metadata]`, so no setting: not worth a parse in every test process.
        return Ok(None);
    }
    let table: toml::Table = toml::from_str(&text).map_err(|e| fail(e.to_string()))?;
    let settings = table
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("lambda-test"));
    let Some(settings) = settings else {
        return Ok(None);
    };
    let settings = settings
        .as_table()
        .ok_or_else(|| fail("it must be a table".to_owned()))?;
    if let Some(key) = settings.keys().find(|k| *k != "target") {
        return Err(fail(format!("unknown key `{key}`; expected `target`")));
    }
    match settings.get("target") {
        None => Ok(None),
        Some(toml::Value::String(target)) => Ok(Some(target.clone())),
        Some(other) => Err(fail(format!(
            "`target` must be the string \"aws\" or \"local\", not {other}"
        ))),
    }
}

pub(crate) fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package directory of its own, with the given files.
    fn package(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lambda-test-target-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, contents) in files {
            std::fs::write(dir.join(file), contents).unwrap();
        }
        dir
    }

    const MANIFEST: &str = "[package]\nname = \"p\"\nversion.workspace = true\n";

    // The environment is the process's: these tests read it but never set it, and the
    // variables are unset under `cargo test` (tests that need them set run as processes of
    // their own, tests/tests/harness.rs).
    fn environment_is_clean() -> bool {
        env_nonempty(TARGET_ENV).is_none() && env_nonempty(ENDPOINT_ENV).is_none()
    }

    #[test]
    fn no_local_definition_is_an_error_naming_both_ways() {
        if !environment_is_clean() {
            return;
        }
        let dir = package("none", &[("Cargo.toml", MANIFEST)]);
        let error = Target::resolve(&dir, None).unwrap_err();
        assert!(matches!(&error, Error::NoTarget { package_dir } if *package_dir == dir));
        let message = error.to_string();
        assert!(message.contains("LAMBDA_TEST_TARGET=aws"), "{message}");
        assert!(
            message.contains("[package.metadata.lambda-test]"),
            "{message}"
        );
        assert!(message.contains(&dir.display().to_string()), "{message}");
    }

    #[test]
    fn the_package_setting_chooses_aws() {
        if !environment_is_clean() {
            return;
        }
        let manifest = format!("{MANIFEST}\n[package.metadata.lambda-test]\ntarget = \"aws\"\n");
        let dir = package("aws", &[("Cargo.toml", &manifest)]);
        assert_eq!(Target::resolve(&dir, None).unwrap(), Target::Aws);
        // It wins over a lambda-test.toml beside it: the package said so.
        let dir = package(
            "aws-and-local",
            &[("Cargo.toml", &manifest), (crate::CONFIG_FILE_NAME, "")],
        );
        assert_eq!(Target::resolve(&dir, None).unwrap(), Target::Aws);
    }

    #[test]
    fn a_lambda_test_toml_chooses_local() {
        if !environment_is_clean() {
            return;
        }
        let dir = package(
            "local",
            &[("Cargo.toml", MANIFEST), (crate::CONFIG_FILE_NAME, "")],
        );
        assert_eq!(
            Target::resolve(&dir, None).unwrap(),
            Target::Local { package_dir: dir }
        );
    }

    #[test]
    fn cargo_lambda_metadata_chooses_local() {
        if !environment_is_clean() {
            return;
        }
        let manifest = format!("{MANIFEST}\n[package.metadata.lambda.deploy]\nmemory = 512\n");
        let dir = package("cargo-lambda", &[("Cargo.toml", &manifest)]);
        assert_eq!(
            Target::resolve(&dir, None).unwrap(),
            Target::Local { package_dir: dir }
        );
        // Other metadata does not say "lambda": a plain package still has to choose.
        let manifest = format!("{MANIFEST}\n[package.metadata.docs.rs]\nall-features = true\n");
        let dir = package("plain", &[("Cargo.toml", &manifest)]);
        let error = Target::resolve(&dir, None).unwrap_err();
        assert!(matches!(error, Error::NoTarget { .. }), "{error}");
        assert!(
            error.to_string().contains("[package.metadata.lambda]"),
            "{error}"
        );
    }

    #[test]
    fn an_endpoint_wins() {
        let dir = package("endpoint", &[]);
        assert_eq!(
            Target::resolve(&dir, Some("http://127.0.0.1:9")).unwrap(),
            Target::Endpoint {
                url: "http://127.0.0.1:9".into()
            }
        );
    }

    #[test]
    fn bad_package_settings_are_typed_errors() {
        if !environment_is_clean() {
            return;
        }
        let with = |name: &str, settings: &str| {
            let manifest = format!("{MANIFEST}\n[package.metadata.lambda-test]\n{settings}\n");
            Target::resolve(&package(name, &[("Cargo.toml", &manifest)]), None).unwrap_err()
        };
        let bogus = with("bogus", "target = \"prod\"");
        assert!(
            matches!(&bogus, Error::InvalidTarget { value, .. } if value == "prod"),
            "{bogus}"
        );
        let typo = with("typo", "taget = \"aws\"");
        assert!(matches!(typo, Error::PackageMetadata { .. }), "{typo}");
        assert!(typo.to_string().contains("unknown key `taget`"), "{typo}");
        let local = with("local-without", "target = \"local\"");
        assert!(matches!(local, Error::NoLocalConfig { .. }), "{local}");
    }

    #[test]
    fn the_runners_package_dir_is_preferred_when_it_names_this_package() {
        let remapped = package("remapped", &[]);
        let compiled = Path::new("/built/here/gone");
        let env = |pkg: &'static str| {
            let remapped = remapped.clone();
            move |name: &str| match name {
                "CARGO_PKG_NAME" => Some(pkg.into()),
                "CARGO_MANIFEST_DIR" => Some(remapped.clone().into()),
                _ => None,
            }
        };
        assert_eq!(
            package_dir_from("greeter", compiled, env("greeter")),
            remapped
        );
        // Another package's variables (a child process inheriting them): the compiled path.
        assert_eq!(
            package_dir_from("greeter", compiled, env("other")),
            compiled
        );
        assert_eq!(package_dir_from("greeter", compiled, |_| None), compiled);
        let missing = |name: &str| match name {
            "CARGO_PKG_NAME" => Some("greeter".into()),
            "CARGO_MANIFEST_DIR" => Some("/no/such/dir".into()),
            _ => None,
        };
        assert_eq!(package_dir_from("greeter", compiled, missing), compiled);
    }
}
