//! Bookmarks (XEP-0402, PEP native bookmarks): the rooms the user keeps on the server, shared
//! by all their clients. On connect the `urn:xmpp:bookmarks:1` node is fetched; live changes
//! arrive as PEP notifications (we announce `urn:xmpp:bookmarks:1+notify` in our caps). An
//! `autojoin` bookmark is joined (with its nickname, else the local part of our JID); one that
//! is retracted or no longer `autojoin` is left. Notifications are accepted only from our own
//! bare JID (or the server on its behalf).
//!
//! A server without the XEP-0402 compat feature gets XEP-0048 bookmarks in private XML
//! storage (XEP-0049) instead: read at connect, written back whole after each change (no live
//! notifications there).

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::bookmarks::{Conference as LegacyConference, Storage};
use tokio_xmpp::parsers::bookmarks2::Conference;
use tokio_xmpp::parsers::data_forms::{DataForm, DataFormType, Field, FieldType};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::private::Query as PrivateQuery;
use tokio_xmpp::parsers::pubsub::event::{Event, Payload};
use tokio_xmpp::parsers::pubsub::pubsub::{Item, Items, Publish, PublishOptions, Retract};
use tokio_xmpp::parsers::pubsub::{ItemId, NodeName, PubSub};

use super::muc::{self, Rooms};
use super::{new_id, Context, IqPurpose};
use crate::event::EngineEvent;

/// The PEP node of XEP-0402 bookmarks.
pub const NODE: &str = "urn:xmpp:bookmarks:1";
const PUBSUB: &str = "http://jabber.org/protocol/pubsub";

/// Asks for our bookmarks (XEP-0402 §4.2 / XEP-0060 §6.5).
fn request_bookmarks(ctx: &mut Context) {
    let iq = Iq::from_get(new_id(), PubSub::Items(Items::new(NODE)));
    ctx.request(iq, IqPurpose::Bookmarks);
}

/// The publish-options of XEP-0402 §5: persistent, every item kept, never sent on presence,
/// whitelist access (XEP-0060 §7.1.5).
fn bookmark_options() -> PublishOptions {
    let option = |var: &str, value: &str| Field::new(var, FieldType::TextSingle).with_value(value);
    PublishOptions {
        form: Some(DataForm::new(
            DataFormType::Submit,
            "http://jabber.org/protocol/pubsub#publish-options",
            vec![
                option("pubsub#persist_items", "true"),
                option("pubsub#max_items", "max"),
                option("pubsub#send_last_published_item", "never"),
                option("pubsub#access_model", "whitelist"),
            ],
        )),
    }
}

/// `<item id=room>` with the conference, if any.
fn item(room: &BareJid, payload: Option<Element>) -> Item {
    Item {
        id: Some(ItemId(room.to_string())),
        publisher: None,
        payload,
    }
}

/// Publishes (or updates) the bookmark of a room the user joined here, so their other
/// clients join it too (XEP-0402 §4.3, with the publish-options of §5: persistent,
/// whitelist access). Failures are logged; the room works without a bookmark.
pub(crate) fn publish(ctx: &mut Context, sync: &mut BookmarkSync, room: &BareJid, nick: &str) {
    if legacy_bookmark(ctx, sync, room, Some(nick)) {
        return;
    }
    let conference = Conference {
        autojoin: true,
        nick: room
            .with_resource_str(nick)
            .ok()
            .map(|occupant| occupant.resource().to_owned()),
        ..Conference::default()
    };
    let pubsub = PubSub::Publish {
        publish: Publish {
            node: NodeName(NODE.to_owned()),
            items: vec![item(room, Some(conference.into()))],
        },
        publish_options: Some(bookmark_options()),
    };
    ctx.send(Iq::from_set(new_id(), pubsub));
}

/// Removes a room's bookmark (XEP-0402 §4.4) when the user leaves it here.
pub(crate) fn retract(ctx: &mut Context, sync: &mut BookmarkSync, room: &BareJid) {
    if legacy_bookmark(ctx, sync, room, None) {
        return;
    }
    let pubsub = PubSub::Retract(Retract {
        node: NodeName(NODE.to_owned()),
        notify: true,
        items: vec![item(room, None)],
    });
    ctx.send(Iq::from_set(new_id(), pubsub));
}

