//! A SOCKS5 or HTTP CONNECT proxy on loopback for tests: pproxy (PyPI, an implementation we
//! did not write) run from the harness's Python, its log read to see which connections went
//! through it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{python, HarnessError};

/// A running pproxy server on 127.0.0.1 (killed when dropped).
pub struct SocksProxy {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    _child: Child,
}

impl SocksProxy {
    /// Starts pproxy on a free loopback port; with `credentials`, it asks for that user name
    /// and password (RFC 1929).
    ///
    /// Errors: [`HarnessError`] when pproxy cannot start or does not say it serves in 20 s.
    pub async fn start(credentials: Option<(&str, &str)>) -> Result<Self, HarnessError> {
        Self::start_as("socks5", credentials).await
    }

    /// Like [`Self::start`], an HTTP proxy answering `CONNECT` (RFC 9110 §9.3.6); with
    /// `credentials`, it asks for them as Basic `Proxy-Authorization`.
    ///
    /// Errors: as [`Self::start`].
    pub async fn start_http(credentials: Option<(&str, &str)>) -> Result<Self, HarnessError> {
        Self::start_as("http", credentials).await
    }

    async fn start_as(
        scheme: &str,
        credentials: Option<(&str, &str)>,
    ) -> Result<Self, HarnessError> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut listen = format!("{scheme}://127.0.0.1:{port}");
        if let Some((user, pass)) = credentials {
            listen.push_str(&format!("#{user}:{pass}"));
        }
        let py = python();
        let mut child = Command::new(&py)
            .args(["-m", "pproxy", "-l", &listen, "-v"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| HarnessError::Spawn(format!("{} -m pproxy: {e}", py.display())))?;
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
        for out in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = log.clone();
            let ready = ready_tx.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(out).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.contains("Serving on") {
                        let _ = ready.send(());
                    }
                    if let Ok(mut log) = log.lock() {
                        log.push(line);
                    }
                }
            });
        }
        match tokio::time::timeout(Duration::from_secs(20), ready_rx.recv()).await {
            Ok(Some(())) => Ok(Self {
                port,
                log,
                _child: child,
            }),
            _ => Err(HarnessError::Harness(format!(
                "pproxy did not start: {:?}",
                log.lock().map(|l| l.clone()).unwrap_or_default()
            ))),
        }
    }

    /// The URL to give a client, e.g. `socks5h://127.0.0.1:PORT`.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Whether a connection to `target` (`host:port`) went through it.
    pub fn relayed_to(&self, target: &str) -> bool {
        let end = format!("-> {target}");
        self.connections().iter().any(|c| c.ends_with(&end))
    }

    /// The connections made through it, as pproxy logs them (`socks5 FROM -> TO`).
    pub fn connections(&self) -> Vec<String> {
        self.log
            .lock()
            .map(|l| l.iter().filter(|x| x.contains(" -> ")).cloned().collect())
            .unwrap_or_default()
    }
}
