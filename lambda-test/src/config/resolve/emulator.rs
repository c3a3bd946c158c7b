//! The local Lambda's own settings and its principals, checked.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::Invalid;
use crate::config::definition::EmulatorDefinition;
use crate::config::model::{self, EmulatorSettings, Principal};

/// `[emulator]` with its defaults; each access key id belongs to one principal.
pub(super) fn emulator_settings(e: EmulatorDefinition) -> Result<EmulatorSettings, Invalid> {
    let region = match e.region {
        Some(region) if !model::is_region(&region.value) => {
            return Err(Invalid::new(
                &region.origin,
                format!(
                    "`emulator.region` = {:?} is not a region like `us-east-1`",
                    region.value
                ),
            ));
        }
        Some(region) => region.value,
        None => model::DEFAULT_REGION.to_owned(),
    };
    let account_id = match e.account_id {
        Some(id) if id.value.len() != 12 || !id.value.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(Invalid::new(
                &id.origin,
                format!(
                    "`emulator.account_id` = {:?} must be 12 digits, like \"{}\"",
                    id.value,
                    model::DEFAULT_ACCOUNT_ID
                ),
            ));
        }
        Some(id) => id.value,
        None => model::DEFAULT_ACCOUNT_ID.to_owned(),
    };
    let event_retry_delays = match e.event_retry_delays {
        Some(delays)
            if delays.value.len() > 2
                || delays.value.iter().any(|d| !(0.0..=3600.0).contains(d)) =>
        {
            return Err(Invalid::new(
                &delays.origin,
                "`emulator.event_retry_delays` takes at most 2 delays (AWS retries twice) of 0 to 3600 seconds, like [1.0, 2.0]",
            ));
        }
        Some(delays) => delays.value,
        None => model::DEFAULT_EVENT_RETRY_DELAYS.to_vec(),
    };
    let mut keys = BTreeSet::new();
    let mut principals = BTreeMap::new();
    // In the order they are declared, so that the second use of a key is the one refused.
    let mut declared: Vec<_> = e.principals.into_iter().collect();
    declared.sort_by_key(|(_, p)| (p.origin.line, p.origin.column));
    for (name, p) in declared {
        if !keys.insert(p.access_key_id.value.clone()) {
            return Err(Invalid::new(
                &p.access_key_id.origin,
                format!(
                    "principal `{name}`: access key id {:?} is already used by another principal; give each principal its own",
                    p.access_key_id.value
                ),
            ));
        }
        let arn = p.arn.map_or_else(
            || format!("arn:aws:iam::{account_id}:user/{name}"),
            |arn| arn.value,
        );
        let principal = Principal {
            name: name.clone(),
            access_key_id: p.access_key_id.value,
            secret_access_key: p.secret_access_key,
            arn,
        };
        principals.insert(name, principal);
    }
    Ok(EmulatorSettings {
        region,
        account_id,
        bin_dir: e.bin_dir.map(|d| d.value),
        event_retry_delays: event_retry_delays
            .into_iter()
            .map(Duration::from_secs_f64)
            .collect(),
        dead_letter_file: e.dead_letter_file.map(|f| f.value),
        principals,
    })
}
