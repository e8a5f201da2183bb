//! The route every inbound stanza takes, in one visible list.
//!
//! Messages, parsed once by [`inbound::parse`]: error → archive result → carbon → PEP event
//! (XEP-0490 displayed state, OMEMO device lists, XEP-0084 avatars, XEP-0172 nicknames, else
//! bookmarks) → invitation → group message → one-to-one chat. Presence: room presence, then
//! contacts' (with their XEP-0153 avatar hash; a subscription request with its XEP-0172
//! nickname).
//! IQs: requests are answered by [`iq`]; answers to ours go to the feature that asked
//! ([`IqPurpose`]).

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::message::Message;
use tokio_xmpp::parsers::presence::{Presence, Type as PresenceType};
use tokio_xmpp::parsers::pubsub::event::Payload;
use tokio_xmpp::parsers::stanza_error::StanzaError;
use tokio_xmpp::Stanza;

use super::inbound::Envelope;
use super::inbound::{self, Kind};
use super::iq::condition_words;
use super::{
    avatar, bookmarks, chat, iq, mds, muc, omemo, presence, profile, roster, self_ping, Context,
    Features, IqPurpose,
};
use crate::error::EngineError;
use tokio_xmpp::parsers::jid::BareJid;

impl Features {
    /// Takes one inbound stanza along its route.
    pub(crate) async fn on_stanza(&mut self, stanza: Stanza) {
        match stanza {
            Stanza::Message(m) => self.on_message(m).await,
            Stanza::Presence(p) => self.on_presence(p).await,
            Stanza::Iq(iq) => self.on_iq(iq).await,
        }
    }

    async fn on_message(&mut self, message: Message) {
        let Features {
            ctx,
            archive,
            rooms,
            omemo,
            avatars,
            ..
        } = self;
        let message = inbound::parse(message, &ctx.jid);
        let (envelope, mut content) = (message.envelope, message.content);
        match message.kind {
            Kind::Error { condition } => chat::on_error(ctx, envelope, condition).await,
            Kind::ArchiveResult {
                query_id,
                archive_id,
                mut forward,
            } => {
                // In archive order, so the ratchet sees messages as they were sent; one
                // already read live fails here and is dropped as a duplicate anyway.
                let room_archive = envelope.from.as_ref().is_some_and(|f| {
                    !ctx.muc
                        .nick(ctx.account_id, &f.to_bare().to_string())
                        .is_empty()
                });
                if forward.content.encrypted.is_some() && room_archive {
                    // A room's archive (XEP-0313 §6): the sender's real JID as for live ones.
                    omemo
                        .decrypt_group(ctx, &forward.envelope, &mut forward.content)
                        .await;
                } else if forward.content.encrypted.is_some() {
                    let (sender, recipient) = omemo_parties(ctx, &forward.envelope);
                    omemo
                        .decrypt(ctx, &sender, &recipient, None, &mut forward.content)
                        .await;
                }
                archive.on_result(ctx, envelope.from.as_ref(), query_id, archive_id, *forward)
            }
            Kind::Carbon { mut forward } => {
                let (sender, recipient) = omemo_parties(ctx, &forward.envelope);
                omemo
                    .decrypt(ctx, &sender, &recipient, None, &mut forward.content)
                    .await;
                chat::on_carbon(ctx, *forward).await
            }
            Kind::ForgedCarbon => tracing::warn!(
                account = ctx.account_id,
                "carbon from {:?} ignored: not our own account",
                envelope.from
            ),
            Kind::Pep(event) => match event.payload {
                Payload::Items {
                    node, published, ..
                } if node.0 == mds::NODE => {
                    mds::on_items(ctx, envelope.from.as_ref(), published).await
                }
                Payload::Items {
                    node, published, ..
                } if omemo::device_list_generation(&node.0).is_some() => {
                    let payloads = published.into_iter().filter_map(|i| i.payload).collect();
                    if let Some(generation) = omemo::device_list_generation(&node.0) {
                        omemo.on_device_list(ctx, envelope.from.as_ref(), generation, payloads);
                    }
                }
                Payload::Items {
                    node, published, ..
                } if node.0 == avatar::METADATA_NODE => {
                    avatars
                        .on_metadata(ctx, envelope.from.as_ref(), published)
                        .await
                }
                Payload::Items {
                    node, published, ..
                } if node.0 == profile::NICK_NODE => {
                    profile::on_nick(ctx, envelope.from.as_ref(), published).await
                }
                _ => bookmarks::on_event(ctx, rooms, envelope.from.as_ref(), *event).await,
            },
            Kind::Invite(invitation) => muc::invite::on_invite(ctx, &envelope, invitation),
            Kind::Groupchat => {
                omemo.decrypt_group(ctx, &envelope, &mut content).await;
                muc::messages::on_groupchat(ctx, envelope, content).await
            }
            Kind::Chat => {
                let (sender, recipient) = omemo_parties(ctx, &envelope);
                omemo
                    .decrypt(ctx, &sender, &recipient, None, &mut content)
                    .await;
                // In our archive too (XEP-0359 by our bare JID): the catch-up's live edge.
                let live_id = content.stanza_id_by(&ctx.jid).map(str::to_owned);
                chat::on_chat(ctx, envelope, content).await;
                if let Some(id) = live_id {
                    archive.on_live(ctx, &id);
                }
            }
        }
    }

