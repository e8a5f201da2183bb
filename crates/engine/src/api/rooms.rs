//! Rooms (XEP-0045): joining, leaving, invitations, configuration, notification settings and
//! live state.

use crate::*;

impl Engine {
    /// Joins a room (XEP-0045 §7.2) as `nick` now if online, and on every connect; the room
    /// is remembered. Progress, occupants and errors (e.g. the nickname is taken) arrive as
    /// `RoomChanged`; its messages as `MessagesChanged` with `peer` = the room. Messages sent
    /// to the room with [`Self::send_message`] go out as group messages.
    ///
    /// Errors: [`EngineError::InvalidJid`] for a bad room address or a nickname that is not a
    /// valid resource (RFC 7622), unknown account, store errors.
    pub async fn join_room(
        &self,
        account_id: i64,
        room: &str,
        nick: &str,
    ) -> Result<(), EngineError> {
        self.join_room_with_options(account_id, room, nick, None, false)
            .await
    }

    /// Like [`Self::join_room`], with the room's password (§7.2.6) when it has one, and
    /// `configure_first`: should this join create the room, it stays locked (nobody else can
    /// enter) until its configuration form is submitted with [`Self::set_room_config`]
    /// (§10.1.3; [`RoomState::awaiting_configuration`] meanwhile); otherwise a new room is
    /// accepted as an instant room. The password is kept in memory for rejoins while the app
    /// runs, never stored nor logged; after a restart the room says it needs one again.
    ///
    /// Errors: as [`Self::join_room`].
    pub async fn join_room_with_options(
        &self,
        account_id: i64,
        room: &str,
        nick: &str,
        password: Option<String>,
        configure_first: bool,
    ) -> Result<(), EngineError> {
        let room = parse_bare_jid(room)?;
        let nick = nick.trim();
        if nick.is_empty() || room.with_resource_str(nick).is_err() {
            return Err(EngineError::InvalidJid {
                input: nick.to_owned(),
                reason: "not a usable nickname".into(),
            });
        }
        self.inner.store.account(account_id).await?;
        self.inner
            .store
            .upsert_room(account_id, room.as_str(), nick)
            .await?;
        let _ = self
            .send_command(
                account_id,
                Command::JoinRoom {
                    room,
                    nick: nick.to_owned(),
                    password: password
                        .filter(|p| !p.is_empty())
                        .map(features::muc::RoomPassword),
                    configure_first,
                },
            )
            .await;
        self.emit(EngineEvent::ConversationsChanged);
        Ok(())
    }

    /// Leaves a room (§7.14) and forgets it; its messages stay.
    ///
    /// Errors: [`EngineError::InvalidJid`], store errors.
    pub async fn leave_room(&self, account_id: i64, room: &str) -> Result<(), EngineError> {
        let room = parse_bare_jid(room)?;
        self.inner
            .store
            .remove_room(account_id, room.as_str())
            .await?;
        let _ = self
            .send_command(account_id, Command::LeaveRoom(room))
            .await;
        Ok(())
    }

    /// Invites `jid` to a room we are in: mediated through the room (XEP-0045 §7.8.2), or with
    /// `direct`, straight to them (XEP-0249, with the room's password if we joined with one),
    /// which reaches clients or servers that drop invitations coming from rooms.
    ///
    /// Errors: [`EngineError::InvalidJid`], [`EngineError::NotConnected`] when offline.
    pub async fn invite_to_room(
        &self,
        account_id: i64,
        room: &str,
        jid: &str,
        reason: Option<String>,
        direct: bool,
    ) -> Result<(), EngineError> {
        let room = parse_bare_jid(room)?;
        let to = parse_bare_jid(jid)?;
        let (done, answer) = oneshot::channel();
        self.send_command(
            account_id,
            Command::Invite {
                room,
                to,
                reason: reason.filter(|r| !r.trim().is_empty()),
                direct,
                done,
            },
        )
        .await?;
        answer.await.map_err(|_| EngineError::NotConnected)?
    }

    /// The configuration form of a room we own (XEP-0045 §10.2).
    ///
    /// Errors: [`EngineError::InvalidJid`], [`EngineError::NotConnected`],
    /// [`EngineError::Server`] in words (say, only owners may configure the room).
    pub async fn room_config(
        &self,
        account_id: i64,
        room: &str,
    ) -> Result<features::room_config::RoomConfigForm, EngineError> {
        use features::room_config::{owner_query, parse_config, refusal};
        let room = parse_bare_jid(room)?;
        let iq = tokio_xmpp::parsers::iq::Iq::Get {
            from: None,
            to: Some(room.into()),
            id: features::new_id(),
            payload: owner_query(None),
        };
        match self.request(account_id, iq).await {
            Ok(payload) => parse_config(payload),
            Err(EngineError::Server(condition)) => Err(EngineError::Server(refusal(&condition))),
            Err(e) => Err(e),
        }
    }

    /// Submits a room's configuration form with these values (XEP-0045 §10.2); fields not
    /// given keep their value.
    ///
    /// Errors: as [`Self::room_config`].
    pub async fn set_room_config(
        &self,
        account_id: i64,
        room: &str,
        fields: Vec<features::room_config::FieldValues>,
    ) -> Result<(), EngineError> {
        use features::room_config::{owner_query, refusal, submit_form};
        let room = parse_bare_jid(room)?;
        let iq = tokio_xmpp::parsers::iq::Iq::Set {
            from: None,
            to: Some(room.clone().into()),
            id: features::new_id(),
            payload: owner_query(Some(submit_form(fields))),
        };
        match self.request(account_id, iq).await {
            Ok(_) => {
                if self.inner.muc.configured(account_id, room.as_str()) {
                    self.emit(EngineEvent::RoomChanged {
                        account_id,
                        room: room.to_string(),
                    });
                }
                Ok(())
            }
            Err(EngineError::Server(condition)) => Err(EngineError::Server(refusal(&condition))),
            Err(e) => Err(e),
        }
    }

    /// Sets when a room's messages notify (all, mentions of our nickname, none).
    ///
    /// Errors: [`EngineError::InvalidJid`], unknown account, store errors.
    pub async fn set_room_notify(
        &self,
        account_id: i64,
        room: &str,
        mode: RoomNotify,
    ) -> Result<(), EngineError> {
        let room = parse_bare_jid(room)?;
        self.inner.store.account(account_id).await?;
        self.inner
            .store
            .set_room_notify(account_id, room.as_str(), mode.as_str())
            .await?;
        self.inner.notify.forget(account_id, room.as_str());
        self.emit(EngineEvent::RoomChanged {
            account_id,
            room: room.to_string(),
        });
        Ok(())
    }

    /// When a room's messages notify.
    pub async fn room_notify(
        &self,
        account_id: i64,
        room: &str,
    ) -> Result<RoomNotify, EngineError> {
        Ok(RoomNotify::parse(
            &self.inner.store.room_notify(account_id, room).await?,
        ))
    }

    /// One stored room of an account, `None` when it is not one of them.
    ///
    /// Errors: store errors.
    pub async fn stored_room(
        &self,
        account_id: i64,
        room: &str,
    ) -> Result<Option<RoomRow>, EngineError> {
        self.inner.store.room(account_id, room).await
    }

    /// The rooms of an account (stored; rejoined on connect).
    pub async fn rooms(&self, account_id: i64) -> Result<Vec<RoomRow>, EngineError> {
        self.inner.store.rooms(account_id).await
    }

    /// Live state of a room: joined, our nickname, subject, occupants, error.
    pub fn room(&self, account_id: i64, room: &str) -> RoomState {
        self.inner.muc.state(account_id, room)
    }
}
