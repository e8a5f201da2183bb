//! People in the window: a contact's details (profile, resources with their clients), renaming
//! and regrouping them, the subscription either way, and our own profile (XEP-0292 vCard4 with
//! XEP-0054 vcard-temp, XEP-0172 nickname; `linnet_engine::Engine::profile` and friends).

use linnet_engine::{Engine, Profile, ProfileView, ResourceView};
use tauri::State;

use crate::error::IpcError;

type Result<T> = std::result::Result<T, IpcError>;

/// The profile of bare JID `jid` (our own account's too), read from the server now: vCard4,
/// else vcard-temp, else none (`source: "none"`).
///
/// Errors: `invalid_jid`; `not_connected` when the account is offline.
#[tauri::command]
pub async fn profile(
    engine: State<'_, Engine>,
    account_id: i64,
    jid: String,
) -> Result<ProfileView> {
    Ok(engine.profile(account_id, &jid).await?)
}

/// Makes `profile` ours on the account: vcard-temp (photo kept), vCard4 and nickname.
///
/// Errors: `not_connected`; `server_error` when the server refuses to publish it.
#[tauri::command]
pub async fn set_profile(
    engine: State<'_, Engine>,
    account_id: i64,
    profile: Profile,
) -> Result<()> {
    Ok(engine.set_profile(account_id, profile).await?)
}

/// The online resources of contact `jid`, each with the client it runs (asked now, at most
/// 5 s).
///
/// Errors: `invalid_jid`.
#[tauri::command]
pub async fn contact_resources(
    engine: State<'_, Engine>,
    account_id: i64,
    jid: String,
) -> Result<Vec<ResourceView>> {
    Ok(engine.contact_resources(account_id, &jid).await?)
}

/// Renames and regroups a contact (roster set, RFC 6121 §2.3): an empty name clears it,
/// blank groups are dropped.
///
/// Errors: `invalid_jid`; `not_connected`; `server_error` when the server refuses.
#[tauri::command]
pub async fn update_contact(
    engine: State<'_, Engine>,
    account_id: i64,
    jid: String,
    name: Option<String>,
    groups: Vec<String>,
) -> Result<()> {
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let mut kept: Vec<String> = Vec::new();
    for group in groups {
        let group = group.trim().to_owned();
        if !group.is_empty() && !kept.contains(&group) {
            kept.push(group);
        }
    }
    Ok(engine.update_contact(account_id, &jid, name, kept).await?)
}

/// Asks to see a contact's presence (RFC 6121 §3.1.1, with our nickname).
///
/// Errors: `invalid_jid`; `not_connected`.
#[tauri::command]
pub async fn request_subscription(
    engine: State<'_, Engine>,
    account_id: i64,
    jid: String,
) -> Result<()> {
    Ok(engine.request_subscription(account_id, &jid).await?)
}

/// Stops seeing a contact's presence (RFC 6121 §3.3); they still see ours.
///
/// Errors: `invalid_jid`; `not_connected`.
#[tauri::command]
pub async fn unsubscribe(engine: State<'_, Engine>, account_id: i64, jid: String) -> Result<()> {
    Ok(engine.unsubscribe(account_id, &jid).await?)
}
