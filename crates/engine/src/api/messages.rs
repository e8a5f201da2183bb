//! Messages: sending (through the outbox), reading pages and changed rows, older history
//! from the archive (XEP-0313), read state, chat markers (XEP-0333) and displayed-state sync
//! (XEP-0490), mute, retry.

use crate::*;

/// How often, at most, a conversation's read state is told to others while reads keep
/// coming (see [`Engine::mark_read`]).
const READ_SYNC_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

impl Engine {
    /// Stores a chat message as pending, then sends it when the account is online (now or
    /// after reconnecting). Returns the stored row.
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad recipient, store errors. Never fails
    /// because the account is offline: the message waits in the outbox.
    pub async fn send_message(
        &self,
        account_id: i64,
        to: &str,
        body: &str,
    ) -> Result<MessageRow, EngineError> {
        let (peer, groupchat) = self.outgoing_conversation(account_id, to).await?;
        let row = features::outbox::store_pending(
            &self.inner.store,
            account_id,
            &peer,
            body,
            groupchat,
            None,
            None,
        )
        .await?;
        self.emit(EngineEvent::MessagesChanged {
            account_id,
            peer,
            ids: vec![row.id],
            live: false,
        });
        // Offline is fine: the outbox is sent on the next session start.
        let _ = self
            .send_command(account_id, Command::SendMessage(row.id))
            .await;
        Ok(row)
    }

    /// Where something we write to `to` goes: the conversation key and whether it is a room
    /// we joined. Bare: a contact or (a joined room) a group message, XEP-0045 §7.4;
    /// room/nick: a private message to an occupant, §7.5.
    ///
    /// Errors: [`EngineError::UnknownAccount`], [`EngineError::InvalidJid`], store errors.
    pub(crate) async fn outgoing_conversation(
        &self,
        account_id: i64,
        to: &str,
    ) -> Result<(String, bool), EngineError> {
        self.inner.store.account(account_id).await?;
        let peer = self.conversation_jid(account_id, to).await?.to_string();
        let groupchat = self.inner.store.room(account_id, &peer).await?.is_some();
        Ok((peer, groupchat))
    }

    /// One stored message by row id, `None` when there is none.
    ///
    /// Errors: store errors.
    pub async fn message(&self, message_id: i64) -> Result<Option<MessageRow>, EngineError> {
        self.inner.store.message(message_id).await
    }

    /// The stored messages of one account with these row ids (those that exist), in time
    /// order: what a `MessagesChanged` event names, read in one query.
    ///
    /// Errors: store errors.
    pub async fn messages_by_id(
        &self,
        account_id: i64,
        ids: &[i64],
    ) -> Result<Vec<MessageRow>, EngineError> {
        self.inner.store.messages_by_id(account_id, ids).await
    }

    /// How many messages one conversation holds (with `peer`: a bare JID, a room, or
    /// room/nick).
    ///
    /// Errors: [`EngineError::InvalidJid`], store errors.
    pub async fn count_messages(&self, account_id: i64, peer: &str) -> Result<i64, EngineError> {
        let peer = self.conversation_jid(account_id, peer).await?.to_string();
        self.inner.store.count_messages(account_id, &peer).await
    }

