//! Our device on PEP: device lists and bundles of both generations (XEP-0384 §4.3, §5.3).

use linnet_omemo::bundle::random_device_id;
use linnet_omemo::xml::{self, legacy};
use linnet_omemo::{Generation, OsEntropy, OwnKeys};
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::data_forms::{DataForm, DataFormType, Field, FieldType};
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::parsers::pubsub::pubsub::{Item, Items, Publish, PublishOptions};
use tokio_xmpp::parsers::pubsub::{ItemId, NodeName, PubSub};
use tokio_xmpp::parsers::stanza_error::StanzaError;

use super::{Omemo, OmemoIq};
use crate::features::iq::condition_words;
use crate::features::{new_id, Context, IqPurpose};

/// The device-list node of a generation.
pub(crate) fn devices_node(generation: Generation) -> &'static str {
    match generation {
        Generation::Legacy => xml::NODE_LEGACY_DEVICES,
        Generation::Omemo2 => xml::NODE_OMEMO2_DEVICES,
    }
}

fn now_secs() -> u64 {
    u64::try_from(crate::store::now_ms() / 1000).unwrap_or(0)
}

/// `pubsub#publish-options` (XEP-0060 §7.1.5): open access, as XEP-0384 requires, and how many
/// items the node keeps.
fn options(max_items: &str) -> PublishOptions {
    let option = |var: &str, value: &str| Field::new(var, FieldType::TextSingle).with_value(value);
    PublishOptions {
        form: Some(DataForm::new(
            DataFormType::Submit,
            "http://jabber.org/protocol/pubsub#publish-options",
            vec![
                option("pubsub#persist_items", "true"),
                option("pubsub#max_items", max_items),
                option("pubsub#access_model", "open"),
            ],
        )),
    }
}

fn publish_iq(node: String, item_id: String, payload: Element, max_items: &str) -> Iq {
    Iq::from_set(
        new_id(),
        PubSub::Publish {
            publish: Publish {
                node: NodeName(node),
                items: vec![Item {
                    id: Some(ItemId(item_id)),
                    publisher: None,
                    payload: Some(payload),
                }],
            },
            publish_options: Some(options(max_items)),
        },
    )
}

