//! Tauri build script: embeds the app manifest, capabilities and icons. Listing our commands
//! here makes Tauri generate one `allow-<command>` permission each, so the capability file
//! can grant the UI exactly the commands it uses and nothing else.

const COMMANDS: &[&str] = &[
    "database_problem",
    "pick_files",
    "send_file",
    "send_file_data",
    "cancel_upload",
    "send_file_direct",
    "accept_transfer",
    "decline_transfer",
    "cancel_transfer",
    "save_file",
    "save_file_as",
    "show_saved_file",
    "fetch_media",
    "launch_uri",
    "set_close_to_tray",
    "start_voice_message",
    "send_voice_message",
    "cancel_voice_message",
    "unlock_database",
    "start_afresh",
    "list_accounts",
    "add_account",
    "remove_account",
    "set_account_enabled",
    "trust_certificate",
    "list_contacts",
    "list_conversations",
    "load_messages",
    "send_message",
    "correct_message",
    "retract_message",
    "moderate_message",
    "react_to_message",
    "send_chat_state",
    "message_edits",
    "search_messages",
    "load_messages_around",
    "mark_read",
    "retry_message",
    "fetch_history",
    "join_room",
    "leave_room",
    "list_rooms",
    "set_room_notify",
    "invite_to_room",
    "room_state",
    "room_config",
    "set_room_config",
    "set_presence",
    "add_contact",
    "remove_contact",
    "list_subscription_requests",
    "approve_subscription",
    "deny_subscription",
    "set_password",
    "set_active_conversation",
    "update_account",
    "set_muted",
    "conversation_encryption",
    "set_conversation_encryption",
    "own_omemo_device",
    "omemo_devices",
    "set_omemo_trust",
    "open_link",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        eprintln!("tauri build script failed: {error:#}");
        std::process::exit(1);
    }
}
