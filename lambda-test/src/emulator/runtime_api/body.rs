//! The body a runtime POSTs to `/response`, forwarded chunk by chunk as it arrives.
//!
//! The Runtime API handler writes into a [`BodyWriter`]; whoever answers the caller reads the
//! [`ResponseBody`]: the buffered Invoke collects it, a streaming API forwards each chunk. The
//! channel between them is bounded, so a caller that reads slowly slows the runtime down, as
//! AWS's flow control does, and memory stays bounded whatever the runtime sends.

use axum::body::Bytes;
use tokio::sync::{mpsc, watch};

/// Chunks in flight between the runtime's connection and the reader of the body.
const CHANNEL_CHUNKS: usize = 8;

/// How the runtime answers (`Lambda-Runtime-Function-Response-Mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// No header: one body of at most `MAX_RESPONSE_BYTES` (6 MiB + 100 bytes).
    Buffered,
    /// `streaming`: a chunked body of at most `MAX_STREAMED_RESPONSE_BYTES` (200 MiB).
    Streaming,
}

impl ResponseMode {
    /// The mode a header value names; `None` for a value RIE refuses
    /// (`Runtime.InvalidResponseModeHeader`).
    pub fn from_header(value: Option<&[u8]>) -> Option<ResponseMode> {
        match value {
            None => Some(ResponseMode::Buffered),
            Some(b"streaming") => Some(ResponseMode::Streaming),
            Some(_) => None,
        }
    }
}

/// What the runtime's `/response` request says before its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The request's `Content-Type`, forwarded as the response's (lambda-extensions.md 2.1).
    pub content_type: Option<String>,
    /// Buffered or streaming.
    pub mode: ResponseMode,
}

/// How a response body ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyEnd {
    /// The runtime wrote its last chunk.
    Complete,
    /// The runtime's connection dropped before the end (it crashed, or was killed).
    Truncated,
    /// The body passed its size limit; what came after it was read and dropped.
    TooLarge,
    /// The body ended with the `Lambda-Runtime-Function-Error-*` trailers (lambda-extensions.md 2.4).
    ErrorTrailer {
        /// `Lambda-Runtime-Function-Error-Type`.
        error_type: String,
        /// `Lambda-Runtime-Function-Error-Body`, base64-decoded (kept raw when it is not base64).
        error_body: Bytes,
    },
}

enum Frame {
    Data(Bytes),
    End(BodyEnd),
}

/// A new body of at most `limit` bytes: the writing half, the reading half, and a signal of
/// its end that does not depend on anyone reading it.
pub fn channel(limit: usize) -> (BodyWriter, ResponseBody, BodyEnded) {
    let (frames, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    let (ended, ended_rx) = watch::channel(None);
    let writer = BodyWriter {
        frames,
        ended,
        limit,
        written: 0,
    };
    let body = ResponseBody {
        frames: receiver,
        end: None,
    };
    (writer, body, BodyEnded(ended_rx))
}

/// The writing half: the Runtime API handler feeds it the request body's chunks.
///
/// Dropping it before [`BodyWriter::end`] ends the body as [`BodyEnd::Truncated`].
pub struct BodyWriter {
    frames: mpsc::Sender<Frame>,
    ended: watch::Sender<Option<BodyEnd>>,
    limit: usize,
    written: usize,
}

impl BodyWriter {
    /// Forwards one chunk. Past the limit, or once the reader is gone, chunks are counted and
    /// dropped: the runtime's request is still read to its end, so the runtime stays warm.
    pub async fn write(&mut self, data: Bytes) {
        self.written = self.written.saturating_add(data.len());
        if self.written > self.limit {
            return;
        }
        let _ = self.frames.send(Frame::Data(data)).await;
    }

    /// Whether more than the limit was written.
    pub fn over_limit(&self) -> bool {
        self.written > self.limit
    }

    /// Ends the body; a body over its limit ends [`BodyEnd::TooLarge`] whatever `end` says.
    pub async fn end(self, end: BodyEnd) {
        let end = if self.over_limit() {
            BodyEnd::TooLarge
        } else {
            end
        };
        // The end is known before the reader takes it: the instance's lifecycle goes on
        // without waiting for a slow caller.
        self.ended.send_replace(Some(end.clone()));
        let _ = self.frames.send(Frame::End(end)).await;
    }
}

impl Drop for BodyWriter {
    fn drop(&mut self) {
        self.ended.send_if_modified(|end| {
            let unset = end.is_none();
            if unset {
                *end = Some(BodyEnd::Truncated);
            }
            unset
        });
    }
}

/// The reading half: the chunks in the order the runtime wrote them, then how the body ended.
pub struct ResponseBody {
    frames: mpsc::Receiver<Frame>,
    end: Option<BodyEnd>,
}

/// A body read to its end (or to its limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    /// The bytes, at most the limit.
    pub bytes: Bytes,
    /// How it ended.
    pub end: BodyEnd,
}

impl ResponseBody {
    /// The next chunk; `None` at the end, which [`ResponseBody::end`] then tells.
    pub async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.end.is_some() {
            return None;
        }
        match self.frames.recv().await {
            Some(Frame::Data(data)) => Some(data),
            Some(Frame::End(end)) => {
                self.end = Some(end);
                None
            }
            None => {
                self.end = Some(BodyEnd::Truncated);
                None
            }
        }
    }

    /// How the body ended, once [`ResponseBody::next_chunk`] returned `None`.
    pub fn end(&self) -> Option<&BodyEnd> {
        self.end.as_ref()
    }

    /// Reads the whole body, up to `limit` bytes: past it the body ends [`BodyEnd::TooLarge`]
    /// at once and the rest is left to the writer to drop.
    pub async fn collect(mut self, limit: usize) -> Collected {
        let mut chunks = Vec::new();
        let mut total = 0usize;
        while let Some(chunk) = self.next_chunk().await {
            total = total.saturating_add(chunk.len());
            if total > limit {
                return Collected {
                    bytes: Bytes::new(),
                    end: BodyEnd::TooLarge,
                };
            }
            chunks.push(chunk);
        }
        // One chunk, the buffered case, is passed on without a copy.
        let bytes = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.pop().expect("one chunk"),
            _ => Bytes::from(chunks.concat()),
        };
        let end = self.end.take().unwrap_or(BodyEnd::Truncated);
        Collected { bytes, end }
    }
}

