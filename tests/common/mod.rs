//! Shared test helpers: a real SQLite file in a temp dir, with real migrations, and an app whose
//! clock the test sets.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use jarvis::app::{App, Clock, FixedClock};
use jarvis::domain::item::ItemChanges;
use jarvis::domain::text::ItemName;
use jarvis::domain::workspace::WorkspaceId;
use jarvis::store::Store;
use rust_decimal::Decimal;
use tempfile::TempDir;

pub struct TestDb {
    pub dir: TempDir,
    pub url: String,
    pub store: Store,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("jarvis.db").display());
        let store = Store::open(&url).await.expect("open store");
        TestDb { dir, url, store }
    }

    /// The app as seen at `now` (RFC 3339).
    pub fn app_at(&self, now: &str) -> App {
        let now: DateTime<Utc> = now.parse().expect("RFC 3339 instant");
        App::new(self.store.clone(), Arc::new(FixedClock(now)))
    }
}

pub fn ws(id: &str) -> WorkspaceId {
    WorkspaceId::parse(id).unwrap()
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Changes naming an item with a cost.
pub fn named(name: &str, cost: &str) -> ItemChanges {
    ItemChanges { name: Some(ItemName::parse(name).unwrap()), cost: Some(dec(cost)), ..Default::default() }
}

/// A clock the test moves.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A fixed instant (RFC 3339).
    pub fn at(now: &str) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(now.parse().unwrap())))
    }

    /// The real time (certificates made for a test are dated from it).
    pub fn now() -> ManualClock {
        ManualClock(Arc::new(Mutex::new(Utc::now())))
    }

    pub fn set(&self, now: &str) {
        *self.0.lock().unwrap() = now.parse().unwrap();
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}
