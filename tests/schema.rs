//! The two backends' migrations are kept in step: after all of them, SQLite and PostgreSQL have
//! the same tables, columns (and which may be NULL), keys, indexes, foreign keys and checks.
//!
//! Checks that only stand in for a type SQLite lacks (`json_valid(...)` for JSONB, `IN (0, 1)` for
//! BOOLEAN) are not compared: PostgreSQL's column type is the check there.

mod common;

use std::collections::BTreeSet;

use sqlx::Row as _;

/// One fact about a schema, worded the same for both backends.
type Facts = BTreeSet<String>;

fn list(columns: &[String]) -> String {
    columns.join(", ")
}

async fn sqlite_facts(url: &str) -> Facts {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let mut facts = Facts::new();
    let tables = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for table in &tables {
        let name: String = table.get("name");
        let sql: String = table.get("sql");
        facts.insert(format!("table {name}"));
        let columns = sqlx::query("SELECT name, \"notnull\", pk FROM pragma_table_info(?1)")
            .bind(&name)
            .fetch_all(&pool)
            .await
            .unwrap();
        let column_names: Vec<String> = columns.iter().map(|c| c.get::<String, _>("name")).collect();
        let mut key: Vec<(i64, String)> = Vec::new();
        for column in &columns {
            let column_name: String = column.get("name");
            let pk: i64 = column.get("pk");
            let not_null = column.get::<i64, _>("notnull") == 1 || pk > 0;
            facts.insert(format!("column {name}.{column_name}{}", if not_null { " NOT NULL" } else { "" }));
            if pk > 0 {
                key.push((pk, column_name));
            }
        }
        key.sort();
        facts.insert(format!("primary key {name} ({})", list(&key.into_iter().map(|(_, c)| c).collect::<Vec<_>>())));
        for index in sqlx::query("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)")
            .bind(&name)
            .fetch_all(&pool)
            .await
            .unwrap()
        {
            let index_name: String = index.get("name");
            let origin: String = index.get("origin");
            let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                .bind(&index_name)
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|c| c.get("name"))
                .collect();
            match origin.as_str() {
                "u" => {
                    facts.insert(format!("unique {name} ({})", list(&columns)));
                }
                "c" => {
                    let unique = if index.get::<i64, _>("unique") == 1 { "unique " } else { "" };
                    let partial = if index.get::<i64, _>("partial") == 1 { " partial" } else { "" };
                    facts.insert(format!("{unique}index {index_name} on {name} ({}){partial}", list(&columns)));
                }
                _ => {}
            }
        }
        let mut foreign: std::collections::BTreeMap<i64, (String, Vec<String>, Vec<String>)> = Default::default();
        for fk in
            sqlx::query("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1) ORDER BY id, seq")
                .bind(&name)
                .fetch_all(&pool)
                .await
                .unwrap()
        {
            let entry = foreign.entry(fk.get("id")).or_insert_with(|| (fk.get("table"), Vec::new(), Vec::new()));
            entry.1.push(fk.get("from"));
            let to: Option<String> = fk.get("to");
            entry.2.push(to.unwrap_or_else(|| "id".to_string()));
        }
        for (target, from, to) in foreign.into_values() {
            facts.insert(format!("foreign key {name} ({}) -> {target} ({})", list(&from), list(&to)));
        }
        for check in checks(&sql) {
            if check.contains("json_valid") || check.replace(' ', "").ends_with("IN(0,1)") {
                continue;
            }
            let mut used: Vec<String> = column_names.iter().filter(|c| mentions(&check, c)).cloned().collect();
            used.sort();
            facts.insert(format!("check {name} ({})", list(&used)));
        }
    }
    pool.close().await;
    facts
}

