//! A stream of byte chunks (an HTTP body, a download) read as a blocking [`Read`], for readers
//! that run on a blocking thread (the FOCUS import): a task forwards the chunks as they arrive,
//! so a file is read while it streams in, never held whole.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::{Stream, StreamExt as _};

/// The reading end. Its `read` blocks: use it on a blocking thread (`spawn_blocking`), never on
/// the async runtime's own threads.
pub struct ChunkReader<B> {
    chunks: tokio::sync::mpsc::Receiver<std::io::Result<B>>,
    current: Option<B>,
    /// How much of `current` was read.
    at: usize,
}

/// Whether a stream went past its limit (and so was cut off).
#[derive(Clone, Default, Debug)]
pub struct TooLarge(Arc<AtomicBool>);

impl TooLarge {
    pub fn happened(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl<B: AsRef<[u8]> + Send + 'static> ChunkReader<B> {
    /// Starts forwarding `stream` (on the current runtime); more than `limit` bytes end the
    /// reading with an error, and `TooLarge` says so.
    pub fn spawn<S, E>(stream: S, limit: u64) -> (ChunkReader<B>, TooLarge)
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        E: std::fmt::Display + Send,
    {
        let (send, chunks) = tokio::sync::mpsc::channel(16);
        let too_large = TooLarge::default();
        let flag = too_large.clone();
        tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            let mut read = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| std::io::Error::other(format!("the transfer broke off: {e}")));
                read += chunk.as_ref().map_or(0, |bytes| bytes.as_ref().len() as u64);
                if read > limit {
                    flag.0.store(true, Ordering::Relaxed);
                    let _ = send.send(Err(std::io::Error::other(format!("it is larger than {limit} bytes")))).await;
                    return;
                }
                let failed = chunk.is_err();
                if send.send(chunk).await.is_err() || failed {
                    return;
                }
            }
        });
        (ChunkReader { chunks, current: None, at: 0 }, too_large)
    }
}

impl<B: AsRef<[u8]>> Read for ChunkReader<B> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(chunk) = &self.current {
                let rest = &chunk.as_ref()[self.at..];
                if !rest.is_empty() {
                    let n = buf.len().min(rest.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    self.at += n;
                    return Ok(n);
                }
            }
            match self.chunks.blocking_recv() {
                Some(chunk) => {
                    self.current = Some(chunk?);
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn chunks_are_read_in_order_and_a_limit_cuts_off() {
        let chunks: Vec<Result<Vec<u8>, String>> = vec![Ok(b"ab".to_vec()), Ok(Vec::new()), Ok(b"cde".to_vec())];
        let (mut reader, too_large) = ChunkReader::spawn(futures_util::stream::iter(chunks.clone()), 100);
        let text = tokio::task::spawn_blocking(move || {
            let mut text = String::new();
            reader.read_to_string(&mut text).map(|_| text)
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!((text.as_str(), too_large.happened()), ("abcde", false));
        let (mut reader, too_large) = ChunkReader::spawn(futures_util::stream::iter(chunks), 3);
        let error = tokio::task::spawn_blocking(move || reader.read_to_end(&mut Vec::new())).await.unwrap();
        assert!(error.unwrap_err().to_string().contains("larger than 3 bytes"));
        assert!(too_large.happened());
    }
}
