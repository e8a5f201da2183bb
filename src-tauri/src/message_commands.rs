//! Commands on messages beyond sending them (a reply, XEP-0461, is `send_message` with
//! `reply_to`): corrections (XEP-0308), retractions (XEP-0424), moderation (XEP-0425),
//! reactions (XEP-0444) and chat states (XEP-0085); and search over stored history. Each calls one engine method; the changed rows arrive as `linnet://messages`.

use linnet_engine::{ChatStateName, Engine};
use tauri::State;

use crate::error::IpcError;
use crate::views::{MessageEditView, MessageView, SearchHitView};

type Result<T> = std::result::Result<T, IpcError>;

/// Corrects our message `id` to `body`.
#[tauri::command]
pub async fn correct_message(
    engine: State<'_, Engine>,
    account_id: i64,
    id: i64,
    body: String,
) -> Result<()> {
    Ok(engine.correct_message(account_id, id, &body).await?)
}

/// Retracts our message `id` for everyone.
#[tauri::command]
pub async fn retract_message(engine: State<'_, Engine>, account_id: i64, id: i64) -> Result<()> {
    Ok(engine.retract_message(account_id, id).await?)
}

/// Asks the room to retract group message `id` (we are a moderator there).
#[tauri::command]
pub async fn moderate_message(
    engine: State<'_, Engine>,
    account_id: i64,
    id: i64,
    reason: Option<String>,
) -> Result<()> {
    let reason = reason.filter(|r| !r.trim().is_empty());
    Ok(engine
        .moderate_message(account_id, id, reason.as_deref())
        .await?)
}

/// Sets our whole set of reactions on message `id` (empty removes ours).
#[tauri::command]
pub async fn react_to_message(
    engine: State<'_, Engine>,
    account_id: i64,
    id: i64,
    emojis: Vec<String>,
) -> Result<()> {
    Ok(engine.react_to_message(account_id, id, &emojis).await?)
}

/// Tells the conversation's partner (or room) our chat state.
#[tauri::command]
pub async fn send_chat_state(
    engine: State<'_, Engine>,
    account_id: i64,
    peer: String,
    state: ChatStateName,
) -> Result<()> {
    Ok(engine.send_chat_state(account_id, &peer, state).await?)
}

/// The older texts of corrected message `id`, oldest first.
#[tauri::command]
pub async fn message_edits(
    engine: State<'_, Engine>,
    account_id: i64,
    id: i64,
) -> Result<Vec<MessageEditView>> {
    let edits = engine.message_edits(account_id, id).await?;
    Ok(edits
        .into_iter()
        .map(|(body, at)| MessageEditView { body, at })
        .collect())
}

/// Full-text search over stored history: every account, one account, or one conversation.
#[tauri::command]
pub async fn search_messages(
    engine: State<'_, Engine>,
    account_id: Option<i64>,
    peer: Option<String>,
    query: String,
    limit: u32,
) -> Result<Vec<SearchHitView>> {
    let hits = engine
        .search_messages(account_id, peer.as_deref(), &query, limit)
        .await?;
    Ok(hits.into_iter().map(Into::into).collect())
}

/// A message with up to `limit` messages before and after it, oldest first.
#[tauri::command]
pub async fn load_messages_around(
    engine: State<'_, Engine>,
    account_id: i64,
    peer: String,
    id: i64,
    limit: u32,
) -> Result<Vec<MessageView>> {
    let rows = engine.messages_around(account_id, &peer, id, limit).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
