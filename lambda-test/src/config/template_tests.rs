//! SAM and CloudFormation templates read from real-shaped packages on disk, through
//! `Config::load` as the local Lambda reads them, and the bad files each refused with the
//! file, the line and the fix.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::tests::tree;
use super::*;

fn load(dir: &Path) -> Result<Config, String> {
    Config::load(&dir.join(crate::CONFIG_FILE_NAME)).map_err(|e| e.to_string())
}

/// A package with two binaries, `hello` and `goodbye`, and no cargo-lambda metadata.
const PACKAGE: &str = "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[bin]]\nname = \"hello\"\npath = \"src/hello.rs\"\n\n[[bin]]\nname = \"goodbye\"\npath = \"src/goodbye.rs\"\n";

/// `sam init`'s shape for Rust (cargo-lambda), with every property the local Lambda reads.
const SAM: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: two functions behind an HTTP API

Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Memory:
    Type: Number
    Default: 256
  Origins:
    Type: CommaDelimitedList
    Default: "https://a.example,https://b.example"

Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Or [!Equals [a, a], !Condition IsProd]]

Mappings:
  Levels:
    dev: { App: DEBUG }
    prod: { App: WARN }

Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    Architectures: [arm64]
    Timeout: 5
    MemorySize: !Ref Memory
    AutoPublishAlias: live
    Environment:
      Variables:
        STAGE: !Ref Stage
        SHARED: global
    LoggingConfig:
      LogFormat: JSON
      ApplicationLogLevel: !FindInMap [Levels, !Ref Stage, App]

Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: hello
    Properties:
      CodeUri: .
      FunctionName: !Sub "${AWS::StackName}-hello"
      ReservedConcurrentExecutions: !If [IsProd, 100, 4]
      Environment:
        Variables:
          SHARED: own
          REGION_URL: !Sub "https://lambda.${AWS::Region}.${AWS::URLSuffix}"
          SELF_ARN: !GetAtt HelloFunction.Arn
          OTHER: !Ref GoodbyeFunction
          TABLE: !Ref Table
          TABLE_ARN: !GetAtt Table.Arn
          JOINED: !Join ["-", [!Ref Stage, !Select [1, !Split [",", "x,y,z"]]]]
          LITERAL: !Sub "${!NotAVariable}"
          NAMED: !Sub ["${Who}@${AWS::AccountId}", { Who: !Ref Stage }]
          DROPPED: !If [IsProd, yes, !Ref AWS::NoValue]
          BOTH: !If [Both, "true", "false"]
          FIRST_ORIGIN: !Select [0, !Ref Origins]
      Role: !ImportValue not-resolved-because-it-does-not-matter-locally
      Events:
        Api:
          Type: HttpApi
          Properties: { Path: /hello, Method: get }
      FunctionUrlConfig:
        AuthType: NONE
        InvokeMode: RESPONSE_STREAM
        Cors:
          AllowOrigins: !Ref Origins
          MaxAge: 300
  GoodbyeFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: goodbye
    Properties:
      CodeUri: ./
      Timeout: 10
      AutoPublishAlias: current
      Environment:
        Variables:
          HELLO_ALIAS: !Ref HelloFunction.Alias
          HELLO_VERSION: !Ref HelloFunction.Version
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
"#;

fn sam_package(name: &str, template: &str, toml: Option<&str>) -> PathBuf {
    let mut files = vec![
        ("Cargo.toml", PACKAGE),
        ("src/hello.rs", "fn main() {}\n"),
        ("src/goodbye.rs", "fn main() {}\n"),
        ("template.yaml", template),
    ];
    if let Some(toml) = toml {
        files.push((crate::CONFIG_FILE_NAME, toml));
    }
    tree(name, &files)
}

