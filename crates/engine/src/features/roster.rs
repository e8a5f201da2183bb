//! Roster (RFC 6121 §2) with versioning (XEP-0237): fetch at session start, pushes, and the
//! roster sets behind add, rename, regroup and remove.

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::BareJid;
use tokio_xmpp::parsers::roster::{Ask, Group, Item, Roster, Subscription};

use super::{new_id, Context, IqPurpose};
use crate::event::EngineEvent;
use crate::store::RosterRow;

fn subscription_name(s: &Subscription) -> &'static str {
    match s {
        Subscription::None => "none",
        Subscription::From => "from",
        Subscription::To => "to",
        Subscription::Both => "both",
        Subscription::Remove => "remove",
    }
}

fn row(account_id: i64, item: &Item) -> RosterRow {
    let groups: Vec<&str> = item.groups.iter().map(|g| g.0.as_str()).collect();
    RosterRow {
        account_id,
        jid: item.jid.to_string(),
        name: item.name.clone().filter(|n| !n.is_empty()),
        subscription: subscription_name(&item.subscription).to_owned(),
        ask: item.ask == Ask::Subscribe,
        groups: serde_json::to_string(&groups).unwrap_or_else(|_| "[]".into()),
    }
}

/// A roster set (RFC 6121 §2.3) adding or updating one item.
pub fn roster_set(jid: BareJid, name: Option<String>, groups: Vec<String>) -> Roster {
    Roster {
        ver: None,
        items: vec![Item {
            jid,
            name,
            subscription: Subscription::None,
            ask: Ask::None,
            groups: groups.into_iter().map(Group).collect(),
            approved: None,
        }],
    }
}

/// A roster set (RFC 6121 §2.5) removing one item.
pub fn roster_remove(jid: BareJid) -> Roster {
    Roster {
        ver: None,
        items: vec![Item {
            jid,
            name: None,
            subscription: Subscription::Remove,
            ask: Ask::None,
            groups: vec![],
            approved: None,
        }],
    }
}

/// Queues the roster get, with the version we hold (XEP-0237 §2).
pub(crate) async fn request_roster(ctx: &mut Context) {
    let ver = match ctx.store.account(ctx.account_id).await {
        Ok(a) => a.roster_ver.or(Some(String::new())),
        Err(_) => Some(String::new()),
    };
    ctx.request(
        Iq::from_get(new_id(), Roster { ver, items: vec![] }),
        IqPurpose::RosterGet,
    );
}

/// A roster result: full roster, or empty when our version is current (XEP-0237 §2.3).
pub(crate) async fn on_roster_result(ctx: &mut Context, payload: Option<Element>) {
    let Some(payload) = payload else {
        tracing::debug!(
            account = ctx.account_id,
            "roster unchanged since our version"
        );
        return;
    };
    match Roster::try_from(payload) {
        Ok(roster) => {
            let rows: Vec<RosterRow> = roster
                .items
                .iter()
                .map(|i| row(ctx.account_id, i))
                .collect();
            if let Err(e) = ctx
                .store
                .replace_roster(ctx.account_id, &rows, roster.ver.as_deref())
                .await
            {
                tracing::warn!(account = ctx.account_id, "storing roster failed: {e}");
            }
            ctx.emit(EngineEvent::RosterChanged {
                account_id: ctx.account_id,
            });
        }
        Err(e) => tracing::warn!(
            account = ctx.account_id,
            "malformed roster result skipped: {e}"
        ),
    }
}

/// A roster push (RFC 6121 §2.1.6), already checked to come from our server.
pub(crate) async fn on_roster_push(ctx: &mut Context, roster: Roster) {
    for item in &roster.items {
        let r = row(ctx.account_id, item);
        if let Err(e) = ctx
            .store
            .apply_roster_push(ctx.account_id, &r, roster.ver.as_deref())
            .await
        {
            tracing::warn!(account = ctx.account_id, "storing roster push failed: {e}");
        }
        // Once we share presence both ways, a stored inbound request is answered.
        if matches!(item.subscription, Subscription::From | Subscription::Both) {
            let _ = ctx
                .store
                .remove_subscription_request(ctx.account_id, &r.jid)
                .await;
        }
    }
    ctx.emit(EngineEvent::RosterChanged {
        account_id: ctx.account_id,
    });
}
