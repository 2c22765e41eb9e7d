//! Monitored sites, their checks, and domain lookups (RDAP), per workspace.

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::sql::{Arg, Backend, Columns, args};
use super::{Result, Tx, exactly_one};
use crate::domain::site::{DomainLookup, Probe, Site, SiteState, Streak, Uptime};
use crate::domain::workspace::WorkspaceId;

macro_rules! select_sites {
    ($rest:literal) => {
        concat!(
            "SELECT id, workspace_id, url, keyword, interval_minutes, state, state_since, failures, successes,
                    last_checked_at, last_probe, last_tls, created_at, uuid FROM sites ",
            $rest
        )
    };
}

/// A row selected by `select_sites!`.
fn read_site(row: &dyn Columns) -> anyhow::Result<(WorkspaceId, Site)> {
    let id = row.required_int(0)?;
    let read = || -> anyhow::Result<(WorkspaceId, Site)> {
        Ok((
            WorkspaceId::parse(row.required_text(1)?)?,
            Site {
                id,
                uuid: row.required_uuid(13)?,
                url: row.required_text(2)?.to_string(),
                keyword: row.text(3)?.map(str::to_string),
                interval_minutes: row.required_int(4)?.try_into()?,
                streak: Streak {
                    state: row.required_text(5)?.parse::<SiteState>()?,
                    failures: row.required_int(7)?.try_into()?,
                    successes: row.required_int(8)?.try_into()?,
                },
                state_since: row.time(6)?,
                last_checked_at: row.time(9)?,
                last_probe: row.json(10)?.map(|json| serde_json::from_str(&json)).transpose()?,
                last_tls: row.json(11)?.map(|json| serde_json::from_str(&json)).transpose()?,
                created_at: row.required_time(12)?,
            },
        ))
    };
    read().with_context(|| format!("site #{id} in the database is damaged"))
}

impl Tx {
    /// The workspace's sites, oldest first.
    pub async fn sites(&mut self, workspace: &WorkspaceId) -> Result<Vec<Site>> {
        self.fetch(select_sites!("WHERE workspace_id = ?1 ORDER BY id"), args![workspace.as_str()], |row| {
            read_site(row).map(|(_, site)| site)
        })
        .await
    }

    /// Every workspace's sites.
    pub async fn all_sites(&mut self) -> Result<Vec<(WorkspaceId, Site)>> {
        self.fetch(select_sites!("ORDER BY id"), args![], read_site).await
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
        self.fetch_one(
            "INSERT INTO sites (workspace_id, url, keyword, interval_minutes, created_at, uuid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             RETURNING id",
            args![workspace.as_str(), url, keyword, i64::from(interval_minutes), now, super::public_id(now)],
            |row| row.required_int(0),
        )
        .await
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
        const COLUMNS: &str = "workspace_id, url, keyword, interval_minutes, state, state_since, failures, successes,
                 last_checked_at, last_probe, last_tls, created_at, uuid";
        const VALUES: &str = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13";
        // The backup's public id with its id; a new one otherwise (or from a backup without).
        let uuid = if keep_id && !site.uuid.is_nil() { site.uuid } else { super::public_id(site.created_at) };
        let args = args![
            workspace.as_str(),
            site.url.as_str(),
            site.keyword.as_deref(),
            i64::from(site.interval_minutes),
            site.streak.state.as_str(),
            site.state_since,
            i64::from(site.streak.failures),
            i64::from(site.streak.successes),
            site.last_checked_at,
            Arg::json(probe),
            Arg::json(tls),
            site.created_at,
            uuid,
            site.id,
        ];
        // Without `keep_id` the id is left out (not NULL: PostgreSQL does not give the next id for
        // a NULL) and the database gives the next one.
        let (sql, args) = match (keep_id, self.backend()) {
            (false, _) => (format!("INSERT INTO sites ({COLUMNS}) VALUES ({VALUES}) RETURNING id"), &args[..13]),
            (true, Backend::Sqlite) => {
                (format!("INSERT INTO sites ({COLUMNS}, id) VALUES ({VALUES}, ?14) RETURNING id"), args)
            }
            (true, Backend::Postgres) => (
                format!(
                    "INSERT INTO sites ({COLUMNS}, id) OVERRIDING SYSTEM VALUE VALUES ({VALUES}, ?14) RETURNING id"
                ),
                args,
            ),
        };
        let id = self.fetch_one(&sql, args, |row| row.required_int(0)).await?;
        Ok(id)
    }

    /// Stops monitoring site `id` and forgets its checks; whether it was there.
    pub async fn remove_site(&mut self, workspace: &WorkspaceId, id: i64) -> Result<bool> {
        self.execute(
            "DELETE FROM site_checks WHERE site_id = (SELECT id FROM sites WHERE id = ?1 AND workspace_id = ?2)",
            args![id, workspace.as_str()],
        )
        .await?;
        let removed = self
            .execute("DELETE FROM sites WHERE id = ?1 AND workspace_id = ?2", args![id, workspace.as_str()])
            .await?;
        Ok(removed == 1)
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
        self.execute(
            "INSERT INTO site_checks (workspace_id, site_id, checked_at, ok, status, ttfb_ms) VALUES (?6, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (site_id, checked_at) DO NOTHING",
            args![
                id,
                now,
                probe.succeeded(),
                probe.status.map(i64::from),
                probe.ttfb_ms.map(i64::from),
                workspace.as_str()
            ],
        )
        .await?;
        let tls = probe.tls.as_ref().map(serde_json::to_string).transpose().context("could not store a certificate")?;
        let probe_json = serde_json::to_string(probe).context("could not store a check")?;
        // A check without a handshake keeps the certificate seen before, unless the site answered
        // without one (it is plain http now). Chosen here rather than in a CASE: PostgreSQL
        // receives JSON arguments as `json`, which a CASE does not mix with the `jsonb` column.
        let set_tls = match (&tls, probe.status) {
            (Some(_), _) => ", last_tls = ?9",
            (None, Some(_)) => ", last_tls = NULL",
            (None, None) => "",
        };
        let mut args = args![
            id,
            workspace.as_str(),
            streak.state.as_str(),
            i64::from(streak.failures),
            i64::from(streak.successes),
            state_since,
            now,
            Arg::json(Some(probe_json)),
        ]
        .to_vec();
        if let Some(tls) = tls {
            args.push(Arg::json(Some(tls)));
        }
        let changed = self
            .execute(
                &format!(
                    "UPDATE sites SET state = ?3, failures = ?4, successes = ?5, state_since = ?6, last_checked_at = ?7,
                         last_probe = ?8{set_tls}
                     WHERE id = ?1 AND workspace_id = ?2"
                ),
                &args,
            )
            .await?;
        exactly_one(changed, || format!("site #{id}"))
    }

