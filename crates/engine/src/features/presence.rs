//! Presence (RFC 6121 §4) and subscriptions (RFC 6121 §3): contacts' presence per resource with
//! an aggregated best presence, inbound subscription requests kept until answered.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use tokio_xmpp::parsers::presence::{Presence, Show as XmppShow, Type as PresenceType};

use super::Context;
use crate::event::EngineEvent;

/// How available a contact (or we) are.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Show {
    /// Unavailable (no resource online).
    Offline,
    /// Extended away (`xa`).
    Xa,
    /// Away.
    Away,
    /// Do not disturb.
    Dnd,
    /// Available.
    Available,
    /// Free for chat.
    Chat,
}

impl Show {
    pub(crate) fn from_xmpp(show: Option<&XmppShow>) -> Self {
        match show {
            None => Self::Available,
            Some(XmppShow::Away) => Self::Away,
            Some(XmppShow::Chat) => Self::Chat,
            Some(XmppShow::Dnd) => Self::Dnd,
            Some(XmppShow::Xa) => Self::Xa,
        }
    }

    pub(crate) fn to_xmpp(self) -> Option<XmppShow> {
        match self {
            Self::Away => Some(XmppShow::Away),
            Self::Chat => Some(XmppShow::Chat),
            Self::Dnd => Some(XmppShow::Dnd),
            Self::Xa => Some(XmppShow::Xa),
            Self::Available | Self::Offline => None,
        }
    }
}

/// Presence of one resource, or the aggregate of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PresenceInfo {
    /// Availability.
    pub show: Show,
    /// Status text.
    pub status: Option<String>,
    /// Priority (RFC 6121 §4.7.2.3), -128..=127.
    pub priority: i8,
    /// The contact's server answered our presence with an error (RFC 6121 §4.3.3): the
    /// condition (RFC 6120 §8.3.3), then the server's text if any, e.g.
    /// `remote-server-not-found: no such domain`. `None` otherwise.
    pub error: Option<String>,
}

impl PresenceInfo {
    /// A contact with no resource online.
    pub fn offline() -> Self {
        Self {
            show: Show::Offline,
            status: None,
            priority: 0,
            error: None,
        }
    }
}

/// Resource key under which a presence error is kept; never a real resource (RFC 7622 forbids
/// NUL in resourceparts).
const ERROR_KEY: &str = "\u{0}error";

/// `condition: text` from a presence error's `<error/>` child (RFC 6120 §8.3).
fn error_text(presence: &Presence) -> String {
    let Some(error) = presence.payloads.iter().find(|p| p.name() == "error") else {
        return "undefined-condition".to_owned();
    };
    let condition = error
        .children()
        .find(|c| c.name() != "text")
        .map(|c| c.name().to_owned())
        .unwrap_or_else(|| "undefined-condition".to_owned());
    match error
        .children()
        .find(|c| c.name() == "text")
        .map(|t| t.text())
    {
        Some(text) if !text.trim().is_empty() => format!("{condition}: {}", text.trim()),
        _ => condition,
    }
}

/// Presence of one contact's resources, by resource.
type Resources = HashMap<String, PresenceInfo>;

/// In-memory presence of every contact of every account: account id -> bare JID -> resource.
#[derive(Debug, Default)]
pub struct PresenceBook(Mutex<HashMap<i64, HashMap<String, Resources>>>);

impl PresenceBook {
    /// Best presence of a contact: highest priority, then most available (RFC 6121 §4.7.2.3).
    pub fn best(&self, account_id: i64, jid: &str) -> PresenceInfo {
        let Ok(book) = self.0.lock() else {
            return PresenceInfo::offline();
        };
        book.get(&account_id)
            .and_then(|a| a.get(jid))
            .and_then(|resources| {
                resources
                    .values()
                    .max_by_key(|p| (p.priority, p.show))
                    .cloned()
            })
            .unwrap_or_else(PresenceInfo::offline)
    }

