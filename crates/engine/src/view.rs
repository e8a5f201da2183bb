//! Small serialisable views the shell hands to the UI.

use serde::Serialize;

use crate::account::resolve::Route;
use crate::event::ConnectionState;
use crate::features::presence::{PresenceInfo, Show};
use crate::store::{AccountRow, RosterRow};

/// An account with its connection state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AccountView {
    /// Account id.
    pub id: i64,
    /// Bare JID.
    pub jid: String,
    /// Kept connected.
    pub enabled: bool,
    /// Current connection state.
    pub state: ConnectionState,
    /// Host override; `None` looks up SRV records.
    pub host: Option<String>,
    /// Port override.
    pub port: Option<u16>,
    /// XEP-0368 direct TLS instead of STARTTLS.
    pub direct_tls: bool,
    /// Our avatar's SHA-1 (hex), its PNG from `Engine::avatar_png`; `None`: none known.
    pub avatar: Option<String>,
    /// Our own show on the account, as last set (kept across restarts).
    pub own_show: Show,
    /// Our own status text, as last set.
    pub own_status: Option<String>,
    /// How the account is connected while online (host, port, address, TLS, found by SRV);
    /// `None` otherwise.
    pub connected_via: Option<Route>,
    /// The user allows sending the password as PLAIN (inside verified TLS) to this server.
    pub allow_plain: bool,
    /// The account's own proxy URL; `None`: the system setting.
    pub proxy: Option<String>,
}

impl AccountView {
    pub(crate) fn new(
        row: AccountRow,
        state: ConnectionState,
        avatar: Option<String>,
        route: Option<Route>,
        allow_plain: bool,
    ) -> Self {
        let (own_show, own_status) = row.own_presence();
        let connected_via = route.filter(|_| state == ConnectionState::Online);
        Self {
            id: row.id,
            jid: row.jid,
            enabled: row.enabled,
            state,
            host: row.host,
            port: row.port.and_then(|p| u16::try_from(p).ok()),
            direct_tls: row.direct_tls,
            avatar,
            own_show,
            own_status,
            connected_via,
            allow_plain,
            proxy: row.proxy,
        }
    }
}

/// A roster contact with its best presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Contact {
    /// Owning account.
    pub account_id: i64,
    /// Bare JID.
    pub jid: String,
    /// Name the user gave.
    pub name: Option<String>,
    /// Groups.
    pub groups: Vec<String>,
    /// `none`, `to`, `from`, `both` (RFC 6121 §2.1.2.5).
    pub subscription: String,
    /// Our subscription request is pending.
    pub ask: bool,
    /// Best presence over the contact's resources.
    pub presence: PresenceInfo,
    /// The contact's avatar, by SHA-1 (hex; XEP-0084/0153); `None`: none known.
    pub avatar: Option<String>,
    /// The nickname the contact publishes (XEP-0172), shown when we gave them no name.
    pub nick: Option<String>,
}

impl Contact {
    pub(crate) fn from_row(
        row: RosterRow,
        presence: PresenceInfo,
        avatar: Option<String>,
        nick: Option<String>,
    ) -> Self {
        let groups = row.group_names();
        Self {
            account_id: row.account_id,
            jid: row.jid,
            name: row.name,
            groups,
            subscription: row.subscription,
            ask: row.ask,
            presence,
            avatar,
            nick,
        }
    }
}
