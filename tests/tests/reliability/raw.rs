//! A pass-through gRPC codec: the request is sent as the bytes given and the reply
//! returned as the bytes received, so a test can send the hub what no typed client
//! would (damaged protobuf, unknown fields, random bytes) over a real mTLS connection.

use prost::bytes::{Buf, BufMut};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use treiter_node_agent::tls::HubChannel;

/// Sends and receives bytes as they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

#[derive(Debug)]
pub struct RawEncoder;

#[derive(Debug)]
pub struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// Calls the unary RPC at `path` (`/treiter.hub.v1.Service/Method`) with `body` as the
/// encoded request and `metadata` as extra headers; returns the encoded reply.
pub async fn unary(
    channel: &HubChannel,
    path: &'static str,
    body: Vec<u8>,
    metadata: &[(&'static str, &str)],
) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("connection not ready: {e}")))?;
    let mut request = tonic::Request::new(body);
    for (name, value) in metadata {
        if let Ok(value) = value.parse() {
            request.metadata_mut().insert(*name, value);
        }
    }
    grpc.unary(request, PathAndQuery::from_static(path), RawCodec)
        .await
        .map(tonic::Response::into_inner)
}

/// Calls the server-streaming RPC at `path` with `body` and reads up to `max` replies
/// (or until the stream ends or fails).
pub async fn server_streaming(
    channel: &HubChannel,
    path: &'static str,
    body: Vec<u8>,
    max: usize,
) -> Result<Vec<Vec<u8>>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("connection not ready: {e}")))?;
    let mut stream = grpc
        .server_streaming(
            tonic::Request::new(body),
            PathAndQuery::from_static(path),
            RawCodec,
        )
        .await?
        .into_inner();
    let mut out = Vec::new();
    while out.len() < max {
        match stream.message().await? {
            Some(message) => out.push(message),
            None => break,
        }
    }
    Ok(out)
}