    /// A page of a conversation, oldest first; see [`Store::messages`].
    pub async fn messages(
        &self,
        account_id: i64,
        peer: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<MessageRow>, EngineError> {
        let peer = self.conversation_jid(account_id, peer).await?.to_string();
        self.inner
            .store
            .messages(account_id, &peer, before, limit.min(500))
            .await
    }

    /// Fetches the page of older messages of one conversation from our archive (XEP-0313,
    /// `with` = `peer`, before the oldest archived message we hold) and stores it; the rows
    /// are announced as `MessagesChanged` like any others. Call it when the user scrolls past
    /// what [`Self::messages`] returns.
    ///
    /// Errors: [`EngineError::InvalidJid`], [`EngineError::NotConnected`] when the account is
    /// offline, [`EngineError::Server`] when the server refuses or has no archive (30 s timeout).
    pub async fn fetch_history(
        &self,
        account_id: i64,
        peer: &str,
    ) -> Result<HistoryPage, EngineError> {
        self.inner.store.account(account_id).await?;
        let peer = self.conversation_jid(account_id, peer).await?;
        let (reply, answer) = oneshot::channel();
        self.send_command(account_id, Command::FetchHistory(peer, reply))
            .await?;
        match tokio::time::timeout(std::time::Duration::from_secs(30), answer).await {
            Ok(Ok(page)) => page,
            Ok(Err(_)) => Err(EngineError::NotConnected),
            Err(_) => Err(EngineError::Server(
                "the server did not answer the history request within 30 s".into(),
            )),
        }
    }

    /// Conversations by last activity.
    pub async fn conversations(&self) -> Result<Vec<ConversationRow>, EngineError> {
        self.inner.store.conversations().await
    }

    /// How many messages are unread in the conversations not muted, over every account (the
    /// tray's count).
    pub async fn unread_total(&self) -> Result<i64, EngineError> {
        self.inner.store.unread_total().await
    }

    /// Mutes or unmutes desktop notifications for one conversation; remembered across restarts.
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad `peer`.
    pub async fn set_muted(
        &self,
        account_id: i64,
        peer: &str,
        muted: bool,
    ) -> Result<(), EngineError> {
        self.inner.store.account(account_id).await?;
        let peer = self.conversation_jid(account_id, peer).await?.to_string();
        self.inner.store.set_muted(account_id, &peer, muted).await?;
        self.inner.notify.forget(account_id, &peer);
        self.emit(EngineEvent::ConversationsChanged);
        Ok(())
    }

    /// Marks a conversation read: the user has it on screen. When something was unread, our
    /// other clients (XEP-0490) and the partner, when they asked for chat markers (a
    /// `<displayed/>` for their newest markable message, XEP-0333 §3), are told, if the
    /// account is online: at once, then at most once every 2 s while reads
    /// keep coming (a chat open during a burst would otherwise send a marker and a PEP
    /// publish for every batch, work the server archives and fans out).
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad `peer`, store errors.
    pub async fn mark_read(&self, account_id: i64, peer: &str) -> Result<(), EngineError> {
        let jid = self.conversation_jid(account_id, peer).await?;
        let peer = jid.to_string();
        if self.inner.store.mark_read(account_id, &peer).await? == 0 {
            return Ok(());
        }
        let key = (account_id, peer);
        {
            let Ok(mut pending) = self.inner.read_sync.lock() else {
                return Ok(());
            };
            if let Some(again) = pending.get_mut(&key) {
                *again = true;
                return Ok(());
            }
            pending.insert(key.clone(), false);
        }
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = engine.tell_read(account_id, &jid).await {
                    tracing::warn!(account = account_id, "telling the read state failed: {e}");
                }
                tokio::time::sleep(READ_SYNC_INTERVAL).await;
                let Ok(mut pending) = engine.inner.read_sync.lock() else {
                    return;
                };
                match pending.get_mut(&key) {
                    Some(again) if *again => *again = false,
                    _ => {
                        pending.remove(&key);
                        return;
                    }
                }
            }
        });
        Ok(())
    }

    /// Sends the XEP-0490 item and the XEP-0333 marker for a conversation read up to now.
    async fn tell_read(&self, account_id: i64, jid: &Jid) -> Result<(), EngineError> {
        let peer = jid.to_string();
        self.publish_displayed(account_id, &peer).await?;
        if let Some(id) = self.inner.store.last_markable(account_id, &peer).await? {
            let marker = features::chat::displayed_marker(jid.clone(), id);
            // Offline: the marker is simply not sent (it is not worth an outbox entry).
            let _ = self
                .send_command(account_id, Command::Send(Box::new(marker.into())))
                .await;
        }
        Ok(())
    }

    /// Tells our other clients that `peer` is read up to its newest archived message
    /// (XEP-0490); nothing when offline or when no message there has a stanza-id.
    async fn publish_displayed(&self, account_id: i64, peer: &str) -> Result<(), EngineError> {
        let Some(id) = self.inner.store.newest_stanza_id(account_id, peer).await? else {
            return Ok(());
        };
        let by = match self.inner.store.room(account_id, peer).await? {
            Some(_) => parse_jid(peer)?,
            None => parse_jid(&self.inner.store.account(account_id).await?.jid)?,
        };
        let iq = features::mds::publish(peer, &id, by);
        let _ = self
            .send_command(account_id, Command::Send(Box::new(iq.into())))
            .await;
        Ok(())
    }

    /// Sends one of our failed messages again: it goes back to the outbox as `pending` (same
    /// origin-id, XEP-0359) and out when the account is online.
    ///
    /// Errors: [`EngineError::NotFound`] when `message_id` is not a failed message of ours on
    /// this account; store errors.
    pub async fn retry_message(&self, account_id: i64, message_id: i64) -> Result<(), EngineError> {
        let row = match self.inner.store.message(message_id).await? {
            Some(row) if row.account_id == account_id => row,
            _ => return Err(EngineError::NotFound(format!("message {message_id}"))),
        };
        let Some(row) = self.inner.store.requeue_failed(row.id).await? else {
            return Err(EngineError::NotFound(format!(
                "failed message {message_id}"
            )));
        };
        self.emit(EngineEvent::MessagesChanged {
            account_id,
            peer: row.peer.clone(),
            ids: vec![row.id],
            live: false,
        });
        if row.file.as_ref().is_some_and(|f| f.url.is_none()) {
            // A file that was never uploaded goes up first.
            self.start_upload(row.id);
            return Ok(());
        }
        let _ = self
            .send_command(account_id, Command::SendMessage(row.id))
            .await;
        Ok(())
    }
}
