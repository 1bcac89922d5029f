//! Subcommands of the binary too long to sit in `main.rs`.

pub mod drills;
pub mod users;
