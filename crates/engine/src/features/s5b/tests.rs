//! Literal-XML tests of `features::s5b`, from the XEPs' examples.
#![allow(clippy::unwrap_used, clippy::panic)]
use super::*;
use tokio_xmpp::parsers::jingle::Transport as JingleTransport;

/// XEP-0260 §2.2 Example 1's transport.
const OFFER: &str = r#"<transport xmlns='urn:xmpp:jingle:transports:s5b:1'
        dstaddr='972b7bf47291ca609517f67f86b5081086052dad' mode='tcp' sid='vj3hs98y'>
      <candidate cid='hft54dqy' host='192.168.4.1' jid='romeo@montague.example/dr4hcr0st3lup4c'
                 port='5086' priority='8257636' type='direct'/>
      <candidate cid='hutr46fe' host='24.24.24.1' jid='romeo@montague.example/dr4hcr0st3lup4c'
                 port='5087' priority='8258636' type='direct'/>
      <candidate cid='xmdh4b7i' host='123.456.7.8' jid='streamer.shakespeare.example'
                 port='7625' priority='7878787' type='proxy'/>
    </transport>"#;

#[test]
fn candidates_are_read_from_the_xeps_example_best_first() {
    let el: Element = OFFER.replace("123.456.7.8", "123.45.7.8").parse().unwrap();
    let JingleTransport::Socks5(t) = JingleTransport::try_from(el).unwrap() else {
        panic!("not s5b")
    };
    let read = read_transport(t);
    assert_eq!(read.sid, "vj3hs98y");
    let S5bInfo::Candidates(c) = &read.info else {
        panic!("no candidates")
    };
    let cids: Vec<&str> = c.iter().map(|c| c.cid.as_str()).collect();
    assert_eq!(cids, ["hutr46fe", "hft54dqy", "xmdh4b7i"]);
    assert_eq!((c[0].port, c[0].proxy), (5087, false));
    assert_eq!(c[2].jid.to_string(), "streamer.shakespeare.example");
    assert!(c[2].proxy);
    // Round trip through our writer.
    let again = read_transport(write_transport(&read, None));
    assert_eq!(again, read);
}

#[test]
fn a_bad_address_drops_only_that_candidate() {
    // The XEP's own example has "123.456.7.8", not an address.
    let el: Element = OFFER.parse().unwrap();
    match JingleTransport::try_from(el) {
        Ok(JingleTransport::Socks5(t)) => {
            let S5bInfo::Candidates(c) = read_transport(t).info else {
                panic!()
            };
            assert_eq!(c.len(), 2);
        }
        // xmpp-parsers may refuse the whole transport for it: also not a panic.
        Ok(_) => panic!("not s5b"),
        Err(_) => {}
    }
}

#[test]
fn candidate_used_and_activated_round_trip() {
    for info in [
        S5bInfo::CandidateUsed("hr65dqyd".into()),
        S5bInfo::CandidateError,
        S5bInfo::Activated("hr65dqyd".into()),
        S5bInfo::ProxyError,
    ] {
        let t = S5bTransport {
            sid: "vj3hs98y".into(),
            info,
        };
        assert_eq!(read_transport(write_transport(&t, None)), t);
    }
}

/// XEP-0065 §5.3.2: hex SHA1(sid + requester + target), as Python's hashlib computes it for
/// the XEP's sid and JIDs.
#[test]
fn the_destination_address_is_the_xeps() {
    let requester = FullJid::new("requester@example.com/foo").unwrap();
    let target = FullJid::new("target@example.org/bar").unwrap();
    assert_eq!(
        dstaddr("vxf9n471bn46", &requester, &target),
        "98b8d688d0f5d895fd41c5e7309a2e9e33ba32ff"
    );
}

#[test]
fn the_proxys_address_and_activation() {
    let answer: Element = "<query xmlns='http://jabber.org/protocol/bytestreams'>
          <streamhost host='127.0.0.1' jid='proxy.localhost' port='7777'/></query>"
        .parse()
        .unwrap();
    assert_eq!(
        read_address(Some(answer)).unwrap(),
        ("127.0.0.1".parse().unwrap(), 7777)
    );
    assert!(read_address(None).is_err());
    let target = FullJid::new("target@example.org/bar").unwrap();
    let Iq::Set { payload, .. } = activate(
        "a".into(),
        Jid::new("proxy.localhost").unwrap(),
        "s1",
        &target,
    ) else {
        panic!()
    };
    assert_eq!(payload.attr("sid"), Some("s1"));
    assert_eq!(
        payload.get_child("activate", BYTESTREAMS).unwrap().text(),
        "target@example.org/bar"
    );
}

#[tokio::test]
async fn client_and_server_handshakes_agree_only_on_the_same_stream() {
    let (mut a, mut b) = tokio::io::duplex(1024);
    let (client, server) = tokio::join!(connect(&mut a, "abc123"), accept(&mut b, "abc123"));
    client.unwrap();
    server.unwrap();
    a.write_all(b"file").await.unwrap();
    let mut got = [0u8; 4];
    b.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"file");

    let (mut a, mut b) = tokio::io::duplex(1024);
    let (client, server) = tokio::join!(connect(&mut a, "other"), accept(&mut b, "abc123"));
    assert!(client.is_err() && server.is_err());
}