impl Omemo {
    /// At session start: our keys (made on first use), both bundles published, and our own
    /// device lists read so that our device can be added to them.
    pub(crate) async fn start(&mut self, ctx: &mut Context) {
        // What we knew of device lists belongs to the last session; parked messages come
        // back through the outbox after the catch-up.
        self.lists.clear();
        self.preps.clear();
        if self.keys.is_none() {
            self.keys = match ctx.store.omemo_own(ctx.account_id).await {
                Ok(Some(keys)) => Some(keys),
                Ok(None) => {
                    let keys = OwnKeys::generate(
                        random_device_id(&mut OsEntropy),
                        now_secs(),
                        &mut OsEntropy,
                    );
                    match ctx.store.put_omemo_own(ctx.account_id, &keys).await {
                        Ok(()) => Some(keys),
                        Err(e) => {
                            tracing::warn!(account = ctx.account_id, "OMEMO keys not stored: {e}");
                            None
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(account = ctx.account_id, "OMEMO keys unreadable: {e}");
                    None
                }
            };
        }
        let Some(keys) = self.keys.as_mut() else {
            return;
        };
        if keys.rotate_signed_pre_key(now_secs(), &mut OsEntropy) {
            if let Err(e) = ctx.store.put_omemo_own(ctx.account_id, keys).await {
                tracing::warn!(account = ctx.account_id, "OMEMO keys not stored: {e}");
            }
        }
        self.publish_bundles(ctx);
        for generation in [Generation::Legacy, Generation::Omemo2] {
            let iq = Iq::from_get(
                new_id(),
                PubSub::Items(Items::new(devices_node(generation))),
            );
            ctx.request(iq, IqPurpose::Omemo(OmemoIq::OwnDevices(generation)));
        }
    }

    /// Publishes both bundles (after start, a used prekey or a rotation).
    pub(crate) fn publish_bundles(&self, ctx: &mut Context) {
        let Some(keys) = &self.keys else { return };
        let id = keys.device_id();
        let legacy_node = format!("{}:{id}", xml::NODE_LEGACY_BUNDLES);
        ctx.request(
            publish_iq(
                legacy_node,
                "current".into(),
                keys.legacy_bundle().into(),
                "1",
            ),
            IqPurpose::Omemo(OmemoIq::Published("legacy bundle")),
        );
        ctx.request(
            publish_iq(
                xml::NODE_OMEMO2_BUNDLES.into(),
                id.to_string(),
                keys.omemo2_bundle().into(),
                "max",
            ),
            IqPurpose::Omemo(OmemoIq::Published("OMEMO 2 bundle")),
        );
    }

    /// An answer to one of our OMEMO IQs.
    pub(crate) async fn on_answer(
        &mut self,
        ctx: &mut Context,
        purpose: OmemoIq,
        answer: Result<Option<Element>, StanzaError>,
    ) {
        match (purpose, answer) {
            (
                OmemoIq::Devices {
                    prep,
                    jid,
                    generation,
                },
                answer,
            ) => self.on_devices(ctx, prep, jid, generation, answer).await,
            (
                OmemoIq::Bundle {
                    prep,
                    jid,
                    device,
                    generation,
                },
                answer,
            ) => {
                self.on_bundle(ctx, prep, jid, device, generation, answer)
                    .await
            }
            (
                OmemoIq::Rebuild {
                    jid,
                    device,
                    generation,
                },
                answer,
            ) => {
                self.on_rebuild_bundle(ctx, (jid, device, generation), answer)
                    .await
            }
            (OmemoIq::RoomInfo { prep, room }, answer) => self.on_room_info(prep, room, answer),
            (OmemoIq::RoomMembers { prep, room }, answer) => {
                self.on_room_members(prep, room, answer)
            }
            // No node yet (item-not-found): our list is the first.
            (OmemoIq::OwnDevices(generation), answer) => {
                let ids = listed_ids(generation, answer);
                self.ensure_listed(ctx, generation, ids);
            }
            (OmemoIq::Published(_), Ok(_)) => {}
            (OmemoIq::Published(what), Err(e)) => tracing::warn!(
                account = ctx.account_id,
                "OMEMO {what} not published: {}",
                condition_words(&e.defined_condition)
            ),
        }
    }

    /// A device-list notification (PEP, XEP-0163): ours must keep our device.
    pub(crate) fn on_device_list(
        &mut self,
        ctx: &mut Context,
        from: Option<&Jid>,
        generation: Generation,
        payloads: Vec<Element>,
    ) {
        let ids = device_ids(generation, payloads.iter());
        // Someone's devices changed (a contact's, or ours): the lists we knew are read again
        // before the next encrypted message, so new devices get a session.
        let jid = from.map_or_else(|| ctx.jid.to_string(), |f| f.to_bare().to_string());
        self.lists.remove(&(jid.clone(), generation));
        self.lists.remove(&(jid, other(generation)));
        if from.is_none_or(|f| ctx.is_own_bare(f)) {
            self.ensure_listed(ctx, generation, ids);
        }
    }

    /// Publishes `ids` plus ours when ours is missing.
    fn ensure_listed(&mut self, ctx: &mut Context, generation: Generation, mut ids: Vec<u32>) {
        let Some(keys) = &self.keys else { return };
        let own = keys.device_id();
        if ids.contains(&own) {
            return;
        }
        ids.push(own);
        let payload: Element = match generation {
            Generation::Legacy => legacy::DeviceList {
                devices: ids.iter().map(|id| legacy::Device { id: *id }).collect(),
            }
            .into(),
            Generation::Omemo2 => xml::Devices {
                devices: ids
                    .iter()
                    .map(|id| xml::Device {
                        id: *id,
                        label: None,
                        labelsig: None,
                    })
                    .collect(),
            }
            .into(),
        };
        ctx.request(
            publish_iq(
                devices_node(generation).into(),
                "current".into(),
                payload,
                "1",
            ),
            IqPurpose::Omemo(OmemoIq::Published("device list")),
        );
    }
}

/// The device ids in device-list payloads; a malformed list counts as empty.
pub(crate) fn device_ids<'a>(
    generation: Generation,
    payloads: impl Iterator<Item = &'a Element>,
) -> Vec<u32> {
    let mut ids = Vec::new();
    for payload in payloads {
        match generation {
            Generation::Legacy => {
                if let Ok(list) = legacy::DeviceList::try_from(payload.clone()) {
                    ids.extend(list.devices.iter().map(|d| d.id));
                }
            }
            Generation::Omemo2 => {
                if let Ok(list) = xml::Devices::try_from(payload.clone()) {
                    ids.extend(list.devices.iter().map(|d| d.id));
                }
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The other generation.
pub(crate) fn other(generation: Generation) -> Generation {
    match generation {
        Generation::Legacy => Generation::Omemo2,
        Generation::Omemo2 => Generation::Legacy,
    }
}

/// The payloads of the items in a pubsub items answer (XEP-0060 §6.5); none for anything else.
pub(crate) fn item_payloads(payload: Option<Element>) -> Vec<Element> {
    match payload.and_then(|p| PubSub::try_from(p).ok()) {
        Some(PubSub::Items(items)) => items.items.into_iter().filter_map(|i| i.payload).collect(),
        _ => Vec::new(),
    }
}

/// The device ids of a device-list answer. No list (item-not-found, or Prosody's `forbidden`
/// for a node that does not exist) counts as no devices in that generation.
pub(crate) fn listed_ids(
    generation: Generation,
    answer: Result<Option<Element>, StanzaError>,
) -> Vec<u32> {
    device_ids(generation, item_payloads(answer.ok().flatten()).iter())
}
