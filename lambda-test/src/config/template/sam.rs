//! `AWS::Serverless::Function`: `Globals.Function` merged in as the SAM translator merges
//! it, then the function's properties, code, `AutoPublishAlias` and `FunctionUrlConfig`.

use std::path::Path;

use super::code;
use super::properties::Properties;
use super::stack::{Stack, intrinsic};
use super::yaml::{Key, Kind, Node};
use crate::config::definition::{
    AliasDefinition, FunctionDefinition, Origin, Sourced, VersionDefinition,
};
use crate::config::resolve::Invalid;

/// What `Globals.Function` may not set (SAM refuses them there).
const NOT_GLOBAL: &[&str] = &["FunctionName", "Events", "Role"];

/// `Globals.Function` checked: a mapping without the properties SAM keeps per function.
pub(super) fn globals(root: &Node) -> Result<Option<&Node>, Invalid> {
    let Some(function) = root.get("Globals").and_then(|g| g.get("Function")) else {
        return Ok(None);
    };
    let Some(entries) = function.entries() else {
        return Err(Invalid::new(
            &function.origin,
            "`Globals.Function` must be a mapping of properties",
        ));
    };
    if let Some((key, _)) = entries
        .iter()
        .find(|(k, _)| NOT_GLOBAL.contains(&k.name.as_str()))
    {
        return Err(Invalid::new(
            &key.origin,
            format!(
                "`Globals.Function.{}` is not a global property (SAM refuses it); set it on each function",
                key.name
            ),
        ));
    }
    Ok(Some(function))
}

/// SAM's merge: the resource's value wins over the global one, mappings merge key by key
/// (recursively), lists are the global items then the resource's; an intrinsic counts as
/// one value, and values of different shapes take the resource's.
pub(crate) fn merge(global: &Node, local: &Node) -> Node {
    match (&global.kind, &local.kind) {
        (Kind::Map(g), Kind::Map(l)) if intrinsic(g).is_none() && intrinsic(l).is_none() => {
            let mut merged: Vec<(Key, Node)> = g.clone();
            for (key, value) in l {
                match merged.iter_mut().find(|(k, _)| k.name == key.name) {
                    Some((k, v)) => {
                        *v = merge(v, value);
                        k.origin = key.origin.clone();
                    }
                    None => merged.push((key.clone(), value.clone())),
                }
            }
            Node {
                kind: Kind::Map(merged),
                origin: local.origin.clone(),
            }
        }
        (Kind::Seq(g), Kind::Seq(l)) => Node {
            kind: Kind::Seq(g.iter().chain(l).cloned().collect()),
            origin: local.origin.clone(),
        },
        _ => local.clone(),
    }
}

/// One SAM function. `base` is the template's directory; `needs_code` false when
/// `lambda-test.toml` gives the code.
pub(super) fn function(
    stack: &Stack<'_>,
    id: &Key,
    resource: &Node,
    globals: Option<&Node>,
    base: &Path,
    needs_code: bool,
) -> Result<FunctionDefinition, Invalid> {
    let empty = Node {
        kind: Kind::Map(Vec::new()),
        origin: id.origin.clone(),
    };
    let own = resource.get("Properties").unwrap_or(&empty);
    let properties = match globals {
        Some(globals) => merge(globals, own),
        None => own.clone(),
    };
    let props = Properties::new(stack, &id.name, Some(&properties));
    let mut function = FunctionDefinition::new(id.origin.clone());
    props.settings(&mut function)?;
    if needs_code
        && let Some(code_uri) = props.string("CodeUri")?
        && let Some((code, dir)) = code::sam(&id.name, &code_uri, resource.get("Metadata"), base)?
    {
        function.latest.code = Some(code);
        function.latest.code_dir = Some(dir);
    }
    let alias = props.string("AutoPublishAlias")?;
    if let Some(alias) = &alias {
        publish(&mut function, alias, &id.origin);
    }
    if let Some(url) = properties.get("FunctionUrlConfig") {
        let config = stack.resolve(
            url,
            &format!("resource `{}` property `FunctionUrlConfig`", id.name),
        )?;
        let url_props = Properties::new(stack, &id.name, Some(&config));
        // With `AutoPublishAlias`, SAM points the URL at the alias.
        function.url = Some(url_props.url(&url.origin, alias.clone())?);
    }
    Ok(function)
}

/// `AutoPublishAlias`: version 1 of `$LATEST`'s settings, and the alias pointing at it.
fn publish(function: &mut FunctionDefinition, alias: &Sourced<String>, origin: &Origin) {
    function
        .versions
        .insert("1".to_owned(), VersionDefinition::new(origin.clone()));
    function.aliases.insert(
        alias.value.clone(),
        AliasDefinition {
            origin: alias.origin.clone(),
            version: alias.clone().map(|_| "1".to_owned()),
            weights: Vec::new(),
            allow: None,
        },
    );
}
