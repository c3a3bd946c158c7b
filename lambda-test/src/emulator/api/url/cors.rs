//! CORS: the answer to a preflight, and the headers of an answer to an allowed origin.

use axum::http::{HeaderMap, Method, StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};

use super::answer::insert_header;
use crate::config::Cors;

/// The answer to a CORS preflight, when the request is one.
pub(super) fn preflight(cors: &Cors, parts: &Parts) -> Option<Response> {
    let origin = parts.headers.get("origin")?;
    parts.headers.get("access-control-request-method")?;
    if parts.method != Method::OPTIONS {
        return None;
    }
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    if allows(&cors.allow_origins, origin.to_str().unwrap_or_default()) {
        add_cors_headers(cors, &parts.headers, headers);
        if !cors.allow_methods.is_empty() {
            insert_header(
                headers,
                "access-control-allow-methods",
                &cors.allow_methods.join(","),
            );
        }
        if !cors.allow_headers.is_empty() {
            insert_header(
                headers,
                "access-control-allow-headers",
                &cors.allow_headers.join(","),
            );
        }
        if let Some(age) = cors.max_age {
            insert_header(headers, "access-control-max-age", &age.to_string());
        }
    }
    Some(response)
}

/// The CORS headers of an answer to an allowed origin.
pub(super) fn add_cors_headers(cors: &Cors, request: &HeaderMap, headers: &mut HeaderMap) {
    let Some(origin) = request.get("origin").and_then(|o| o.to_str().ok()) else {
        return;
    };
    if !allows(&cors.allow_origins, origin) {
        return;
    }
    let allowed = if cors.allow_origins.iter().any(|o| o == "*") && !cors.allow_credentials {
        "*"
    } else {
        origin
    };
    insert_header(headers, "access-control-allow-origin", allowed);
    if cors.allow_credentials {
        insert_header(headers, "access-control-allow-credentials", "true");
    }
    if !cors.expose_headers.is_empty() {
        insert_header(
            headers,
            "access-control-expose-headers",
            &cors.expose_headers.join(","),
        );
    }
    insert_header(headers, "vary", "Origin");
}

fn allows(list: &[String], value: &str) -> bool {
    list.iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(value))
}
