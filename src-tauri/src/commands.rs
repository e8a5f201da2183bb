//! Commands the UI calls. Each parses, calls one engine method and returns a view.

use linnet_engine::{
    AccountView, ConnectionSettings, Contact, Engine, ErrorCode, NewAccount, Show,
};
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::credentials::Credentials;
use crate::error::IpcError;
use crate::events::ActiveConversation;
use crate::views::{
    AddAccountRequest, ConversationView, HistoryPageView, MessageView, RoomView,
    SubscriptionRequestView,
};

type Result<T> = std::result::Result<T, IpcError>;

/// Accounts with their connection state.
#[tauri::command]
pub async fn list_accounts(engine: State<'_, Engine>) -> Result<Vec<AccountView>> {
    Ok(engine.accounts().await?)
}

/// Stores the password in the keyring (or, with `session_only`, in memory for this run), then
/// adds and connects the account. Rejects with `keyring_unavailable` when the keyring cannot
/// be used, so the UI can offer the session-only choice.
#[tauri::command]
pub async fn add_account(
    engine: State<'_, Engine>,
    credentials: State<'_, std::sync::Arc<Credentials>>,
    request: AddAccountRequest,
) -> Result<AccountView> {
    let jid = linnet_engine::parse_jid(&request.jid)?;
    credentials.store(
        &jid.to_bare().to_string(),
        &request.password,
        request.session_only,
    )?;
    drop(request.password);
    Ok(engine
        .add_account(NewAccount {
            jid: request.jid,
            host: request.host,
            port: request.port,
            direct_tls: request.direct_tls,
        })
        .await?)
}

/// Removes an account, its data and its keyring entry.
#[tauri::command]
pub async fn remove_account(
    engine: State<'_, Engine>,
    credentials: State<'_, std::sync::Arc<Credentials>>,
    account_id: i64,
) -> Result<()> {
    let jid = engine.account(account_id).await?.jid;
    engine.remove_account(account_id).await?;
    credentials.delete(&jid);
    Ok(())
}

/// Changes an account's host/port override, direct TLS, PLAIN consent (`None` keeps it) and
/// own proxy (`None`: the system's), then reconnects it.
#[tauri::command]
pub async fn update_account(
    engine: State<'_, Engine>,
    account_id: i64,
    host: Option<String>,
    port: Option<u16>,
    direct_tls: bool,
    allow_plain: Option<bool>,
    proxy: Option<String>,
) -> Result<AccountView> {
    Ok(engine
        .update_account(
            account_id,
            ConnectionSettings {
                host,
                port,
                direct_tls,
                allow_plain,
                proxy,
            },
        )
        .await?)
}

/// Enables or disables an account.
#[tauri::command]
pub async fn set_account_enabled(
    engine: State<'_, Engine>,
    account_id: i64,
    enabled: bool,
) -> Result<()> {
    Ok(engine.set_account_enabled(account_id, enabled).await?)
}

/// Trusts a server certificate for one account and reconnects.
#[tauri::command]
pub async fn trust_certificate(
    engine: State<'_, Engine>,
    account_id: i64,
    sha256: String,
) -> Result<()> {
    Ok(engine.trust_certificate(account_id, &sha256, None).await?)
}

/// Roster with presence.
#[tauri::command]
pub async fn list_contacts(engine: State<'_, Engine>, account_id: i64) -> Result<Vec<Contact>> {
    Ok(engine.contacts(account_id).await?)
}

