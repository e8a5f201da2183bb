//! MUC self-ping (XEP-0410): a room that has been silent for a while is asked, by pinging our
//! own occupant JID, whether we are still in it. A room or server that restarted without
//! telling us answers with an error, and we join again (missed messages then come with the
//! join history, deduplicated by the room's stanza-id).

use std::time::Duration;

use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::stanza_error::{DefinedCondition, StanzaError};

use super::muc::Rooms;
use super::{iq, new_id, Context, IqPurpose};

/// Default silence after which a room is pinged (XEP-0410 §4 suggests minutes, not seconds;
/// Profanity recommends 300–900 s).
pub const DEFAULT_IDLE: Duration = Duration::from_secs(300);

/// What an answer to a self-ping says (XEP-0410 §3.2).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A result, or an error that only a joined occupant gets.
    Joined,
    /// The room's server could not be reached; ask again later.
    Unknown,
    /// Any other error (Prosody says `not-acceptable`): we are not in the room.
    NotJoined,
}

/// The verdict for an answer: `None` is a result, `Some(error)` an error answer.
pub(crate) fn verdict(error: Option<&StanzaError>) -> Verdict {
    match error.map(|e| &e.defined_condition) {
        None
        | Some(DefinedCondition::ServiceUnavailable)
        | Some(DefinedCondition::FeatureNotImplemented)
        // §3.2: the nickname was changed by another client of ours; still joined.
        | Some(DefinedCondition::ItemNotFound) => Verdict::Joined,
        Some(DefinedCondition::RemoteServerNotFound)
        | Some(DefinedCondition::RemoteServerTimeout) => Verdict::Unknown,
        Some(_) => Verdict::NotJoined,
    }
}

/// When rooms are self-pinged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SelfPing {
    /// Silence after which a joined room is pinged (XEP-0410).
    pub idle: Duration,
}

/// Pings our own occupant JID in every room silent for `idle` (§3.2). Called on a timer while
/// online.
pub(crate) fn ping_due(ctx: &mut Context, idle: Duration) {
    for (room, nick) in ctx.muc.due_for_self_ping(ctx.account_id, idle) {
        let Ok(occupant) = BareJid::new(&room).and_then(|r| r.with_resource_str(&nick)) else {
            continue;
        };
        ctx.request(
            iq::ping(new_id(), Jid::from(occupant)),
            IqPurpose::SelfPing(room.clone()),
        );
    }
}

/// The answer to a self-ping of `room` (`error` for an error answer): rejoins when the room
/// no longer knows us.
pub(crate) fn on_answer(
    ctx: &mut Context,
    rooms: &mut Rooms,
    room: &str,
    error: Option<&StanzaError>,
) {
    match verdict(error) {
        Verdict::Joined | Verdict::Unknown => ctx.muc.heard(ctx.account_id, room),
        Verdict::NotJoined => {
            let nick = ctx.muc.nick(ctx.account_id, room);
            tracing::info!(
                account = ctx.account_id,
                room,
                "no longer in the room (XEP-0410 self-ping); joining again"
            );
            let Ok(jid) = BareJid::new(room) else { return };
            if let Ok(occupant) = jid.with_resource_str(&nick) {
                rooms.send_join(ctx, &jid, occupant);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_xmpp::parsers::stanza_error::ErrorType;

    fn error(condition: DefinedCondition) -> StanzaError {
        StanzaError::new(ErrorType::Cancel, condition, "en", "")
    }

    #[test]
    fn answers_are_read_as_xep_0410_says() {
        assert_eq!(verdict(None), Verdict::Joined);
        for joined in [
            DefinedCondition::ServiceUnavailable,
            DefinedCondition::FeatureNotImplemented,
            DefinedCondition::ItemNotFound,
        ] {
            assert_eq!(verdict(Some(&error(joined))), Verdict::Joined);
        }
        for unknown in [
            DefinedCondition::RemoteServerNotFound,
            DefinedCondition::RemoteServerTimeout,
        ] {
            assert_eq!(verdict(Some(&error(unknown))), Verdict::Unknown);
        }
        assert_eq!(
            verdict(Some(&error(DefinedCondition::NotAcceptable))),
            Verdict::NotJoined
        );
        assert_eq!(
            verdict(Some(&error(DefinedCondition::BadRequest))),
            Verdict::NotJoined
        );
    }
}
