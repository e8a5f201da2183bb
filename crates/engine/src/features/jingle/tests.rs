//! Literal-XML tests of `features::jingle`, from the XEPs' examples.
#![allow(clippy::unwrap_used, clippy::panic)]
use super::*;

fn el(xml: &str) -> Element {
    xml.parse().unwrap()
}

fn romeo() -> Jid {
    Jid::new("romeo@montague.example/dr4hcr0st3lup4c").unwrap()
}

/// XEP-0234 §4.1 Example 1, with the IBB transport of XEP-0261 §2 Example 1.
const OFFER: &str = r#"<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'
        initiator='romeo@montague.example/dr4hcr0st3lup4c' sid='851ba2'>
  <content creator='initiator' name='a-file-offer' senders='initiator'>
    <description xmlns='urn:xmpp:jingle:apps:file-transfer:5'>
      <file>
        <date>1969-07-21T02:56:15Z</date>
        <desc>This is a test. If this were a real file...</desc>
        <media-type>text/plain</media-type>
        <name>test.txt</name>
        <range/>
        <size>6144</size>
        <hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</hash>
      </file>
    </description>
    <transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='ch3d9s71'/>
  </content>
</jingle>"#;

#[test]
fn an_offer_over_ibb_is_read_from_the_xeps_example() {
    let Inbound::Offer(offer) = parse(&romeo(), el(OFFER)).unwrap() else {
        panic!("not an offer")
    };
    assert_eq!(offer.sid, "851ba2");
    assert_eq!(offer.content, "a-file-offer");
    assert_eq!(
        offer.from.to_string(),
        "romeo@montague.example/dr4hcr0st3lup4c"
    );
    assert_eq!(
        offer.file,
        OfferedFile {
            name: Some("test.txt".into()),
            size: Some(6144),
            media_type: Some("text/plain".into()),
            sha256: Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
        }
    );
    assert_eq!(
        offer.transport,
        Some(FileTransport::Ibb(IbbParams {
            sid: "ch3d9s71".into(),
            block_size: 4096
        }))
    );
}

#[test]
fn our_offer_and_answers_round_trip() {
    let me = FullJid::new("juliet@capulet.example/balcony").unwrap();
    let romeo = romeo().try_into_full().unwrap();
    let file = OfferedFile {
        name: Some("a b.png".into()),
        size: Some(20),
        media_type: Some("image/png".into()),
        sha256: Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
    };
    let ibb = FileTransport::Ibb(IbbParams {
        sid: "s1".into(),
        block_size: BLOCK_SIZE,
    });
    let Iq::Set { payload, to, .. } = initiate("i1".into(), "j1", &me, &romeo, &file, &ibb) else {
        panic!("not a set")
    };
    assert_eq!(to, Some(Jid::from(romeo.clone())));
    let Inbound::Offer(offer) = parse(&Jid::from(me.clone()), payload).unwrap() else {
        panic!("not an offer")
    };
    assert_eq!(
        (offer.sid.as_str(), &offer.file, &offer.transport),
        ("j1", &file, &Some(ibb.clone()))
    );

    let Iq::Set { payload, .. } = accept("i2".into(), &offer, &romeo, &ibb) else {
        panic!()
    };
    assert_eq!(payload.attr("action"), Some("session-accept"));
    assert_eq!(
        parse(&Jid::from(romeo.clone()), payload).unwrap(),
        Inbound::Session {
            sid: "j1".into(),
            action: SessionAction::Accept {
                transport: Some(ibb)
            }
        }
    );
    let Iq::Set { payload, .. } =
        terminate("i3".into(), "j1", &me, Reason::Cancel, Some("Stopped"))
    else {
        panic!()
    };
    assert_eq!(
        parse(&Jid::from(romeo), payload).unwrap(),
        Inbound::Session {
            sid: "j1".into(),
            action: SessionAction::Terminate {
                reason: "cancel".into(),
                text: Some("Stopped".into())
            }
        }
    );
}

/// XEP-0166 §6.7 Example 9 (no reason text), and a request for a file of ours (XEP-0234
/// §6, `senders='responder'`), which we do not serve.
#[test]
fn a_terminate_and_a_file_request_are_told_apart() {
    let end = el(
        r#"<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='a73sjjvkla37jfea'>
          <reason><success/></reason></jingle>"#,
    );
    assert_eq!(
        parse(&romeo(), end).unwrap(),
        Inbound::Session {
            sid: "a73sjjvkla37jfea".into(),
            action: SessionAction::Terminate {
                reason: "success".into(),
                text: None
            }
        }
    );
    let request = OFFER.replace("senders='initiator'", "senders='responder'");
    assert_eq!(
        parse(&romeo(), el(&request)).unwrap(),
        Inbound::Unsupported {
            sid: "851ba2".into()
        }
    );
    assert!(parse(&romeo(), el("<jingle xmlns='urn:xmpp:jingle:1' sid='x'/>")).is_err());
}

