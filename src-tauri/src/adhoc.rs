//! Ad-hoc commands (XEP-0050) on our server or any address: listed, run stage by stage with
//! their forms, cancelled. The engine does the protocol (`linnet_engine::Engine::run_command`
//! and friends).

use linnet_engine::{
    CommandAction, CommandItem, CommandSession, CommandStage, Engine, FieldValues,
};
use tauri::State;

use crate::error::IpcError;

type Result<T> = std::result::Result<T, IpcError>;

/// The commands `entity` (our server when `None`) offers (XEP-0050 §2.2).
///
/// Errors: `invalid_jid`, `not_connected`, `server_error` in words.
#[tauri::command]
pub async fn list_commands(
    engine: State<'_, Engine>,
    account_id: i64,
    entity: Option<String>,
) -> Result<Vec<CommandItem>> {
    Ok(engine.list_commands(account_id, entity.as_deref()).await?)
}

/// Runs command `node` of `entity`: its first stage (§3.2).
///
/// Errors: as `list_commands`.
#[tauri::command]
pub async fn run_command(
    engine: State<'_, Engine>,
    account_id: i64,
    entity: String,
    node: String,
) -> Result<CommandStage> {
    Ok(engine.run_command(account_id, &entity, &node).await?)
}

/// The next stage of `session`: `action` with the form's `values` (§3.4).
///
/// Errors: as `list_commands`.
#[tauri::command]
pub async fn continue_command(
    engine: State<'_, Engine>,
    account_id: i64,
    session: CommandSession,
    action: CommandAction,
    values: Vec<FieldValues>,
) -> Result<CommandStage> {
    Ok(engine
        .continue_command(account_id, &session, action, values)
        .await?)
}

/// Cancels a running command (§3.5).
///
/// Errors: `invalid_jid`, `not_connected`.
#[tauri::command]
pub async fn cancel_command(
    engine: State<'_, Engine>,
    account_id: i64,
    session: CommandSession,
) -> Result<()> {
    Ok(engine.cancel_command(account_id, &session).await?)
}
