//! CloudFormation's own Lambda resources, as CDK synthesizes them: `AWS::Lambda::Function`
//! (with CDK's asset metadata), `AWS::Lambda::Version`, `AWS::Lambda::Alias` (with
//! `RoutingConfig` weights) and `AWS::Lambda::Url`.

use std::collections::BTreeSet;
use std::path::Path;

use super::code;
use super::properties::Properties;
use super::stack::Stack;
use super::yaml::{Key, Node};
use crate::config::definition::{
    AliasDefinition, FunctionDefinition, Sourced, UrlDefinition, VersionDefinition,
};
use crate::config::resolve::Invalid;

/// One `AWS::Lambda::Function`. `package_dir` is where the tests' package is; `base` the
/// template's directory; `needs_code` false when `lambda-test.toml` gives the code.
pub(super) fn function(
    stack: &Stack<'_>,
    id: &Key,
    resource: &Node,
    name: &str,
    package_dir: &Path,
    needs_code: bool,
) -> Result<FunctionDefinition, Invalid> {
    let props = Properties::of(stack, &id.name, resource);
    let mut function = FunctionDefinition::new(id.origin.clone());
    props.settings(&mut function)?;
    let metadata = resource.get("Metadata");
    let asset = metadata.and_then(|m| m.get("aws:asset:path"));
    if let Some(asset) = asset
        && needs_code
    {
        let asset = Sourced {
            value: asset.as_str().unwrap_or_default().to_owned(),
            origin: asset.origin.clone(),
        };
        // `Stack/Orders/Resource` is the construct `Orders`.
        let construct = metadata
            .and_then(|m| m.get("aws:cdk:path"))
            .and_then(Node::as_str)
            .and_then(|p| p.strip_suffix("/Resource"))
            .and_then(|p| p.rsplit('/').next());
        let mut names: Vec<&str> = Vec::new();
        for candidate in construct.into_iter().chain([name, id.name.as_str()]) {
            if !names.contains(&candidate) {
                names.push(candidate);
            }
        }
        let (code, dir) = code::cdk(&id.name, &names, &asset, package_dir)?;
        function.latest.code = Some(code);
        function.latest.code_dir = Some(dir);
    }
    Ok(function)
}

/// The function a `FunctionName` or `TargetFunctionArn` names (a name, or an ARN with an
/// optional qualifier), with that qualifier.
pub(super) fn target(
    stack: &Stack<'_>,
    id: &str,
    resource: &Node,
    property: &str,
    functions: &BTreeSet<String>,
) -> Result<(String, Option<Sourced<String>>), Invalid> {
    let props = Properties::of(stack, id, resource);
    let Some(value) = props.string(property)? else {
        return Err(Invalid::new(
            &resource.origin,
            format!("resource `{id}` needs `{property}`; name the function"),
        ));
    };
    let named = value
        .value
        .split_once(":function:")
        .map_or(value.value.as_str(), |(_, rest)| rest);
    let (function, qualifier) = match named.split_once(':') {
        Some((f, q)) => (f, Some(value.clone().map(|_| q.to_owned()))),
        None => (named, None),
    };
    if !functions.contains(function) {
        return Err(Invalid::new(
            &value.origin,
            format!(
                "resource `{id}` property `{property}`: {:?} is not a function of this template (its functions: {}); point it at one with !Ref or !GetAtt <Function>.Arn",
                value.value,
                functions.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok((function.to_owned(), qualifier))
}

/// `AWS::Lambda::Version` `number` of `function`: `$LATEST`'s settings when it was
/// published, which locally are `$LATEST`'s.
pub(super) fn version(function: &mut FunctionDefinition, id: &Key, number: &str) {
    function
        .versions
        .insert(number.to_owned(), VersionDefinition::new(id.origin.clone()));
}

/// `AWS::Lambda::Alias`: `Name`, `FunctionVersion` and `RoutingConfig.AdditionalVersionWeights`.
pub(super) fn alias(
    stack: &Stack<'_>,
    id: &Key,
    resource: &Node,
) -> Result<(String, AliasDefinition), Invalid> {
    let props = Properties::of(stack, &id.name, resource);
    let required = |key: &str| {
        props.string(key)?.ok_or_else(|| {
            Invalid::new(&id.origin, format!("resource `{}` needs `{key}`", id.name))
        })
    };
    let name = required("Name")?;
    let version = required("FunctionVersion")?;
    let routing = props
        .get("RoutingConfig")
        .and_then(|r| r.get("AdditionalVersionWeights"));
    let weights = match routing {
        Some(routing) => weights(stack, id, routing)?,
        None => Vec::new(),
    };
    let definition = AliasDefinition {
        origin: id.origin.clone(),
        version,
        weights,
        allow: None,
    };
    Ok((name.value, definition))
}

/// An additional version and its weight.
type Weight = (Sourced<String>, Sourced<f64>);

/// `RoutingConfig.AdditionalVersionWeights`: `[{FunctionVersion, FunctionWeight}]`.
fn weights(stack: &Stack<'_>, id: &Key, routing: &Node) -> Result<Vec<Weight>, Invalid> {
    let mut weights = Vec::new();
    let what = format!("resource `{}` property `RoutingConfig`", id.name);
    let resolved = stack.resolve(routing, &what)?;
    let items = match &resolved.kind {
        super::yaml::Kind::Seq(items) => items.clone(),
        _ => {
            return Err(Invalid::new(
                &routing.origin,
                format!("{what}: `AdditionalVersionWeights` is a list"),
            ));
        }
    };
    for item in &items {
        let field = |key: &str| {
            item.get(key)
                .and_then(Node::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    Invalid::new(&item.origin, format!("{what}: each weight needs `{key}`"))
                })
        };
        let weight: f64 = field("FunctionWeight")?.parse().map_err(|_| {
            Invalid::new(
                &item.origin,
                format!("{what}: `FunctionWeight` is a number from 0.0 to 1.0"),
            )
        })?;
        weights.push((
            Sourced {
                value: field("FunctionVersion")?,
                origin: item.origin.clone(),
            },
            Sourced {
                value: weight,
                origin: item.origin.clone(),
            },
        ));
    }
    Ok(weights)
}

/// `AWS::Lambda::Url`: its settings, and the alias of `TargetFunctionArn` or `Qualifier`.
pub(super) fn url(
    stack: &Stack<'_>,
    id: &Key,
    resource: &Node,
    qualifier: Option<Sourced<String>>,
) -> Result<UrlDefinition, Invalid> {
    let props = Properties::of(stack, &id.name, resource);
    let qualifier = props.string("Qualifier")?.or(qualifier);
    props.url(&id.origin, qualifier)
}
