//! Monitored sites, their checks, and domain lookups (RDAP), per workspace.

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use super::{Result, Tx, exactly_one, parse_timestamp, timestamp};
use crate::domain::site::{DomainLookup, Probe, Site, SiteState, Streak, Uptime};
use crate::domain::workspace::WorkspaceId;

macro_rules! select_sites {
    ($rest:literal) => {
        concat!(
            "SELECT id, workspace_id, url, keyword, interval_minutes, state, state_since, failures, successes,
                    last_checked_at, last_probe, last_tls, created_at FROM sites ",
            $rest
        )
    };
}

fn read_site(row: &SqliteRow) -> anyhow::Result<(WorkspaceId, Site)> {
    let id: i64 = row.try_get("id")?;
    let read = || -> anyhow::Result<(WorkspaceId, Site)> {
        let optional_time = |column: &str| -> anyhow::Result<Option<DateTime<Utc>>> {
            row.try_get::<Option<&str>, _>(column)?.map(parse_timestamp).transpose()
        };
        Ok((
            WorkspaceId::parse(row.try_get("workspace_id")?)?,
            Site {
                id,
                url: row.try_get("url")?,
                keyword: row.try_get("keyword")?,
                interval_minutes: row.try_get::<i64, _>("interval_minutes")?.try_into()?,
                streak: Streak {
                    state: row.try_get::<&str, _>("state")?.parse::<SiteState>()?,
                    failures: row.try_get::<i64, _>("failures")?.try_into()?,
                    successes: row.try_get::<i64, _>("successes")?.try_into()?,
                },
                state_since: optional_time("state_since")?,
                last_checked_at: optional_time("last_checked_at")?,
                last_probe: row.try_get::<Option<&str>, _>("last_probe")?.map(serde_json::from_str).transpose()?,
                last_tls: row.try_get::<Option<&str>, _>("last_tls")?.map(serde_json::from_str).transpose()?,
                created_at: parse_timestamp(row.try_get("created_at")?)?,
            },
        ))
    };
    read().with_context(|| format!("site #{id} in the database is damaged"))
}

impl Tx {
    /// The workspace's sites, oldest first.
    pub async fn sites(&mut self, workspace: &WorkspaceId) -> Result<Vec<Site>> {
        let rows = sqlx::query(select_sites!("WHERE workspace_id = ?1 ORDER BY id"))
            .bind(workspace.as_str())
            .fetch_all(&mut *self.tx)
            .await?;
        Ok(rows.iter().map(|row| read_site(row).map(|(_, site)| site)).collect::<anyhow::Result<_>>()?)
    }

    /// Every workspace's sites.
    pub async fn all_sites(&mut self) -> Result<Vec<(WorkspaceId, Site)>> {
        let rows = sqlx::query(select_sites!("ORDER BY id")).fetch_all(&mut *self.tx).await?;
        Ok(rows.iter().map(read_site).collect::<anyhow::Result<_>>()?)
    }

