//! The deserializer's errors made into messages that name the key and the fix.

/// The deserializer's message with the key it is about and a fix: a "did you mean" when an
/// unknown key is a typo of a valid one, the expected shape when a value has the wrong type.
pub(super) fn explain(error: &toml::de::Error) -> String {
    let message = error.message();
    // Without the input, toml renders the dotted key path as a last line "in `a.b`".
    let rendered = error.to_string();
    let keys = rendered
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("in `")?.strip_suffix('`'))
        .unwrap_or_default();
    let fix = if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let suggestion = expected
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|valid| edit_distance(field, valid) <= 2)
            .min_by_key(|valid| edit_distance(field, valid));
        match suggestion {
            Some(valid) => format!("; did you mean `{valid}`?"),
            None if expected.contains('`') => "; remove it or use one of those".to_owned(),
            None => "; remove it".to_owned(),
        }
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        format!("; add `{field}` to this table")
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        let key = keys.rsplit('.').next().unwrap_or_default();
        shape_of(key).map_or_else(String::new, |shape| format!("; write it as {shape}"))
    } else {
        String::new()
    };
    match keys {
        "" => format!("{message}{fix}"),
        keys => format!("`{keys}`: {message}{fix}"),
    }
}

/// What a key's value looks like, for a value of the wrong type.
fn shape_of(key: &str) -> Option<&'static str> {
    Some(match key {
        "environment" => "a table of strings: environment = { NAME = \"value\" }",
        "command" => {
            "a list of strings: command = [\"python3\", \"-m\", \"awslambdaric\", \"app.handler\"]"
        }
        "allow" => "a list of principal names: allow = [\"ci\"]",
        "timeout" => "a number of seconds: timeout = 3",
        "memory_size" => "a whole number of MB: memory_size = 128",
        "reserved_concurrency" => "a whole number: reserved_concurrency = 4",
        "event_retry_delays" => "a list of seconds: event_retry_delays = [1.0, 2.0]",
        "weights" => "a table of one version and its weight: weights = { \"1\" = 0.25 }",
        "logging" => "a table: logging = { format = \"JSON\" }",
        "aws" => {
            "a table: aws = { credentials = \"static\", access_key_id = \"testing\", secret_access_key = \"testing\" }"
        }
        "endpoint_urls" => {
            "a table of URLs: endpoint_urls = { dynamodb = \"http://127.0.0.1:8000\" }"
        }
        "url" => "a table: url = { auth_type = \"NONE\", invoke_mode = \"BUFFERED\" }",
        "template" => "a table: template = { path = \"template.yaml\" }",
        "parameters" => "a table: parameters = { Stage = \"dev\" }",
        "path" => "a string in quotes",
        "cors" => "a table: cors = { allow_origins = [\"*\"] }",
        "allow_origins" | "allow_methods" | "allow_headers" | "expose_headers" => {
            "a list of strings: allow_origins = [\"https://example.com\"]"
        }
        "max_age" => "a whole number of seconds: max_age = 300",
        "allow_credentials" => "true or false",
        "bin" | "handler" | "region" | "account_id" | "bin_dir" | "dead_letter_file"
        | "access_key_id" | "secret_access_key" | "arn" | "version" | "format"
        | "application_level" | "system_level" | "log_group" | "auth_type" | "invoke_mode"
        | "qualifier" | "credentials" | "session_token" | "endpoint_url" => "a string in quotes",
        _ => return None,
    })
}

/// Levenshtein distance, for short keys.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}
