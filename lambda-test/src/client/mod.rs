//! The caller's side of an invocation: the builder that sends it through `aws-sdk-lambda`, the
//! response stream of a streamed one, the outcome and its snapshot record, the tail log, where
//! invocations go, and the process-wide harness that owns the runtime and the clients.

pub(crate) mod function_url;
pub(crate) mod harness;
pub(crate) mod http_event;
pub(crate) mod http_response;
pub(crate) mod invocation;
pub(crate) mod json_log;
pub(crate) mod outcome;
pub(crate) mod redactions;
pub(crate) mod sdk_error;
pub(crate) mod stream;
pub(crate) mod tail_log;
pub(crate) mod target;
