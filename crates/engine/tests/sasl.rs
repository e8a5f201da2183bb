//! Logging in: SASL2 (XEP-0388) with FAST tokens (XEP-0484) against Prosody's mod_sasl2 and
//! mod_sasl2_fast (prosody-modules), and the mechanism policy against a hostile server the
//! test plays itself with literal XML: PLAIN offered after SCRAM was seen, PLAIN without
//! consent, a forged SCRAM server signature.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{account, init_tracing, is_state, temp_db, wait_event, wait_online};
use linnet_engine::account::connector::{ConnectError, ConnectTarget, StreamTap};
use linnet_engine::account::login::{connect_and_login, revoke_token, Secret};
use linnet_engine::account::resolve::Dns;
use linnet_engine::{
    ConnectionSettings, ConnectionState, CredentialProvider, Engine, EngineError, ErrorCode,
    FastToken, LoginPolicy,
};
use linnet_testkit::Server;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_xmpp::parsers::jid::Jid;
use tokio_xmpp::xmlstream::Timeouts;

/// Passwords and FAST tokens in memory, standing in for the OS keyring.
#[derive(Default)]
struct Keyring {
    passwords: Mutex<HashMap<String, String>>,
    tokens: Mutex<HashMap<String, FastToken>>,
}

impl Keyring {
    fn token(&self, jid: &str) -> Option<FastToken> {
        self.tokens.lock().unwrap().get(jid).cloned()
    }
}

impl CredentialProvider for Keyring {
    fn password(&self, _: i64, jid: &str) -> Result<Option<String>, EngineError> {
        Ok(self.passwords.lock().unwrap().get(jid).cloned())
    }
    fn fast_token(&self, _: i64, jid: &str) -> Result<Option<FastToken>, EngineError> {
        Ok(self.token(jid))
    }
    fn set_fast_token(
        &self,
        _: i64,
        jid: &str,
        token: Option<&FastToken>,
    ) -> Result<(), EngineError> {
        let mut tokens = self.tokens.lock().unwrap();
        match token {
            Some(t) => tokens.insert(jid.to_owned(), t.clone()),
            None => tokens.remove(jid),
        };
        Ok(())
    }
}

