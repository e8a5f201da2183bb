//! One-to-one chat (RFC 6121 §5): inbound `chat`/`normal` messages with a body are stored
//! (deduplicated by XEP-0359 stanza-id / origin-id) and announced; message errors mark our
//! message failed; XEP-0184 receipts are answered. Outgoing stanzas are built here too.

use tokio_xmpp::parsers::delay::Delay;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::message::{Id, Lang, Message, MessageType};
use tokio_xmpp::parsers::receipts::{Received, Request};
use tokio_xmpp::parsers::stanza_id::{OriginId, StanzaId};

use super::Session;
use crate::event::EngineEvent;
use crate::store::{now_ms, MessageRow, NewMessage};

/// Builds the `chat` stanza for one of our stored messages: body, origin-id (XEP-0359) and a
/// receipt request (XEP-0184). The stanza id equals the origin-id.
pub fn outgoing_stanza(row: &MessageRow, to: Jid) -> Message {
    let id = row.origin_id.clone().unwrap_or_default();
    let mut m = Message::chat(Some(to)).with_body(Lang::default(), row.body.clone());
    m.id = Some(Id(id.clone()));
    m.with_payload(OriginId { id }).with_payload(Request)
}

impl Session {
    pub(crate) async fn on_message(&mut self, mut message: Message) {
        let Some(from) = message.from.clone() else {
            tracing::debug!(account = self.account_id, "message without from, ignored");
            return;
        };
        if message.type_ == MessageType::Error {
            self.on_message_error(&message).await;
            return;
        }
        if !matches!(message.type_, MessageType::Chat | MessageType::Normal) {
            return; // groupchat and headline belong to other modules
        }
        let peer = from.to_bare().to_string();
        let receipt_requested = message
            .extract_payload::<Request>()
            .ok()
            .flatten()
            .is_some();
        let Some((_, body)) = message.get_best_body_cloned(vec![]) else {
            return; // chat states, markers and other body-less messages
        };
        let origin_id = message
            .extract_payload::<OriginId>()
            .ok()
            .flatten()
            .map(|o| o.id);
        // A stanza-id counts only when our own server put it there (XEP-0359 §5).
        let mut stanza_id = None;
        while let Ok(Some(sid)) = message.extract_payload::<StanzaId>() {
            if sid.by.to_bare() == self.jid {
                stanza_id = Some(sid.id);
            }
        }
        let at = message
            .extract_payload::<Delay>()
            .ok()
            .flatten()
            .map(|d| d.stamp.0.timestamp_millis())
            .unwrap_or_else(now_ms);
        let message_id = message.id.as_ref().map(|i| i.0.clone());
        let new = NewMessage {
            account_id: self.account_id,
            peer: &peer,
            outgoing: false,
            body: &body,
            stanza_id: stanza_id.as_deref(),
            origin_id: origin_id.as_deref(),
            message_id: message_id.as_deref(),
            at,
            state: "received",
            read: false,
        };
        match self.store.insert_message(&new).await {
            Ok(Some(row)) => self.emit(EngineEvent::MessagesChanged {
                account_id: self.account_id,
                peer,
                ids: vec![row.id],
            }),
            Ok(None) => tracing::debug!(account = self.account_id, "duplicate message skipped"),
            Err(e) => tracing::error!(account = self.account_id, "storing a message failed: {e}"),
        }
        if receipt_requested {
            if let Some(id) = message_id {
                let receipt = Message::new(Some(from)).with_payload(Received { id });
                self.out.push(receipt.into());
            }
        }
    }

    async fn on_message_error(&mut self, message: &Message) {
        let Some(id) = message.id.as_ref() else {
            return;
        };
        let reason = message
            .payloads
            .iter()
            .find(|p| p.name() == "error")
            .and_then(|e| e.children().next().map(|c| c.name().replace('-', " ")))
            .unwrap_or_else(|| "the server could not deliver it".into());
        match self
            .store
            .outgoing_by_message_id(self.account_id, &id.0)
            .await
        {
            Ok(Some(row_id)) => {
                if self
                    .store
                    .set_message_state(row_id, "failed", Some(&reason))
                    .await
                    .is_ok()
                {
                    if let Ok(Some(row)) = self.store.message(row_id).await {
                        self.emit(EngineEvent::MessagesChanged {
                            account_id: self.account_id,
                            peer: row.peer,
                            ids: vec![row_id],
                        });
                    }
                }
            }
            Ok(None) => tracing::debug!(
                account = self.account_id,
                "error for a message we do not know"
            ),
            Err(e) => tracing::warn!(account = self.account_id, "looking up failed message: {e}"),
        }
    }
}