/// XEP-0260 §2.2 Example 1 (its proxy's address made a real one) and §2.4 Example 5.
#[test]
fn an_offer_over_socks5_and_a_candidate_report_are_read() {
    let offer = OFFER.replace(
        "<transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='ch3d9s71'/>",
        "<transport xmlns='urn:xmpp:jingle:transports:s5b:1' dstaddr='972b7bf47291ca609517f67f86b5081086052dad' mode='tcp' sid='vj3hs98y'>
           <candidate cid='hft54dqy' host='192.168.4.1' jid='romeo@montague.example/dr4hcr0st3lup4c' port='5086' priority='8257636' type='direct'/>
           <candidate cid='xmdh4b7i' host='123.45.7.8' jid='streamer.shakespeare.example' port='7625' priority='7878787' type='proxy'/>
         </transport>",
    );
    let Inbound::Offer(offer) = parse(&romeo(), el(&offer)).unwrap() else {
        panic!("not an offer")
    };
    let Some(FileTransport::S5b(t)) = offer.transport else {
        panic!("not s5b")
    };
    assert_eq!(t.sid, "vj3hs98y");
    let s5b::S5bInfo::Candidates(c) = t.info else {
        panic!()
    };
    assert_eq!(c.len(), 2);
    assert!(c[1].proxy);
    let used = el(r#"<jingle xmlns='urn:xmpp:jingle:1' action='transport-info'
            initiator='romeo@montague.example/dr4hcr0st3lup4c' sid='a73sjjvkla37jfea'>
          <content creator='initiator' name='ex'>
            <transport xmlns='urn:xmpp:jingle:transports:s5b:1' sid='vj3hs98y'>
              <candidate-used cid='hr65dqyd'/>
            </transport>
          </content>
        </jingle>"#);
    assert_eq!(
        parse(&romeo(), used).unwrap(),
        Inbound::Session {
            sid: "a73sjjvkla37jfea".into(),
            action: SessionAction::TransportInfo(S5bTransport {
                sid: "vj3hs98y".into(),
                info: s5b::S5bInfo::CandidateUsed("hr65dqyd".into())
            })
        }
    );
    // A terminate whose reason is unknown to us still ends the session.
    let odd = el("<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='x'><reason><new-thing/></reason></jingle>");
    assert!(matches!(
        parse(&romeo(), odd).unwrap(),
        Inbound::Session {
            action: SessionAction::Terminate { .. },
            ..
        }
    ));
}

/// XEP-0047 §2 Examples 1, 4 and 7.
#[test]
fn ibb_packets_are_read_from_the_xeps_examples() {
    let open = el("<open xmlns='http://jabber.org/protocol/ibb' block-size='4096' sid='i781hf64' stanza='iq'/>");
    assert_eq!(
        parse_ibb(&open),
        Some(IbbPacket::Open {
            sid: "i781hf64".into(),
            block_size: 4096
        })
    );
    let data = el("<data xmlns='http://jabber.org/protocol/ibb' seq='0' sid='i781hf64'>qANQR1DBwU4DX7jmYZnncmUQB/9KuKBddzQH+tZ1ZywKK0yHKnq57kWq+RFtQdCJWpdWpR0uQsuJe7+vh3NWn59/gTc5MDlX8dS9p0ovStmNcyLhxVgmqS8ZKhsblVeu</data>");
    let Some(IbbPacket::Data { seq: 0, data, .. }) = parse_ibb(&data) else {
        panic!("not data")
    };
    assert_eq!(data.len(), 96);
    let close = el("<close xmlns='http://jabber.org/protocol/ibb' sid='i781hf64'/>");
    assert_eq!(
        parse_ibb(&close),
        Some(IbbPacket::Close {
            sid: "i781hf64".into()
        })
    );
    let bad = el("<data xmlns='http://jabber.org/protocol/ibb' seq='0' sid='x'>!!</data>");
    assert_eq!(parse_ibb(&bad), None);
    let Iq::Set { payload, .. } = ibb_data(
        "d".into(),
        &romeo().try_into_full().unwrap(),
        "s",
        65535,
        vec![1, 2, 3],
    ) else {
        panic!()
    };
    assert_eq!(
        parse_ibb(&payload),
        Some(IbbPacket::Data {
            sid: "s".into(),
            seq: 65535,
            data: vec![1, 2, 3]
        })
    );
}
