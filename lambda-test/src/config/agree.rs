//! Two deployment sources (cargo-lambda's metadata, a template) that declare the same
//! function must agree on what they both set: neither is the overlay, so neither may
//! silently win. `lambda-test.toml` settles a field by setting it.

use std::collections::BTreeMap;

use super::definition::{Definitions, FunctionDefinition, Origin, SettingsDefinition, Sourced};
use super::resolve::Invalid;

/// An error for the first field `earlier` and `later` set differently on one function,
/// unless the overlay sets that field.
pub(super) fn check(
    earlier: &Definitions,
    later: &Definitions,
    overlay: Option<&Definitions>,
) -> Result<(), Invalid> {
    for (name, function) in &later.functions {
        let Some(before) = earlier.functions.get(name) else {
            continue;
        };
        let settled = overlay.and_then(|o| o.functions.get(name));
        check_function(name, before, function, settled)?;
    }
    Ok(())
}

fn check_function(
    name: &str,
    a: &FunctionDefinition,
    b: &FunctionDefinition,
    settled: Option<&FunctionDefinition>,
) -> Result<(), Invalid> {
    let (x, y) = (&a.latest, &b.latest);
    let none = SettingsDefinition::default();
    let s = settled.map_or(&none, |f| &f.latest);
    field(name, "bin", &x.code, &y.code, s.code.is_some(), &a.origin)?;
    field(
        name,
        "timeout",
        &x.timeout,
        &y.timeout,
        s.timeout.is_some(),
        &a.origin,
    )?;
    field(
        name,
        "memory_size",
        &x.memory_size,
        &y.memory_size,
        s.memory_size.is_some(),
        &a.origin,
    )?;
    field(
        name,
        "handler",
        &x.handler,
        &y.handler,
        s.handler.is_some(),
        &a.origin,
    )?;
    let settled_concurrency = settled.is_some_and(|f| f.reserved_concurrency.is_some());
    field(
        name,
        "reserved_concurrency",
        &a.reserved_concurrency,
        &b.reserved_concurrency,
        settled_concurrency,
        &a.origin,
    )?;
    environment(name, &x.environment, &y.environment, &s.environment, a, b)
}

fn field<T: PartialEq + std::fmt::Debug>(
    function: &str,
    key: &str,
    a: &Option<Sourced<T>>,
    b: &Option<Sourced<T>>,
    settled: bool,
    _declared: &Origin,
) -> Result<(), Invalid> {
    match (a, b) {
        (Some(a), Some(b)) if a.value != b.value && !settled => Err(conflict(
            function,
            key,
            (&a.origin, format!("{:?}", a.value)),
            (&b.origin, format!("{:?}", b.value)),
        )),
        _ => Ok(()),
    }
}

fn environment(
    function: &str,
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
    settled: &BTreeMap<String, String>,
    fa: &FunctionDefinition,
    fb: &FunctionDefinition,
) -> Result<(), Invalid> {
    for (key, value) in b {
        if let Some(before) = a.get(key)
            && before != value
            && !settled.contains_key(key)
        {
            return Err(conflict(
                function,
                &format!("environment.{key}"),
                (&fa.origin, format!("{before:?}")),
                (&fb.origin, format!("{value:?}")),
            ));
        }
    }
    Ok(())
}

fn conflict(function: &str, key: &str, a: (&Origin, String), b: (&Origin, String)) -> Invalid {
    Invalid::new(
        b.0,
        format!(
            "function `{function}` is defined differently by two sources: `{key}` is {} here and {} in {} ({}); make them agree, or set `{key}` under [functions.{function}] in lambda-test.toml, which wins",
            b.1,
            a.1,
            a.0.file.display(),
            a.0
        ),
    )
}
