//! What the user does to messages: reply (XEP-0461), correct (XEP-0308), retract (XEP-0424),
//! moderate (XEP-0425), react (XEP-0444), and the chat state of the composer (XEP-0085).
//! Each change is stored first and announced as `MessagesChanged`, then sent.

use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::message::{Message, MessageType};

use crate::features::facets;
use crate::store::{Amend, NewMessage};
use crate::*;

impl Engine {
    /// Stores and sends a reply (XEP-0461) to the stored message `reply_to` (row id) in the
    /// conversation with `to`; it carries the answered text as a quoted fallback (XEP-0428).
    /// Otherwise like [`Self::send_message`].
    ///
    /// Errors: [`EngineError::NotFound`] when `reply_to` is not a message of this
    /// conversation; [`EngineError::InvalidJid`]; store errors.
    pub async fn send_reply(
        &self,
        account_id: i64,
        to: &str,
        body: &str,
        reply_to: i64,
    ) -> Result<MessageRow, EngineError> {
        self.inner.store.account(account_id).await?;
        let peer = self.conversation_jid(account_id, to).await?.to_string();
        let target = self.own_target(account_id, reply_to, false).await?;
        if target.peer != peer {
            return Err(EngineError::NotFound(format!(
                "message {reply_to} in {peer}"
            )));
        }
        let groupchat = self.inner.store.room(account_id, &peer).await?.is_some();
        let id = wire_id(&target, false)?;
        // The author as XEP-0461 §3 names them: a full JID, `room/nick` in a room.
        let author = match (&target.sender, target.outgoing, groupchat) {
            (Some(nick), _, true) => Some(format!("{peer}/{nick}")),
            (None, true, true) => Some(format!("{peer}/{}", self.room(account_id, &peer).nick)),
            (_, true, false) => Some(self.account(account_id).await?.jid),
            _ => Some(peer.clone()),
        };
        let row = features::outbox::store_pending(
            &self.inner.store,
            account_id,
            &peer,
            body,
            groupchat,
            Some((&id, author.as_deref(), Some(&target.body))),
            None,
        )
        .await?;
        self.emit(EngineEvent::MessagesChanged {
            account_id,
            peer,
            ids: vec![row.id],
            live: false,
        });
        let _ = self
            .send_command(account_id, Command::SendMessage(row.id))
            .await;
        Ok(row)
    }

    /// Corrects our message `id` (row id) to `body` (XEP-0308): shown in place as edited, the
    /// older text kept, and the correction sent.
    ///
    /// Errors: [`EngineError::NotConnected`] when offline (nothing changes then);
    /// [`EngineError::NotFound`] when it is not our own, unretracted message on this account.
    pub async fn correct_message(
        &self,
        account_id: i64,
        id: i64,
        body: &str,
    ) -> Result<(), EngineError> {
        let target = self.own_target(account_id, id, true).await?;
        self.require_online(account_id).await?;
        let wire = target
            .message_id
            .clone()
            .ok_or_else(|| EngineError::NotFound(format!("the stanza id of message {id}")))?;
        let (to, type_) = addressing(&target)?;
        self.apply_own(
            &target,
            body,
            Amend::Correct { id: &wire },
            self.own_nick(&target),
        )
        .await?;
        let message = facets::correction(to, type_, &wire, body);
        self.send_stanza(account_id, message).await
    }

    /// Retracts our message `id` (row id) for everyone (XEP-0424): its text is removed here
    /// and the retraction sent.
    ///
    /// Errors: as [`Self::correct_message`].
    pub async fn retract_message(&self, account_id: i64, id: i64) -> Result<(), EngineError> {
        let target = self.own_target(account_id, id, true).await?;
        self.require_online(account_id).await?;
        // A file still uploading is stopped: it must never go out after its retraction.
        self.stop_upload_task(id);
        let wire = wire_id(&target, true)?;
        let (to, type_) = addressing(&target)?;
        let amend = Amend::Retract {
            id: &wire,
            moderated: false,
            by: None,
            reason: None,
        };
        self.apply_own(&target, "", amend, self.own_nick(&target))
            .await?;
        self.send_stanza(account_id, facets::retraction_stanza(to, type_, &wire))
            .await
    }