    async fn on_presence(&mut self, p: Presence) {
        if muc::presence::on_room_presence(&mut self.ctx, &mut self.rooms, &p).await {
            return;
        }
        if let (Some(from), PresenceType::None) = (&p.from, &p.type_) {
            self.avatars
                .on_presence(&mut self.ctx, from, &p.payloads)
                .await;
        }
        presence::on_presence(&mut self.ctx, p).await;
    }

    async fn on_iq(&mut self, stanza: Iq) {
        match stanza {
            Iq::Get {
                from, id, payload, ..
            } => iq::on_get(&mut self.ctx, from, id, payload),
            Iq::Set {
                from, id, payload, ..
            } => iq::on_set(&mut self.ctx, from, id, payload).await,
            Iq::Result { id, payload, .. } => match self.ctx.pending_iq.remove(&id) {
                Some(purpose) => self.on_answer(purpose, Ok(payload)).await,
                None => {
                    tracing::debug!(account = self.ctx.account_id, "result for unknown iq {id}")
                }
            },
            Iq::Error { id, error, .. } => match self.ctx.pending_iq.remove(&id) {
                Some(purpose) => self.on_answer(purpose, Err(error)).await,
                None => tracing::debug!(account = self.ctx.account_id, "error for unknown iq {id}"),
            },
        }
    }

    /// The answer to one of our IQs, to the feature that sent it.
    async fn on_answer(
        &mut self,
        purpose: IqPurpose,
        answer: Result<Option<Element>, StanzaError>,
    ) {
        let Features {
            ctx,
            archive,
            rooms,
            bookmarks: sync,
            omemo,
            avatars,
            ..
        } = self;
        match (purpose, answer) {
            (IqPurpose::RosterGet, Ok(payload)) => roster::on_roster_result(ctx, payload).await,
            (IqPurpose::RosterGet, Err(e)) => tracing::warn!(
                account = ctx.account_id,
                "roster get failed: {}",
                condition_words(&e.defined_condition)
            ),
            (IqPurpose::RosterSet(done), answer) => {
                let _ = done.send(
                    answer
                        .map(|_| ())
                        .map_err(|e| EngineError::Server(condition_words(&e.defined_condition))),
                );
            }
            (IqPurpose::Bookmarks, Ok(payload)) => bookmarks::on_result(ctx, rooms, payload).await,
            (IqPurpose::Bookmarks, Err(e)) => tracing::info!(
                account = ctx.account_id,
                "no bookmarks: {}",
                condition_words(&e.defined_condition)
            ),
            (IqPurpose::AccountInfo, answer) => {
                bookmarks::on_account_info(ctx, sync, answer.ok().flatten())
            }
            (IqPurpose::PrivateBookmarks, Ok(payload)) => {
                bookmarks::on_private(ctx, rooms, sync, payload).await
            }
            // Not read, so never written: our changes cannot overwrite a list we did not see.
            (IqPurpose::PrivateBookmarks, Err(e)) => tracing::info!(
                account = ctx.account_id,
                "no private XML storage: {}",
                condition_words(&e.defined_condition)
            ),
            (IqPurpose::ArchivePage(query_id), Ok(payload)) => {
                archive.on_fin(ctx, &query_id, payload).await
            }
            (IqPurpose::ArchivePage(query_id), Err(e)) => {
                archive.on_refused(ctx, &query_id, &e).await
            }
            (IqPurpose::SelfPing(room), answer) => {
                self_ping::on_answer(ctx, rooms, &room, answer.err().as_ref())
            }
            (IqPurpose::Omemo(purpose), answer) => omemo.on_answer(ctx, purpose, answer).await,
            (IqPurpose::Avatar(fetch), answer) => avatars.on_answer(ctx, fetch, answer).await,
            (IqPurpose::Request(done), answer) => {
                let _ = done.send(
                    answer.map_err(|e| EngineError::Server(condition_words(&e.defined_condition))),
                );
            }
        }
    }
}

/// The author and addressee (bare JIDs) of a one-to-one message, for OMEMO: the sender is
/// the `from` (our own account when absent), the recipient the `to` (ours when absent).
fn omemo_parties(ctx: &Context, envelope: &Envelope) -> (BareJid, BareJid) {
    let sender = envelope
        .from
        .as_ref()
        .map_or_else(|| ctx.jid.clone(), |f| f.to_bare());
    let recipient = envelope
        .to
        .as_ref()
        .map_or_else(|| ctx.jid.clone(), |t| t.to_bare());
    (sender, recipient)
}
