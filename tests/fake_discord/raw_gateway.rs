//! A bare gateway client (a websocket over a plain TCP stream) for tests that drive the fake's
//! gateway by hand: identify as any shard, resume any session, read what the fake sends.
//! serenity's own `Shard` can send IDENTIFY and RESUME but cannot be read from outside it.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One websocket connection to the fake's gateway.
pub struct RawGateway {
    stream: TcpStream,
    /// Bytes read but not yet parsed into frames.
    buf: Vec<u8>,
}

/// What the fake sent: a JSON frame, or a close frame with its code.
#[derive(Debug, PartialEq)]
pub enum Received {
    Frame(Value),
    Closed(Option<u16>),
}

impl RawGateway {
    /// Connects to `ws_url` (`ws://127.0.0.1:PORT/ws`, as `GET /gateway` gives it) and reads
    /// HELLO.
    pub async fn connect(ws_url: &str) -> RawGateway {
        let rest = ws_url.strip_prefix("ws://").expect("a ws:// url");
        let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
        let stream = TcpStream::connect(host).await.expect("connect to the fake gateway");
        let mut gateway = RawGateway { stream, buf: Vec::new() };
        let request = format!(
            "GET {path}?v=10 HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        gateway.stream.write_all(request.as_bytes()).await.expect("send the upgrade request");
        let end = loop {
            if let Some(end) = gateway.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            gateway.fill().await.expect("the upgrade answer");
        };
        let head = String::from_utf8_lossy(&gateway.buf[..end]).to_string();
        assert!(head.starts_with("HTTP/1.1 101"), "the fake refused the websocket upgrade: {head}");
        gateway.buf.drain(..end);
        let hello = gateway.recv(Duration::from_secs(5)).await;
        assert!(matches!(&hello, Some(Received::Frame(f)) if f["op"] == 10), "expected HELLO, got {hello:?}");
        gateway
    }

    /// Sends IDENTIFY for `shard` (`None`: no `shard` field) and returns READY's `d`.
    pub async fn identify(&mut self, token: &str, shard: Option<[u32; 2]>) -> Value {
        let mut d =
            json!({"token": token, "intents": 0, "properties": {"os": "linux", "browser": "raw", "device": "raw"}});
        if let Some(shard) = shard {
            d["shard"] = json!(shard);
        }
        self.send(&json!({"op": 2, "d": d})).await;
        match self.next_frame(Duration::from_secs(5)).await {
            Some(frame) if frame["t"] == "READY" => frame["d"].clone(),
            other => panic!("expected READY, got {other:?}"),
        }
    }

    /// Sends RESUME and returns the frame that answers it (RESUMED or INVALID_SESSION).
    pub async fn resume(&mut self, token: &str, session_id: &str, seq: u64) -> Value {
        self.send(&json!({"op": 6, "d": {"token": token, "session_id": session_id, "seq": seq}})).await;
        self.next_frame(Duration::from_secs(5)).await.expect("an answer to RESUME")
    }

    /// The next dispatch (op 0) within `within`, skipping heartbeat ACKs; None on timeout or
    /// close.
    pub async fn next_dispatch(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_frame(left).await {
                Some(frame) if frame["op"] == 0 => return Some(frame),
                Some(_) => continue,
                None => return None,
            }
        }
    }

    /// The next JSON frame within `within`; None on timeout or close.
    pub async fn next_frame(&mut self, within: Duration) -> Option<Value> {
        match self.recv(within).await {
            Some(Received::Frame(frame)) => Some(frame),
            _ => None,
        }
    }

    /// Sends a JSON frame.
    pub async fn send(&mut self, value: &Value) {
        self.write_frame(0x1, value.to_string().as_bytes()).await;
    }

    /// Closes the connection the way a client does (close frame, then the socket).
    pub async fn close(mut self) {
        self.write_frame(0x8, &1000u16.to_be_bytes()).await;
        let _ = self.stream.shutdown().await;
    }

    /// The next message within `within`: a text frame as JSON, or the close. None on timeout.
    pub async fn recv(&mut self, within: Duration) -> Option<Received> {
        tokio::time::timeout(within, self.read_message()).await.ok()
    }

    async fn read_message(&mut self) -> Received {
        let mut message = Vec::new();
        loop {
            let Some((fin, opcode, payload)) = self.read_frame().await else { return Received::Closed(None) };
            match opcode {
                0x8 => return Received::Closed(payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]))),
                0x9 => self.write_frame(0xA, &payload).await,
                0xA => {}
                _ => {
                    message.extend_from_slice(&payload);
                    if fin {
                        let frame = serde_json::from_slice(&message).expect("the fake sends JSON text frames");
                        return Received::Frame(frame);
                    }
                }
            }
        }
    }

    /// One frame: (FIN, opcode, payload); None when the connection ended.
    async fn read_frame(&mut self) -> Option<(bool, u8, Vec<u8>)> {
        loop {
            if let Some((header, len)) = frame_header(&self.buf)
                && self.buf.len() >= header + len
            {
                let (fin, opcode) = (self.buf[0] & 0x80 != 0, self.buf[0] & 0x0f);
                let payload = self.buf[header..header + len].to_vec();
                self.buf.drain(..header + len);
                return Some((fin, opcode, payload));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> Option<()> {
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Some(())
            }
        }
    }

    /// Writes one masked frame, as a client must.
    async fn write_frame(&mut self, opcode: u8, payload: &[u8]) {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut frame = vec![0x80 | opcode];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= usize::from(u16::MAX) => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        let _ = self.stream.write_all(&frame).await;
    }
}

/// The header length and payload length of the (unmasked, server) frame at the start of `buf`,
/// once enough of it is there.
fn frame_header(buf: &[u8]) -> Option<(usize, usize)> {
    let len = *buf.get(1)? & 0x7f;
    match len {
        126 => Some((4, usize::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?])))),
        127 => {
            let bytes: [u8; 8] = buf.get(2..10)?.try_into().ok()?;
            Some((10, u64::from_be_bytes(bytes) as usize))
        }
        n => Some((2, usize::from(n))),
    }
}
