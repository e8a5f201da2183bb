//! Test support for Linnet's integration tests: a throwaway Prosody and scripted slixmpp peers,
//! both run by the Python package in `tests/harness` and driven over JSON lines on
//! stdin/stdout. Dropping a [`Server`] or [`Peer`] closes its stdin, which makes the Python side
//! stop Prosody (or log out) and clean up; the child is also killed on drop.
//!
//! Python comes from `LINNET_PYTHON`, else `<workspace>/.venv/bin/python` (made by
//! `scripts/test.sh`). When it is missing, [`Server::start`] fails with that reason: tests that
//! need the server never skip silently.

pub mod dns;
pub mod federation;
pub mod proxy;
pub mod socks;

pub use dns::DnsServer;
pub use federation::Federation;
pub use proxy::FaultProxy;
pub use socks::SocksProxy;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Errors from the harness.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The Python interpreter or the harness could not be started.
    #[error("cannot start the test harness ({0}); run scripts/test.sh once to create .venv")]
    Spawn(String),
    /// The harness reported an error.
    #[error("harness error: {0}")]
    Harness(String),
    /// No answer in time.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
    /// I/O with the child failed.
    #[error("harness I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// The checkout the tests run from: the nearest directory holding `tests/harness` above the
/// manifest of the crate under test (`cargo test` sets `CARGO_MANIFEST_DIR` at run time), so
/// a build reused from another checkout through a shared target directory still drives this
/// checkout's harness; else the checkout this crate was built in.
fn workspace_root() -> PathBuf {
    let built_in = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..");
    let Some(start) = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from) else {
        return built_in;
    };
    let found = start
        .ancestors()
        .find(|dir| dir.join("tests").join("harness").is_dir())
        .map(PathBuf::from);
    found.unwrap_or(built_in)
}

fn python() -> PathBuf {
    std::env::var_os("LINNET_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv").join("bin").join("python"))
}

/// A child process speaking JSON lines.
struct JsonChild {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    next_id: u64,
    /// Events read while waiting for a reply, kept for `next_event`.
    backlog: std::collections::VecDeque<Value>,
    what: String,
}

impl JsonChild {
    fn spawn(module: &str, args: &[String], what: &str) -> Result<Self, HarnessError> {
        let py = python();
        let mut child = Command::new(&py)
            .arg("-m")
            .arg(module)
            .args(args)
            .current_dir(workspace_root().join("tests").join("harness"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| HarnessError::Spawn(format!("{}: {e}", py.display())))?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| HarnessError::Spawn("no stdout".into()))?;
        Ok(Self {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
            next_id: 1,
            backlog: Default::default(),
            what: what.to_owned(),
        })
    }

    async fn read(&mut self, timeout: Duration, waiting_for: &str) -> Result<Value, HarnessError> {
        let line = tokio::time::timeout(timeout, self.lines.next_line())
            .await
            .map_err(|_| {
                HarnessError::Timeout(timeout, format!("{waiting_for} from {}", self.what))
            })??
            .ok_or_else(|| {
                HarnessError::Harness(format!(
                    "{} exited while we waited for {waiting_for}",
                    self.what
                ))
            })?;
        serde_json::from_str(&line)
            .map_err(|e| HarnessError::Harness(format!("bad line from {}: {e}: {line}", self.what)))
    }

