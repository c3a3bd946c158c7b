//! A local Lambda reached by tests: in this process, or shared by the test processes of a
//! nextest run.

#[cfg(feature = "emulator")]
pub(crate) mod shared;