async fn wait_token(keyring: &Keyring, jid: &str, unlike: Option<&FastToken>) -> FastToken {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(t) = keyring.token(jid) {
            if Some(&t) != unlike {
                return t;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no (new) FAST token kept for {jid}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn target(server: &Server, jid: &str) -> ConnectTarget {
    ConnectTarget {
        jid: Jid::new(jid).unwrap(),
        host: Some(server.host()),
        port: Some(server.c2s_port()),
        direct_tls: false,
        dns: Dns::system(),
        proxy: None,
    }
}

/// One login at the login layer, to the harness server, with `secret`.
async fn login_once(
    server: &Server,
    jid: &str,
    secret: &Secret,
    roots: &linnet_engine::TrustRoots,
) -> Result<linnet_engine::account::login::LoginReport, ConnectError> {
    connect_and_login(
        &target(server, jid),
        secret,
        LoginPolicy::default(),
        roots,
        &[],
        &StreamTap::default(),
        Timeouts::default(),
    )
    .await
    .map(|(_connection, _route, report)| report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_token_logs_in_without_the_password_rotates_and_is_revoked_on_removal() {
    init_tracing();
    let mut server = Server::start_with(&["--sasl2"]).await.unwrap();
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let keyring = Arc::new(Keyring::default());
    keyring
        .passwords
        .lock()
        .unwrap()
        .insert(alice.clone(), "alice-pw".into());
    let config = common::config(&server, Some(temp_db("sasl2")), true);
    let roots = config.trust.clone();
    let engine = Engine::start(config, keyring.clone()).await.unwrap();
    let mut rx = engine.subscribe();

    // First login: SCRAM over SASL2, asking for a token.
    let acc = engine.add_account(account(&server, &alice)).await.unwrap();
    wait_online(&engine, &mut rx, acc.id).await;
    let via = engine.account(acc.id).await.unwrap().connected_via.unwrap();
    assert_eq!(via.mechanism.as_deref(), Some("SCRAM-SHA-1"));
    assert!(via.sasl2, "SASL2 was used: {via:?}");
    let first = wait_token(&keyring, &alice, None).await;
    // TLS 1.3 gives the exporter and the server offers HT-SHA-256-EXPR: a bound token.
    assert_eq!(first.mechanism, "HT-SHA-256-EXPR");

    // The password leaves the keyring: the token logs in, and the server rotates it.
    keyring.passwords.lock().unwrap().clear();
    engine.reconnect(acc.id).await.unwrap();
    wait_online(&engine, &mut rx, acc.id).await;
    let via = engine.account(acc.id).await.unwrap().connected_via.unwrap();
    assert_eq!(via.mechanism.as_deref(), Some("HT-SHA-256-EXPR"));
    let second = wait_token(&keyring, &alice, Some(&first)).await;
    assert_ne!(second.token, first.token, "rotated");

    // The rotated token logs in again.
    engine.reconnect(acc.id).await.unwrap();
    wait_online(&engine, &mut rx, acc.id).await;
    let third = wait_token(&keyring, &alice, Some(&second)).await;

    // Round trips and times, at the login layer: FAST one, SCRAM two.
    let client_id = uuid::Uuid::new_v4();
    let by_password = Secret {
        password: Some("alice-pw".into()),
        token: None,
        client_id,
    };
    let started = Instant::now();
    let scram = login_once(&server, &alice, &by_password, &roots)
        .await
        .unwrap();
    let scram_time = started.elapsed();
    assert_eq!(
        (scram.mechanism.as_str(), scram.round_trips),
        ("SCRAM-SHA-1", 2)
    );
    let token = scram
        .new_token
        .clone()
        .expect("a token for the new client id");
    let by_token = Secret {
        password: None,
        token: Some(token),
        client_id,
    };
    let started = Instant::now();
    let fast = login_once(&server, &alice, &by_token, &roots)
        .await
        .unwrap();
    let fast_time = started.elapsed();
    assert_eq!(
        (fast.mechanism.as_str(), fast.round_trips),
        ("HT-SHA-256-EXPR", 1)
    );
    println!("login to an authenticated stream: SCRAM {scram_time:?}, FAST {fast_time:?}");

    // Revocation (XEP-0484 `invalidate`): the token the FAST login was given stops working.
    let newest = fast.new_token.clone().expect("rotated at every use here");
    revoke_token(&target(&server, &alice), &newest, client_id, &roots, &[])
        .await
        .unwrap();
    let after = Secret {
        password: None,
        token: Some(newest),
        client_id,
    };
    match login_once(&server, &alice, &after, &roots).await {
        Err(ConnectError::TokenRefused(_)) => {}
        Err(other) => panic!("expected the revoked token refused, got {other}"),
        Ok(_) => panic!("a revoked token still logs in"),
    }

    // Removing the account revokes its token the same way and forgets it here.
    assert!(keyring.token(&alice).is_some());
    let _ = third;
    engine.remove_account(acc.id).await.unwrap();
    assert!(keyring.token(&alice).is_none(), "forgotten");
    engine.shutdown().await;
}

/// What the hostile server offers and does, switched by the test between connections: the
/// account keeps one host and port, as it would while someone intercepts its connection.
#[derive(Clone, Copy, PartialEq)]
enum Hostile {
    /// Relays the bytes to the real server on this loopback port (no interception).
    Relay(u16),
    /// Only PLAIN; records what the client sends.
    PlainOnly,
    /// SCRAM-SHA-1 with a server signature that is not the real one.
    ForgedSignature,
}

/// What the hostile server saw.
#[derive(Default)]
struct Seen {
    auth: Vec<String>,
}

/// What the client sent up to and with `needle`; `None` when it went away first (the client
/// gives up on a hostile server, which is what the test wants).
async fn read_until<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut String,
    needle: &str,
) -> Option<String> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(at) = buf.find(needle) {
            let upto = at + needle.len();
            let out = buf[..upto].to_owned();
            buf.drain(..upto);
            return Some(out);
        }
        match io.read(&mut chunk).await {
            Ok(n) if n > 0 => buf.push_str(&String::from_utf8_lossy(&chunk[..n])),
            _ => return None,
        }
    }
}

/// Reads the client's `<stream:stream …>` opening, whatever its attributes' order and quotes.
async fn read_header<S: AsyncRead + Unpin>(io: &mut S, buf: &mut String) -> Option<()> {
    read_until(io, buf, "stream:stream").await?;
    read_until(io, buf, ">").await.map(|_| ())
}

const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='h1' version='1.0'>";

async fn play<S: AsyncRead + AsyncWrite + Unpin>(
    mut io: S,
    mode: Hostile,
    seen: Arc<Mutex<Seen>>,
) -> Option<()> {
    let mut buf = String::new();
    read_header(&mut io, &mut buf).await?;
    let features = match mode {
        Hostile::PlainOnly => "<mechanism>PLAIN</mechanism>",
        Hostile::ForgedSignature | Hostile::Relay(_) => "<mechanism>SCRAM-SHA-1</mechanism>",
    };
    let offer = format!(
        "{HEADER}<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
         {features}</mechanisms></stream:features>"
    );
    io.write_all(offer.as_bytes()).await.ok()?;
    let auth = read_until(&mut io, &mut buf, "</auth>").await?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let data = auth
        .rsplit('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let decoded = String::from_utf8_lossy(&b64.decode(&data).unwrap()).into_owned();
    seen.lock()
        .unwrap()
        .auth
        .push(format!("{auth} = {decoded:?}"));
    if mode == Hostile::ForgedSignature {
        let nonce = decoded.split("r=").nth(1).unwrap().to_owned();
        let first = format!("r={nonce}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
        let challenge = format!(
            "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</challenge>",
            b64.encode(first)
        );
        io.write_all(challenge.as_bytes()).await.ok()?;
        read_until(&mut io, &mut buf, "</response>").await?;
        let success = format!(
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</success>",
            b64.encode("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")
        );
        io.write_all(success.as_bytes()).await.ok()?;
    }
    // Hold the connection until the client gives up.
    let mut rest = [0u8; 1024];
    while io.read(&mut rest).await.unwrap_or(0) > 0 {}
    Some(())
}

/// A server on loopback speaking STARTTLS with the harness's certificate for `localhost`,
/// then `mode`.
async fn hostile(server: &Server, mode: Arc<Mutex<Hostile>>) -> (u16, Arc<Mutex<Seen>>) {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let dir = server.ca_cert().parent().unwrap().to_owned();
    let certs = rustls::pki_types::CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(Path::new(&dir.join("server.key")))
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let seen = seen2.clone();
            let mode = *mode.lock().unwrap();
            tokio::spawn(async move {
                if let Hostile::Relay(port) = mode {
                    let mut real = tokio::net::TcpStream::connect(("127.0.0.1", port))
                        .await
                        .ok()?;
                    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut real).await;
                    return Some(());
                }
                let mut buf = String::new();
                read_header(&mut tcp, &mut buf).await?;
                let starttls = format!(
                    "{HEADER}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>\
                     <required/></starttls></stream:features>"
                );
                tcp.write_all(starttls.as_bytes()).await.ok()?;
                // xmpp-parsers writes <starttls …></starttls>; all of it before TLS begins.
                read_until(&mut tcp, &mut buf, "</starttls>").await?;
                tcp.write_all(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
                    .await
                    .ok()?;
                let tls = acceptor.accept(tcp).await.ok()?;
                play(tls, mode, seen).await
            });
        }
    });
    (port, seen)
}

async fn wait_error(
    engine: &Engine,
    rx: &mut tokio::sync::broadcast::Receiver<linnet_engine::EngineEvent>,
    id: i64,
) -> (ErrorCode, String) {
    wait_event(rx, Duration::from_secs(20), "a login error", |e| {
        is_state(e, id, "error")
    })
    .await;
    match engine.state(id).await {
        ConnectionState::Error { code, message, .. } => (code, message),
        other => panic!("expected an error state, got {other:?}"),
    }
}

fn to_hostile(port: u16, allow_plain: Option<bool>) -> ConnectionSettings {
    ConnectionSettings {
        host: Some("127.0.0.1".into()),
        port: Some(port),
        direct_tls: false,
        allow_plain,
        proxy: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_needs_consent_a_downgrade_after_scram_and_a_forged_signature_are_refused() {
    init_tracing();
    let mut server = Server::start().await.unwrap();
    let alice = server.register("alice", "alice-pw").await.unwrap();
    let keyring = Arc::new(Keyring::default());
    keyring
        .passwords
        .lock()
        .unwrap()
        .insert(alice.clone(), "alice-pw".into());
    let engine = Engine::start(
        common::config(&server, Some(temp_db("sasl-policy")), true),
        keyring.clone(),
    )
    .await
    .unwrap();
    let mut rx = engine.subscribe();

    // A server that never offered SCRAM to this account offers only PLAIN: not without
    // consent; with it, PLAIN is sent (inside TLS).
    let mode = Arc::new(Mutex::new(Hostile::PlainOnly));
    let (port, seen) = hostile(&server, mode.clone()).await;
    let acc = engine
        .add_account(linnet_engine::NewAccount {
            jid: alice.clone(),
            host: Some("127.0.0.1".into()),
            port: Some(port),
            direct_tls: false,
        })
        .await
        .unwrap();
    let (code, words) = wait_error(&engine, &mut rx, acc.id).await;
    assert_eq!(code, ErrorCode::PlainNotAllowed, "{words}");
    assert!(words.contains("connection settings"), "{words}");
    assert!(seen.lock().unwrap().auth.is_empty(), "nothing was sent");
    engine
        .update_account(acc.id, to_hostile(port, Some(true)))
        .await
        .unwrap();
    assert!(engine.account(acc.id).await.unwrap().allow_plain);
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().auth.is_empty() {
        assert!(
            Instant::now() < deadline,
            "PLAIN was not sent after consent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sent = seen.lock().unwrap().auth[0].clone();
    assert!(
        sent.contains("mechanism='PLAIN'") || sent.contains("mechanism=\"PLAIN\""),
        "{sent}"
    );
    assert!(
        sent.contains("\\0alice\\0alice-pw") || sent.contains("\\u{0}alice\\u{0}alice-pw"),
        "{sent}"
    );

    // The same address now reaches the real server: SCRAM, remembered for this account.
    *mode.lock().unwrap() = Hostile::Relay(server.c2s_port());
    engine.reconnect(acc.id).await.unwrap();
    wait_online(&engine, &mut rx, acc.id).await;

    // Someone intercepts it and offers only PLAIN; consent is still given: refused as a
    // downgrade, and the password is not sent again.
    let before = seen.lock().unwrap().auth.len();
    *mode.lock().unwrap() = Hostile::PlainOnly;
    engine.reconnect(acc.id).await.unwrap();
    let (code, words) = wait_error(&engine, &mut rx, acc.id).await;
    assert_eq!(code, ErrorCode::LoginTampered, "{words}");
    assert!(words.contains("intercepting"), "{words}");
    assert_eq!(
        seen.lock().unwrap().auth.len(),
        before,
        "no PLAIN after SCRAM was seen"
    );

    // Someone answers with a forged SCRAM signature: the session is refused.
    *mode.lock().unwrap() = Hostile::ForgedSignature;
    engine.reconnect(acc.id).await.unwrap();
    let (code, words) = wait_error(&engine, &mut rx, acc.id).await;
    assert_eq!(code, ErrorCode::LoginTampered, "{words}");
    assert!(words.contains("could not prove"), "{words}");
    let auth = seen.lock().unwrap().auth.last().cloned().unwrap();
    // On TLS 1.3 with no -PLUS offered, the GS2 flag says we could have bound (RFC 5802).
    assert!(
        auth.contains("SCRAM-SHA-1") && auth.contains("\"y,,n=alice,r="),
        "{auth}"
    );

    // The user points the account at another server: what this one taught is forgotten,
    // and with consent PLAIN goes to that one.
    let (other, other_seen) = hostile(&server, Arc::new(Mutex::new(Hostile::PlainOnly))).await;
    engine
        .update_account(acc.id, to_hostile(other, None))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while other_seen.lock().unwrap().auth.is_empty() {
        assert!(
            Instant::now() < deadline,
            "PLAIN was not sent to the new server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    engine.shutdown().await;
}
