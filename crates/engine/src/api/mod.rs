//! The [`crate::Engine`] API, one file per area.

mod accounts;
mod adhoc;
mod avatars;
mod blocking;
mod facets;
mod files;
mod media;
mod messages;
pub use media::{playable, MediaKind, MAX_MEDIA_BYTES};
mod metadata;
mod omemo;
pub(crate) mod previews;
mod profiles;
mod registration;
pub use previews::make_preview;
pub use profiles::{ProfileView, ResourceView};
mod rooms;
mod roster;
pub use omemo::{DeviceView, OwnDevice};
mod search;
mod transfers;
pub(crate) mod upload;
mod upload_service;
