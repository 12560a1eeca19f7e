//! The hub's listener: from an accepted TCP connection to an authenticated HTTP/2
//! connection that tonic serves, with every step bounded.
//!
//! 1. **Per address, and in all.** An IP address may have at most
//!    `limits.max_handshakes_per_address` TLS handshakes in progress; a connection
//!    beyond that is closed at once (refusal `too-many-handshakes-from-address`). All
//!    addresses together may have at most `limits.max_handshakes` in progress (refusal
//!    `too-many-handshakes`), so a flood from many addresses holds at most that many
//!    sockets and tasks, each until the handshake timeout.
//! 2. **Handshake.** The TLS handshake must finish within
//!    `tls.handshake_timeout_seconds`; the client certificate is judged in
//!    [`crate::tls`] and every refusal is recorded there or here.
//! 3. **Per identity.** One certificate identity (an OIN, or an OIN and a person) may
//!    hold at most `limits.max_connections_per_identity` connections open; one more is
//!    closed at once (`too-many-connections-for-identity`).
//! 4. **HTTP/2 start.** The client must send the HTTP/2 connection preface and its first
//!    SETTINGS frame within `limits.http2_start_timeout_seconds`, or the connection is
//!    closed (`http2-not-started`). Without this, an authenticated peer could open
//!    connections that hyper would wait on forever.
//!
//! The bytes read in step 4 are replayed to tonic by [`HubConnection`], which also holds
//! the identity's slot until the connection ends. It reports the TLS stream's own
//! connect info, so `Request::peer_certs()` works unchanged.

use std::collections::HashMap;
use std::hash::Hash;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

use crate::config::ConnectionLimits;
use crate::identity::{CertIdentity, identity_from_der};
use crate::refusals::{Refusal, RefusalReason, Refusals};

/// The HTTP/2 client connection preface (RFC 9113 3.4).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The length of an HTTP/2 frame header (RFC 9113 4.1).
const FRAME_HEADER_LEN: usize = 9;
/// The HTTP/2 SETTINGS frame type (RFC 9113 6.5).
const SETTINGS: u8 = 0x4;
/// The largest first SETTINGS frame accepted: 64 settings of 6 bytes, far more than
/// the protocol defines.
const MAX_FIRST_SETTINGS_LEN: usize = 64 * 6;

/// Counts held per key, each below a limit; a [`Slot`] gives its count back when it is
/// dropped.
#[derive(Debug)]
pub struct Slots<K: Eq + Hash> {
    limit: usize,
    held: Mutex<HashMap<K, usize>>,
}

/// One unit of a key's count in [`Slots`], released on drop.
#[derive(Debug)]
pub struct Slot<K: Eq + Hash + Clone> {
    slots: Arc<Slots<K>>,
    key: K,
}

impl<K: Eq + Hash + Clone> Slots<K> {
    /// Slots allowing `limit` at a time per key.
    pub fn new(limit: usize) -> Arc<Slots<K>> {
        Arc::new(Slots {
            limit,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for `key`, or `None` when it already holds the limit.
    pub fn try_take(self: &Arc<Self>, key: K) -> Option<Slot<K>> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let count = held.entry(key.clone()).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Slot {
            slots: self.clone(),
            key,
        })
    }

    /// Every key holding slots, with how many.
    fn held_all(&self) -> Vec<(K, usize)> {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(key, count)| (key.clone(), *count))
            .collect()
    }

    /// How many slots `key` holds.
    pub fn held(&self, key: &K) -> usize {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

impl<K: Eq + Hash + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut held = self.slots.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// Who holds an authenticated connection, for the per-identity limit: the identity the
/// certificate names, or (for a certificate the hub will refuse at the first call
/// anyway, e.g. a malformed OIN) the certificate itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IdentityKey {
    Organisation(String),
    Person { oin: String, person: String },
    Certificate(Vec<u8>),
}

impl IdentityKey {
    fn of(leaf: &[u8]) -> IdentityKey {
        match identity_from_der(leaf) {
            Ok(CertIdentity::Organisation { oin }) => IdentityKey::Organisation(oin.to_string()),
            Ok(CertIdentity::Person { oin, person }) => IdentityKey::Person {
                oin: oin.to_string(),
                person,
            },
            Err(_) => IdentityKey::Certificate(
                ring::digest::digest(&ring::digest::SHA256, leaf)
                    .as_ref()
                    .to_vec(),
            ),
        }
    }

