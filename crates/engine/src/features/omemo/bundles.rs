//! Before the first encrypted message to someone in a session (XEP-0384 §5.3 "Building a
//! session"): their device lists are read, then the bundle of every listed device we have no
//! session with, and a session is built from each (X3DH, active side). [`super::send`] parks
//! the message meanwhile and counts the answers.

use linnet_omemo::xml::{self, legacy};
use linnet_omemo::{Bundle, Generation, OsEntropy, Session};
use tokio_xmpp::minidom::Element;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::pubsub::pubsub::{Item, Items};
use tokio_xmpp::parsers::pubsub::{ItemId, NodeName, PubSub};
use tokio_xmpp::parsers::stanza_error::StanzaError;

use super::publish::{item_payloads, listed_ids, other};
use super::send::targets;
use super::{Omemo, OmemoIq};
use crate::features::{new_id, Context, IqPurpose};
use crate::store::Trust;

pub(crate) fn bundle_request(jid: &BareJid, device: u32, generation: Generation) -> Iq {
    let items = match generation {
        Generation::Legacy => Items {
            max_items: Some(1),
            ..Items::new(&format!("{}:{device}", xml::NODE_LEGACY_BUNDLES))
        },
        Generation::Omemo2 => Items {
            max_items: None,
            node: NodeName(xml::NODE_OMEMO2_BUNDLES.to_owned()),
            subid: None,
            items: vec![Item {
                id: Some(ItemId(device.to_string())),
                publisher: None,
                payload: None,
            }],
        },
    };
    Iq::from_get(new_id(), PubSub::Items(items)).with_to(Jid::from(jid.clone()))
}

fn parse_bundle(generation: Generation, payload: Option<Element>) -> Result<Bundle, String> {
    let element = item_payloads(payload)
        .into_iter()
        .next()
        .ok_or("no bundle published")?;
    let bundle = match generation {
        Generation::Legacy => legacy::Bundle::try_from(element)
            .map_err(|e| e.to_string())
            .and_then(|b| Bundle::from_legacy(&b).map_err(|e| e.to_string())),
        Generation::Omemo2 => xml::Bundle::try_from(element)
            .map_err(|e| e.to_string())
            .and_then(|b| Bundle::from_omemo2(&b).map_err(|e| e.to_string())),
    }?;
    Ok(bundle)
}

impl Omemo {
    /// A device list we asked for while preparing to send to `prep`; once both of a JID's are
    /// in, bundles are asked for every device we have no session with.
    pub(crate) async fn on_devices(
        &mut self,
        ctx: &mut Context,
        prep: String,
        jid: String,
        generation: Generation,
        answer: Result<Option<Element>, StanzaError>,
    ) {
        self.lists
            .insert((jid.clone(), generation), listed_ids(generation, answer));
        if self.lists.contains_key(&(jid.clone(), other(generation))) {
            self.fetch_missing_bundles(ctx, &prep, &jid).await;
        }
        self.answered(&prep);
    }

    async fn fetch_missing_bundles(&mut self, ctx: &mut Context, prep: &str, jid: &str) {
        let own_device = self.keys.as_ref().map(|k| k.device_id());
        let Ok(bare) = BareJid::new(jid) else { return };
        for (device, generation) in
            targets(&self.lists, jid, own_device.filter(|_| bare == ctx.jid))
        {
            match self.session(ctx, jid, device, generation).await {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(account = ctx.account_id, "OMEMO session unreadable: {e}");
                    continue;
                }
            }
            if let Ok(Some((_, Trust::Untrusted))) =
                ctx.store.omemo_identity(ctx.account_id, jid, device).await
            {
                continue;
            }
            let purpose = OmemoIq::Bundle {
                prep: prep.to_owned(),
                jid: jid.to_owned(),
                device,
                generation,
            };
            ctx.request(
                bundle_request(&bare, device, generation),
                IqPurpose::Omemo(purpose),
            );
            if let Some(p) = self.preps.get_mut(prep) {
                p.waiting += 1;
            }
        }
    }

    /// A bundle we asked for: a session is built from it (X3DH, active side).
    pub(crate) async fn on_bundle(
        &mut self,
        ctx: &mut Context,
        prep: String,
        jid: String,
        device: u32,
        generation: Generation,
        answer: Result<Option<Element>, StanzaError>,
    ) {
        if let Err(reason) = self
            .build_session(ctx, &jid, device, generation, answer)
            .await
        {
            tracing::info!(
                account = ctx.account_id,
                "no OMEMO session with {jid}/{device}: {reason}"
            );
        }
        self.answered(&prep);
    }

    pub(crate) async fn build_session(
        &mut self,
        ctx: &mut Context,
        jid: &str,
        device: u32,
        generation: Generation,
        answer: Result<Option<Element>, StanzaError>,
    ) -> Result<(), String> {
        let payload =
            answer.map_err(|e| crate::features::iq::condition_words(&e.defined_condition))?;
        let bundle = parse_bundle(generation, payload)?;
        let keys = self.keys.as_ref().ok_or("no keys of our own")?;
        if super::record_identity(ctx, jid, device, &bundle.identity).await? == Trust::Untrusted {
            return Err("you marked it as untrusted".into());
        }
        let session = Session::initiate(keys.identity(), &bundle, &mut OsEntropy)
            .map_err(|e| e.to_string())?;
        self.save_session(ctx, jid, device, session, None)
            .await
            .map_err(|e| e.to_string())
    }
}