    /// Starts monitoring `url`; its id.
    pub async fn insert_site(
        &mut self,
        workspace: &WorkspaceId,
        url: &str,
        keyword: Option<&str>,
        interval_minutes: u32,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let done = sqlx::query(
            "INSERT INTO sites (workspace_id, url, keyword, interval_minutes, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(workspace.as_str())
        .bind(url)
        .bind(keyword)
        .bind(i64::from(interval_minutes))
        .bind(timestamp(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.last_insert_rowid())
    }

    /// Stores a site read from a backup with its state as it was (the up/down streak, the last
    /// check and certificate; not the checks behind its uptime), and its id when `keep_id` (the
    /// caller checked the id is free); returns its id.
    pub async fn insert_site_from_backup(
        &mut self,
        workspace: &WorkspaceId,
        site: &Site,
        keep_id: bool,
    ) -> Result<i64> {
        let probe =
            site.last_probe.as_ref().map(serde_json::to_string).transpose().context("could not store a check")?;
        let tls =
            site.last_tls.as_ref().map(serde_json::to_string).transpose().context("could not store a certificate")?;
        let done = sqlx::query(
            "INSERT INTO sites (workspace_id, url, keyword, interval_minutes, state, state_since, failures, successes,
                 last_checked_at, last_probe, last_tls, created_at, id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .bind(workspace.as_str())
        .bind(&site.url)
        .bind(site.keyword.as_deref())
        .bind(i64::from(site.interval_minutes))
        .bind(site.streak.state.as_str())
        .bind(site.state_since.map(timestamp))
        .bind(i64::from(site.streak.failures))
        .bind(i64::from(site.streak.successes))
        .bind(site.last_checked_at.map(timestamp))
        .bind(probe)
        .bind(tls)
        .bind(timestamp(site.created_at))
        // NULL lets SQLite give the next id.
        .bind(keep_id.then_some(site.id))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.last_insert_rowid())
    }

    /// Stops monitoring site `id` and forgets its checks; whether it was there.
    pub async fn remove_site(&mut self, workspace: &WorkspaceId, id: i64) -> Result<bool> {
        sqlx::query(
            "DELETE FROM site_checks WHERE site_id = (SELECT id FROM sites WHERE id = ?1 AND workspace_id = ?2)",
        )
        .bind(id)
        .bind(workspace.as_str())
        .execute(&mut *self.tx)
        .await?;
        let done = sqlx::query("DELETE FROM sites WHERE id = ?1 AND workspace_id = ?2")
            .bind(id)
            .bind(workspace.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records one check of site `id`: the check itself (for uptime), and the site's new streak.
    pub async fn record_check(
        &mut self,
        workspace: &WorkspaceId,
        id: i64,
        probe: &Probe,
        streak: Streak,
        state_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO site_checks (workspace_id, site_id, checked_at, ok, status, ttfb_ms) VALUES (?6, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (site_id, checked_at) DO NOTHING",
        )
        .bind(id)
        .bind(timestamp(now))
        .bind(probe.succeeded())
        .bind(probe.status.map(i64::from))
        .bind(probe.ttfb_ms.map(i64::from))
        .bind(workspace.as_str())
        .execute(&mut *self.tx)
        .await?;
        let tls = probe.tls.as_ref().map(serde_json::to_string).transpose().context("could not store a certificate")?;
        let done = sqlx::query(
            "UPDATE sites SET state = ?3, failures = ?4, successes = ?5, state_since = ?6, last_checked_at = ?7,
                 last_probe = ?8,
                 -- a check without a handshake keeps the certificate seen before, unless the site
                 -- answered without one (it is plain http now)
                 last_tls = CASE WHEN ?9 IS NOT NULL THEN ?9 WHEN ?10 THEN NULL ELSE last_tls END
             WHERE id = ?1 AND workspace_id = ?2",
        )
        .bind(id)
        .bind(workspace.as_str())
        .bind(streak.state.as_str())
        .bind(i64::from(streak.failures))
        .bind(i64::from(streak.successes))
        .bind(state_since.map(timestamp))
        .bind(timestamp(now))
        .bind(serde_json::to_string(probe).context("could not store a check")?)
        .bind(tls)
        .bind(probe.status.is_some())
        .execute(&mut *self.tx)
        .await?;
        exactly_one(done, || format!("site #{id}"))
    }

    /// Each site's checks and how many succeeded within each of three windows (checks since
    /// `since[i]`, the oldest last), by site id (sites without checks in any of them are left
    /// out): one query for all the workspace's sites and windows.
    pub async fn uptimes(
        &mut self,
        workspace: &WorkspaceId,
        since: [DateTime<Utc>; 3],
    ) -> Result<HashMap<i64, [Uptime; 3]>> {
        let rows = sqlx::query(
            "SELECT site_id,
                    sum(checked_at >= ?2), sum(ok AND checked_at >= ?2),
                    sum(checked_at >= ?3), sum(ok AND checked_at >= ?3),
                    count(*), coalesce(sum(ok), 0)
             FROM site_checks WHERE workspace_id = ?1 AND checked_at >= ?4 GROUP BY site_id",
        )
        .bind(workspace.as_str())
        .bind(timestamp(since[0]))
        .bind(timestamp(since[1]))
        .bind(timestamp(since[2]))
        .fetch_all(&mut *self.tx)
        .await?;
        let read = |row: &sqlx::sqlite::SqliteRow| -> anyhow::Result<(i64, [Uptime; 3])> {
            let mut uptimes = [Uptime::default(); 3];
            for (i, uptime) in uptimes.iter_mut().enumerate() {
                uptime.checks = row.try_get::<i64, _>(1 + 2 * i)?.try_into()?;
                uptime.ok = row.try_get::<i64, _>(2 + 2 * i)?.try_into()?;
            }
            Ok((row.try_get("site_id")?, uptimes))
        };
        Ok(rows.iter().map(read).collect::<anyhow::Result<_>>()?)
    }

    /// Response times (ms) of each site's successful checks since `since`, by site id.
    pub async fn response_times(
        &mut self,
        workspace: &WorkspaceId,
        since: DateTime<Utc>,
    ) -> Result<HashMap<i64, Vec<u32>>> {
        let rows = sqlx::query(
            "SELECT site_id, ttfb_ms FROM site_checks
             WHERE workspace_id = ?1 AND checked_at >= ?2 AND ok = 1 AND ttfb_ms IS NOT NULL",
        )
        .bind(workspace.as_str())
        .bind(timestamp(since))
        .fetch_all(&mut *self.tx)
        .await?;
        let mut times: HashMap<i64, Vec<u32>> = HashMap::new();
        for row in &rows {
            let site: i64 = row.try_get("site_id").map_err(anyhow::Error::new)?;
            let ttfb: i64 = row.try_get("ttfb_ms").map_err(anyhow::Error::new)?;
            times.entry(site).or_default().push(u32::try_from(ttfb).map_err(anyhow::Error::new)?);
        }
        Ok(times)
    }

    /// Forgets checks older than `before`; how many went.
    pub async fn prune_site_checks(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM site_checks WHERE checked_at < ?1")
            .bind(timestamp(before))
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected())
    }

    /// The workspace's remembered domain lookups.
    pub async fn domain_lookups(&mut self, workspace: &WorkspaceId) -> Result<Vec<DomainLookup>> {
        let rows = sqlx::query(
            "SELECT domain, looked_up_at, lookup, ledger_date FROM domain_lookups WHERE workspace_id = ?1 ORDER BY domain",
        )
        .bind(workspace.as_str())
        .fetch_all(&mut *self.tx)
        .await?;
        let read = |row: &SqliteRow| -> anyhow::Result<DomainLookup> {
            let domain: String = row.try_get("domain")?;
            let lookup = serde_json::from_str(row.try_get("lookup")?)
                .with_context(|| format!("the lookup of {domain} in the database is damaged"))?;
            Ok(DomainLookup {
                looked_up_at: parse_timestamp(row.try_get("looked_up_at")?)?,
                ledger_date: row.try_get::<Option<&str>, _>("ledger_date")?.map(str::parse).transpose()?,
                domain,
                lookup,
            })
        };
        Ok(rows.iter().map(read).collect::<anyhow::Result<_>>()?)
    }

    /// Remembers a lookup of `lookup.domain`, replacing the last one.
    pub async fn save_domain_lookup(&mut self, workspace: &WorkspaceId, lookup: &DomainLookup) -> Result<()> {
        sqlx::query(
            "INSERT INTO domain_lookups (workspace_id, domain, looked_up_at, lookup, ledger_date) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (workspace_id, domain) DO UPDATE
             SET looked_up_at = excluded.looked_up_at, lookup = excluded.lookup, ledger_date = excluded.ledger_date",
        )
        .bind(workspace.as_str())
        .bind(&lookup.domain)
        .bind(timestamp(lookup.looked_up_at))
        .bind(serde_json::to_string(&lookup.lookup).context("could not store a domain lookup")?)
        .bind(lookup.ledger_date.map(|d| d.to_string()))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Forgets the lookups, made before `before`, of domains not in `watched` (items removed,
    /// sites gone); how many. (A newer one may be for an item being added right now.)
    pub async fn forget_domain_lookups(
        &mut self,
        workspace: &WorkspaceId,
        watched: &[String],
        before: DateTime<Utc>,
    ) -> Result<u64> {
        let mut forgotten = 0;
        for lookup in self.domain_lookups(workspace).await? {
            if !watched.contains(&lookup.domain) && lookup.looked_up_at < before {
                let done = sqlx::query("DELETE FROM domain_lookups WHERE workspace_id = ?1 AND domain = ?2")
                    .bind(workspace.as_str())
                    .bind(&lookup.domain)
                    .execute(&mut *self.tx)
                    .await?;
                forgotten += done.rows_affected();
            }
        }
        Ok(forgotten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uptimes_count_each_window_in_one_query() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path().join("j.db").to_str().unwrap()).await.unwrap();
        let ws = WorkspaceId::parse("w").unwrap();
        let now: DateTime<Utc> = "2026-12-06T12:00:00Z".parse().unwrap();
        let mut tx = store.write().await.unwrap();
        tx.ensure_workspace(&ws, now).await.unwrap();
        let (a, b) = (
            tx.insert_site(&ws, "https://a.dev/", None, 5, now).await.unwrap(),
            tx.insert_site(&ws, "https://b.dev/", None, 5, now).await.unwrap(),
        );
        // Site a: one success an hour ago, one failure 3 days ago, one success 20 days ago and
        // one 40 days ago (outside every window). Site b: one failure 10 days ago.
        for (site, hours_ago, ok) in [(a, 1, true), (a, 72, false), (a, 480, true), (a, 960, true), (b, 240, false)] {
            sqlx::query("INSERT INTO site_checks (workspace_id, site_id, checked_at, ok) VALUES (?1, ?2, ?3, ?4)")
                .bind(ws.as_str())
                .bind(site)
                .bind(timestamp(now - chrono::Duration::hours(hours_ago)))
                .bind(ok)
                .execute(&mut *tx.tx)
                .await
                .unwrap();
        }
        let windows =
            [now - chrono::Duration::hours(24), now - chrono::Duration::days(7), now - chrono::Duration::days(30)];
        let found = tx.uptimes(&ws, windows).await.unwrap();
        let up = |checks, ok| Uptime { checks, ok };
        assert_eq!(found[&a], [up(1, 1), up(2, 1), up(3, 2)]);
        assert_eq!(found[&b], [up(0, 0), up(0, 0), up(1, 0)]);
        assert_eq!(found.len(), 2);
    }
}
