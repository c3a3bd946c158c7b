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
//!
//! The handler sets it at once, through a duplicate of the connection's descriptor taken when
//! the connection is accepted (two syscalls per connection; `lambda_runtime` keeps one
//! connection for all its invocations). Leaving it to the connection's next read would be too
//! late when hyper already waits for the socket to become readable: the held chunk does not
//! make it readable until the delayed ACK has gone out.

use std::os::fd::{AsFd as _, OwnedFd};
use std::sync::Arc;

use axum::serve::IncomingStream;
use tokio::net::{TcpListener, TcpStream};

/// The handle a request has on its connection's ACKs (its `ConnectInfo`).
#[derive(Clone)]
pub struct QuickAck(Option<Arc<OwnedFd>>);

impl QuickAck {
    /// The handle of an accepted connection: without one (no descriptor left), arming does
    /// nothing.
    fn of(stream: &TcpStream) -> QuickAck {
        QuickAck(stream.as_fd().try_clone_to_owned().ok().map(Arc::new))
    }

    /// Makes the connection acknowledge at once what it has received and what arrives next,
    /// until it next sends data.
    pub fn arm(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(socket) = &self.0 {
            // A failure only leaves the ACK delayed, as without the option.
            let _ = socket2::SockRef::from(&**socket).set_tcp_quickack(true);
        }
    }
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, TcpListener>> for QuickAck {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> QuickAck {
        QuickAck::of(stream.io())
    }
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
#[path = "quickack_tests.rs"]
mod tests;
