//! Answers to the read routes that work a whole workspace out (dashboard, analysis, trends,
//! renewals, alerts, budgets, lists), kept as their JSON bytes so that a busy dashboard is worked
//! out about once a second rather than once per request.
//!
//! An answer is served again while nothing was written through this process (the app's
//! `answer_version`, which every committed ledger change moves, the API's, the bot's, its
//! scheduler's, and every site check and registry lookup recorded) and it is less
//! than [`FRESH`] old. Older, it is still served while one request works the next one out (up to
//! [`STALE`]), so a thousand requests a second do not queue behind that work. A write through
//! this process is never missed: the next request works the answer out again, and requests
//! arriving meanwhile wait for it rather than doing the same work. What is written elsewhere (the
//! command line, another instance) shows within about a second.
//!
//! Tokens recognised are kept the same way ([`Tokens`]), so a request reads no token row either.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use axum::body::Bytes;

use super::problem::Problem;
use crate::app::{App, AppError, TokenAuth};
use crate::domain::workspace::{Language, WorkspaceId};

/// How long an answer is served without looking again.
pub const FRESH: Duration = Duration::from_secs(1);
/// How long an older answer may still be served while the next one is worked out.
pub const STALE: Duration = Duration::from_secs(10);
/// Answers kept at most (least recently made dropped first).
const HELD: usize = 512;
/// Bytes of answers kept at most (least recently made dropped first).
const HELD_BYTES: usize = 128 * 1024 * 1024;

/// Marks a slot as being refreshed while it lives.
struct Refreshing<'a>(&'a AtomicBool);

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A request's answer: its workspace, path and query, and the language asked for (none: the
/// workspace's own, a setting whose change moves the change count).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Key {
    pub workspace: WorkspaceId,
    pub target: String,
    pub language: Option<Language>,
}

#[derive(Default)]
pub struct Answers {
    slots: Mutex<HashMap<Key, Arc<Slot>>>,
    /// The query parameters the routes read (the others do not make another answer).
    parameters: std::collections::BTreeSet<String>,
}

#[derive(Default)]
struct Slot {
    /// Held while the answer is worked out, so that it is worked out once.
    turn: tokio::sync::Mutex<()>,
    held: Mutex<Option<Held>>,
    /// One request is working out the next answer while the others take this one.
    refreshing: AtomicBool,
}

#[derive(Clone)]
struct Held {
    body: Bytes,
    made: Instant,
    /// The change count the answer was worked out at (read before it was).
    changes: u64,
}

impl Slot {
    fn held(&self) -> Option<Held> {
        self.held.lock().expect("the answer lock is never poisoned").clone()
    }
}

/// Whether something made at `made` when the version was `at` is still current at `now`.
fn current(made: Instant, at: u64, now: u64) -> bool {
    at == now && made.elapsed() < FRESH
}

impl Answers {
    pub fn new(parameters: std::collections::BTreeSet<String>) -> Answers {
        Answers { parameters, ..Answers::default() }
    }

    /// The key of a request for `uri` in `workspace`: its path and the parameters the routes
    /// read, in one order (another spelling of the same request is the same answer; a
    /// parameter no route reads makes no other).
    pub fn key(&self, workspace: &WorkspaceId, uri: &axum::http::Uri, language: Option<Language>) -> Key {
        let mut parameters: Vec<(String, String)> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .filter(|(name, _)| name != "lang" && self.parameters.contains(name))
            .collect();
        // The last of a repeated one counts, as the routes read them.
        parameters.reverse();
        parameters.sort_by(|a, b| a.0.cmp(&b.0));
        parameters.dedup_by(|a, b| a.0 == b.0);
        let start = format!("{}?", uri.path());
        let target =
            url::form_urlencoded::Serializer::for_suffix(start.clone(), start.len()).extend_pairs(parameters).finish();
        Key { workspace: workspace.clone(), target, language }
    }

