//! The padded envelope body of the `oversize` and `endless` faults. It is streamed chunk by
//! chunk from one buffer allocated per answer, so even a 2 GB body never sits in memory.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use hyper::body::{Bytes, Frame, SizeHint};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

/// The whole body with no padding; the padding goes between `"padding":"` and `"}}`.
const FRAME: &[u8] = b"{\"success\":true,\"data\":{\"padding\":\"\"}}";
/// Length of the part of [`FRAME`] before the padding.
const HEAD_LEN: usize = FRAME.len() - 3;

/// How a padded body is shaped.
#[derive(Debug, Clone, Copy)]
pub struct Padding {
    /// Total length in bytes; `None` streams forever.
    pub total: Option<u64>,
    /// Chunked transfer encoding even when the length is known.
    pub chunked: bool,
    /// Padding bytes per chunk.
    pub chunk_bytes: usize,
    /// Pause before each padding chunk.
    pub delay: Duration,
}

/// The streamed body: head, padding chunks, tail.
struct PaddedBody {
    head: Bytes,
    /// One chunk of `x`, sliced for every padding frame (no copy).
    pad: Bytes,
    /// Padding bytes still to send; `None` means forever.
    left: Option<u64>,
    tail: Bytes,
    delay: Option<(Duration, Pin<Box<Sleep>>)>,
    waiting: bool,
    /// Whether to announce the length (no chunked encoding).
    exact: bool,
    /// Turns true when the server stops, so an endless body cannot hold the shutdown up.
    stop: watch::Receiver<bool>,
}

impl PaddedBody {
    fn new(p: Padding, stop: watch::Receiver<bool>) -> Self {
        let (head, left, tail) = match p.total {
            None => (&FRAME[..HEAD_LEN], None, &FRAME[..0]),
            Some(n) => match usize::try_from(n) {
                Ok(n) if n < FRAME.len() => (&FRAME[..n], Some(0), &FRAME[..0]),
                _ => (
                    &FRAME[..HEAD_LEN],
                    Some(n - FRAME.len() as u64),
                    &FRAME[HEAD_LEN..],
                ),
            },
        };
        let pad_len = match left {
            Some(l) => usize::try_from(l).unwrap_or(usize::MAX).min(p.chunk_bytes),
            None => p.chunk_bytes,
        };
        let delay = (!p.delay.is_zero()).then(|| (p.delay, Box::pin(tokio::time::sleep(p.delay))));
        PaddedBody {
            head: Bytes::from_static(head),
            pad: Bytes::from(vec![b'x'; pad_len.max(1)]),
            left,
            tail: Bytes::from_static(tail),
            delay,
            waiting: false,
            exact: !p.chunked && p.total.is_some(),
            stop,
        }
    }

    fn remaining(&self) -> Option<u64> {
        let left = self.left?;
        Some(self.head.len() as u64 + left + self.tail.len() as u64)
    }
}

impl hyper::body::Body for PaddedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if *this.stop.borrow() {
            // An error, not the end: the client must not take a cut-off body for a whole one.
            return Poll::Ready(Some(Err(std::io::Error::other("mock server stopping"))));
        }
        if !this.head.is_empty() {
            return Poll::Ready(Some(Ok(Frame::data(std::mem::take(&mut this.head)))));
        }
        if this.left != Some(0) {
            if let Some((delay, sleep)) = this.delay.as_mut() {
                if !this.waiting {
                    sleep.as_mut().reset(Instant::now() + *delay);
                    this.waiting = true;
                }
                ready!(sleep.as_mut().poll(cx));
                this.waiting = false;
            }
            let n = match this.left.as_mut() {
                Some(left) => {
                    let n = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(this.pad.len());
                    *left -= n as u64;
                    n
                }
                None => this.pad.len(),
            };
            return Poll::Ready(Some(Ok(Frame::data(this.pad.slice(..n)))));
        }
        if !this.tail.is_empty() {
            return Poll::Ready(Some(Ok(Frame::data(std::mem::take(&mut this.tail)))));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.remaining() == Some(0)
    }

    fn size_hint(&self) -> SizeHint {
        // An exact hint makes hyper send Content-Length; anything else goes out chunked.
        match self.remaining() {
            Some(n) if self.exact => SizeHint::with_exact(n),
            _ => SizeHint::default(),
        }
    }
}

/// A 200 JSON answer with the padded body `p`.
pub fn response(p: Padding, stop: watch::Receiver<bool>) -> Response<Body> {
    let body = PaddedBody::new(p, stop);
    let length = body.exact.then(|| body.remaining()).flatten();
    let mut resp = Response::new(Body::new(body));
    *resp.status_mut() = StatusCode::OK;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(n) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    resp
}