    /// Sets our whole set of reactions on message `id` (row id) to `emojis` (XEP-0444; empty
    /// removes ours).
    ///
    /// Errors: [`EngineError::NotConnected`] when offline; [`EngineError::NotFound`] when
    /// there is no such message (or, in a room, it has no stanza-id from the room yet).
    pub async fn react_to_message(
        &self,
        account_id: i64,
        id: i64,
        emojis: &[String],
    ) -> Result<(), EngineError> {
        let target = self.own_target(account_id, id, false).await?;
        self.require_online(account_id).await?;
        let wire = wire_id(&target, false)?;
        let (to, type_) = addressing(&target)?;
        let mut set: Vec<String> = Vec::new();
        for e in emojis.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if !set.iter().any(|s| s == e) {
                set.push(e.to_owned());
            }
        }
        let amend = Amend::React {
            id: &wire,
            emojis: &set,
        };
        self.apply_own(&target, "", amend, self.own_nick(&target))
            .await?;
        self.send_stanza(account_id, facets::reactions_stanza(to, type_, &wire, &set))
            .await
    }

    /// Asks the room to retract someone's group message `id` (row id) as a moderator
    /// (XEP-0425), with an optional reason; the room's announcement then retracts it here.
    /// Rooms that only know the older protocol get it in that form.
    ///
    /// Errors: [`EngineError::NotFound`] when it is not a group message with the room's
    /// stanza-id; [`EngineError::Server`] when the room refuses (e.g. `forbidden`: we are not
    /// a moderator); [`EngineError::NotConnected`].
    pub async fn moderate_message(
        &self,
        account_id: i64,
        id: i64,
        reason: Option<&str>,
    ) -> Result<(), EngineError> {
        let target = self.own_target(account_id, id, false).await?;
        let (Some(stanza_id), true) = (target.stanza_id.clone(), target.groupchat) else {
            return Err(EngineError::NotFound(format!(
                "the room's id for message {id}"
            )));
        };
        let room = parse_jid(&target.peer)?;
        let request = |payload| Iq::Set {
            from: None,
            to: Some(room.clone()),
            id: features::new_id(),
            payload,
        };
        match self
            .request(
                account_id,
                request(facets::moderate_request(&stanza_id, reason)),
            )
            .await
        {
            Err(EngineError::Server(c))
                if c == "feature-not-implemented"
                    || c == "bad-request"
                    || c == "service-unavailable" =>
            {
                let older = facets::moderate_request_0(&stanza_id, reason);
                self.request(account_id, request(older)).await.map(drop)
            }
            other => other.map(drop),
        }
    }

    /// Tells the contact or room `peer` what we are doing in the conversation (XEP-0085 §5).
    /// Not stored; dropped when offline.
    ///
    /// Errors: [`EngineError::InvalidJid`].
    pub async fn send_chat_state(
        &self,
        account_id: i64,
        peer: &str,
        state: ChatStateName,
    ) -> Result<(), EngineError> {
        let to = self.conversation_jid(account_id, peer).await?;
        let room = self.inner.store.room(account_id, &to.to_string()).await?;
        let type_ = if room.is_some() {
            MessageType::Groupchat
        } else {
            MessageType::Chat
        };
        let message = facets::chat_state_stanza(to, type_, state.into());
        let _ = self
            .send_command(account_id, Command::Send(Box::new(message.into())))
            .await;
        Ok(())
    }

    /// The older texts of a corrected message (XEP-0308), oldest first: `(body, replaced at
    /// unix ms)`.
    ///
    /// Errors: [`EngineError::NotFound`] for no such message on this account; store errors.
    pub async fn message_edits(
        &self,
        account_id: i64,
        id: i64,
    ) -> Result<Vec<(String, i64)>, EngineError> {
        self.own_target(account_id, id, false).await?;
        self.inner.store.message_edits(id).await
    }

    /// The stored message `id` of this account (ours and unretracted when `own`).
    async fn own_target(
        &self,
        account_id: i64,
        id: i64,
        own: bool,
    ) -> Result<MessageRow, EngineError> {
        match self.inner.store.message_of(account_id, id).await? {
            Some(row) if row.state == MessageState::System => {}
            Some(row) if !own => return Ok(row),
            Some(row) if row.outgoing && !row.retracted => return Ok(row),
            _ => {}
        }
        let what = if own { "your message" } else { "message" };
        Err(EngineError::NotFound(format!("{what} {id}")))
    }

    async fn require_online(&self, account_id: i64) -> Result<(), EngineError> {
        match self.state(account_id).await {
            ConnectionState::Online => Ok(()),
            _ => Err(EngineError::NotConnected),
        }
    }

    /// Our nick in the message's room (reactions there are keyed by nick).
    fn own_nick(&self, target: &MessageRow) -> Option<String> {
        target
            .groupchat
            .then(|| self.room(target.account_id, &target.peer).nick)
            .filter(|n| !n.is_empty())
    }

    /// Applies our own amendment to the store and announces it.
    async fn apply_own(
        &self,
        target: &MessageRow,
        body: &str,
        amend: Amend<'_>,
        nick: Option<String>,
    ) -> Result<(), EngineError> {
        let new = NewMessage {
            account_id: target.account_id,
            peer: &target.peer,
            outgoing: true,
            body,
            encryption: "none",
            omemo_device: None,
            stanza_id: None,
            origin_id: None,
            message_id: None,
            at: store::now_ms(),
            state: MessageState::Sent,
            read: true,
            markable: false,
            groupchat: target.groupchat,
            sender: nick.as_deref(),
            occupant_id: None,
            reply: None,
            amend: Some(amend),
            file: None,
            image: None,
        };
        if let Some(row) = self.inner.store.amend(&new).await? {
            self.emit(EngineEvent::MessagesChanged {
                account_id: target.account_id,
                peer: row.peer,
                ids: vec![row.id],
                live: false,
            });
        }
        Ok(())
    }

    async fn send_stanza(&self, account_id: i64, message: Message) -> Result<(), EngineError> {
        self.send_command(account_id, Command::Send(Box::new(message.into())))
            .await
    }
}

/// Where messages about `target` go: the room (groupchat), or the contact / occupant (chat).
fn addressing(target: &MessageRow) -> Result<(Jid, MessageType), EngineError> {
    let to = parse_jid(&target.peer)?;
    let type_ = if target.groupchat {
        MessageType::Groupchat
    } else {
        MessageType::Chat
    };
    Ok((to, type_))
}

/// The id other messages name `target` by: the room's stanza-id in a room (XEP-0424 §4,
/// XEP-0444 §3, XEP-0461 §3), else its stanza `id` (origin-id for ours). `retract_own` uses
/// our origin-id in one-to-one chat, as XEP-0424 asks.
fn wire_id(target: &MessageRow, retract_own: bool) -> Result<String, EngineError> {
    let id = if target.groupchat {
        target.stanza_id.clone()
    } else if retract_own {
        target
            .origin_id
            .clone()
            .or_else(|| target.message_id.clone())
    } else {
        target
            .message_id
            .clone()
            .or_else(|| target.origin_id.clone())
    };
    id.ok_or_else(|| {
        EngineError::NotFound(format!(
            "an id for message {} (a room message needs the room's stanza-id)",
            target.id
        ))
    })
}
