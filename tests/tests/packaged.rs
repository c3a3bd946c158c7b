//! A user's view of the published crates: `cargo package` makes the `.crate` files of
//! `lambda-test-macros` and `lambda-test`, and a function package outside the workspace
//! (`tests/user-package`, copied to a temporary directory) takes both from those files through
//! `[patch.crates-io]` and passes its lambda test with `cargo test`. A file the crates need at
//! build or run time but leave out of their package fails this test; the workspace's own path
//! crates are never used.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crates a user gets from the registry, in the order `cargo package` needs them.
const PUBLISHED: &[&str] = &["lambda-test-macros", "lambda-test"];

/// The user package's files (`tests/user-package`); its `Cargo.toml` is written by the test.
const USER_FILES: &[&str] = &[
    "src/main.rs",
    "lambda-test.toml",
    "tests/hello.rs",
    "tests/snapshots/hello__says_hello_to_ada.snap",
];

#[test]
#[ignore = "packages the crates and builds a package against them: a minute warm, more cold \
            (.ci/run runs it: `cargo test -p lambda-test-suite --test packaged -- --ignored`)"]
fn a_package_outside_the_workspace_passes_with_the_packaged_crates() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    // The workspace's target directory: the dependencies the workspace already built are reused
    // (same versions through its Cargo.lock, same profile); the packaged crates are new sources.
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp")
        .to_owned();
    let version = env!("CARGO_PKG_VERSION");

    let mut package = cargo(workspace);
    package
        .args(["package", "--no-verify", "--allow-dirty", "--target-dir"])
        .arg(&target);
    for name in PUBLISHED {
        package.args(["-p", name]);
    }
    assert_success("cargo package", &package.output().unwrap());

    // Outside the workspace, so that neither its Cargo.toml nor its .cargo/config.toml applies.
    let user = Scratch::new(&target);
    let packaged = user.0.join("packaged");
    std::fs::create_dir_all(&packaged).unwrap();
    for name in PUBLISHED {
        let crate_file = target.join(format!("package/{name}-{version}.crate"));
        // `m`: the files get the time of unpacking, so the build compiles what was just packaged.
        let unpacked = Command::new("tar")
            .arg("-xzmf")
            .arg(&crate_file)
            .arg("-C")
            .arg(&packaged)
            .output()
            .unwrap();
        assert_success(&format!("unpacking {}", crate_file.display()), &unpacked);
    }
    let fixture = workspace.join("tests/user-package");
    for file in USER_FILES {
        let to = user.0.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture.join(file), &to)
            .unwrap_or_else(|e| panic!("copying {file} of {}: {e}", fixture.display()));
    }
    // The workspace's versions of every dependency: nothing new to download or build.
    std::fs::copy(workspace.join("Cargo.lock"), user.0.join("Cargo.lock")).unwrap();
    std::fs::write(user.0.join("Cargo.toml"), manifest(&packaged, version)).unwrap();

    let tested = cargo(&user.0)
        .args(["test", "--color", "never", "--target-dir"])
        .arg(&target)
        // insta fails on a snapshot that differs or is missing, and writes none.
        .env("CI", "true")
        .env("INSTA_UPDATE", "no")
        .output()
        .unwrap();
    assert_success("cargo test in the user package", &tested);
    let stderr = String::from_utf8_lossy(&tested.stderr);
    for name in PUBLISHED {
        let from_package = format!(
            "Compiling {name} v{version} ({})",
            packaged.join(format!("{name}-{version}")).display()
        );
        assert!(
            stderr.contains(&from_package),
            "`{from_package}` (the packaged sources, not the workspace's):\n{stderr}"
        );
    }
    let stdout = String::from_utf8_lossy(&tested.stdout);
    assert!(
        stdout.contains("test says_hello_to_ada ... ok"),
        "the lambda test ran and passed:\n{stdout}"
    );
}

/// The user package's manifest: `lambda-test` as a registry dev-dependency, patched to the
/// unpacked `.crate` files; its own `[workspace]`, and the workspace's dev profile (line tables
/// for its own code, none for dependencies) so that dependency builds are shared.
fn manifest(packaged: &Path, version: &str) -> String {
    let patch = |name: &str| {
        let path = packaged.join(format!("{name}-{version}"));
        format!("{name} = {{ path = {:?} }}\n", path.display().to_string())
    };
    format!(
        r#"[package]
name = "user-package"
version = "0.1.0"
edition = "2024"
publish = false

[[bin]]
name = "hello"
path = "src/main.rs"

[dependencies]
lambda_runtime = "1"
serde_json = "1"
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}

[dev-dependencies]
lambda-test = "{version}"

[patch.crates-io]
{}{}
[workspace]

[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false
"#,
        patch("lambda-test"),
        patch("lambda-test-macros"),
    )
}

/// `cargo` in `dir`, without the variables that describe this test's own package and build
/// (the user's cargo settings, `CARGO_HOME` and `CARGO_INCREMENTAL` among them, stay), and
/// without lambda-test's, insta's, nextest's and AWS's settings.
fn cargo(dir: &Path) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(dir);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let this_build = [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_BIN_",
            "CARGO_CRATE_",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_DIR",
            "CARGO_TARGET_TMPDIR",
            "CARGO_RUSTC_CURRENT_DIR",
        ];
        let settings = ["LAMBDA_TEST_", "INSTA_", "NEXTEST", "RUST_TEST", "AWS_"];
        if this_build
            .iter()
            .chain(&settings)
            .any(|prefix| name.starts_with(prefix))
        {
            command.env_remove(&*name);
        }
    }
    command
}

/// A temporary directory outside the workspace, one per target directory (so that a rerun
/// reuses the build's paths), removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(target: &Path) -> Scratch {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        target.hash(&mut hasher);
        let dir = std::env::temp_dir().join(format!("lambda-test-user-{:016x}", hasher.finish()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