#[test]
fn sam_template_every_property_and_intrinsic() {
    let dir = sam_package("sam", SAM, None);
    let c = load(&dir).unwrap();
    assert_eq!(
        c.functions.keys().collect::<Vec<_>>(),
        ["GoodbyeFunction", "local-hello"]
    );
    let hello = &c.functions["local-hello"];
    let v = &hello.latest;
    assert_eq!(v.code, Code::Bin("hello".into()));
    assert_eq!(v.task_root, dir.join("."));
    assert_eq!(v.handler, "bootstrap");
    assert_eq!(v.timeout, Duration::from_secs(5));
    assert_eq!(v.memory_size, 256);
    assert_eq!(v.architecture, Architecture::Arm64);
    assert_eq!(v.logging.format, LogFormat::Json);
    assert_eq!(v.logging.application_level, ApplicationLogLevel::Debug);
    assert_eq!(hello.reserved_concurrency, Some(4));
    let env: Vec<(&str, &str)> = v
        .environment
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env,
        [
            ("BOTH", "true"),
            ("FIRST_ORIGIN", "https://a.example"),
            ("JOINED", "dev-y"),
            ("LITERAL", "${NotAVariable}"),
            ("NAMED", "dev@123456789012"),
            ("OTHER", "GoodbyeFunction"),
            ("REGION_URL", "https://lambda.us-east-1.amazonaws.com"),
            (
                "SELF_ARN",
                "arn:aws:lambda:us-east-1:123456789012:function:local-hello"
            ),
            ("SHARED", "own"),
            ("STAGE", "dev"),
            ("TABLE", "Table"),
            ("TABLE_ARN", "arn:aws:dynamodb:us-east-1:123456789012:Table"),
        ]
    );
    // AutoPublishAlias from Globals: version 1 and the alias; the URL invokes the alias.
    assert_eq!(hello.versions.keys().collect::<Vec<_>>(), ["1"]);
    assert_eq!(hello.aliases["live"].version, "1");
    let url = hello.url.as_ref().unwrap();
    assert_eq!(url.auth_type, UrlAuthType::None);
    assert_eq!(url.invoke_mode, UrlInvokeMode::ResponseStream);
    assert_eq!(url.qualifier.as_deref(), Some("live"));
    let cors = url.cors.as_ref().unwrap();
    assert_eq!(
        cors.allow_origins,
        ["https://a.example", "https://b.example"]
    );
    assert_eq!(cors.max_age, Some(300));

    let goodbye = &c.functions["GoodbyeFunction"];
    assert_eq!(goodbye.latest.code, Code::Bin("goodbye".into()));
    assert_eq!(goodbye.latest.timeout, Duration::from_secs(10));
    assert_eq!(goodbye.aliases.keys().collect::<Vec<_>>(), ["current"]);
    assert_eq!(
        goodbye.latest.environment["HELLO_ALIAS"],
        "arn:aws:lambda:us-east-1:123456789012:function:local-hello:live"
    );
    assert_eq!(
        goodbye.latest.environment["HELLO_VERSION"],
        "arn:aws:lambda:us-east-1:123456789012:function:local-hello:1"
    );
    assert_eq!(goodbye.latest.environment["SHARED"], "global");
    assert_eq!(goodbye.url, None);
}

#[test]
fn lambda_test_toml_overrides_parameters_and_wins_field_by_field() {
    let toml = "[emulator]\nregion = \"eu-west-1\"\n\n[template.parameters]\nStage = \"prod\"\nMemory = 1024\n\n[functions.local-hello]\ntimeout = 20\nenvironment = { SHARED = \"from-toml\" }\n";
    let dir = sam_package("sam-overlay", SAM, Some(toml));
    let c = load(&dir).unwrap();
    let hello = &c.functions["local-hello"];
    assert_eq!(hello.latest.memory_size, 1024);
    assert_eq!(hello.latest.timeout, Duration::from_secs(20));
    assert_eq!(hello.reserved_concurrency, Some(100));
    let env = &hello.latest.environment;
    assert_eq!(env["STAGE"], "prod");
    assert_eq!(env["DROPPED"], "yes");
    assert_eq!(env["BOTH"], "false");
    assert_eq!(env["SHARED"], "from-toml");
    assert_eq!(env["REGION_URL"], "https://lambda.eu-west-1.amazonaws.com");
    assert_eq!(
        hello.latest.logging.application_level,
        ApplicationLogLevel::Warn
    );
}

