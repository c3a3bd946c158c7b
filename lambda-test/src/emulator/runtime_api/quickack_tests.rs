//! On real loopback sockets. `getsockopt(TCP_QUICKACK)` reads whether Linux is out of
//! delayed-ACK mode; `setsockopt(TCP_QUICKACK, 0)` puts a socket into it, as answering a request
//! does. No data crosses the connections, so no ACK timer can change the mode under the test.

use socket2::SockRef;
use tokio::net::{TcpListener, TcpStream};

use super::QuickAck;

async fn accepted() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (server, client)
}

fn delay_acks(stream: &TcpStream) {
    SockRef::from(stream).set_tcp_quickack(false).unwrap();
}

fn acks_at_once(stream: &TcpStream) -> bool {
    SockRef::from(stream).tcp_quickack().unwrap()
}

#[tokio::test]
async fn arming_leaves_delayed_ack_mode_on_that_connection_only() {
    let (armed, _a) = accepted().await;
    let (other, _b) = accepted().await;
    let quick_ack = QuickAck::of(&armed);
    delay_acks(&armed);
    delay_acks(&other);
    assert!(!acks_at_once(&armed));

    quick_ack.arm();
    assert!(
        acks_at_once(&armed),
        "armed: out of delayed-ACK mode at once"
    );
    assert!(!acks_at_once(&other), "another connection is left alone");
}
