// Istio's TCP metadata-exchange framing (proxy source/extensions/filters/network/metadata_exchange):
//   u32 magic 0x3D230467 (big-endian) | u32 payload length (big-endian) | payload
// payload = google.protobuf.Any { type_url "type.googleapis.com/google.protobuf.Struct",
//   value Struct { "x-envoy-peer-metadata": <exchange struct>, "x-envoy-peer-metadata-id": <node id> } }
// Istio trusts the length; this suite enforces a bound (tcp.max_frame_bytes) so a peer cannot make
// a worker buffer gigabytes.
import { JsonValue, JsonKind } from "../../shared/codec/json";
import { encodeStruct, decodeStruct, encodeAny, decodeAny, STRUCT_TYPE_URL } from "../../shared/codec/protobuf";
import { PeerSource } from "../../shared/peer/peer";
import { ExchangeTranscoder } from "../../shared/peer/transcode";
import { Reject, decodeExchangeBytes } from "./header_value";

export const MX_MAGIC: u32 = 0x3d230467;
export const FRAME_HEADER_BYTES: i32 = 8;
export const TCP_METADATA_KEY = "x-envoy-peer-metadata";
export const TCP_ID_KEY = "x-envoy-peer-metadata-id";

/** The bytes this side writes first on a connection (built once at configure time). */
export function buildFrame(exchange: JsonValue, id: string): ArrayBuffer {
  const payload = JsonValue.object().set(TCP_METADATA_KEY, exchange).set(TCP_ID_KEY, JsonValue.fromString(id));
  const any = encodeAny(STRUCT_TYPE_URL, encodeStruct(payload));
  const out = new ArrayBuffer(FRAME_HEADER_BYTES + any.byteLength);
  const p = changetype<usize>(out);
  store<u32>(p, bswap<u32>(MX_MAGIC));
  store<u32>(p + 4, bswap<u32>(<u32>any.byteLength));
  memory.copy(p + FRAME_HEADER_BYTES, changetype<usize>(any), any.byteLength);
  return out;
}

export enum FrameStatus { NeedMore = 0, Done = 1, Invalid = 2 }

export class FrameResult {
  constructor(
    public status: FrameStatus,
    /** Bytes of the frame to drain (Done only). */
    public consumed: i32,
    /** The peer's filter-state bytes (Done only). */
    public state: ArrayBuffer | null,
    /** The peer's id bytes (Done only; empty when the frame carried none). */
    public id: ArrayBuffer | null,
    public reason: Reject,
  ) {}
}

const NEED_MORE = new FrameResult(FrameStatus.NeedMore, 0, null, null, Reject.None);

/**
 * Looks for the peer's frame at the start of `buf` (the bytes received so far on this direction).
 * Mismatching magic bytes are reported as soon as the first differing byte arrives, so a peer
 * without the exchange never waits for 8 bytes.
 */
export function parseFrame(buf: ArrayBuffer, maxFrameBytes: i32, t: ExchangeTranscoder): FrameResult {
  const n = buf.byteLength;
  const p = changetype<usize>(buf);
  const magicBytes = min(n, 4);
  for (let i = 0; i < magicBytes; i++) {
    const expect = <u8>(MX_MAGIC >> (24 - 8 * i));
    if (load<u8>(p + i) != expect) return new FrameResult(FrameStatus.Invalid, 0, null, null, Reject.BadMagic);
  }
  if (n < FRAME_HEADER_BYTES) return NEED_MORE;
  const len = bswap<u32>(load<u32>(p + 4));
  if (len > <u32>maxFrameBytes) return new FrameResult(FrameStatus.Invalid, 0, null, null, Reject.FrameTooLarge);
  const total = FRAME_HEADER_BYTES + <i32>len;
  if (n < total) return NEED_MORE;
  const any = decodeAny(buf, FRAME_HEADER_BYTES, total);
  if (any === null || any.typeUrl != STRUCT_TYPE_URL) return new FrameResult(FrameStatus.Invalid, 0, null, null, Reject.BadFrame);
  const s = decodeStruct(any.value);
  if (s === null) return new FrameResult(FrameStatus.Invalid, 0, null, null, Reject.BadProtobuf);
  const md = s.get(TCP_METADATA_KEY);
  const idv = s.get(TCP_ID_KEY);
  if (md === null || md.kind != JsonKind.Object || (idv !== null && idv.kind != JsonKind.String)) {
    return new FrameResult(FrameStatus.Invalid, 0, null, null, Reject.WrongType);
  }
  // The payload Struct was validated whole above; its metadata Struct is re-serialized (deterministic)
  // and read by the same transcoder as an HTTP header value.
  const id = idv === null ? new ArrayBuffer(0) : String.UTF8.encode(idv.str);
  const d = decodeExchangeBytes(encodeStruct(md), t, id, PeerSource.Tcp);
  if (d.state === null) return new FrameResult(FrameStatus.Invalid, 0, null, null, d.reason);
  return new FrameResult(FrameStatus.Done, total, d.state, id, Reject.None);
}