#[test]
fn a_template_named_in_the_toml_or_the_environment_is_read() {
    let template = "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata: { BuildMethod: rust-cargolambda, BuildProperties: { Binary: hello } }\n    Properties: { CodeUri: .., MemorySize: 512 }\n";
    let dir = tree(
        "named",
        &[
            ("Cargo.toml", PACKAGE),
            ("src/hello.rs", ""),
            ("src/goodbye.rs", ""),
            ("infra/stack.yml", template),
            (
                crate::CONFIG_FILE_NAME,
                "[template]\npath = \"infra/stack.yml\"\n",
            ),
        ],
    );
    let c = load(&dir).unwrap();
    assert_eq!(c.functions["Fn"].latest.memory_size, 512);
    assert_eq!(c.functions["Fn"].latest.task_root, dir.join("infra/.."));
}

#[test]
fn sam_globals_merge_as_the_translator_merges() {
    let node = |text: &str| {
        let file: std::sync::Arc<Path> = Path::new("/t.yaml").into();
        template::yaml::parse(text, &file).ok().unwrap()
    };
    let merged = template::sam_merge(
        &node(
            "{Layers: [a, b], Environment: {Variables: {A: '1', B: '1'}}, Timeout: 3, Tags: !Ref T}",
        ),
        &node("{Layers: [c], Environment: {Variables: {B: '2'}}, Timeout: 9, Tags: {x: y}}"),
    );
    let expected = node(
        "{Layers: [a, b, c], Environment: {Variables: {A: '1', B: '2'}}, Timeout: 9, Tags: {x: y}}",
    );
    assert_eq!(strip(&merged), strip(&expected));
}

