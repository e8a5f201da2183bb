//! The [`crate::Engine`] API, one file per area.

mod accounts;
mod facets;
mod messages;
mod rooms;
mod roster;
mod search;