    /// The refusal of this identity for `reason`, naming its OIN and person.
    fn refusal(&self, reason: RefusalReason, address: IpAddr) -> Refusal {
        let (oin, person) = match self {
            IdentityKey::Organisation(oin) => (Some(oin.clone()), None),
            IdentityKey::Person { oin, person } => (Some(oin.clone()), Some(person.clone())),
            IdentityKey::Certificate(_) => (None, None),
        };
        Refusal {
            oin,
            person,
            ..Refusal::of(reason).from_address(address)
        }
    }
}

/// The connections the listener let through that are still open (each holds its
/// identity's slot until it ends), for the report of a shutdown that could not wait
/// for all of them.
#[derive(Clone, Debug)]
pub struct OpenConnections(Arc<Slots<IdentityKey>>);

impl OpenConnections {
    /// Who holds the connections open now.
    pub fn now(&self) -> StillOpen {
        let mut open = StillOpen::default();
        for (key, count) in self.0.held_all() {
            match key {
                IdentityKey::Organisation(oin) => open.organisations.push((oin, count)),
                IdentityKey::Person { .. } => open.of_persons += count,
                IdentityKey::Certificate(_) => open.unidentified += count,
            }
        }
        open.organisations.sort();
        open
    }
}

/// Open connections by who holds them: organisations by OIN; persons only counted
/// (their ids stay out of the log).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StillOpen {
    /// OIN and number of connections.
    pub organisations: Vec<(String, usize)>,
    pub of_persons: usize,
    /// Of certificates the hub refuses at the first call.
    pub unidentified: usize,
}

impl std::fmt::Display for StillOpen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = self
            .organisations
            .iter()
            .map(|(oin, n)| format!("{n} of OIN {oin}"))
            .collect();
        if self.of_persons > 0 {
            parts.push(format!("{} of persons", self.of_persons));
        }
        if self.unidentified > 0 {
            parts.push(format!("{} unidentified", self.unidentified));
        }
        if parts.is_empty() {
            return f.write_str("none");
        }
        f.write_str(&parts.join(", "))
    }
}

/// An authenticated connection that started HTTP/2, as tonic serves it.
pub struct HubConnection {
    stream: TlsStream<TcpStream>,
    /// The bytes read to see HTTP/2 start, given to tonic first.
    replay: Vec<u8>,
    replayed: usize,
    /// Held while the connection is open.
    _identity: Slot<IdentityKey>,
}

impl AsyncRead for HubConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.replayed < this.replay.len() {
            let rest = &this.replay[this.replayed..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.replayed += n;
            if this.replayed == this.replay.len() {
                this.replay = Vec::new();
                this.replayed = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for HubConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Connected for HubConnection {
    type ConnectInfo = <TlsStream<TcpStream> as Connected>::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

/// What the listener needs besides the TLS configuration.
#[derive(Clone, Debug)]
pub struct ListenerSettings {
    pub handshake_timeout: Duration,
    pub limits: ConnectionLimits,
}

/// Accepts TCP connections on `listener` and yields the authenticated HTTP/2 ones,
/// through the steps of the module doc, and what tells which of them are still open.
/// The accept loop ends when the returned stream is dropped.
pub fn incoming(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    settings: ListenerSettings,
    refusals: Arc<Refusals>,
) -> (
    ReceiverStream<Result<HubConnection, io::Error>>,
    OpenConnections,
) {
    let (tx, rx) = mpsc::channel(64);
    let acceptor = TlsAcceptor::from(config);
    let handshakes = Slots::<IpAddr>::new(settings.limits.max_handshakes_per_address);
    // One key for all addresses: the bound on handshakes in progress in all.
    let all_handshakes = Slots::<()>::new(settings.limits.max_handshakes);
    let identities = Slots::<IdentityKey>::new(settings.limits.max_connections_per_identity);
    let open = OpenConnections(identities.clone());
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = tx.closed() => break,
            };
            let (tcp, peer) = match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Usually EMFILE or a reset before accept; back off briefly so a
                    // persistent error does not spin.
                    tracing::warn!(%error, "accepting a TCP connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let Some(from_address) = handshakes.try_take(peer.ip()) else {
                refusals.record(
                    Refusal::of(RefusalReason::TooManyHandshakesFromAddress)
                        .from_address(peer.ip()),
                );
                drop(tcp);
                continue;
            };
            let Some(in_all) = all_handshakes.try_take(()) else {
                refusals
                    .record(Refusal::of(RefusalReason::TooManyHandshakes).from_address(peer.ip()));
                drop(tcp);
                continue;
            };
            let handshake = (from_address, in_all);
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
            let connection = Connection {
                acceptor: acceptor.clone(),
                settings: settings.clone(),
                refusals: refusals.clone(),
                identities: identities.clone(),
                peer,
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Some(connection) = connection.establish(tcp, handshake).await {
                    // The receiver is gone only when the server is shutting down.
                    let _ = tx.send(Ok(connection)).await;
                }
            });
        }
    });
    (ReceiverStream::new(rx), open)
}

/// One accepted connection on its way to tonic.
struct Connection {
    acceptor: TlsAcceptor,
    settings: ListenerSettings,
    refusals: Arc<Refusals>,
    identities: Arc<Slots<IdentityKey>>,
    peer: SocketAddr,
}