/// The answer to [`request_bookmarks`]: every `<item id=room><conference/></item>`.
pub(crate) async fn on_result(ctx: &mut Context, rooms: &mut Rooms, payload: Option<Element>) {
    let Some(pubsub) = payload else { return };
    let Some(items) = pubsub.get_child("items", PUBSUB) else {
        return;
    };
    for item in items.children().filter(|c| c.is("item", PUBSUB)) {
        let room = item.attr("id").unwrap_or_default().to_owned();
        let conference = item
            .children()
            .find(|c| c.is("conference", NODE))
            .and_then(|c| Conference::try_from(c.clone()).ok());
        match conference {
            Some(c) => apply_bookmark(ctx, rooms, &room, Some(c)).await,
            None => tracing::debug!(account = ctx.account_id, "unusable bookmark {room}"),
        }
    }
}

/// A PEP notification (XEP-0163 §4.3); ours for the bookmarks node are applied, the rest
/// logged.
pub(crate) async fn on_event(
    ctx: &mut Context,
    rooms: &mut Rooms,
    from: Option<&Jid>,
    event: Event,
) {
    let Payload::Items {
        node,
        published,
        retracted,
    } = event.payload
    else {
        tracing::debug!(account = ctx.account_id, "PEP event without items ignored");
        return;
    };
    if node.0 != NODE {
        tracing::debug!(
            account = ctx.account_id,
            "PEP event for node {} ignored",
            node.0
        );
        return;
    }
    if from.is_some_and(|f| !ctx.is_own_bare(f)) {
        tracing::warn!(account = ctx.account_id, "bookmarks from {from:?} ignored");
        return;
    }
    for item in published {
        let room = item.id.map(|i| i.0).unwrap_or_default();
        let conference = item.payload.and_then(|p| Conference::try_from(p).ok());
        apply_bookmark(ctx, rooms, &room, conference).await;
    }
    for id in retracted {
        apply_bookmark(ctx, rooms, &id.0, None).await;
    }
}

/// Joins an autojoin bookmark; leaves the room for a retracted or non-autojoin one.
async fn apply_bookmark(
    ctx: &mut Context,
    rooms: &mut Rooms,
    room: &str,
    conference: Option<Conference>,
) {
    let Ok(room) = BareJid::new(room) else {
        tracing::debug!(
            account = ctx.account_id,
            "bookmark for a bad room address {room}"
        );
        return;
    };
    let stored = ctx
        .store
        .room(ctx.account_id, room.as_str())
        .await
        .ok()
        .flatten();
    match conference {
        Some(c) if c.autojoin => {
            let nick = c
                .nick
                .map(|n| n.to_string())
                .or_else(|| ctx.jid.node().map(|n| n.to_string()))
                .unwrap_or_else(|| "linnet".into());
            if stored.as_ref().is_some_and(|r| r.nick == nick)
                && !ctx.muc.nick(ctx.account_id, room.as_str()).is_empty()
            {
                return; // already in (or joining) with that nickname
            }
            if let Err(e) = ctx
                .store
                .upsert_room(ctx.account_id, room.as_str(), &nick)
                .await
            {
                tracing::warn!(account = ctx.account_id, "storing a bookmark: {e}");
                return;
            }
            rooms.join(ctx, &room, &nick);
            ctx.emit(EngineEvent::ConversationsChanged);
        }
        _ => {
            if stored.is_some() {
                muc::rooms::leave(ctx, &room);
                let _ = ctx.store.remove_room(ctx.account_id, room.as_str()).await;
            }
        }
    }
}

/// Announced on the account (disco#info of our bare JID) when the server keeps XEP-0402 and
/// XEP-0048 bookmarks in sync (XEP-0402 §3); without it we use XEP-0048 in private XML
/// storage (XEP-0049), as the ModernXMPP client guidance says.
pub const COMPAT: &str = "urn:xmpp:bookmarks:1#compat";

/// Where this session keeps bookmarks, and bookmark changes waiting until that is known (or,
/// for private storage, until the whole list has been read: it is written back whole, so
/// writing before reading would lose the user's other bookmarks).
#[derive(Debug, Default)]
pub(crate) struct BookmarkSync {
    /// `None` until the account's features are known; `Some(true)` for XEP-0048.
    legacy: Option<bool>,
    /// The XEP-0048 list as last read or written.
    storage: Option<Storage>,
    /// Joins (`Some(nick)`) and leaves (`None`) made before we could record them.
    pending: Vec<(BareJid, Option<String>)>,
}