    /// The contact's online resources with their presence, most available first (highest
    /// priority, then show).
    pub fn online(&self, account_id: i64, jid: &str) -> Vec<(String, PresenceInfo)> {
        let Ok(book) = self.0.lock() else {
            return Vec::new();
        };
        let mut resources: Vec<(String, PresenceInfo)> = book
            .get(&account_id)
            .and_then(|a| a.get(jid))
            .map(|r| {
                r.iter()
                    .filter(|(name, _)| name.as_str() != ERROR_KEY)
                    .map(|(name, p)| (name.clone(), p.clone()))
                    .collect()
            })
            .unwrap_or_default();
        resources.sort_by_key(|(_, p)| std::cmp::Reverse((p.priority, p.show)));
        resources
    }

    /// The contact's online resources, most available first (highest priority, then show).
    pub fn resources(&self, account_id: i64, jid: &str) -> Vec<String> {
        self.online(account_id, jid)
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    fn set(&self, account_id: i64, jid: &str, resource: &str, info: Option<PresenceInfo>) {
        let Ok(mut book) = self.0.lock() else { return };
        let contacts = book.entry(account_id).or_default();
        match info {
            Some(info) => {
                contacts
                    .entry(jid.to_owned())
                    .or_default()
                    .insert(resource.to_owned(), info);
            }
            None => {
                if let Some(resources) = contacts.get_mut(jid) {
                    resources.remove(resource);
                    if resources.is_empty() {
                        contacts.remove(jid);
                    }
                }
            }
        }
    }

    /// Forgets everything known about an account's contacts (we went offline).
    pub fn clear_account(&self, account_id: i64) {
        if let Ok(mut book) = self.0.lock() {
            book.remove(&account_id);
        }
    }
}

/// A contact's presence (RFC 6121 §4) or subscription request (§3); room presence took
/// its own route before.
pub(crate) async fn on_presence(ctx: &mut Context, presence: Presence) {
    let Some(from) = presence.from.clone() else {
        tracing::debug!("presence without from, ignored");
        return;
    };
    let bare = from.to_bare().to_string();
    let resource = from.resource().map(|r| r.to_string()).unwrap_or_default();
    let status = presence.statuses.values().next().cloned();
    match presence.type_ {
        PresenceType::None => {
            let info = PresenceInfo {
                show: Show::from_xmpp(presence.show.as_ref()),
                status,
                priority: presence.priority.0,
                error: None,
            };
            ctx.presence.set(ctx.account_id, &bare, ERROR_KEY, None);
            ctx.presence
                .set(ctx.account_id, &bare, &resource, Some(info));
            ctx.emit(EngineEvent::PresenceChanged {
                account_id: ctx.account_id,
                jid: bare,
            });
        }
        PresenceType::Unavailable => {
            ctx.presence.set(ctx.account_id, &bare, ERROR_KEY, None);
            ctx.presence.set(ctx.account_id, &bare, &resource, None);
            ctx.emit(EngineEvent::PresenceChanged {
                account_id: ctx.account_id,
                jid: bare,
            });
        }
        PresenceType::Subscribe => {
            if let Err(e) = ctx
                .store
                .add_subscription_request(
                    ctx.account_id,
                    &bare,
                    status.as_deref(),
                    super::profile::nick_in(&presence.payloads).as_deref(),
                )
                .await
            {
                tracing::warn!(
                    account = ctx.account_id,
                    "storing subscription request failed: {e}"
                );
            }
            ctx.emit(EngineEvent::SubscriptionRequest {
                account_id: ctx.account_id,
                jid: bare,
            });
        }
        PresenceType::Unsubscribe => {
            // A withdrawn request (RFC 6121 §3.2.3) is no longer pending.
            let _ = ctx
                .store
                .remove_subscription_request(ctx.account_id, &bare)
                .await;
        }
        PresenceType::Subscribed | PresenceType::Unsubscribed => {
            // The roster push that follows carries the new subscription state.
        }
        PresenceType::Error => {
            let text = error_text(&presence);
            tracing::info!(
                account = ctx.account_id,
                "presence error from {bare}: {text}"
            );
            ctx.presence.set(ctx.account_id, &bare, &resource, None);
            let info = PresenceInfo {
                show: Show::Offline,
                status: None,
                priority: i8::MIN,
                error: Some(text),
            };
            ctx.presence
                .set(ctx.account_id, &bare, ERROR_KEY, Some(info));
            ctx.emit(EngineEvent::PresenceChanged {
                account_id: ctx.account_id,
                jid: bare,
            });
        }
        PresenceType::Probe => {}
    }
}
