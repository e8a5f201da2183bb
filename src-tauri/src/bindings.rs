//! TypeScript bindings for every type that crosses IPC, generated from the Rust types with
//! `ts-rs` into `ui/src/lib/ipc/generated.ts` (committed). The test below fails when that file
//! is stale; run `LINNET_WRITE_BINDINGS=1 cargo test -p linnet bindings` to regenerate.

#![cfg_attr(not(test), allow(dead_code))]

use ts_rs::{Config, TS};

use crate::error::IpcError;
use crate::views::{
    AccountStateEvent, AddAccountRequest, ChatStateEvent, ConversationView, FileProgressEvent,
    FileView, HistoryPageView, MessageEditView, MessageEncryption, MessageState, MessageView,
    MessagesEvent, OpenConversationEvent, ReactionView, ReloadEvent, ReplyView, RoomEvent,
    RoomInviteEvent, RoomView, RosterEvent, SearchHitView, SubscriptionRequestView, TransferView,
};
use linnet_engine::account::resolve::Route;
use linnet_engine::{
    AccountView, Affiliation, CertificateInfo, ChatStateName, ConnectionState, Contact, DeviceView,
    ErrorCode, FieldValues, FormField, FormOption, Occupant, OwnDevice, PresenceInfo,
    RegistrationForm, RegistrationServer, Role, RoomConfigForm, RoomErrorCode, RoomNotify,
    RoomState, Show, TransferState, Trust,
};
use linnet_engine::{
    CommandAction, CommandItem, CommandNote, CommandSession, CommandStage, CommandStatus,
};

/// Path of the generated file, relative to the workspace root.
pub const GENERATED_PATH: &str = "ui/src/lib/ipc/generated.ts";

fn declare<T: TS>(cfg: &Config, out: &mut String) {
    if let Some(docs) = T::docs() {
        out.push_str(&docs);
    }
    out.push_str("export ");
    out.push_str(&T::decl(cfg));
    out.push_str("\n\n");
}

/// The whole generated file: one exported declaration per type, integers as `number`
/// (ids and unix-ms times stay far below 2^53).
pub fn typescript() -> String {
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:\n\
         // run `LINNET_WRITE_BINDINGS=1 cargo test -p linnet bindings` after changing them.\n\n",
    );
    declare::<ErrorCode>(&cfg, &mut out);
    declare::<crate::startup::DatabaseProblemKind>(&cfg, &mut out);
    declare::<crate::startup::DatabaseProblem>(&cfg, &mut out);
    declare::<IpcError>(&cfg, &mut out);
    declare::<CertificateInfo>(&cfg, &mut out);
    declare::<ConnectionState>(&cfg, &mut out);
    declare::<Route>(&cfg, &mut out);
    declare::<AccountView>(&cfg, &mut out);
    declare::<AddAccountRequest>(&cfg, &mut out);
    declare::<Show>(&cfg, &mut out);
    declare::<PresenceInfo>(&cfg, &mut out);
    declare::<Contact>(&cfg, &mut out);
    declare::<linnet_engine::Profile>(&cfg, &mut out);
    declare::<linnet_engine::ProfileSource>(&cfg, &mut out);
    declare::<linnet_engine::ProfileView>(&cfg, &mut out);
    declare::<linnet_engine::ResourceView>(&cfg, &mut out);
    declare::<SubscriptionRequestView>(&cfg, &mut out);
    declare::<ConversationView>(&cfg, &mut out);
    declare::<MessageState>(&cfg, &mut out);
    declare::<ReplyView>(&cfg, &mut out);
    declare::<ReactionView>(&cfg, &mut out);
    declare::<MessageEncryption>(&cfg, &mut out);
    declare::<TransferState>(&cfg, &mut out);
    declare::<TransferView>(&cfg, &mut out);
    declare::<FileView>(&cfg, &mut out);
    declare::<crate::file_commands::PickedFile>(&cfg, &mut out);
    declare::<linnet_engine::uri::UriAction>(&cfg, &mut out);
    declare::<linnet_engine::uri::XmppUri>(&cfg, &mut out);
    declare::<MessageView>(&cfg, &mut out);
    declare::<OwnDevice>(&cfg, &mut out);
    declare::<Trust>(&cfg, &mut out);
    declare::<DeviceView>(&cfg, &mut out);
    declare::<MessageEditView>(&cfg, &mut out);
    declare::<SearchHitView>(&cfg, &mut out);
    declare::<ChatStateName>(&cfg, &mut out);
    declare::<ChatStateEvent>(&cfg, &mut out);
    declare::<HistoryPageView>(&cfg, &mut out);
    declare::<RoomNotify>(&cfg, &mut out);
    declare::<Role>(&cfg, &mut out);
    declare::<Affiliation>(&cfg, &mut out);
    declare::<Occupant>(&cfg, &mut out);
    declare::<RoomErrorCode>(&cfg, &mut out);
    declare::<RoomState>(&cfg, &mut out);
    declare::<RoomView>(&cfg, &mut out);
    declare::<FormOption>(&cfg, &mut out);
    declare::<FormField>(&cfg, &mut out);
    declare::<RoomConfigForm>(&cfg, &mut out);
    declare::<RegistrationServer>(&cfg, &mut out);
    declare::<RegistrationForm>(&cfg, &mut out);
    declare::<FieldValues>(&cfg, &mut out);
    declare::<CommandItem>(&cfg, &mut out);
    declare::<CommandStatus>(&cfg, &mut out);
    declare::<CommandAction>(&cfg, &mut out);
    declare::<CommandNote>(&cfg, &mut out);
    declare::<CommandSession>(&cfg, &mut out);
    declare::<CommandStage>(&cfg, &mut out);
    declare::<RoomEvent>(&cfg, &mut out);
    declare::<RoomInviteEvent>(&cfg, &mut out);
    declare::<AccountStateEvent>(&cfg, &mut out);
    declare::<MessagesEvent>(&cfg, &mut out);
    declare::<FileProgressEvent>(&cfg, &mut out);
    declare::<RosterEvent>(&cfg, &mut out);
    declare::<crate::views::BlocklistEvent>(&cfg, &mut out);
    declare::<OpenConversationEvent>(&cfg, &mut out);
    declare::<ReloadEvent>(&cfg, &mut out);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::path::PathBuf;

    #[test]
    fn bindings_are_up_to_date() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(super::GENERATED_PATH);
        let fresh = super::typescript();
        if std::env::var_os("LINNET_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is stale: run `LINNET_WRITE_BINDINGS=1 cargo test -p linnet bindings` and commit it",
            path.display()
        );
    }
}