    /// Each site's checks and how many succeeded within each of three windows (checks since
    /// `since[i]`, the oldest last), by site id (sites without checks in any of them are left
    /// out): one query for all the workspace's sites and windows.
    pub async fn uptimes(
        &mut self,
        workspace: &WorkspaceId,
        since: [DateTime<Utc>; 3],
    ) -> Result<HashMap<i64, [Uptime; 3]>> {
        let rows = self
            .fetch(
                "SELECT site_id,
                        count(*) FILTER (WHERE checked_at >= ?2), count(*) FILTER (WHERE ok AND checked_at >= ?2),
                        count(*) FILTER (WHERE checked_at >= ?3), count(*) FILTER (WHERE ok AND checked_at >= ?3),
                        count(*), count(*) FILTER (WHERE ok)
                 FROM site_checks WHERE workspace_id = ?1 AND checked_at >= ?4 GROUP BY site_id",
                args![workspace.as_str(), since[0], since[1], since[2]],
                |row| {
                    let mut uptimes = [Uptime::default(); 3];
                    for (i, uptime) in uptimes.iter_mut().enumerate() {
                        uptime.checks = row.required_int(1 + 2 * i)?.try_into()?;
                        uptime.ok = row.required_int(2 + 2 * i)?.try_into()?;
                    }
                    Ok((row.required_int(0)?, uptimes))
                },
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Response times (ms) of each site's successful checks since `since`, by site id.
    pub async fn response_times(
        &mut self,
        workspace: &WorkspaceId,
        since: DateTime<Utc>,
    ) -> Result<HashMap<i64, Vec<u32>>> {
        let rows = self
            .fetch(
                "SELECT site_id, ttfb_ms FROM site_checks
                 WHERE workspace_id = ?1 AND checked_at >= ?2 AND ok AND ttfb_ms IS NOT NULL",
                args![workspace.as_str(), since],
                |row| Ok((row.required_int(0)?, u32::try_from(row.required_int(1)?)?)),
            )
            .await?;
        let mut times: HashMap<i64, Vec<u32>> = HashMap::new();
        for (site, ttfb) in rows {
            times.entry(site).or_default().push(ttfb);
        }
        Ok(times)
    }

    /// Forgets checks older than `before`; how many went.
    pub async fn prune_site_checks(&mut self, before: DateTime<Utc>) -> Result<u64> {
        self.execute("DELETE FROM site_checks WHERE checked_at < ?1", args![before]).await
    }

    /// The workspace's remembered domain lookups.
    pub async fn domain_lookups(&mut self, workspace: &WorkspaceId) -> Result<Vec<DomainLookup>> {
        let mut lookups = self.fetch(
            "SELECT domain, looked_up_at, lookup, ledger_date FROM domain_lookups WHERE workspace_id = ?1 ORDER BY domain",
            args![workspace.as_str()],
            |row| {
                let domain = row.required_text(0)?.to_string();
                let lookup = serde_json::from_str(&row.required_json(2)?)
                    .with_context(|| format!("the lookup of {domain} in the database is damaged"))?;
                Ok(DomainLookup { looked_up_at: row.required_time(1)?, ledger_date: row.date(3)?, domain, lookup })
            },
        )
        .await?;
        // Byte order on both backends (PostgreSQL's order of text follows its collation).
        lookups.sort_by(|a, b| a.domain.cmp(&b.domain));
        Ok(lookups)
    }

    /// Remembers a lookup of `lookup.domain`, replacing the last one.
    pub async fn save_domain_lookup(&mut self, workspace: &WorkspaceId, lookup: &DomainLookup) -> Result<()> {
        let json = serde_json::to_string(&lookup.lookup).context("could not store a domain lookup")?;
        self.execute(
            "INSERT INTO domain_lookups (workspace_id, domain, looked_up_at, lookup, ledger_date) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (workspace_id, domain) DO UPDATE
             SET looked_up_at = excluded.looked_up_at, lookup = excluded.lookup, ledger_date = excluded.ledger_date",
            args![workspace.as_str(), lookup.domain.as_str(), lookup.looked_up_at, Arg::json(Some(json)), lookup.ledger_date],
        )
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
                forgotten += self
                    .execute(
                        "DELETE FROM domain_lookups WHERE workspace_id = ?1 AND domain = ?2",
                        args![workspace.as_str(), lookup.domain.as_str()],
                    )
                    .await?;
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
            tx.execute(
                "INSERT INTO site_checks (workspace_id, site_id, checked_at, ok) VALUES (?1, ?2, ?3, ?4)",
                args![ws.as_str(), site, now - chrono::Duration::hours(hours_ago), ok],
            )
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