/// Tells when the runtime finished writing a body, whether or not anyone reads it.
#[derive(Clone)]
pub struct BodyEnded(watch::Receiver<Option<BodyEnd>>);

impl BodyEnded {
    /// Waits for the end of the body.
    pub async fn wait(&mut self) -> BodyEnd {
        match self.0.wait_for(Option::is_some).await {
            Ok(end) => end.clone().unwrap_or(BodyEnd::Truncated),
            Err(_) => BodyEnd::Truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_arrive_in_order_then_the_end() {
        let (mut writer, mut body, mut ended) = channel(100);
        let reader = tokio::spawn(async move {
            let mut chunks = Vec::new();
            while let Some(chunk) = body.next_chunk().await {
                chunks.push(chunk);
            }
            (chunks, body.end().cloned())
        });
        for i in 0..20 {
            writer.write(Bytes::from(format!("{i},"))).await;
        }
        writer.end(BodyEnd::Complete).await;
        let (chunks, end) = reader.await.unwrap();
        let expected: Vec<_> = (0..20).map(|i| Bytes::from(format!("{i},"))).collect();
        assert_eq!(chunks, expected);
        assert_eq!(end, Some(BodyEnd::Complete));
        assert_eq!(ended.wait().await, BodyEnd::Complete);
    }

    #[tokio::test]
    async fn a_chunk_is_readable_before_the_next_is_written() {
        let (mut writer, mut body, _ended) = channel(100);
        writer.write(Bytes::from_static(b"first")).await;
        assert_eq!(body.next_chunk().await.as_deref(), Some(&b"first"[..]));
        writer.write(Bytes::from_static(b"second")).await;
        assert_eq!(body.next_chunk().await.as_deref(), Some(&b"second"[..]));
    }

    #[tokio::test]
    async fn collect_joins_chunks() {
        let (mut writer, body, _ended) = channel(100);
        let collector = tokio::spawn(body.collect(100));
        for part in ["a", "bc", "def"] {
            writer.write(Bytes::from(part)).await;
        }
        writer.end(BodyEnd::Complete).await;
        let collected = collector.await.unwrap();
        assert_eq!(collected.bytes, Bytes::from_static(b"abcdef"));
        assert_eq!(collected.end, BodyEnd::Complete);
    }

    #[tokio::test]
    async fn over_the_writer_limit_the_rest_is_read_and_the_body_ends_too_large() {
        let (mut writer, body, mut ended) = channel(10);
        let collector = tokio::spawn(body.collect(usize::MAX));
        for _ in 0..100 {
            writer.write(Bytes::from_static(b"123456")).await;
        }
        assert!(writer.over_limit());
        writer.end(BodyEnd::Complete).await;
        let collected = collector.await.unwrap();
        assert_eq!(collected.end, BodyEnd::TooLarge);
        assert_eq!(ended.wait().await, BodyEnd::TooLarge);
    }

    #[tokio::test]
    async fn over_the_collector_limit_collect_stops_and_the_writer_goes_on() {
        let (mut writer, body, mut ended) = channel(usize::MAX);
        let collected = tokio::spawn(body.collect(10));
        // Far more than the channel holds: the writer never blocks on a reader that left.
        for _ in 0..100 {
            writer.write(Bytes::from_static(b"123456")).await;
        }
        assert_eq!(collected.await.unwrap().end, BodyEnd::TooLarge);
        writer.end(BodyEnd::Complete).await;
        assert_eq!(ended.wait().await, BodyEnd::Complete);
    }

    #[tokio::test]
    async fn a_dropped_writer_truncates_the_body() {
        let (mut writer, mut body, mut ended) = channel(100);
        writer.write(Bytes::from_static(b"partial")).await;
        drop(writer);
        assert_eq!(body.next_chunk().await.as_deref(), Some(&b"partial"[..]));
        assert_eq!(body.next_chunk().await, None);
        assert_eq!(body.end(), Some(&BodyEnd::Truncated));
        assert_eq!(ended.wait().await, BodyEnd::Truncated);
    }

    #[tokio::test]
    async fn an_error_trailer_ends_the_body() {
        let (mut writer, body, _ended) = channel(100);
        let collector = tokio::spawn(body.collect(100));
        writer.write(Bytes::from_static(b"some")).await;
        let trailer = BodyEnd::ErrorTrailer {
            error_type: "Runtime.StreamError".to_owned(),
            error_body: Bytes::from_static(b"boom"),
        };
        writer.end(trailer.clone()).await;
        let collected = collector.await.unwrap();
        assert_eq!(collected.bytes, Bytes::from_static(b"some"));
        assert_eq!(collected.end, trailer);
    }

    #[test]
    fn response_modes_from_the_header() {
        assert_eq!(
            ResponseMode::from_header(None),
            Some(ResponseMode::Buffered)
        );
        assert_eq!(
            ResponseMode::from_header(Some(b"streaming")),
            Some(ResponseMode::Streaming)
        );
        assert_eq!(ResponseMode::from_header(Some(b"Streaming")), None);
        assert_eq!(ResponseMode::from_header(Some(b"buffered")), None);
    }
}
