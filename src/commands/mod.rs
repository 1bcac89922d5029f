//! Subcommands of the binary too long to sit in `main.rs`.

pub mod compare;
pub mod drills;
pub mod import;
pub mod pack;
pub mod sheets;
pub mod users;