/// The shape of a node without its positions.
fn strip(node: &template::yaml::Node) -> String {
    use template::yaml::Kind;
    match &node.kind {
        Kind::Scalar(s) => format!("{s:?}"),
        Kind::Null => "~".into(),
        Kind::Seq(items) => format!(
            "[{}]",
            items.iter().map(strip).collect::<Vec<_>>().join(", ")
        ),
        Kind::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", k.name, strip(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `cdk synth`'s shape for a cargo-lambda-cdk `RustFunction` with `currentVersion`, a
/// weighted alias and a Function URL.
const CDK: &str = r#"{
 "Resources": {
  "OrdersApiServiceRole1D4B2F9A": {
   "Type": "AWS::IAM::Role",
   "Properties": { "AssumeRolePolicyDocument": { "Statement": [] } },
   "Metadata": { "aws:cdk:path": "OrdersStack/OrdersApi/ServiceRole/Resource" }
  },
  "OrdersApi8E2F6C0D": {
   "Type": "AWS::Lambda::Function",
   "Properties": {
    "Code": {
     "S3Bucket": { "Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}" },
     "S3Key": "3f1c0e2d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e.zip"
    },
    "Role": { "Fn::GetAtt": ["OrdersApiServiceRole1D4B2F9A", "Arn"] },
    "Handler": "bootstrap",
    "Runtime": "provided.al2023",
    "Architectures": ["arm64"],
    "MemorySize": 512,
    "Timeout": 7,
    "Environment": { "Variables": { "TABLE": "orders", "RUST_LOG": "info" } },
    "LoggingConfig": { "LogFormat": "JSON", "SystemLogLevel": "WARN" }
   },
   "DependsOn": ["OrdersApiServiceRole1D4B2F9A"],
   "Metadata": {
    "aws:cdk:path": "OrdersStack/OrdersApi/Resource",
    "aws:asset:path": "asset.3f1c0e2d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e",
    "aws:asset:is-bundled": true,
    "aws:asset:property": "Code"
   }
  },
  "OrdersApiCurrentVersionA1B2C3D4": {
   "Type": "AWS::Lambda::Version",
   "Properties": { "FunctionName": { "Ref": "OrdersApi8E2F6C0D" } }
  },
  "OrdersApiNextVersionE5F6A7B8": {
   "Type": "AWS::Lambda::Version",
   "Properties": { "FunctionName": { "Ref": "OrdersApi8E2F6C0D" } }
  },
  "OrdersApiLiveAlias0F1E2D3C": {
   "Type": "AWS::Lambda::Alias",
   "Properties": {
    "FunctionName": { "Ref": "OrdersApi8E2F6C0D" },
    "FunctionVersion": { "Fn::GetAtt": ["OrdersApiNextVersionE5F6A7B8", "Version"] },
    "Name": "live",
    "RoutingConfig": {
     "AdditionalVersionWeights": [
      { "FunctionVersion": { "Fn::GetAtt": ["OrdersApiCurrentVersionA1B2C3D4", "Version"] }, "FunctionWeight": 0.1 }
     ]
    }
   }
  },
  "OrdersApiFunctionUrl9A8B7C6D": {
   "Type": "AWS::Lambda::Url",
   "Properties": {
    "AuthType": "NONE",
    "TargetFunctionArn": { "Ref": "OrdersApiLiveAlias0F1E2D3C" },
    "InvokeMode": "BUFFERED"
   }
  }
 }
}
"#;

fn cdk_package(name: &str, package: &str) -> PathBuf {
    tree(
        name,
        &[
            ("Cargo.toml", package),
            ("src/hello.rs", ""),
            ("src/goodbye.rs", ""),
            ("src/bin/orders-api.rs", ""),
            ("src/main.rs", ""),
            ("cdk.out/OrdersStack.template.json", CDK),
            (
                "cdk.out/asset.3f1c0e2d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e/bootstrap",
                "",
            ),
            ("cdk.out/manifest.json", "{}"),
        ],
    )
}

#[test]
fn cdk_synth_output_with_versions_a_weighted_alias_and_a_url() {
    let dir = cdk_package("cdk", PACKAGE);
    let c = load(&dir).unwrap();
    let f = &c.functions["OrdersApi8E2F6C0D"];
    // The construct `OrdersApi` runs the package's binary `orders-api`, not the asset's copy.
    assert_eq!(f.latest.code, Code::Bin("orders-api".into()));
    assert_eq!(f.latest.task_root, dir);
    assert_eq!(f.latest.memory_size, 512);
    assert_eq!(f.latest.timeout, Duration::from_secs(7));
    assert_eq!(f.latest.environment["TABLE"], "orders");
    assert_eq!(f.latest.logging.system_level, SystemLogLevel::Warn);
    assert_eq!(f.versions.keys().collect::<Vec<_>>(), ["1", "2"]);
    let live = &f.aliases["live"];
    assert_eq!(live.version, "2");
    let extra = live.additional.as_ref().unwrap();
    assert_eq!((extra.version.as_str(), extra.weight), ("1", 0.1));
    let url = f.url.as_ref().unwrap();
    assert_eq!(url.qualifier.as_deref(), Some("live"));
    assert_eq!(url.invoke_mode, UrlInvokeMode::Buffered);
}

/// Checks that loading the package in `dir` fails at `file:line` with `needle` in the
/// message; returns the message.
fn refused(dir: &Path, file: &str, line: usize, needle: &str) -> Result<(), String> {
    let message = match load(dir) {
        Ok(_) => return Err(format!("{}: accepted", dir.display())),
        Err(message) => message,
    };
    let at = format!("invalid {}: line {line}, ", dir.join(file).display());
    if message.starts_with(&at) && message.contains(needle) {
        Ok(())
    } else {
        Err(format!("want {at:?} and {needle:?}\n  got  {message}"))
    }
}

#[test]
fn bad_templates_name_the_file_line_and_fix() {
    let sam = |body: &str| {
        format!(
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata: {{ BuildMethod: rust-cargolambda, BuildProperties: {{ Binary: hello }} }}\n    Properties:\n      CodeUri: .\n{body}"
        )
    };
    let cases: Vec<(&str, String, usize, &str)> = vec![
        (
            "unknown-tag",
            sam("      Timeout: !Reff Seconds\n"),
            7,
            "unknown tag `!Reff`",
        ),
        (
            "unknown-intrinsic",
            sam("      Timeout: { \"Fn::Bogus\": 3 }\n"),
            7,
            "`Fn::Bogus` cannot be resolved locally, it is not an intrinsic",
        ),
        (
            "import-value",
            sam("      MemorySize: !ImportValue shared-memory\n"),
            7,
            "property `MemorySize`: `Fn::ImportValue` cannot be resolved locally (it reads another stack's exports)",
        ),
        (
            "ref-to-nothing",
            sam("      Environment:\n        Variables:\n          TABLE: !Ref Tabel\n"),
            9,
            "`Ref Tabel` names nothing",
        ),
        (
            "getatt-unknown",
            sam("      Environment:\n        Variables:\n          Q: !GetAtt Fn.QueueUrl\n"),
            9,
            "only a deployment knows `QueueUrl`",
        ),
        (
            "no-default",
            format!(
                "Parameters:\n  Stage:\n    Type: String\n{}",
                sam("      Environment:\n        Variables:\n          STAGE: !Ref Stage\n")
            ),
            12,
            "parameter `Stage` (line 2) has no `Default`",
        ),
        (
            "no-binary",
            sam("").replace("Binary: hello", "Binary: helo"),
            4,
            "`BuildProperties.Binary` \"helo\" cannot be found",
        ),
        (
            "no-package",
            sam("").replace("CodeUri: .", "CodeUri: ./missing"),
            6,
            "the binary cannot be found",
        ),
        (
            "two-binaries",
            sam("").replace(", BuildProperties: { Binary: hello }", ""),
            6,
            "say which this function runs with `Metadata: BuildProperties: Binary: <name>`",
        ),
        (
            "not-yaml",
            "Resources:\n  Fn: [unclosed\n".to_owned(),
            3,
            "not valid YAML",
        ),
        (
            "tab-indented",
            "Resources:\n\tFn: {}\n".to_owned(),
            2,
            "not valid YAML",
        ),
        (
            "no-resources",
            "AWSTemplateFormatVersion: '2010-09-09'\n".to_owned(),
            1,
            "no `Resources` mapping",
        ),
        (
            "duplicate-key",
            sam("      Timeout: 3\n      Timeout: 4\n"),
            8,
            "`Timeout` is given twice",
        ),
        (
            "alias",
            sam("      Timeout: &t 3\n      MemorySize: *t\n"),
            7,
            "YAML anchor",
        ),
        (
            "bad-memory",
            sam("      MemorySize: lots\n"),
            7,
            "must be a whole number of MB from 128 to 10240",
        ),
        (
            "bad-sub",
            sam("      Handler: !Sub \"${Unclosed\"\n"),
            7,
            "without its `}`",
        ),
        (
            "select-range",
            sam("      Handler: !Select [3, [a, b]]\n"),
            7,
            "index \"3\" is not within the 2 values",
        ),
        (
            "find-in-map",
            sam("      Handler: !FindInMap [Nope, a, b]\n"),
            7,
            "finds nothing at Mappings.Nope",
        ),
        (
            "condition-missing",
            sam("      Handler: !If [Nope, a, b]\n"),
            7,
            "condition `Nope` is not under `Conditions`",
        ),
        (
            "global-name",
            format!("Globals:\n  Function:\n    FunctionName: x\n{}", sam("")),
            3,
            "`Globals.Function.FunctionName` is not a global property",
        ),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, template, line, needle)| {
            let dir = sam_package(&format!("bad-{name}"), template, None);
            refused(&dir, "template.yaml", *line, needle)
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_overlays_and_conflicts_name_the_file_line_and_fix() {
    // A parameter override the template does not have: in lambda-test.toml.
    let dir = sam_package(
        "bad-override",
        SAM,
        Some("[template.parameters]\nStag = \"prod\"\n"),
    );
    refused(
        &dir,
        crate::CONFIG_FILE_NAME,
        2,
        "has no parameter `Stag` (its parameters: Memory, Origins, Stage)",
    )
    .unwrap();
    // A misspelt key of `[template]`.
    let dir = sam_package("bad-key", SAM, Some("[template]\npaht = \"t.yaml\"\n"));
    refused(&dir, crate::CONFIG_FILE_NAME, 2, "did you mean `path`?").unwrap();
    // A parameter value that is not one value.
    let dir = sam_package(
        "bad-value",
        SAM,
        Some("[template.parameters]\nStage = [\"a\"]\n"),
    );
    refused(
        &dir,
        crate::CONFIG_FILE_NAME,
        2,
        "`template.parameters.Stage` = [\"a\"] must be one value",
    )
    .unwrap();
    // A template path that is not there.
    let dir = sam_package(
        "bad-path",
        SAM,
        Some("[template]\npath = \"infra/missing.yaml\"\n"),
    );
    refused(
        &dir,
        crate::CONFIG_FILE_NAME,
        2,
        "`template.path`: cannot read",
    )
    .unwrap();
    // cargo-lambda's metadata and the template define `GoodbyeFunction` differently.
    let conflicting = PACKAGE.replace(
        "[[bin]]\nname = \"goodbye\"",
        "[package.metadata.lambda.bin.goodbye.deploy]\nname = \"GoodbyeFunction\"\ntimeout = 30\n\n[[bin]]\nname = \"goodbye\"",
    );
    let files = [
        ("Cargo.toml", conflicting.as_str()),
        ("src/hello.rs", ""),
        ("src/goodbye.rs", ""),
        ("template.yaml", SAM),
    ];
    let dir = tree("conflict", &files);
    refused(&dir, "template.yaml", 87, "function `GoodbyeFunction` is defined differently by two sources: `timeout` is 10.0 here and 30.0 in").unwrap();
    // The toml settles it: it is the overlay.
    let mut settled = files.to_vec();
    settled.push((
        crate::CONFIG_FILE_NAME,
        "[functions.GoodbyeFunction]\ntimeout = 12\n",
    ));
    let dir = tree("conflict-settled", &settled);
    let c = load(&dir).unwrap();
    assert_eq!(
        c.functions["GoodbyeFunction"].latest.timeout,
        Duration::from_secs(12)
    );
}

#[test]
fn a_cdk_asset_with_no_binary_of_its_name_says_how_to_map_it() {
    let package = "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nautobins = false\n\n[[bin]]\nname = \"a\"\npath = \"src/hello.rs\"\n\n[[bin]]\nname = \"b\"\npath = \"src/goodbye.rs\"\n";
    let dir = cdk_package("cdk-mismatch", package);
    refused(
        &dir,
        "cdk.out/OrdersStack.template.json",
        27,
        "package `svc` has several binaries (a, b) and none is named after this function (OrdersApi, OrdersApi8E2F6C0D); name the binary after its CDK construct, or set `bin = \"<binary>\"`",
    )
    .unwrap();
    // The fix it names works: the toml gives the binary, and the template is read.
    std::fs::write(
        dir.join(crate::CONFIG_FILE_NAME),
        "[functions.OrdersApi8E2F6C0D]\nbin = \"b\"\n",
    )
    .unwrap();
    let c = load(&dir).unwrap();
    assert_eq!(
        c.functions["OrdersApi8E2F6C0D"].latest.code,
        Code::Bin("b".into())
    );
    assert_eq!(
        c.functions["OrdersApi8E2F6C0D"].aliases["live"].version,
        "2"
    );
}

/// The fuzz target's property on the examples' templates with a few characters YAML cares
/// about inserted, replaced or removed (seeded, so a failure repeats).
#[test]
fn mutated_example_templates_are_read_or_refused_at_a_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let texts: Vec<String> = [
        "examples/sam-app/template.yaml",
        "examples/cdk-app/cdk.out/OrdersStack.template.json",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(root.join(f)).unwrap())
    .collect();
    let special: Vec<char> = ":-![]{}\n\t &*'\"#,.${}|>?%@`\r".chars().collect();
    let mut rng = fastrand::Rng::with_seed(13);
    for _ in 0..3000 {
        let mut chars: Vec<char> = texts[rng.usize(..texts.len())].chars().collect();
        for _ in 0..rng.usize(1..4) {
            let at = rng.usize(..chars.len());
            let c = special[rng.usize(..special.len())];
            match rng.u8(..3) {
                0 => chars.insert(at, c),
                1 => chars[at] = c,
                _ => {
                    chars.remove(at);
                }
            }
        }
        let text: String = chars.into_iter().collect();
        match Config::parse_template(&text, Path::new("/nowhere/template.yaml")) {
            Ok(_) => {}
            Err(Error::ConfigInvalid { message, .. }) => {
                let line: usize = message
                    .strip_prefix("line ")
                    .and_then(|rest| rest.split(',').next()?.parse().ok())
                    .unwrap_or_else(|| panic!("no line in {message:?} for {text:?}"));
                let lines = text.replace("\r\n", "\n").matches(['\n', '\r']).count() + 1;
                assert!(
                    (1..=lines).contains(&line),
                    "line {line} of {lines}: {message}"
                );
            }
            Err(other) => panic!("{other} for {text:?}"),
        }
    }
}

/// The fuzz target's property on every prefix of the examples' templates (cut anywhere, as
/// a half-written file is): read, or refused with a config error at a line of the text.
#[test]
fn every_prefix_of_the_example_templates_is_read_or_refused_at_a_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut refused = 0;
    for file in [
        "examples/sam-app/template.yaml",
        "examples/cdk-app/cdk.out/OrdersStack.template.json",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let path = Path::new("/nowhere/template.yaml");
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let prefix = &text[..end];
            match Config::parse_template(prefix, path) {
                Ok(_) => {}
                Err(Error::ConfigInvalid { message, .. }) => {
                    refused += 1;
                    let line: usize = message
                        .strip_prefix("line ")
                        .and_then(|rest| rest.split(',').next()?.parse().ok())
                        .unwrap_or_else(|| panic!("no line in {message:?} for {prefix:?}"));
                    let lines = prefix.replace("\r\n", "\n").matches(['\n', '\r']).count() + 1;
                    assert!(
                        (1..=lines).contains(&line),
                        "line {line} of {lines}: {message}"
                    );
                }
                Err(other) => panic!("{other} for {prefix:?}"),
            }
        }
    }
    assert!(refused > 1000, "{refused}");
}

/// Found by the fuzz target: a file without a last newline whose value is unclosed was
/// refused at the line after its last, and so was an empty key at its end.
#[test]
fn an_error_noticed_past_the_end_points_at_the_last_line() {
    for (text, at) in [
        (
            "Resources:\n  Fn: [unclosed",
            "line 2, column 16: not valid YAML",
        ),
        ("Resources:\r  Fn: {", "line 2, column 8: not valid YAML"),
        (
            "Resources:\n  Fn: [unclosed\n",
            "line 3, column 1: not valid YAML",
        ),
        // The second: an explicit key with nothing, in a file of one line.
        (
            "?      ",
            "line 1, column 8: a mapping key that is not a plain string",
        ),
    ] {
        let message = match Config::parse_template(text, Path::new("/t/template.yaml")) {
            Err(Error::ConfigInvalid { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        assert!(message.starts_with(at), "{text:?}: {message}");
    }
}