    fn slot(&self, key: &Key) -> Arc<Slot> {
        let mut slots = self.slots.lock().expect("the answers lock is never poisoned");
        if let Some(slot) = slots.get(key) {
            return Arc::clone(slot);
        }
        if slots.len() >= HELD {
            // The answer made longest ago goes (one being worked out counts as new).
            let oldest = slots
                .iter()
                .min_by_key(|(_, slot)| slot.held().map_or_else(Instant::now, |h| h.made))
                .map(|(key, _)| key.clone())
                .expect("full, so not empty");
            slots.remove(&oldest);
        }
        Arc::clone(slots.entry(key.clone()).or_default())
    }

    /// Drops the answers made longest ago until those kept take at most [`HELD_BYTES`].
    fn trim(&self) {
        let mut slots = self.slots.lock().expect("the answers lock is never poisoned");
        let mut made: Vec<(Instant, usize, Key)> =
            slots.iter().filter_map(|(key, slot)| slot.held().map(|h| (h.made, h.body.len(), key.clone()))).collect();
        let mut bytes: usize = made.iter().map(|(_, len, _)| len).sum();
        made.sort_by_key(|(at, _, _)| *at);
        for (_, len, key) in made {
            if bytes <= HELD_BYTES {
                break;
            }
            slots.remove(&key);
            bytes -= len;
        }
    }

    /// The answer to `key`: kept, or worked out by `make` (see the module's description);
    /// `changes` reads the change count.
    pub async fn get<F, Fut>(&self, key: &Key, changes: impl Fn() -> u64, make: F) -> Result<Bytes, Problem>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Bytes, Problem>>,
    {
        let slot = self.slot(key);
        let (arrived, wanted) = (Instant::now(), changes());
        let mut _refreshing = None;
        if let Some(held) = slot.held().filter(|held| held.changes == wanted) {
            if current(held.made, held.changes, wanted) {
                return Ok(held.body);
            }
            // Older: this request works the next one out, unless another does already.
            if held.made.elapsed() < STALE {
                if slot.refreshing.swap(true, Ordering::AcqRel) {
                    return Ok(held.body);
                }
                // Cleared however this request ends (answered, failed, or dropped midway).
                _refreshing = Some(Refreshing(&slot.refreshing));
            }
        }
        let _turn = slot.turn.lock().await;
        // Another request may have worked it out while this one waited for its turn: taken if it
        // holds every write this request could know of (those before it arrived).
        if let Some(held) =
            slot.held().filter(|h| h.changes >= wanted && (h.made >= arrived || h.made.elapsed() < FRESH))
        {
            return Ok(held.body);
        }
        // Timed from before the ledger is read, so an answer is never taken as newer than it is.
        let (changes, made) = (changes(), Instant::now());
        let body = make().await?;
        *slot.held.lock().expect("the answer lock is never poisoned") =
            Some(Held { body: body.clone(), made, changes });
        self.trim();
        Ok(body)
    }
}

/// Tokens recognised a moment ago, by their SHA-256 (never the token itself), so that a request
/// does not read the token's row again: kept as the answers are, until this process writes (a
/// revocation here is seen by the very next request) or for [`FRESH`] (a revocation made
/// elsewhere is seen within it). Unknown tokens are not kept.
#[derive(Default)]
pub struct Tokens {
    known: Mutex<HashMap<String, (TokenAuth, Instant, u64)>>,
}

/// Tokens kept at most; past it the list starts again.
const TOKENS_HELD: usize = 1024;