/// The expressions of the `CHECK (...)` clauses in a `CREATE TABLE` statement.
fn checks(sql: &str) -> Vec<String> {
    // Comments out, lines kept whole.
    let sql: String =
        sql.lines().map(|line| line.split("--").next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
    let mut found = Vec::new();
    let upper = sql.to_uppercase();
    let mut from = 0;
    while let Some(at) = upper[from..].find("CHECK") {
        let start = from + at + "CHECK".len();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if word(upper[..from + at].chars().next_back()) || word(upper[start..].chars().next()) {
            from = start;
            continue;
        }
        let open = start + sql[start..].find('(').expect("a check has parentheses");
        let mut depth = 0;
        let mut end = open;
        for (i, c) in sql[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        found.push(sql[open + 1..end].to_string());
        from = end;
    }
    found
}

/// Whether `expression` names `column` (as a whole word, outside quoted text).
fn mentions(expression: &str, column: &str) -> bool {
    let expression: String = expression.split('\'').step_by(2).collect::<Vec<_>>().join("''");
    expression.match_indices(column).any(|(at, _)| {
        let before = expression[..at].chars().next_back();
        let after = expression[at + column.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

async fn postgres_facts(url: &str) -> Facts {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let mut facts = Facts::new();
    for table in sqlx::query(
        "SELECT table_name::text AS name FROM information_schema.tables
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    {
        facts.insert(format!("table {}", table.get::<String, _>("name")));
    }
    for column in sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, is_nullable::text AS n FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    {
        let not_null = column.get::<String, _>("n") == "NO";
        facts.insert(format!(
            "column {}.{}{}",
            column.get::<String, _>("t"),
            column.get::<String, _>("c"),
            if not_null { " NOT NULL" } else { "" }
        ));
    }
    // Constraints, their columns in key order.
    for constraint in sqlx::query(
        "SELECT c.contype::text AS kind, t.relname::text AS t, r.relname::text AS target,
                ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS cols,
                ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) AS target_cols
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
         LEFT JOIN pg_class r ON r.oid = c.confrelid
         JOIN pg_namespace s ON s.oid = t.relnamespace
         WHERE s.nspname = 'public' AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    {
        let table: String = constraint.get("t");
        let mut columns: Vec<String> = constraint.get("cols");
        match constraint.get::<String, _>("kind").as_str() {
            "p" => {
                facts.insert(format!("primary key {table} ({})", list(&columns)));
            }
            "u" => {
                facts.insert(format!("unique {table} ({})", list(&columns)));
            }
            "f" => {
                let target: String = constraint.get("target");
                let to: Vec<String> = constraint.get("target_cols");
                facts.insert(format!("foreign key {table} ({}) -> {target} ({})", list(&columns), list(&to)));
            }
            "c" => {
                columns.sort();
                facts.insert(format!("check {table} ({})", list(&columns)));
            }
            _ => {}
        }
    }
    // Indexes made by CREATE INDEX (not those behind a constraint).
    for index in sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS t, x.indisunique AS is_unique,
                x.indpred IS NOT NULL AS partial,
                ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o) AS cols
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace s ON s.oid = t.relnamespace
         WHERE s.nspname = 'public' AND t.relname <> '_sqlx_migrations'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    {
        let columns: Vec<String> = index.get("cols");
        let unique = if index.get::<bool, _>("is_unique") { "unique " } else { "" };
        let partial = if index.get::<bool, _>("partial") { " partial" } else { "" };
        facts.insert(format!(
            "{unique}index {} on {} ({}){partial}",
            index.get::<String, _>("name"),
            index.get::<String, _>("t"),
            list(&columns)
        ));
    }
    pool.close().await;
    facts
}

#[tokio::test]
async fn both_backends_have_the_same_tables_columns_keys_indexes_and_checks() {
    let sqlite = common::TestDb::sqlite().await;
    let Some(postgres) = common::TestDb::postgres().await else { return };
    let (on_sqlite, on_postgres) = (sqlite_facts(&sqlite.url).await, postgres_facts(&postgres.url).await);
    assert!(on_sqlite.len() > 100, "the SQLite schema was read: {on_sqlite:#?}");
    let only_sqlite: Vec<_> = on_sqlite.difference(&on_postgres).collect();
    let only_postgres: Vec<_> = on_postgres.difference(&on_sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migrations differ.\nonly on SQLite: {only_sqlite:#?}\nonly on PostgreSQL: {only_postgres:#?}"
    );
}

#[test]
fn checks_are_found_with_the_columns_they_name() {
    let sql = "CREATE TABLE site_checks (a TEXT CHECK (length(a) = 3), b INTEGER CHECK (b IN (0, 1)), c TEXT, \
               -- checks (this is a comment)
               d TEXT CHECK (d >= c), e TEXT CHECK (json_valid(e)))";
    assert_eq!(checks(sql), ["length(a) = 3", "b IN (0, 1)", "d >= c", "json_valid(e)"]);
    assert!(mentions("d >= c", "c") && !mentions("length(a) = 3", "len"));
    assert!(!mentions("source IN ('manual', 'usage')", "usage") && mentions("source IN ('manual')", "source"));
}

/// `db copy` moves every column of every table: its list of them is the schema's.
#[tokio::test]
async fn the_copy_names_every_table_and_column_there_is() {
    let db = common::TestDb::sqlite().await;
    let facts = sqlite_facts(&db.url).await;
    let in_schema: BTreeSet<String> = facts
        .iter()
        .filter_map(|fact| fact.strip_prefix("column "))
        .map(|column| column.trim_end_matches(" NOT NULL").to_string())
        .collect();
    let copied: BTreeSet<String> = jarvis::store::COPIED_TABLES
        .iter()
        .flat_map(|table| table.columns.iter().map(move |(column, _)| format!("{}.{column}", table.name)))
        .collect();
    let missing: Vec<_> = in_schema.difference(&copied).collect();
    let unknown: Vec<_> = copied.difference(&in_schema).collect();
    assert!(missing.is_empty() && unknown.is_empty(), "not copied: {missing:?}; not in the schema: {unknown:?}");
}
