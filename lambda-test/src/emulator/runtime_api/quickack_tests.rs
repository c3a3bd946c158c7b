//! On real loopback sockets. `getsockopt(TCP_QUICKACK)` reads whether Linux is out of
//! delayed-ACK mode; `setsockopt(TCP_QUICKACK, 0)` puts a socket into it, as answering a request
//! does. No data crosses the connection, so no ACK timer can change the mode under the test.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;

use socket2::SockRef;
use tokio::io::{AsyncRead as _, ReadBuf};

use super::{Connection, Listener};

async fn accepted() -> (Connection, std::net::TcpStream) {
    let mut listener = Listener(tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap());
    let address = axum::serve::Listener::local_addr(&listener).unwrap();
    let client = std::net::TcpStream::connect(address).unwrap();
    let (connection, _) = axum::serve::Listener::accept(&mut listener).await;
    (connection, client)
}

fn delay_acks(connection: &Connection) {
    SockRef::from(&connection.stream)
        .set_tcp_quickack(false)
        .unwrap();
}

fn acks_at_once(connection: &Connection) -> bool {
    SockRef::from(&connection.stream).tcp_quickack().unwrap()
}

/// One read attempt; nothing has been sent, so it is pending.
async fn poll_read_once(connection: &mut Connection) {
    let mut bytes = [0u8; 16];
    poll_fn(|cx| {
        let mut buf = ReadBuf::new(&mut bytes);
        assert!(Pin::new(&mut *connection).poll_read(cx, &mut buf).is_pending());
        Poll::Ready(())
    })
    .await;
}

#[tokio::test]
async fn an_armed_connection_leaves_delayed_ack_mode_at_its_next_read_only() {
    let (mut connection, _client) = accepted().await;
    delay_acks(&connection);
    poll_read_once(&mut connection).await;
    assert!(!acks_at_once(&connection), "a read alone changes nothing");

    connection.quick_ack.clone().arm();
    assert!(!acks_at_once(&connection), "arming waits for the next read");
    poll_read_once(&mut connection).await;
    assert!(acks_at_once(&connection), "the armed read left delayed-ACK mode");

    // Spent: the next read of a connection back in delayed-ACK mode leaves it there.
    delay_acks(&connection);
    poll_read_once(&mut connection).await;
    assert!(!acks_at_once(&connection));
}

#[tokio::test]
async fn arming_one_connection_leaves_another_alone() {
    let (mut armed, _a) = accepted().await;
    let (mut other, _b) = accepted().await;
    delay_acks(&armed);
    delay_acks(&other);
    armed.quick_ack.clone().arm();
    poll_read_once(&mut armed).await;
    poll_read_once(&mut other).await;
    assert!(acks_at_once(&armed));
    assert!(!acks_at_once(&other));
}