impl Tokens {
    pub async fn authenticate(&self, app: &App, token: &str) -> Result<Option<TokenAuth>, AppError> {
        let hash = crate::app::sha256_hex(&[token.as_bytes()]);
        let changes = app.answer_version();
        let kept = self.known.lock().expect("the tokens lock is never poisoned").get(&hash).cloned();
        if let Some((auth, made, at)) = kept
            && current(made, at, changes)
        {
            return Ok(Some(auth));
        }
        // Timed from before the token's row is read.
        let checked = Instant::now();
        let found = app.authenticate(token).await?;
        let mut known = self.known.lock().expect("the tokens lock is never poisoned");
        match &found {
            Some(auth) => {
                if known.len() >= TOKENS_HELD {
                    known.clear();
                }
                known.insert(hash, (auth.clone(), checked, changes));
            }
            None => {
                known.remove(&hash);
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, AtomicUsize};

    fn key() -> Key {
        Key { workspace: WorkspaceId::parse("1").unwrap(), target: "/api/cost/dashboard".into(), language: None }
    }

    #[tokio::test]
    async fn kept_until_a_change_then_worked_out_once_for_concurrent_requests() {
        let answers = Answers::default();
        let (changes, made) = (AtomicU64::new(0), AtomicUsize::new(0));
        let make = || async {
            made.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(Bytes::from(format!("answer {}", made.load(Ordering::SeqCst))))
        };
        let count = || changes.load(Ordering::SeqCst);
        assert_eq!(answers.get(&key(), count, make).await.unwrap(), "answer 1");
        assert_eq!(answers.get(&key(), count, make).await.unwrap(), "answer 1");
        assert_eq!(made.load(Ordering::SeqCst), 1);
        // A write: never served the old answer again; ten requests at once work it out once.
        changes.fetch_add(1, Ordering::SeqCst);
        let key = key();
        let all = futures_util::future::join_all((0..10).map(|_| answers.get(&key, count, make))).await;
        assert!(all.iter().all(|a| a.as_ref().unwrap() == "answer 2"), "{all:?}");
        assert_eq!(made.load(Ordering::SeqCst), 2);
        // Another language or workspace is another answer.
        let thai = Key { language: Some(Language::Thai), ..key };
        assert_eq!(answers.get(&thai, count, make).await.unwrap(), "answer 3");
    }

    #[tokio::test(start_paused = true)]
    async fn an_older_answer_is_served_while_one_request_works_out_the_next() {
        let answers = Arc::new(Answers::default());
        let made = Arc::new(AtomicUsize::new(0));
        let make = |made: Arc<AtomicUsize>| async move {
            let n = made.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(Bytes::from(format!("answer {n}")))
        };
        assert_eq!(answers.get(&key(), || 0, || make(made.clone())).await.unwrap(), "answer 1");
        tokio::time::advance(FRESH + Duration::from_millis(1)).await;
        // One request works the next answer out; one arriving meanwhile gets the older at once.
        let refresher = tokio::spawn({
            let (answers, made) = (Arc::clone(&answers), made.clone());
            async move { answers.get(&key(), || 0, || make(made)).await.unwrap() }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let started = Instant::now();
        assert_eq!(answers.get(&key(), || 0, || make(made.clone())).await.unwrap(), "answer 1");
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(refresher.await.unwrap(), "answer 2");
        assert_eq!(answers.get(&key(), || 0, || make(made.clone())).await.unwrap(), "answer 2");
        // Too old to serve at all: worked out before answering.
        tokio::time::advance(STALE).await;
        assert_eq!(answers.get(&key(), || 0, || make(made.clone())).await.unwrap(), "answer 3");
        assert_eq!(made.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_request_is_kept_by_the_parameters_routes_read() {
        let answers = Answers::new(["days", "page"].map(String::from).into());
        let key = |uri: &str| answers.key(&WorkspaceId::parse("1").unwrap(), &uri.parse().unwrap(), None).target;
        assert_eq!(key("/api/cost/dashboard?days=3&x=1&days=5&lang=th"), key("/api/cost/dashboard?days=5"));
        assert_eq!(key("/api/cost/dashboard?page=2&days=5"), key("/api/cost/dashboard?days=5&page=2"));
        assert_ne!(key("/api/cost/dashboard?days=5"), key("/api/cost/dashboard?days=6"));
    }

    #[tokio::test]
    async fn a_failure_is_not_kept() {
        let answers = Answers::default();
        let failed = answers.get(&key(), || 0, || async { Err(Problem::not_found("gone")) }).await;
        assert_eq!(failed.unwrap_err().status, 404);
        let body = answers.get(&key(), || 0, || async { Ok(Bytes::from("fine")) }).await.unwrap();
        assert_eq!(body, "fine");
    }
}
