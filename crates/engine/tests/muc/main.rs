//! Group chat (XEP-0045) against the harness's real Prosody MUC component, with two slixmpp
//! peers in the room. One test binary, one file per concern; helpers shared between concerns
//! live in `fixtures`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;
mod fixtures;

mod bookmarks;
mod facets;
mod invitations;
mod messages;
mod moderation;
mod occupants;
mod omemo;
mod reconnect;