impl Connection {
    /// Steps 2 to 4 of the module doc; `None` when the connection was refused (and
    /// recorded) or ended.
    async fn establish(
        self,
        tcp: TcpStream,
        handshake: (Slot<IpAddr>, Slot<()>),
    ) -> Option<HubConnection> {
        let address = self.peer.ip();
        let accepted =
            tokio::time::timeout(self.settings.handshake_timeout, self.acceptor.accept(tcp)).await;
        // The handshake is over, one way or the other.
        drop(handshake);
        let mut stream = match accepted {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => {
                self.handshake_failed(&error);
                return None;
            }
            Err(_) => {
                self.refusals
                    .record(Refusal::of(RefusalReason::HandshakeTimeout).from_address(address));
                return None;
            }
        };
        // The verifier required a certificate, so there is one.
        let key = IdentityKey::of(stream.get_ref().1.peer_certificates()?.first()?.as_ref());
        let Some(slot) = self.identities.try_take(key.clone()) else {
            self.refusals
                .record(key.refusal(RefusalReason::TooManyConnectionsForIdentity, address));
            return None;
        };
        let started = tokio::time::timeout(
            self.settings.limits.http2_start_timeout,
            read_http2_start(&mut stream),
        )
        .await;
        match started {
            Ok(Ok(replay)) => Some(HubConnection {
                stream,
                replay,
                replayed: 0,
                _identity: slot,
            }),
            Ok(Err(error)) => {
                tracing::warn!(peer = %self.peer, %error, "the connection did not start HTTP/2");
                self.refusals
                    .record(key.refusal(RefusalReason::Http2NotStarted, address));
                None
            }
            Err(_) => {
                tracing::warn!(
                    peer = %self.peer,
                    timeout = ?self.settings.limits.http2_start_timeout,
                    "the connection did not start HTTP/2 in time; closed"
                );
                self.refusals
                    .record(key.refusal(RefusalReason::Http2NotStarted, address));
                None
            }
        }
    }

    fn handshake_failed(&self, error: &io::Error) {
        let tls_error = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        match tls_error {
            // Already recorded, with the certificate's OIN, by the verifier.
            Some(rustls::Error::InvalidCertificate(_)) => {}
            Some(tls_error) => self.refusals.record(
                Refusal::of(crate::tls::reason_for(tls_error)).from_address(self.peer.ip()),
            ),
            None => {
                tracing::debug!(peer = %self.peer, %error, "connection ended during the TLS handshake")
            }
        }
    }
}

/// Reads the HTTP/2 connection preface and the first frame, which must be SETTINGS
/// (RFC 9113 3.4); returns the bytes read, for tonic to read again.
async fn read_http2_start(stream: &mut TlsStream<TcpStream>) -> io::Result<Vec<u8>> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut start = vec![0u8; PREFACE.len() + FRAME_HEADER_LEN];
    stream.read_exact(&mut start).await?;
    if start[..PREFACE.len()] != PREFACE[..] {
        return Err(invalid(
            "the client did not send the HTTP/2 connection preface",
        ));
    }
    let header = &start[PREFACE.len()..];
    let length =
        usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
    let stream_id = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff;
    if header[3] != SETTINGS || stream_id != 0 || length > MAX_FIRST_SETTINGS_LEN {
        return Err(invalid("the first HTTP/2 frame is not a SETTINGS frame"));
    }
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload).await?;
    start.extend_from_slice(&payload);
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_per_key_and_given_back_on_drop() {
        let slots = Slots::<&str>::new(2);
        let a1 = slots.try_take("a").expect("first");
        let a2 = slots.try_take("a").expect("second");
        assert!(slots.try_take("a").is_none(), "third is over the limit");
        let b = slots.try_take("b").expect("another key has its own count");
        assert_eq!(slots.held(&"a"), 2);
        drop(a1);
        assert_eq!(slots.held(&"a"), 1);
        let a3 = slots.try_take("a").expect("a slot was given back");
        drop((a2, a3, b));
        assert_eq!(slots.held(&"a"), 0);
        assert!(slots.held.lock().unwrap().is_empty(), "no keys linger");
    }

    /// What the shutdown's log line says of the connections still open: organisations
    /// by OIN, persons only counted (their ids stay out of the log).
    #[test]
    fn connections_still_open_name_organisations_and_only_count_persons() {
        let slots = Slots::<IdentityKey>::new(4);
        let open = OpenConnections(slots.clone());
        assert_eq!(open.now().to_string(), "none");
        let held = [
            slots.try_take(IdentityKey::Organisation("00000002000000000002".into())),
            slots.try_take(IdentityKey::Organisation("00000001000000000001".into())),
            slots.try_take(IdentityKey::Organisation("00000002000000000002".into())),
            slots.try_take(IdentityKey::Person {
                oin: "00000001000000000001".into(),
                person: "p-gemeente-004".into(),
            }),
            slots.try_take(IdentityKey::Certificate(vec![1, 2, 3])),
        ];
        assert!(held.iter().all(Option::is_some));
        let text = open.now().to_string();
        assert_eq!(
            text,
            "1 of OIN 00000001000000000001, 2 of OIN 00000002000000000002, 1 of persons, 1 unidentified"
        );
        assert!(!text.contains("p-gemeente"), "{text}");
        drop(held);
        assert_eq!(open.now().to_string(), "none");
    }
}
