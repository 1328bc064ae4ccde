//! The route table, by theme.

pub(super) mod admin;
pub(super) mod core;
pub(super) mod identity;
