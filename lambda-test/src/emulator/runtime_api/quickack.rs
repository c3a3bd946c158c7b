//! Immediate ACKs on the Runtime API connection a streamed response arrives on.
//!
//! `lambda_runtime`'s HTTP client does not set `TCP_NODELAY`. After the prelude of a streamed
//! response, its next small write (the handler's first chunk) waits in Nagle's algorithm until
//! the prelude is acknowledged. Linux delays that ACK, by about 40 ms, on a connection where it
//! has answered a request (it did: `GET /next`), expecting to send the ACK with its next answer.
//! So the handler's first bytes would reach the caller 40 ms late (BENCHMARKS.md).
//!
//! `TCP_QUICKACK` leaves that delayed-ACK mode and sends at once an ACK that is due. Linux goes
//! back to delaying only when this side sends data soon after receiving some, and the Runtime
//! API sends nothing on that connection until the body has ended (the 202). So setting the
//! option once, when a streamed `/response` starts, covers the whole body: one `setsockopt` per
//! streamed response, none for a buffered one (a buffered response comes in one write).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A Runtime API listener whose connections can be asked to acknowledge at once.
pub struct Listener(pub TcpListener);

impl axum::serve::Listener for Listener {
    type Io = Connection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Connection, SocketAddr) {
        // axum's own accept, with its handling of accept errors.
        let (stream, address) = axum::serve::Listener::accept(&mut self.0).await;
        let connection = Connection {
            stream,
            quick_ack: QuickAck::default(),
        };
        (connection, address)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// One accepted connection: the stream, and whether its next read should first leave
/// delayed-ACK mode.
pub struct Connection {
    stream: TcpStream,
    quick_ack: QuickAck,
}

/// The handle a request has on its connection's ACKs (its `ConnectInfo`).
#[derive(Clone, Default)]
pub struct QuickAck(Arc<AtomicBool>);

impl QuickAck {
    /// Makes the connection acknowledge what arrives on it at once, from its next read on
    /// (which is when the server waits for more of the body), until it next sends data.
    pub fn arm(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether an `arm` is pending, cleared by asking.
    fn take(&self) -> bool {
        self.0.load(Ordering::Relaxed) && self.0.swap(false, Ordering::Relaxed)
    }
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, Listener>> for QuickAck {
    fn connect_info(stream: IncomingStream<'_, Listener>) -> QuickAck {
        stream.io().quick_ack.clone()
    }
}

/// `TCP_QUICKACK` on. Elsewhere than Linux there is no such option, and nothing to do.
fn leave_delayed_ack_mode(stream: &TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // A failure only leaves the ACK delayed, as without the option.
        let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = stream;
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.quick_ack.take() {
            leave_delayed_ack_mode(&this.stream);
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
#[path = "quickack_tests.rs"]
mod tests;