    async fn request(&mut self, mut cmd: Value, timeout: Duration) -> Result<Value, HarnessError> {
        let id = self.next_id;
        self.next_id += 1;
        cmd["id"] = json!(id);
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| HarnessError::Harness("stdin closed".into()))?;
        stdin.write_all(format!("{cmd}\n").as_bytes()).await?;
        stdin.flush().await?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let value = self.read(left, &format!("reply to {}", cmd["cmd"])).await?;
            if value.get("id") == Some(&json!(id)) {
                return if value["ok"] == json!(true) {
                    Ok(value)
                } else {
                    Err(HarnessError::Harness(
                        value["error"]
                            .as_str()
                            .unwrap_or("unknown error")
                            .to_owned(),
                    ))
                };
            }
            self.backlog.push_back(value);
        }
    }

    async fn next_event(&mut self, timeout: Duration) -> Result<Value, HarnessError> {
        if let Some(v) = self.backlog.pop_front() {
            return Ok(v);
        }
        self.read(timeout, "an event").await
    }

    async fn close(&mut self) {
        drop(self.stdin.take());
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// A running throwaway Prosody on loopback.
pub struct Server {
    proc: JsonChild,
    /// The ready line: domain, host, c2s_port, tls_port, http_port, muc, upload, ca_cert, ...
    pub info: Value,
}

impl Server {
    /// Starts Prosody with the test CA's certificate.
    pub async fn start() -> Result<Self, HarnessError> {
        Self::start_with(&[]).await
    }

    /// Starts Prosody with extra harness flags (e.g. `--rogue-cert`, `--eatmydata`).
    pub async fn start_with(flags: &[&str]) -> Result<Self, HarnessError> {
        let args: Vec<String> = flags.iter().map(|s| (*s).to_owned()).collect();
        let mut proc = JsonChild::spawn("linnet_harness.server", &args, "the Prosody harness")?;
        let info = proc
            .read(Duration::from_secs(40), "Prosody to start")
            .await?;
        if info["event"] != json!("ready") {
            return Err(HarnessError::Harness(format!(
                "Prosody did not start: {info}"
            )));
        }
        Ok(Self { proc, info })
    }

    /// XMPP domain (`localhost`).
    pub fn domain(&self) -> String {
        self.info["domain"]
            .as_str()
            .unwrap_or("localhost")
            .to_owned()
    }
    /// Loopback address Prosody listens on.
    pub fn host(&self) -> String {
        self.info["host"].as_str().unwrap_or("127.0.0.1").to_owned()
    }
    /// STARTTLS client port.
    pub fn c2s_port(&self) -> u16 {
        self.info["c2s_port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(0)
    }
    /// Direct TLS (XEP-0368) client port.
    pub fn tls_port(&self) -> u16 {
        self.info["tls_port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(0)
    }
    /// Path of the test CA certificate (PEM).
    pub fn ca_cert(&self) -> PathBuf {
        PathBuf::from(self.info["ca_cert"].as_str().unwrap_or_default())
    }
    /// SHA-256 of the served leaf certificate (hex).
    pub fn cert_sha256(&self) -> String {
        self.info["cert_sha256"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
    /// Prosody's process id.
    pub fn pid(&self) -> u32 {
        self.info["pid"]
            .as_u64()
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0)
    }

    /// Creates an account `user@domain`.
    pub async fn register(&mut self, user: &str, password: &str) -> Result<String, HarnessError> {
        self.proc
            .request(
                json!({"cmd": "register", "user": user, "password": password}),
                Duration::from_secs(20),
            )
            .await?;
        Ok(format!("{user}@{}", self.domain()))
    }

    /// Runs one line in Prosody's admin shell (mod_admin_shell; a line starting with `>` is
    /// Lua run inside the server) and returns its output.
    ///
    /// Errors: [`HarnessError`] when the shell reports an error or the harness is gone.
    pub async fn shell(&mut self, line: &str) -> Result<String, HarnessError> {
        let reply = self
            .proc
            .request(
                json!({"cmd": "shell", "line": line}),
                Duration::from_secs(20),
            )
            .await?;
        Ok(reply["output"].as_str().unwrap_or_default().to_owned())
    }

    /// Stops Prosody, keeping its data and ports.
    pub async fn stop(&mut self) -> Result<(), HarnessError> {
        self.proc
            .request(json!({"cmd": "stop"}), Duration::from_secs(20))
            .await
            .map(drop)
    }

    /// Starts Prosody again after [`Self::stop`].
    pub async fn restart(&mut self) -> Result<(), HarnessError> {
        self.proc
            .request(json!({"cmd": "start"}), Duration::from_secs(40))
            .await
            .map(drop)
    }

    /// Stops Prosody and deletes its files; waits for the harness to exit.
    pub async fn shutdown(mut self) {
        let _ = self
            .proc
            .request(json!({"cmd": "shutdown"}), Duration::from_secs(20))
            .await;
        self.proc.close().await;
    }

    /// Starts a scripted slixmpp peer logged in as `user@domain`.
    pub async fn peer(
        &self,
        user: &str,
        password: &str,
        auto_accept: bool,
    ) -> Result<Peer, HarnessError> {
        self.peer_with_resource(user, password, auto_accept, None)
            .await
    }

    /// Like [`Self::peer`], binding the given resource.
    pub async fn peer_with_resource(
        &self,
        user: &str,
        password: &str,
        auto_accept: bool,
        resource: Option<&str>,
    ) -> Result<Peer, HarnessError> {
        let mut flags = Vec::new();
        if auto_accept {
            flags.push("--auto-accept");
        }
        if let Some(r) = resource {
            flags.extend(["--resource", r]);
        }
        self.peer_with_flags(user, password, &flags).await
    }

    /// A peer started with these extra command-line flags (`--auto-accept`, `--omemo`, …;
    /// see `tests/harness/linnet_harness/peer.py`).
    pub async fn peer_with_flags(
        &self,
        user: &str,
        password: &str,
        flags: &[&str],
    ) -> Result<Peer, HarnessError> {
        let mut args = vec![
            "--jid".to_owned(),
            format!("{user}@{}", self.domain()),
            "--password".to_owned(),
            password.to_owned(),
            "--host".to_owned(),
            self.host(),
            "--port".to_owned(),
            self.c2s_port().to_string(),
            "--ca".to_owned(),
            self.ca_cert().display().to_string(),
        ];
        args.extend(flags.iter().map(|f| (*f).to_owned()));
        let mut proc = JsonChild::spawn("linnet_harness.peer", &args, &format!("peer {user}"))?;
        let online = proc
            .read(Duration::from_secs(30), "the peer to log in")
            .await?;
        if online["event"] != json!("online") {
            return Err(HarnessError::Harness(format!(
                "peer {user} did not log in: {online}"
            )));
        }
        let jid = online["jid"].as_str().unwrap_or_default().to_owned();
        Ok(Peer { proc, jid })
    }
}

/// A scripted slixmpp peer (an independent XMPP implementation).
pub struct Peer {
    proc: JsonChild,
    /// Full JID the peer is bound to.
    pub jid: String,
}

impl Peer {
    /// Bare JID.
    pub fn bare(&self) -> String {
        self.jid.split('/').next().unwrap_or_default().to_owned()
    }

    /// Sends a chat message; returns the stanza id used.
    pub async fn send(&mut self, to: &str, body: &str) -> Result<String, HarnessError> {
        let reply = self.proc.request(json!({"cmd": "send", "to": to, "body": body, "type": "chat", "request_receipt": true}), Duration::from_secs(10)).await?;
        Ok(reply["msg_id"].as_str().unwrap_or_default().to_owned())
    }

    /// Sends `count` messages `{prefix}{i}` as fast as possible.
    pub async fn burst(&mut self, to: &str, count: u32, prefix: &str) -> Result<(), HarnessError> {
        self.proc
            .request(
                json!({"cmd": "burst", "to": to, "count": count, "prefix": prefix}),
                Duration::from_secs(600),
            )
            .await
            .map(drop)
    }

    /// Any other command (`subscribe`, `approve`, `deny`, `unsubscribe`, `presence`, `roster`).
    pub async fn command(&mut self, cmd: Value) -> Result<Value, HarnessError> {
        self.proc.request(cmd, Duration::from_secs(10)).await
    }

    /// A command that may take long (e.g. `omemo_burst`, which encrypts every message
    /// first), waiting up to `timeout` for its reply.
    pub async fn command_with_timeout(
        &mut self,
        cmd: Value,
        timeout: Duration,
    ) -> Result<Value, HarnessError> {
        self.proc.request(cmd, timeout).await
    }

    /// Waits for the first event matching `pred`, discarding others.
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Result<Value, HarnessError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(HarnessError::Timeout(timeout, what.to_owned()));
            }
            match self.proc.next_event(left).await {
                Ok(ev) if pred(&ev) => return Ok(ev),
                Ok(_) => continue,
                Err(HarnessError::Timeout(..)) => {
                    return Err(HarnessError::Timeout(timeout, what.to_owned()))
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Every event matching `pred` that arrives within `window` (for counting: "exactly once").
    pub async fn collect(&mut self, window: Duration, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + window;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return seen;
            }
            match self.proc.next_event(left).await {
                Ok(ev) if pred(&ev) => seen.push(ev),
                Ok(_) => {}
                Err(_) => return seen,
            }
        }
    }

    /// Logs out and waits for the process to end.
    pub async fn close(mut self) {
        self.proc.close().await;
    }
}

/// Whether a process with this pid still exists (Linux `/proc`).
pub fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
}
