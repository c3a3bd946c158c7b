//! Workspace-level test suite; see the `tests/` folder.
