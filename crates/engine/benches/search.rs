//! Benchmark (not a test): full-text search (SQLite FTS5) over 1,000,000 stored messages.
//! Prints how long storing them took (with the index kept by triggers), the index's size,
//! and query latency (p50 / p95 / max over many queries of several kinds, all
//! conversations and one conversation).
//!
//! Run: `cargo bench -p linnet-engine --bench search`. `LINNET_SEARCH_MESSAGES=<n>` changes
//! the count; the database is kept in `LINNET_SEARCH_DB` (default
//! `~/.cache/linnet-bench/search-<n>.sqlite`) and reused by later runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::time::Instant;

use linnet_engine::store::{NewMessage, RowIds};
use linnet_engine::{MessageState, Store, StoreOptions};

/// A small deterministic generator (xorshift64*), so every run builds the same history.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap()
    }
    /// Skewed towards small indexes (like word frequencies in speech).
    fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n);
        let b = self.below(n);
        a.min(b).min(self.below(n))
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pen", "dor", "gal", "ith", "mor", "que",
    "zan", "bel", "cor", "fin", "hal", "jus",
];

/// 20,000 made-up words of 2 to 4 syllables.
fn vocabulary() -> Vec<String> {
    let mut rng = Rng(7);
    let mut words = std::collections::BTreeSet::new();
    while words.len() < 20_000 {
        let n = 2 + rng.below(3);
        let w: String = (0..n)
            .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
            .collect();
        words.insert(w);
    }
    let mut words: Vec<String> = words.into_iter().collect();
    // Shuffle so that frequency does not follow alphabetical order.
    for i in (1..words.len()).rev() {
        words.swap(i, rng.below(i + 1));
    }
    words
}

fn sentence(rng: &mut Rng, words: &[String]) -> String {
    let n = 3 + rng.below(18);
    let picked: Vec<&str> = (0..n)
        .map(|_| words[rng.skewed(words.len())].as_str())
        .collect();
    picked.join(" ")
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    let i = ((sorted_ms.len() as f64 - 1.0) * p).round() as usize;
    sorted_ms[i]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: usize = std::env::var("LINNET_SEARCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let path = std::env::var_os("LINNET_SEARCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map(PathBuf::from).unwrap();
            home.join(".cache/linnet-bench")
                .join(format!("search-{count}.sqlite"))
        });
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let store = Store::open(&StoreOptions {
        path: Some(path.clone()),
        key: None,
    })
    .await
    .unwrap();
    let words = vocabulary();
    let peers: Vec<String> = (0..100)
        .map(|i| format!("contact{i}@example.org"))
        .collect();
    let account = match store.accounts().await.unwrap().into_iter().next() {
        Some(a) => a.id,
        None => {
            store
                .insert_account("me@example.org", None, None, None, false)
                .await
                .unwrap()
                .id
        }
    };
    let mut stored = 0usize;
    for peer in &peers {
        stored += usize::try_from(store.count_messages(account, peer).await.unwrap()).unwrap();
    }
    if stored < count {
        println!(
            "storing {} messages into {} …",
            count - stored,
            path.display()
        );
        let mut rng = Rng(42 + stored as u64);
        let started = Instant::now();
        let base_at = 1_600_000_000_000i64;
        while stored < count {
            let n = (count - stored).min(5_000);
            let rows: Vec<(String, String, bool)> = (0..n)
                .map(|_| {
                    let peer = peers[rng.below(peers.len())].clone();
                    (peer, sentence(&mut rng, &words), rng.below(3) == 0)
                })
                .collect();
            let page: Vec<NewMessage<'_>> = rows
                .iter()
                .enumerate()
                .map(|(i, (peer, body, outgoing))| NewMessage {
                    account_id: account,
                    peer,
                    outgoing: *outgoing,
                    body,
                    encryption: "none",
                    omemo_device: None,
                    stanza_id: None,
                    origin_id: None,
                    message_id: None,
                    at: base_at + ((stored + i) as i64) * 1000,
                    state: if *outgoing {
                        MessageState::Sent
                    } else {
                        MessageState::Received
                    },
                    read: true,
                    markable: false,
                    groupchat: false,
                    sender: None,
                    occupant_id: None,
                    reply: None,
                    amend: None,
                    file: None,
                    image: None,
                })
                .collect();
            store
                .store_page(account, &page, None, RowIds::Next)
                .await
                .unwrap();
            stored += n;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "stored in {secs:.1} s ({:.0} messages/s, index kept by triggers)",
            (count as f64) / secs
        );
    }
    let index_bytes = store.search_index_bytes().await.unwrap();
    let file_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "{count} messages; search index {:.1} MiB of a {:.1} MiB database",
        index_bytes as f64 / 1_048_576.0,
        file_bytes as f64 / 1_048_576.0
    );

    // Queries as people type them: a common word, a rare word, two words, a 3-letter prefix,
    // over everything and within one conversation.
    let mut rng = Rng(99);
    let kinds = [
        "common word",
        "rare word",
        "two words",
        "prefix",
        "in one conversation",
    ];
    let mut all: Vec<f64> = Vec::new();
    for kind in kinds {
        let mut times: Vec<f64> = Vec::new();
        let mut found = 0usize;
        for _ in 0..200 {
            let query = match kind {
                "common word" => words[rng.skewed(50)].clone(),
                "rare word" => words[5_000 + rng.below(15_000)].clone(),
                "two words" => {
                    let a = words[rng.skewed(2_000)].clone();
                    format!("{a} {}", words[rng.skewed(2_000)])
                }
                "prefix" => words[rng.skewed(5_000)].chars().take(3).collect(),
                _ => words[rng.skewed(1_000)].clone(),
            };
            let peer =
                (kind == "in one conversation").then(|| peers[rng.below(peers.len())].clone());
            let scope = peer.as_deref();
            let account = scope.map(|_| account);
            let t = Instant::now();
            let hits = store.search(account, scope, &query, 50).await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            found += hits.len();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{kind:>20}: p50 {:6.2} ms  p95 {:6.2} ms  max {:6.2} ms  ({:.1} hits per query, limit 50)",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times[times.len() - 1],
            found as f64 / 200.0
        );
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "{:>20}: p50 {:6.2} ms  p95 {:6.2} ms  max {:6.2} ms",
        "all queries",
        percentile(&all, 0.5),
        percentile(&all, 0.95),
        all[all.len() - 1]
    );
    store.close().await;
}