/// Asks our server which bookmarks it keeps (disco#info of our bare JID, XEP-0030), then
/// fetches them from there. Called at session start.
pub(crate) fn discover(ctx: &mut Context, sync: &mut BookmarkSync) {
    *sync = BookmarkSync::default();
    let query = tokio_xmpp::parsers::disco::DiscoInfoQuery { node: None };
    let iq = Iq::from_get(new_id(), query).with_to(Jid::from(ctx.jid.clone()));
    ctx.request(iq, IqPurpose::AccountInfo);
}

/// The account's disco#info answer (`None` after an error): XEP-0402 when the server
/// syncs it with XEP-0048, else XEP-0048 in private XML storage.
pub(crate) fn on_account_info(
    ctx: &mut Context,
    sync: &mut BookmarkSync,
    payload: Option<Element>,
) {
    let compat = payload
        .and_then(|p| tokio_xmpp::parsers::disco::DiscoInfoResult::try_from(p).ok())
        .is_some_and(|info| info.features.iter().any(|f| f == COMPAT));
    sync.legacy = Some(!compat);
    if compat {
        request_bookmarks(ctx);
        for (room, nick) in std::mem::take(&mut sync.pending) {
            match nick {
                Some(nick) => publish(ctx, sync, &room, &nick),
                None => retract(ctx, sync, &room),
            }
        }
    } else {
        tracing::info!(
            account = ctx.account_id,
            "no XEP-0402 compat on the server: bookmarks in private XML storage (XEP-0048)"
        );
        let query = PrivateQuery {
            storage: Storage::new(),
        };
        ctx.request(Iq::from_get(new_id(), query), IqPurpose::PrivateBookmarks);
    }
}

/// Our XEP-0048 bookmarks from private XML storage (an empty answer is an empty list):
/// autojoin rooms are joined; then changes made meanwhile are written back.
pub(crate) async fn on_private(
    ctx: &mut Context,
    rooms: &mut Rooms,
    sync: &mut BookmarkSync,
    payload: Option<Element>,
) {
    let storage = payload
        .and_then(|p| PrivateQuery::try_from(p).ok())
        .map(|q| q.storage)
        .unwrap_or_default();
    for conference in storage.conferences.clone() {
        let (room, conference) = conference.into_bookmarks2();
        apply_bookmark(ctx, rooms, room.as_str(), Some(conference)).await;
    }
    sync.storage = Some(storage);
    let pending = std::mem::take(&mut sync.pending);
    if !pending.is_empty() {
        for (room, nick) in pending {
            change_private_bookmark(sync, &room, nick.as_deref());
        }
        write_private_bookmarks(ctx, sync);
    }
}

/// Records a join (`Some(nick)`) or leave (`None`) here, in whichever bookmarks the
/// server keeps. Returns true when it was handled by XEP-0048 or queued.
fn legacy_bookmark(
    ctx: &mut Context,
    sync: &mut BookmarkSync,
    room: &BareJid,
    nick: Option<&str>,
) -> bool {
    match (sync.legacy, sync.storage.is_some()) {
        (Some(false), _) => false,
        (Some(true), true) => {
            change_private_bookmark(sync, room, nick);
            write_private_bookmarks(ctx, sync);
            true
        }
        _ => {
            sync.pending.push((room.clone(), nick.map(str::to_owned)));
            true
        }
    }
}

fn change_private_bookmark(sync: &mut BookmarkSync, room: &BareJid, nick: Option<&str>) {
    let Some(storage) = sync.storage.as_mut() else {
        return;
    };
    let old = storage.conferences.iter().position(|c| &c.jid == room);
    match nick {
        Some(nick) => {
            let nick = room
                .with_resource_str(nick)
                .ok()
                .map(|occupant| occupant.resource().to_owned());
            match old {
                Some(i) => {
                    storage.conferences[i].autojoin = true;
                    storage.conferences[i].nick = nick;
                }
                None => storage.conferences.push(LegacyConference {
                    autojoin: true,
                    jid: room.clone(),
                    name: None,
                    nick,
                    password: None,
                }),
            }
        }
        None => {
            if let Some(i) = old {
                storage.conferences.remove(i);
            }
        }
    }
}

fn write_private_bookmarks(ctx: &mut Context, sync: &BookmarkSync) {
    let Some(storage) = sync.storage.clone() else {
        return;
    };
    ctx.send(Iq::from_set(new_id(), PrivateQuery { storage }));
}