/// Conversations by last activity.
#[tauri::command]
pub async fn list_conversations(engine: State<'_, Engine>) -> Result<Vec<ConversationView>> {
    Ok(engine
        .conversations()
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Joins a group chat (XEP-0045) as `nick`, with the room's password when it has one (kept in
/// memory for rejoins until the app quits, never stored); it is rejoined on every connect.
/// Progress and errors (e.g. the nickname is taken, a password is needed) arrive as
/// `linnet://room`. With `configure_first`, a room this join creates stays locked until its
/// configuration is saved (`set_room_config`; `state.awaiting_configuration` meanwhile).
///
/// Errors: `invalid_jid` for a bad room address or nickname, `unknown_account`.
#[tauri::command]
pub async fn join_room(
    engine: State<'_, Engine>,
    account_id: i64,
    room: String,
    nick: String,
    password: Option<String>,
    configure_first: Option<bool>,
) -> Result<()> {
    Ok(engine
        .join_room_with_options(
            account_id,
            &room,
            &nick,
            password,
            configure_first.unwrap_or(false),
        )
        .await?)
}

/// Sets when a room's messages notify: `all`, `mentions` (of our nickname) or `none`.
#[tauri::command]
pub async fn set_room_notify(
    engine: State<'_, Engine>,
    account_id: i64,
    room: String,
    mode: linnet_engine::RoomNotify,
) -> Result<()> {
    Ok(engine.set_room_notify(account_id, &room, mode).await?)
}

/// Invites someone to a room we are in: through the room (XEP-0045 §7.8.2), or with `direct`
/// straight to them (XEP-0249).
///
/// Errors: `invalid_jid`, `not_connected`.
#[tauri::command]
pub async fn invite_to_room(
    engine: State<'_, Engine>,
    account_id: i64,
    room: String,
    jid: String,
    reason: Option<String>,
    direct: Option<bool>,
) -> Result<()> {
    Ok(engine
        .invite_to_room(account_id, &room, &jid, reason, direct.unwrap_or(false))
        .await?)
}

/// The configuration form of a room we own (XEP-0045 §10.2, an XEP-0004 data form).
///
/// Errors: `invalid_jid`, `not_connected`, `server_error` in words (say, only owners may).
#[tauri::command]
pub async fn room_config(
    engine: State<'_, Engine>,
    account_id: i64,
    room: String,
) -> Result<linnet_engine::RoomConfigForm> {
    Ok(engine.room_config(account_id, &room).await?)
}

/// Submits a room's configuration form with these field values (XEP-0045 §10.2).
///
/// Errors: as `room_config`.
#[tauri::command]
pub async fn set_room_config(
    engine: State<'_, Engine>,
    account_id: i64,
    room: String,
    fields: Vec<linnet_engine::FieldValues>,
) -> Result<()> {
    Ok(engine.set_room_config(account_id, &room, fields).await?)
}

/// Leaves a group chat and forgets it (its messages stay).
#[tauri::command]
pub async fn leave_room(engine: State<'_, Engine>, account_id: i64, room: String) -> Result<()> {
    Ok(engine.leave_room(account_id, &room).await?)
}

/// The rooms of every account with their live state.
#[tauri::command]
pub async fn list_rooms(engine: State<'_, Engine>) -> Result<Vec<RoomView>> {
    let mut out = Vec::new();
    for account in engine.accounts().await? {
        for room in engine.rooms(account.id).await? {
            out.push(room_view(&engine, room).await?);
        }
    }
    Ok(out)
}

/// A stored room with its live state; offline, the stored nickname and subject stand in.
async fn room_view(engine: &Engine, room: linnet_engine::RoomRow) -> Result<RoomView> {
    let mut state = engine.room(room.account_id, &room.jid);
    if state.nick.is_empty() {
        // Offline: the nickname we join with next time.
        state.nick = room.nick;
    }
    if state.subject.is_none() {
        state.subject = room.subject;
    }
    Ok(RoomView {
        account_id: room.account_id,
        state,
        notify: engine.room_notify(room.account_id, &room.jid).await?,
        autojoin: room.autojoin,
        jid: room.jid,
    })
}

/// One room's live state (after a `linnet://room` event for it), cheaper than `list_rooms`.
///
/// Errors: `invalid_jid`; `not_found` when the room is not one of the account's rooms.
#[tauri::command]
pub async fn room_state(
    engine: State<'_, Engine>,
    account_id: i64,
    room: String,
) -> Result<RoomView> {
    let row = engine
        .stored_room(account_id, &room)
        .await?
        .ok_or_else(|| linnet_engine::EngineError::NotFound(format!("room {room}")))?;
    room_view(&engine, row).await
}

/// Fetches older messages of a conversation from the server's archive (XEP-0313) when the
/// user scrolls past what is stored; they arrive as a `linnet://messages` event too.
///
/// Errors: `not_connected` when the account is offline, `server_error` when the server has
/// no archive or refuses.
#[tauri::command]
pub async fn fetch_history(
    engine: State<'_, Engine>,
    account_id: i64,
    peer: String,
) -> Result<HistoryPageView> {
    Ok(engine.fetch_history(account_id, &peer).await?.into())
}

/// A page of history older than `before`.
#[tauri::command]
pub async fn load_messages(
    engine: State<'_, Engine>,
    account_id: i64,
    peer: String,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<MessageView>> {
    Ok(engine
        .messages(account_id, &peer, before, limit)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Stores and sends a message; with `reply_to` (a row id) as a reply to that message
/// (XEP-0461).
#[tauri::command]
pub async fn send_message(
    engine: State<'_, Engine>,
    account_id: i64,
    to: String,
    body: String,
    reply_to: Option<i64>,
) -> Result<MessageView> {
    let row = match reply_to {
        Some(id) => engine.send_reply(account_id, &to, &body, id).await?,
        None => engine.send_message(account_id, &to, &body).await?,
    };
    Ok(row.into())
}

/// Mutes or unmutes notifications for one conversation.
#[tauri::command]
pub async fn set_muted(
    engine: State<'_, Engine>,
    account_id: i64,
    peer: String,
    muted: bool,
) -> Result<()> {
    Ok(engine.set_muted(account_id, &peer, muted).await?)
}

/// Whether what we send to `peer` is encrypted with OMEMO (`null`: not decided yet).
#[tauri::command]
pub async fn conversation_encryption(
    engine: State<'_, Engine>,
    account_id: i64,
    peer: String,
) -> Result<Option<bool>> {
    Ok(engine.conversation_encryption(account_id, &peer).await?)
}

/// Turns OMEMO on or off for what we send to `peer`.
#[tauri::command]
pub async fn set_conversation_encryption(
    engine: State<'_, Engine>,
    account_id: i64,
    peer: String,
    on: bool,
) -> Result<()> {
    Ok(engine
        .set_conversation_encryption(account_id, &peer, on)
        .await?)
}

/// Our OMEMO device on an account: its id and fingerprint (`null` before the first connect).
#[tauri::command]
pub async fn own_omemo_device(
    engine: State<'_, Engine>,
    account_id: i64,
) -> Result<Option<linnet_engine::OwnDevice>> {
    Ok(engine.own_omemo_device(account_id).await?)
}

/// The OMEMO devices we have seen of `peer` (ours for our other devices), with fingerprints
/// and our trust in each.
#[tauri::command]
pub async fn omemo_devices(
    engine: State<'_, Engine>,
    account_id: i64,
    peer: String,
) -> Result<Vec<linnet_engine::DeviceView>> {
    Ok(engine.omemo_devices(account_id, &peer).await?)
}

/// Sets our trust in one OMEMO device of `peer` (after comparing fingerprints: `verified`).
#[tauri::command]
pub async fn set_omemo_trust(
    engine: State<'_, Engine>,
    account_id: i64,
    peer: String,
    device_id: u32,
    trust: linnet_engine::Trust,
) -> Result<()> {
    Ok(engine
        .set_omemo_trust(account_id, &peer, device_id, trust)
        .await?)
}

/// Opens a link from a message in the system browser (or mail / XMPP client). Only `http`,
/// `https`, `mailto` and `xmpp` URLs are opened; anything else is refused with `invalid_url`.
#[tauri::command]
pub fn open_link(app: AppHandle, url: String) -> Result<()> {
    let parsed = url::Url::parse(url.trim())
        .map_err(|e| IpcError::new(ErrorCode::InvalidUrl, format!("'{url}' is not a link: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https" | "mailto" | "xmpp") {
        return Err(IpcError::new(
            ErrorCode::InvalidUrl,
            format!("Linnet does not open {}: links", parsed.scheme()),
        ));
    }
    app.opener()
        .open_url(parsed.as_str(), None::<&str>)
        .map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                format!("Could not open the link in your browser: {e}"),
            )
        })
}

/// Marks a conversation read.
#[tauri::command]
pub async fn mark_read(engine: State<'_, Engine>, account_id: i64, peer: String) -> Result<()> {
    Ok(engine.mark_read(account_id, &peer).await?)
}

/// Sends one of our failed messages again (it returns to the outbox as pending).
///
/// Errors: `not_found` when `id` is not a failed message of ours on this account.
#[tauri::command]
pub async fn retry_message(engine: State<'_, Engine>, account_id: i64, id: i64) -> Result<()> {
    Ok(engine.retry_message(account_id, id).await?)
}

/// Sets our own presence on an account (RFC 6121 §4.2).
#[tauri::command]
pub async fn set_presence(
    engine: State<'_, Engine>,
    account_id: i64,
    show: Show,
    status: Option<String>,
) -> Result<()> {
    let status = status.filter(|s| !s.trim().is_empty());
    Ok(engine.set_presence(account_id, show, status).await?)
}

/// The JIDs the account blocks (XEP-0191), sorted.
#[tauri::command]
pub async fn blocklist(engine: State<'_, Engine>, account_id: i64) -> Result<Vec<String>> {
    Ok(engine.blocklist(account_id).await?)
}

/// Blocks a JID (or a domain) on the account: the server then drops all it sends (XEP-0191).
#[tauri::command]
pub async fn block_jid(engine: State<'_, Engine>, account_id: i64, jid: String) -> Result<()> {
    Ok(engine.block(account_id, &jid).await?)
}

/// Blocks a JID and reports it to our server as a spammer (XEP-0377 in the XEP-0191 block).
#[tauri::command]
pub async fn block_and_report(
    engine: State<'_, Engine>,
    account_id: i64,
    jid: String,
) -> Result<()> {
    Ok(engine.block_and_report(account_id, &jid).await?)
}

/// Unblocks a JID on the account (XEP-0191).
#[tauri::command]
pub async fn unblock_jid(engine: State<'_, Engine>, account_id: i64, jid: String) -> Result<()> {
    Ok(engine.unblock(account_id, &jid).await?)
}

/// Adds a contact and asks for their presence.
#[tauri::command]
pub async fn add_contact(
    engine: State<'_, Engine>,
    account_id: i64,
    jid: String,
    name: Option<String>,
    groups: Vec<String>,
) -> Result<()> {
    let name = name.filter(|n| !n.trim().is_empty());
    let groups = groups
        .into_iter()
        .map(|g| g.trim().to_owned())
        .filter(|g| !g.is_empty())
        .collect();
    Ok(engine.add_contact(account_id, &jid, name, groups).await?)
}

/// Removes a contact from the roster.
#[tauri::command]
pub async fn remove_contact(engine: State<'_, Engine>, account_id: i64, jid: String) -> Result<()> {
    Ok(engine.remove_contact(account_id, &jid).await?)
}

/// Inbound subscription requests not answered yet.
#[tauri::command]
pub async fn list_subscription_requests(
    engine: State<'_, Engine>,
    account_id: i64,
) -> Result<Vec<SubscriptionRequestView>> {
    Ok(engine
        .subscription_requests(account_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Approves a request (and asks back, so both see each other).
#[tauri::command]
pub async fn approve_subscription(
    engine: State<'_, Engine>,
    account_id: i64,
    jid: String,
) -> Result<()> {
    Ok(engine.approve_subscription(account_id, &jid).await?)
}

/// Denies a request.
#[tauri::command]
pub async fn deny_subscription(
    engine: State<'_, Engine>,
    account_id: i64,
    jid: String,
) -> Result<()> {
    Ok(engine.deny_subscription(account_id, &jid).await?)
}

/// Replaces the stored password (keyring, or memory with `session_only`) and reconnects.
#[tauri::command]
pub async fn set_password(
    engine: State<'_, Engine>,
    credentials: State<'_, std::sync::Arc<Credentials>>,
    account_id: i64,
    password: String,
    session_only: bool,
) -> Result<()> {
    let jid = engine.account(account_id).await?.jid;
    credentials.store(&jid, &password, session_only)?;
    drop(password);
    Ok(engine.reconnect(account_id).await?)
}

/// Tells the shell which conversation is on screen (`None` for none), so it does not notify
/// about messages the user is looking at.
#[tauri::command]
pub fn set_active_conversation(
    active: State<'_, ActiveConversation>,
    account_id: Option<i64>,
    peer: Option<String>,
) -> Result<()> {
    if let Ok(mut slot) = active.inner().0.lock() {
        *slot = account_id.zip(peer);
    }
    Ok(())
}
