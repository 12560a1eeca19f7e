//! Resource bounds of a running hub (issue 22): what one connection, one person and
//! one message may take, and what a client gets beyond each bound. The per-address,
//! per-identity and HTTP/2-start bounds are `tests/tests/limits.rs`; memory under a
//! flood is `flood.rs`. `RELIABILITY.md` ("Resource bounds") has the table.
//!
//! The HTTP/2 bounds are checked on the wire: a raw TLS connection speaks HTTP/2
//! frames itself, so the test sees the SETTINGS the hub announces and the
//! RST_STREAM it answers with, not only what a well-behaved client makes of them.

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tonic::Code;
use treiter_hub::refusals::RefusalReason;
use treiter_hub::server::{
    MAX_COORDINATOR_MESSAGE, MAX_HEADER_LIST_SIZE, MAX_LINK_MESSAGE, MAX_PRIVACY_OFFICER_MESSAGE,
    MAX_STATUS_MESSAGE,
};
use treiter_proto::v1 as wire;

use super::raw;
use super::{Kind, tally};
use crate::support::{Pki, TestHub, client_tls, party_channel, person_channel, raw_tls};

const SDR_OOST: &str = "p-gemeente-004";
const IM_OOST: &str = "p-gemeente-001";
const PO_GEMEENTE: &str = "p-gemeente-090";

/// A hub with `limits` as its `[limits]` table and `extra` after it.
async fn hub_with(pki: &Pki, limits: &str, extra: &str) -> TestHub {
    let data: PathBuf = pki.dir.path().join("hub-data-bounds");
    TestHub::start_in(
        pki,
        "127.0.0.1:0".parse().expect("addr"),
        &data,
        &format!("\n[limits]\n{limits}\n{extra}"),
    )
    .await
}

// HTTP/2 on the wire (RFC 9113), as much as the tests need.
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const CONTINUATION: u8 = 0x9;
const END_HEADERS: u8 = 0x4;
const ACK: u8 = 0x1;
const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
const SETTINGS_MAX_HEADER_LIST_SIZE: u16 = 0x6;
const REFUSED_STREAM: u32 = 0x7;
const MAX_FRAME: usize = 16_384;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("small frame");
    let mut out = len.to_be_bytes()[1..].to_vec();
    out.extend([kind, flags]);
    out.extend(stream.to_be_bytes());
    out.extend(payload);
    out
}

/// An HPACK string literal, without Huffman coding (RFC 7541 5.2).
fn hpack_string(out: &mut Vec<u8>, text: &[u8]) {
    // Integer with a 7-bit prefix (RFC 7541 5.1).
    let mut len = text.len();
    if len < 127 {
        out.push(len as u8);
    } else {
        out.push(127);
        len -= 127;
        while len >= 128 {
            out.push((len % 128) as u8 | 0x80);
            len /= 128;
        }
        out.push(len as u8);
    }
    out.extend(text);
}

/// The header block of a gRPC request to `path`, each field a literal without
/// indexing (RFC 7541 6.2.2), with `pad` bytes of one extra metadata value.
fn request_headers(path: &str, pad: usize) -> Vec<u8> {
    let mut block = Vec::new();
    let padding = "x".repeat(pad);
    let mut fields = vec![
        (":method", "POST"),
        (":scheme", "https"),
        (":path", path),
        (":authority", "localhost"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ];
    if pad > 0 {
        fields.push(("x-padding", padding.as_str()));
    }
    for (name, value) in fields {
        block.push(0x00);
        hpack_string(&mut block, name.as_bytes());
        hpack_string(&mut block, value.as_bytes());
    }
    block
}

/// HEADERS (and CONTINUATION frames when the block is larger than a frame) opening
/// stream `stream` without ending it: the hub waits for the request's body.
fn open_stream(stream: u32, block: &[u8]) -> Vec<u8> {
    let mut chunks = block.chunks(MAX_FRAME).peekable();
    let mut out = Vec::new();
    let mut first = true;
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        let kind = if first { HEADERS } else { CONTINUATION };
        out.extend(frame(
            kind,
            if last { END_HEADERS } else { 0 },
            stream,
            chunk,
        ));
        first = false;
    }
    out
}

