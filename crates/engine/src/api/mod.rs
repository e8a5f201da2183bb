//! The [`crate::Engine`] API, one file per area.

mod accounts;
mod messages;
mod rooms;
mod roster;
