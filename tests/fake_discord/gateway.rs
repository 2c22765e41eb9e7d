//! The gateway websocket at `/ws`: HELLO, IDENTIFY -> READY (one session per shard), heartbeat
//! ACKs, RESUME, and the dispatches the test sends through [`super::State::send_dispatch`].

use std::sync::Arc;

use axum::extract::State as AxumState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::{Gateway, Session, Shard, Shared, State, payload};

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
                let refused = match frame["op"].as_u64() {
                    Some(1) => {
                        let _ = tx.send(json!({"op": 11}).to_string());
                        None
                    }
                    Some(2) => identify(&shared, conn, &tx, &frame["d"]).err(),
                    Some(6) => {
                        resume(&shared, conn, &tx, &frame["d"]);
                        None
                    }
                    _ => None, // presence updates, member requests, voice: ignored
                };
                if let Some((code, reason)) = refused {
                    // Flush what was queued (nothing, normally), then close as Discord does.
                    while let Ok(out) = rx.try_recv() {
                        let _ = socket.send(Message::Text(out.into())).await;
                    }
                    let close = CloseFrame { code, reason: reason.into() };
                    let _ = socket.send(Message::Close(Some(close))).await;
                    break;
                }
            }
        }
    }
    // Only this connection goes: a shard another connection took over stays served.
    shared.update(|s| s.gateways.remove(&conn));
}

/// Parses IDENTIFY's `shard` (`[id, count]`, absent meaning `[0, 1]`).
fn shard_of_identify(d: &Value) -> Option<Shard> {
    match &d["shard"] {
        Value::Null => Some((0, 1)),
        Value::Array(pair) if pair.len() == 2 => {
            let id = u32::try_from(pair[0].as_u64()?).ok()?;
            let count = u32::try_from(pair[1].as_u64()?).ok()?;
            (count > 0 && id < count).then_some((id, count))
        }
        _ => None,
    }
}

/// Makes `conn` carry session `session_id` for `shard`, noting any connected session that
/// already served some of the same guilds.
fn serve(s: &mut State, conn: u64, tx: &mpsc::UnboundedSender<String>, shard: Shard, session_id: &str) {
    for other in s.gateways.values().filter(|g| g.conn != conn && super::shards_meet(g.shard, shard)) {
        let overlap = format!(
            "session {session_id} started serving shard {:?} while {} still served shard {:?}",
            [shard.0, shard.1],
            other.session_id,
            [other.shard.0, other.shard.1]
        );
        s.shard_overlaps.push(overlap);
    }
    let since = s.next_id();
    s.gateways.insert(conn, Gateway { conn, tx: tx.clone(), shard, session_id: session_id.to_string(), since });
}

/// IDENTIFY: record the token and shard, send READY (s = 1) and make this connection the one
/// the shard's events go to. An impossible shard is refused with close code 4010, as Discord
/// does.
fn identify(shared: &Shared, conn: u64, tx: &mpsc::UnboundedSender<String>, d: &Value) -> Result<(), (u16, String)> {
    let token = d["token"].as_str().unwrap_or_default();
    let token = token.strip_prefix("Bot ").unwrap_or(token).to_string();
    let Some(shard) = shard_of_identify(d) else {
        shared.update(|s| s.violation(format!("IDENTIFY with an invalid shard {}", d["shard"])));
        return Err((4010, "Invalid shard.".into()));
    };
    let session_id = shared.update(|s| format!("fake-session-{}", s.next_id()));
    let ready = payload::ready(&session_id, &shared.ws_url(), shard);
    if let Err(why) = serde_json::from_value::<serenity::all::Ready>(ready.clone()) {
        panic!("fake discord: serenity cannot parse READY ({why})");
    }
    shared.update(|s| {
        s.identify_token = Some(token);
        *s.identifies.entry(shard.0).or_default() += 1;
        s.last_shard_count = Some(shard.1);
        s.sessions.insert(session_id.clone(), Session { shard, seq: 1 });
        let _ = tx.send(json!({"op": 0, "t": "READY", "s": 1, "d": ready}).to_string());
        serve(s, conn, tx, shard, &session_id);
    });
    Ok(())
}

/// RESUME: continue the session, with its shard, on this connection with RESUMED (the fake
/// replays nothing). An unknown session gets INVALID_SESSION (not resumable), as on Discord.
fn resume(shared: &Shared, conn: u64, tx: &mpsc::UnboundedSender<String>, d: &Value) {
    let session_id = d["session_id"].as_str().unwrap_or_default().to_string();
    let resumed_seq = d["seq"].as_u64().unwrap_or(0);
    shared.update(|s| {
        let Some(session) = s.sessions.get_mut(&session_id) else {
            let _ = tx.send(json!({"op": 9, "d": false}).to_string());
            return;
        };
        session.seq = session.seq.max(resumed_seq) + 1;
        let (seq, shard) = (session.seq, session.shard);
        let _ = tx.send(json!({"op": 0, "t": "RESUMED", "s": seq, "d": {}}).to_string());
        // The session moves here: its old connection, if still open, gets nothing more.
        s.gateways.retain(|_, g| g.session_id != session_id);
        serve(s, conn, tx, shard, &session_id);
    });
}