/// One frame read: its type, flags, stream and payload.
struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

async fn read_frame(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> Frame {
    let mut header = [0u8; 9];
    tokio::time::timeout(Duration::from_secs(20), stream.read_exact(&mut header))
        .await
        .expect("a frame within 20 s")
        .expect("read a frame header");
    let len = usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
    let mut payload = vec![0u8; len];
    stream
        .read_exact(&mut payload)
        .await
        .expect("frame payload");
    Frame {
        kind: header[3],
        flags: header[4],
        stream: u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff,
        payload,
    }
}

/// Opens an HTTP/2 connection by hand as `slug`'s organisation: preface, empty
/// SETTINGS, the hub's SETTINGS acknowledged. Returns the stream and the settings the
/// hub announced.
async fn http2_by_hand(
    pki: &Pki,
    slug: &str,
    hub: &TestHub,
) -> (
    tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    Vec<(u16, u32)>,
) {
    let (cert, key) = pki.party(slug);
    let mut tls = raw_tls(client_tls(pki, &cert, &key, hub.addr), hub.addr)
        .await
        .expect("the handshake succeeds");
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .expect("preface");
    tls.write_all(&frame(SETTINGS, 0, 0, &[]))
        .await
        .expect("settings");
    let settings = loop {
        let f = read_frame(&mut tls).await;
        if f.kind == SETTINGS && f.flags & ACK == 0 {
            break f
                .payload
                .chunks_exact(6)
                .map(|s| {
                    (
                        u16::from_be_bytes([s[0], s[1]]),
                        u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
                    )
                })
                .collect::<Vec<_>>();
        }
    };
    tls.write_all(&frame(SETTINGS, ACK, 0, &[]))
        .await
        .expect("settings ack");
    (tls, settings)
}

/// Reads frames until one ends or answers `stream` (RST_STREAM, or HEADERS with a
/// status); returns it. A GOAWAY first fails the test: the bound is per stream, the
/// connection must live on.
async fn answer_on(
    tls: &mut (impl tokio::io::AsyncRead + Unpin),
    stream: u32,
    earlier: &mut Vec<u32>,
) -> Frame {
    loop {
        let f = read_frame(tls).await;
        assert_ne!(f.kind, GOAWAY, "the hub closed the whole connection");
        if (f.kind == RST_STREAM || f.kind == HEADERS) && f.stream != stream && f.stream != 0 {
            earlier.push(f.stream);
        }
        if f.stream == stream && (f.kind == RST_STREAM || f.kind == HEADERS) {
            return f;
        }
    }
}

/// One connection may carry at most `limits.max_concurrent_streams` calls at once:
/// the hub announces it in its SETTINGS and refuses one stream more with
/// RST_STREAM(REFUSED_STREAM), which a gRPC client retries; the calls in progress
/// and the connection carry on. Before the bound was set, tonic announced no limit at
/// all.
#[tokio::test]
async fn one_connection_carries_at_most_max_concurrent_streams_calls_at_once() {
    let pki = Pki::new();
    let hub = hub_with(&pki, "max_concurrent_streams = 4", "").await;
    let (mut tls, settings) = http2_by_hand(&pki, "gemeente", &hub).await;
    let announced = |id| settings.iter().find(|(k, _)| *k == id).map(|(_, v)| *v);
    let mut wrong = 0;
    if announced(SETTINGS_MAX_CONCURRENT_STREAMS) != Some(4) {
        wrong += 1;
    }
    if announced(SETTINGS_MAX_HEADER_LIST_SIZE) != Some(MAX_HEADER_LIST_SIZE) {
        wrong += 1;
    }
    // Five calls opened, none sending its body: the hub waits on four, the fifth is
    // one too many.
    let block = request_headers("/treiter.hub.v1.HubStatus/GetStatus", 0);
    for stream in [1, 3, 5, 7, 9] {
        tls.write_all(&open_stream(stream, &block))
            .await
            .expect("open a stream");
    }
    let mut earlier = Vec::new();
    let refused = answer_on(&mut tls, 9, &mut earlier).await;
    let code = (refused.kind == RST_STREAM)
        .then(|| u32::from_be_bytes(refused.payload[..4].try_into().expect("4 bytes")));
    if code != Some(REFUSED_STREAM) {
        wrong += 1;
    }
    if !earlier.is_empty() {
        wrong += 1;
    }
    // The four calls in progress are still served: one of them gets its (empty)
    // request and is answered.
    tls.write_all(&frame(DATA, 0x1, 1, &[0, 0, 0, 0, 0]))
        .await
        .expect("the body of the first call");
    let answered = answer_on(&mut tls, 1, &mut Vec::new()).await;
    if answered.kind != HEADERS {
        wrong += 1;
    }
    tally(
        "one_connection_carries_at_most_max_concurrent_streams_calls_at_once",
        Kind::ResourceBounds,
        5,
        wrong,
        0,
    );
    assert_eq!(
        announced(SETTINGS_MAX_CONCURRENT_STREAMS),
        Some(4),
        "{settings:?}"
    );
    assert_eq!(
        announced(SETTINGS_MAX_HEADER_LIST_SIZE),
        Some(MAX_HEADER_LIST_SIZE),
        "{settings:?}"
    );
    assert_eq!(code, Some(REFUSED_STREAM), "the fifth stream is refused");
    assert!(
        earlier.is_empty(),
        "streams within the bound were answered: {earlier:?}"
    );
    assert_eq!(answered.kind, HEADERS, "a call within the bound is served");
    drop(tls);
    hub.stop().await;
}

/// A call whose request body never comes keeps the hub from stopping only for
/// `limits.shutdown_grace_seconds`: then the hub stops without it and says whose
/// connection was still open. Before the grace, a stop waited for such a call for ever.
#[tokio::test]
async fn a_call_that_never_ends_keeps_the_hub_from_stopping_only_for_the_grace() {
    let pki = Pki::new();
    let hub = hub_with(&pki, "shutdown_grace_seconds = 1", "").await;
    let (mut tls, _) = http2_by_hand(&pki, "gemeente", &hub).await;
    let block = request_headers("/treiter.hub.v1.HubStatus/GetStatus", 0);
    tls.write_all(&open_stream(1, &block))
        .await
        .expect("open a stream");
    // The call is in progress once the hub has the stream (a ping's answer comes after
    // the frames before it).
    tls.write_all(&frame(PING, 0, 0, &[7; 8]))
        .await
        .expect("ping");
    loop {
        let f = read_frame(&mut tls).await;
        if f.kind == PING && f.flags & ACK != 0 {
            break;
        }
    }
    let started = std::time::Instant::now();
    let stopped = hub.stop_reporting().await;
    let took = started.elapsed();
    assert_eq!(
        stopped,
        treiter_hub::server::Stopped::GraceRanOut(treiter_hub::listener::StillOpen {
            organisations: vec![("00000001000000000001".to_owned(), 1)],
            of_persons: 0,
            unidentified: 0,
        })
    );
    assert!(took >= Duration::from_secs(1), "stopped after {took:?}");
    drop(tls);
}

/// A request whose headers (gRPC metadata) are larger than 16 KiB is refused on its
/// own stream (h2 answers 431 or resets it); the connection lives on and serves the
/// next call.
#[tokio::test]
async fn a_request_with_headers_over_the_bound_is_refused_and_the_connection_lives_on() {
    let pki = Pki::new();
    let hub = hub_with(&pki, "", "").await;
    let (mut tls, _) = http2_by_hand(&pki, "gemeente", &hub).await;
    let big = request_headers(
        "/treiter.hub.v1.HubStatus/GetStatus",
        MAX_HEADER_LIST_SIZE as usize + 1024,
    );
    tls.write_all(&open_stream(1, &big)).await.expect("big");
    let refused = answer_on(&mut tls, 1, &mut Vec::new()).await;
    // Either a 431 answer (HEADERS ending the stream) or a reset.
    assert!(
        refused.kind == RST_STREAM || refused.kind == HEADERS,
        "the oversized request is refused on its stream"
    );
    let small = request_headers("/treiter.hub.v1.HubStatus/GetStatus", 0);
    tls.write_all(&open_stream(3, &small)).await.expect("small");
    tls.write_all(&frame(DATA, 0x1, 3, &[0, 0, 0, 0, 0]))
        .await
        .expect("body");
    let answered = answer_on(&mut tls, 3, &mut Vec::new()).await;
    tally(
        "a_request_with_headers_over_the_bound_is_refused_and_the_connection_lives_on",
        Kind::ResourceBounds,
        2,
        u64::from(answered.kind != HEADERS),
        0,
    );
    assert_eq!(answered.kind, HEADERS, "the next call is served");
    drop(tls);
    hub.stop().await;
}

/// Each service's request size limit: a request one byte over gets OUT_OF_RANGE
/// naming the limit in bytes (tonic's wording), before any of it is decoded; a
/// request of exactly the limit is decoded (and refused for what it says, as garbage).
#[tokio::test]
async fn a_request_over_its_service_size_limit_gets_out_of_range_naming_the_limit() {
    let pki = Pki::new();
    let hub = hub_with(&pki, "", "").await;
    let sdr = person_channel(&pki, SDR_OOST, hub.addr).await;
    let officer = person_channel(&pki, PO_GEMEENTE, hub.addr).await;
    let agent = party_channel(&pki, "gemeente", hub.addr).await;
    let cases = [
        (
            &sdr,
            "/treiter.hub.v1.Coordinator/CreateCase",
            MAX_COORDINATOR_MESSAGE,
        ),
        (
            &officer,
            "/treiter.hub.v1.PrivacyOfficer/ProposeCovenantVersion",
            MAX_PRIVACY_OFFICER_MESSAGE,
        ),
        (
            &agent,
            "/treiter.hub.v1.HubStatus/GetStatus",
            MAX_STATUS_MESSAGE,
        ),
        (
            &agent,
            "/treiter.hub.v1.AgentLink/GetInclusionProof",
            MAX_LINK_MESSAGE,
        ),
    ];
    let mut wrong = Vec::new();
    for (channel, path, limit) in cases {
        // 0xff bytes: not a valid protobuf, so a request within the limit is refused
        // by the decoder, never handled.
        match raw::unary(channel, path, vec![0xff; limit + 1], &[]).await {
            Err(status)
                if status.code() == Code::OutOfRange
                    && status
                        .message()
                        .contains(&format!("the limit is: {limit} bytes")) => {}
            other => wrong.push(format!("{path}, {} bytes: {other:?}", limit + 1)),
        }
        match raw::unary(channel, path, vec![0xff; limit], &[]).await {
            Err(status) if status.code() != Code::OutOfRange => {}
            other => wrong.push(format!("{path}, {limit} bytes: {other:?}")),
        }
    }
    tally(
        "a_request_over_its_service_size_limit_gets_out_of_range_naming_the_limit",
        Kind::ResourceBounds,
        8,
        wrong.len() as u64,
        0,
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    hub.stop().await;
}

/// One person may have at most `limits.max_streaming_calls_per_person` streaming
/// calls in progress (here WatchCaseFile, held while its file is assembled): one more
/// gets RESOURCE_EXHAUSTED naming the setting, counted as
/// `too-many-streaming-calls`; another person has a bound of their own; once the
/// assemblies end, the person is served again.
#[tokio::test]
async fn a_person_has_at_most_max_streaming_calls_per_person_in_progress() {
    let pki = Pki::new();
    let hub = hub_with(&pki, "max_streaming_calls_per_person = 2", "").await;
    // A partner whose link is open and never answers keeps each file assembling until
    // its deadline.
    let silent = crate::support::silent_link(&pki, "politie", hub.addr).await;
    let mut sdr = crate::casefile::client(&pki, &hub, SDR_OOST).await;
    let mut im = crate::casefile::client(&pki, &hub, IM_OOST).await;
    let case = crate::casefile::case_in(&mut sdr, "duiding").await;
    let request = |id: &str| wire::CaseFileRequest {
        client_request_id: id.into(),
        case_id: case.clone(),
        purpose: "duiding".into(),
        subjects: Vec::new(),
        categories: Vec::new(),
        deadline_ms: 4_000,
    };
    let mut held = Vec::new();
    for id in ["w1", "w2"] {
        let mut stream = sdr
            .watch_case_file(request(id))
            .await
            .expect("within the bound")
            .into_inner();
        stream
            .message()
            .await
            .expect("the first event")
            .expect("started");
        held.push(stream);
    }
    let refused = sdr
        .watch_case_file(request("w3"))
        .await
        .expect_err("a third streaming call of one person is refused");
    let other = im.watch_case_file(request("w4")).await.map(|_| ());
    // The assemblies end at their deadline; then the person is served again.
    let mut again = false;
    for _ in 0..100 {
        if sdr.watch_case_file(request("w5")).await.is_ok() {
            again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let counted = hub
        .hub
        .refusals
        .counts()
        .get(&RefusalReason::TooManyStreamingCalls)
        .copied();
    let wrong = u64::from(refused.code() != Code::ResourceExhausted)
        + u64::from(other.is_err())
        + u64::from(!again);
    tally(
        "a_person_has_at_most_max_streaming_calls_per_person_in_progress",
        Kind::ResourceBounds,
        4,
        wrong,
        0,
    );
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused}");
    assert!(
        refused
            .message()
            .contains("limits.max_streaming_calls_per_person"),
        "{refused}"
    );
    assert!(refused.message().contains(SDR_OOST), "{refused}");
    assert!(counted.is_some_and(|n| n >= 1), "counted: {counted:?}");
    other.expect("another person has a bound of their own");
    assert!(again, "the slots are given back when the assemblies end");
    drop((held, silent));
    hub.stop().await;
}

/// A peer that vanishes without closing its connection (powered off, a route gone)
/// holds neither the connection nor its identity's slot for ever: the hub pings every
/// connection (`limits.http2_keepalive_interval_seconds`) and closes one whose ping
/// goes unanswered (`limits.http2_keepalive_timeout_seconds`). Before the pings were
/// set, nothing closed it, and `max_connections_per_identity` such connections locked
/// the identity out.
#[tokio::test]
async fn a_connection_whose_peer_stops_answering_pings_is_closed_and_its_slot_freed() {
    let pki = Pki::new();
    let hub = hub_with(
        &pki,
        "max_connections_per_identity = 1\nhttp2_keepalive_interval_seconds = 1\nhttp2_keepalive_timeout_seconds = 1",
        "",
    )
    .await;
    let (mut tls, _) = http2_by_hand(&pki, "gemeente", &hub).await;
    // The test reads what the hub sends but answers nothing, as a vanished peer.
    let mut pinged = false;
    let closed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let mut header = [0u8; 9];
            if tls.read_exact(&mut header).await.is_err() {
                return;
            }
            let len =
                usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
            let mut payload = vec![0u8; len];
            if tls.read_exact(&mut payload).await.is_err() {
                return;
            }
            if header[3] == PING && header[4] & ACK == 0 {
                pinged = true;
            }
        }
    })
    .await
    .is_ok();
    // Its slot is free again: the identity (bound 1) is served on a new connection.
    let mut served = false;
    for _ in 0..50 {
        let channel = party_channel(&pki, "gemeente", hub.addr).await;
        if wire::hub_status_client::HubStatusClient::new(channel)
            .get_status(wire::GetStatusRequest::default())
            .await
            .is_ok()
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tally(
        "a_connection_whose_peer_stops_answering_pings_is_closed_and_its_slot_freed",
        Kind::ResourceBounds,
        2,
        u64::from(!pinged) + u64::from(!closed) + u64::from(!served),
        0,
    );
    assert!(pinged, "the hub pings the connection");
    assert!(
        closed,
        "the hub closes a connection whose pings go unanswered"
    );
    assert!(served, "the identity's slot is given back");
    hub.stop().await;
}
