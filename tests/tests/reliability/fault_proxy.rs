//! A loopback TCP relay between agents and the hub that the test switches, while it
//! runs, between passing bytes and a network fault: latency, a bandwidth limit, every
//! connection cut mid-stream, a black hole, a half-open link, and resets (RST).
//!
//! The relay knows nothing of TLS or gRPC: it moves bytes, so what the agents and the
//! hub see is what a bad network would do to them. Only 127.0.0.1. Dropping the proxy
//! closes its listener and every connection it relays, so a test stops it by itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Which way bytes go through the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the agent to the hub.
    ToHub,
    /// From the hub to the agent.
    ToAgent,
}

/// What the relay does to the bytes (and connections) passing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forwards every byte as it comes.
    Pass,
    /// Forwards every chunk read after this delay.
    Latency(Duration),
    /// Forwards at most this many bytes per second each way.
    Bandwidth(u64),
    /// Closes every connection (FIN both ways) at once, mid-stream, and every new one
    /// as soon as it is accepted.
    Cut,
    /// As [`Mode::Cut`], but with RST: `SO_LINGER` 0, then the sockets are dropped.
    Reset,
    /// Accepts connections and keeps them open, but forwards nothing either way, and
    /// dials nothing for a connection accepted meanwhile: a route that drops every
    /// packet. TCP on both ends keeps what it sent for retransmission, so when the
    /// black hole ends, what was held goes through, to whichever end still listens
    /// (the relay holds it unread, and the kernel's flow control does the rest).
    BlackHole,
    /// Forwards one direction only; the other is held as in a black hole: one end
    /// hears the other, but not the other way round.
    HalfOpen {
        /// The direction still forwarded.
        open: Direction,
    },
}

impl Mode {
    /// Whether the mode ends every connection (a cut or a reset).
    pub fn ends_connections(self) -> bool {
        matches!(self, Mode::Cut | Mode::Reset)
    }

    /// Whether bytes going `direction` are held back.
    fn holds(self, direction: Direction) -> bool {
        match self {
            Mode::BlackHole => true,
            Mode::HalfOpen { open } => open != direction,
            _ => false,
        }
    }
}

/// Waits while `mode` holds bytes going `direction` back.
async fn while_held(mode: &mut watch::Receiver<Mode>, direction: Direction) {
    while mode.borrow_and_update().holds(direction) {
        if mode.changed().await.is_err() {
            return;
        }
    }
}

/// A running relay from [`FaultProxy::addr`] to a hub's address.
pub struct FaultProxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    faults: Arc<AtomicU64>,
    accept: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        // Every connection task watches the mode: a cut ends them all.
        self.mode.send_replace(Mode::Cut);
    }
}

impl FaultProxy {
    /// Starts a relay on a free loopback port to `upstream`, passing bytes.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fault proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let (mode, watching) = watch::channel(Mode::Pass);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((agent, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(relay(agent, upstream, watching.clone()));
            }
        });
        FaultProxy {
            addr,
            mode,
            faults: Arc::new(AtomicU64::new(0)),
            accept,
        }
    }

    /// The address agents dial instead of the hub's.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches the relay to `mode`, for the connections open now and the ones to come.
    /// Every switch to a fault counts as one fault injected.
    pub fn set(&self, mode: Mode) {
        if mode != Mode::Pass {
            self.faults.fetch_add(1, Ordering::Relaxed);
        }
        self.mode.send_replace(mode);
    }

    /// The faults injected so far.
    pub fn faults(&self) -> u64 {
        self.faults.load(Ordering::Relaxed)
    }
}

/// Closes a connection with RST rather than FIN.
fn reset(stream: &TcpStream) {
    let _ = stream.set_zero_linger();
}

/// Relays one agent connection to the hub until either side closes it or the mode
/// ends it.
async fn relay(agent: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    // A black hole answers no new connection: the dial waits (and the agent's connect
    // timeout runs) until it ends or the connection is cut.
    while *mode.borrow_and_update() == Mode::BlackHole {
        if mode.changed().await.is_err() {
            return;
        }
    }
    let now = *mode.borrow_and_update();
    if now.ends_connections() {
        if now == Mode::Reset {
            reset(&agent);
        }
        return;
    }
    let Ok(hub) = TcpStream::connect(upstream).await else {
        reset(&agent);
        return;
    };
    let _ = agent.set_nodelay(true);
    let _ = hub.set_nodelay(true);
    let (mut agent, mut hub) = (agent, hub);
    let ending = {
        let (mut from_agent, mut to_agent) = agent.split();
        let (mut from_hub, mut to_hub) = hub.split();
        let up = pump(&mut from_agent, &mut to_hub, Direction::ToHub, mode.clone());
        let down = pump(
            &mut from_hub,
            &mut to_agent,
            Direction::ToAgent,
            mode.clone(),
        );
        let ended = async {
            loop {
                if mode.changed().await.is_err() {
                    return Mode::Cut;
                }
                let now = *mode.borrow_and_update();
                if now.ends_connections() {
                    return now;
                }
            }
        };
        tokio::select! {
            _ = async { tokio::join!(up, down) } => Mode::Pass,
            cut = ended => cut,
        }
    };
    if ending == Mode::Reset {
        reset(&agent);
        reset(&hub);
    }
    drop(agent);
    drop(hub);
}

/// Moves bytes one way, as the mode says, until the reading side ends.
async fn pump(
    from: &mut (impl AsyncReadExt + Unpin),
    to: &mut (impl AsyncWriteExt + Unpin),
    direction: Direction,
    mut mode: watch::Receiver<Mode>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // Held bytes stay unread: the sender's kernel keeps them, as it would keep
        // unacknowledged segments on a route that drops packets.
        while_held(&mut mode, direction).await;
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // Read just before the hold began: held in hand until it ends.
        while_held(&mut mode, direction).await;
        let now = *mode.borrow();
        let written = match now {
            Mode::Pass | Mode::Cut | Mode::Reset => to.write_all(&buf[..n]).await,
            Mode::Latency(delay) => {
                tokio::time::sleep(delay).await;
                to.write_all(&buf[..n]).await
            }
            Mode::Bandwidth(per_second) => {
                // In slices of a tenth of a second's worth.
                let slice = usize::try_from(per_second / 10)
                    .unwrap_or(usize::MAX)
                    .max(1);
                let mut result = Ok(());
                for part in buf[..n].chunks(slice) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    result = to.write_all(part).await;
                    if result.is_err() {
                        break;
                    }
                }
                result
            }
            Mode::BlackHole | Mode::HalfOpen { .. } => to.write_all(&buf[..n]).await,
        };
        if written.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
