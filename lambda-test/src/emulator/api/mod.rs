//! The Invoke API, the front end callers talk to: function names and qualifiers as AWS
//! accepts them, the request's validation in AWS's order, and errors in AWS's restJson1 shape.

pub mod error;
pub mod invoke;
pub mod names;
