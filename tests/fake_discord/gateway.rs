//! The gateway websocket at `/ws`: HELLO, IDENTIFY -> READY, heartbeat ACKs, RESUME, and the
//! dispatches the test sends through [`super::State::send_dispatch`].

use std::sync::Arc;

use axum::extract::State as AxumState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::{Gateway, Shared, payload};

type AppState = (Arc<Shared>, watch::Receiver<bool>);

/// Accepts the websocket upgrade (serenity connects to `/ws?v=10`).
pub(super) async fn upgrade(ws: WebSocketUpgrade, AxumState((shared, stop)): AxumState<AppState>) -> Response {
    ws.on_upgrade(move |socket| session(socket, shared, stop))
}

async fn session(mut socket: WebSocket, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let conn = shared.update(|s| s.next_id());
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 45000}});
    if socket.send(Message::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            () = async { let _ = stop.wait_for(|s| *s).await; } => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
            Some(out) = rx.recv() => {
                if socket.send(Message::Text(out.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                match frame["op"].as_u64() {
                    Some(1) => {
                        let _ = tx.send(json!({"op": 11}).to_string());
                    }
                    Some(2) => identify(&shared, conn, &tx, &frame["d"]),
                    Some(6) => resume(&shared, conn, &tx, &frame["d"]),
                    _ => {} // presence updates, member requests, voice: ignored
                }
            }
        }
    }
    shared.update(|s| {
        if s.gateway.as_ref().is_some_and(|g| g.conn == conn) {
            s.gateway = None;
            s.ready = false;
        }
    });
}

/// IDENTIFY: record the token, send READY (s = 1) and make this the connection events go to.
fn identify(shared: &Shared, conn: u64, tx: &mpsc::UnboundedSender<String>, d: &Value) {
    let token = d["token"].as_str().unwrap_or_default();
    let token = token.strip_prefix("Bot ").unwrap_or(token).to_string();
    let ready = payload::ready(&format!("fake-session-{conn}"), &shared.ws_url());
    if let Err(why) = serde_json::from_value::<serenity::all::Ready>(ready.clone()) {
        panic!("fake discord: serenity cannot parse READY ({why})");
    }
    shared.update(|s| {
        s.identify_token = Some(token);
        let _ = tx.send(json!({"op": 0, "t": "READY", "s": 1, "d": ready}).to_string());
        s.gateway = Some(Gateway { conn, tx: tx.clone(), seq: 1 });
        s.ready = true;
    });
}

/// RESUME: continue the session on this connection with RESUMED.
fn resume(shared: &Shared, conn: u64, tx: &mpsc::UnboundedSender<String>, d: &Value) {
    let resumed_seq = d["seq"].as_u64().unwrap_or(0);
    shared.update(|s| {
        let seq = s.gateway.as_ref().map_or(resumed_seq, |g| g.seq.max(resumed_seq)) + 1;
        let _ = tx.send(json!({"op": 0, "t": "RESUMED", "s": seq, "d": {}}).to_string());
        s.gateway = Some(Gateway { conn, tx: tx.clone(), seq });
        s.ready = true;
    });
}
