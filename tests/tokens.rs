//! API tokens: made for one workspace and scope, shown once, stored only as a hash, recognised
//! until revoked, and never reaching another workspace.

mod common;

use common::ws;
use jarvis::app::TokenScope;
use jarvis::domain::audit::Actor;

on_both_backends! {
    async fn a_token_reaches_its_workspace_with_its_scope_until_revoked(db) {
        let app = db.app_at("2026-12-06T12:00:00Z");
        let (acme, other) = (ws("4242"), ws("5151"));
        let admin = Actor::User("1001".into());
        let made = app.create_token(&acme, &admin, "grafana", TokenScope::Read).await.unwrap();
        assert!(made.token.starts_with(&made.view.prefix) && made.token.len() > made.view.prefix.len() + 40);
        let writer = app.create_token(&acme, &admin, "billing-sync", TokenScope::Write).await.unwrap();
        // The same name twice is refused; another workspace may use it.
        let taken = app.create_token(&acme, &admin, "grafana", TokenScope::Write).await.unwrap_err().to_string();
        assert!(taken.contains("exists already"), "{taken}");
        let elsewhere = app.create_token(&other, &admin, "grafana", TokenScope::Write).await.unwrap();

        // Each token names its own workspace and scope; a made-up or altered one is nobody.
        let auth = app.authenticate(&made.token).await.unwrap().unwrap();
        assert_eq!((auth.workspace.as_str(), auth.scope, auth.name.as_str()), ("4242", TokenScope::Read, "grafana"));
        assert_eq!(app.authenticate(&writer.token).await.unwrap().unwrap().scope, TokenScope::Write);
        assert_eq!(app.authenticate(&elsewhere.token).await.unwrap().unwrap().workspace.as_str(), "5151");
        let mut altered = made.token.clone();
        altered.pop();
        altered.push(if made.token.ends_with('0') { '1' } else { '0' });
        assert!(app.authenticate(&altered).await.unwrap().is_none());
        assert!(app.authenticate("Bearer nonsense").await.unwrap().is_none());

        // Stored as a hash only: the token is nowhere in the database.
        let hashes = db.raw_fetch::<(String, String)>("SELECT prefix, hash FROM api_tokens").await;
        assert_eq!(hashes.len(), 3);
        assert!(hashes.iter().all(|(prefix, hash)| hash.len() == 64 && !made.token.contains(hash.as_str()) && prefix.len() == 13));

        // Listed without the token, with its last use.
        let listed = app.tokens(&acme).await.unwrap();
        assert_eq!(listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["billing-sync", "grafana"]);
        let grafana = listed.iter().find(|t| t.name == "grafana").unwrap();
        assert_eq!(grafana.last_used_at, Some("2026-12-06T12:00:00Z".parse().unwrap()));
        assert!(!serde_json::to_string(&listed).unwrap().contains(&made.token));

        // Revoked: refused from then on, its name free again; the audit log has both.
        let unknown = app.revoke_token(&acme, &admin, "grafan").await.unwrap_err().to_string();
        assert!(unknown.contains("did you mean `grafana`"), "{unknown}");
        app.revoke_token(&acme, &admin, "grafana").await.unwrap();
        assert!(app.authenticate(&made.token).await.unwrap().is_none());
        assert!(app.authenticate(&elsewhere.token).await.unwrap().is_some(), "another workspace's token stays");
        app.create_token(&acme, &admin, "grafana", TokenScope::Read).await.unwrap();
        let log = app.audit_log(&acme, Default::default()).await.unwrap();
        let actions: Vec<&str> = log.entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["token.create", "token.revoke", "token.create", "token.create"]);
    }
}
