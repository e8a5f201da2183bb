//! Displayed-state sync across our own clients (XEP-0490, Message Displayed Synchronization):
//! when the user reads a conversation here we publish, to our PEP node
//! `urn:xmpp:mds:displayed:0`, an item named by the conversation's JID holding the stanza-id
//! of the newest message read (`by` our archive, or the room's); when another client of
//! ours publishes one (we announce `+notify`), the conversation is read here up to that
//! message. Only notifications from our own account count.

use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::data_forms::{DataForm, DataFormType, Field, FieldType};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::pubsub::event::Item as EventItem;
use tokio_xmpp::parsers::pubsub::pubsub::{Item, Publish, PublishOptions};
use tokio_xmpp::parsers::pubsub::{ItemId, NodeName, PubSub};
use tokio_xmpp::parsers::stanza_id::StanzaId;

use super::{new_id, Context};
use crate::event::EngineEvent;

/// The PEP node (XEP-0490 §4).
pub const NODE: &str = "urn:xmpp:mds:displayed:0";

/// The publish request for conversation `peer` read up to the message with stanza-id `id`
/// assigned by `by` (XEP-0490 §4.2, with the publish-options of §4.1: kept, many items, not
/// sent on subscribe, only for us).
pub fn publish(peer: &str, id: &str, by: Jid) -> Iq {
    let displayed = Element::builder("displayed", NODE)
        .append(Element::from(StanzaId {
            id: id.to_owned(),
            by,
        }))
        .build();
    let option = |var: &str, value: &str| Field::new(var, FieldType::TextSingle).with_value(value);
    let form = DataForm::new(
        DataFormType::Submit,
        "http://jabber.org/protocol/pubsub#publish-options",
        vec![
            option("pubsub#persist_items", "true"),
            option("pubsub#max_items", "max"),
            option("pubsub#send_last_published_item", "never"),
            option("pubsub#access_model", "whitelist"),
        ],
    );
    let pubsub = PubSub::Publish {
        publish: Publish {
            node: NodeName(NODE.to_owned()),
            items: vec![Item {
                id: Some(ItemId(peer.to_owned())),
                publisher: None,
                payload: Some(displayed),
            }],
        },
        publish_options: Some(PublishOptions { form: Some(form) }),
    };
    Iq::from_set(new_id(), pubsub)
}

/// The stanza-id an item says the conversation was read up to: `(conversation, id, by)`.
pub(crate) fn parse_item(item: &EventItem) -> Option<(String, String, Jid)> {
    let peer = item.id.as_ref()?.0.clone();
    let displayed = item.payload.as_ref().filter(|p| p.is("displayed", NODE))?;
    let sid = displayed
        .children()
        .find_map(|c| StanzaId::try_from(c.clone()).ok())?;
    Some((peer, sid.id, sid.by))
}

/// A PEP notification for [`NODE`] from `from`: each conversation named is read up to the
/// message it names, when that message is stored here.
pub(crate) async fn on_items(ctx: &mut Context, from: Option<&Jid>, items: Vec<EventItem>) {
    if from.is_some_and(|f| !ctx.is_own_bare(f)) {
        tracing::warn!(
            account = ctx.account_id,
            "displayed state from {from:?} ignored"
        );
        return;
    }
    let mut changed = false;
    for item in &items {
        let Some((peer, id, by)) = parse_item(item) else {
            tracing::debug!(account = ctx.account_id, "unusable displayed-state item");
            continue;
        };
        // The id space is the archive that holds the conversation: ours, or the room's.
        let room = ctx.store.room(ctx.account_id, &peer).await.ok().flatten();
        let expected = match room {
            Some(_) => peer.clone(),
            None => ctx.jid.to_string(),
        };
        if by.to_string() != expected {
            tracing::debug!(account = ctx.account_id, "displayed state by {by} ignored");
            continue;
        }
        match ctx.store.mark_read_up_to(ctx.account_id, &peer, &id).await {
            Ok(n) => changed |= n > 0,
            Err(e) => tracing::warn!(account = ctx.account_id, "displayed state: {e}"),
        }
    }
    if changed {
        ctx.emit(EngineEvent::ConversationsChanged);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use tokio_xmpp::parsers::message::Message;
    use tokio_xmpp::parsers::pubsub::event::{Event, Payload};

    #[test]
    fn a_displayed_notification_names_the_conversation_and_the_message() {
        // XEP-0490 §4.3, example 5.
        let xml = "<message xmlns='jabber:client' from='juliet@capulet.lit' to='juliet@capulet.lit/balcony' type='headline' id='new-displayed-pep-event'>
              <event xmlns='http://jabber.org/protocol/pubsub#event'>
                <items node='urn:xmpp:mds:displayed:0'>
                  <item id='romeo@montague.lit'>
                    <displayed xmlns='urn:xmpp:mds:displayed:0'>
                      <stanza-id xmlns='urn:xmpp:sid:0' id='0f710f2b-52ed-4d52-b928-784dad74a52b' by='juliet@capulet.lit'/>
                    </displayed>
                  </item>
                </items>
              </event>
            </message>";
        let mut m = Message::try_from(xml.parse::<Element>().unwrap()).unwrap();
        let event: Event = m.extract_payload().unwrap().unwrap();
        let Payload::Items {
            node, published, ..
        } = event.payload
        else {
            panic!("items")
        };
        assert_eq!(node.0, NODE);
        let (peer, id, by) = parse_item(&published[0]).unwrap();
        assert_eq!(peer, "romeo@montague.lit");
        assert_eq!(id, "0f710f2b-52ed-4d52-b928-784dad74a52b");
        assert_eq!(by.to_string(), "juliet@capulet.lit");
    }

    #[test]
    fn what_we_publish_has_the_item_and_options_of_the_xep() {
        // XEP-0490 §4.2, example 3.
        let by = Jid::new("juliet@capulet.lit").unwrap();
        let iq = Element::from(publish("romeo@montague.lit", "s1", by));
        let pubsub = iq
            .get_child("pubsub", "http://jabber.org/protocol/pubsub")
            .unwrap();
        let publish = pubsub
            .get_child("publish", "http://jabber.org/protocol/pubsub")
            .unwrap();
        assert_eq!(publish.attr("node"), Some(NODE));
        let item = publish.children().next().unwrap();
        assert_eq!(item.attr("id"), Some("romeo@montague.lit"));
        let sid = item
            .get_child("displayed", NODE)
            .unwrap()
            .children()
            .next()
            .unwrap();
        assert_eq!(sid.attr("id"), Some("s1"));
        let options = String::from(pubsub);
        for needle in ["pubsub#max_items", "max", "whitelist", "publish-options"] {
            assert!(options.contains(needle), "{needle} in {options}");
        }
    }
}
