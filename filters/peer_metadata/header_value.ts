// The exchange header value: base64 (standard alphabet; '=' padding sent, optional on receipt,
// as Envoy's Base64::encode / decodeWithoutPadding) of a deterministically serialized
// google.protobuf.Struct. Decoding (shared/peer/transcode.ts) validates the types of the keys a
// receiver reads, so a peer that sends NAME as a number is "unknown" with a reason, not a peer
// with empty fields.
import { base64Encode, base64DecodeBytes } from "../../shared/codec/base64";
import { encodeStruct } from "../../shared/codec/protobuf";
import { JsonValue } from "../../shared/codec/json";
import { PeerMetadata, PeerSource } from "../../shared/peer/peer";
import { decodePeerState } from "../../shared/peer/filter_state";
import { ExchangeTranscoder, TranscodeStatus } from "../../shared/peer/transcode";

/** Why a peer's exchange data was not accepted (each has a counter, see counters.ts). */
export enum Reject {
  None = 0,
  BadBase64 = 1,
  BadProtobuf = 2,
  WrongType = 3,
  TooLarge = 4,
  DuplicateHeader = 5,
  IdMismatch = 6,
  BadMagic = 7,
  BadFrame = 8,
  FrameTooLarge = 9,
}

export const REJECT_COUNT: i32 = 10;

/** Counter suffix for a reason. */
export function rejectName(r: Reject): string {
  switch (r) {
    case Reject.BadBase64: return "bad_base64";
    case Reject.BadProtobuf: return "bad_protobuf";
    case Reject.WrongType: return "wrong_type";
    case Reject.TooLarge: return "header_too_large";
    case Reject.DuplicateHeader: return "duplicate_header";
    case Reject.IdMismatch: return "id_metadata_mismatch";
    case Reject.BadMagic: return "bad_magic";
    case Reject.BadFrame: return "bad_frame";
    case Reject.FrameTooLarge: return "frame_too_large";
    default: return "none";
  }
}

export class Decoded {
  constructor(public peer: PeerMetadata | null, public reason: Reject) {}
}

/** The header value this proxy sends (computed once, at configure time). */
export function encodeHeaderValue(exchange: JsonValue): string {
  return base64Encode(encodeStruct(exchange));
}

/**
 * Decodes an exchange Struct that is already bytes, through the same transcoder the filter's miss
 * path uses (one reading of the payload in this suite); `source` and `id` go into the result.
 */
export function decodeExchangeBytes(raw: ArrayBuffer, t: ExchangeTranscoder, id: ArrayBuffer, source: PeerSource): DecodedState {
  const st = t.transcode(raw, changetype<usize>(id), id.byteLength, source);
  if (st == TranscodeStatus.BadProtobuf) return new DecodedState(null, Reject.BadProtobuf);
  if (st == TranscodeStatus.WrongType) return new DecodedState(null, Reject.WrongType);
  return new DecodedState(t.state, Reject.None);
}

export class DecodedState {
  constructor(public state: ArrayBuffer | null, public reason: Reject) {}
}

/** Decodes a received header value. Never aborts; bounded by maxBytes before any decoding. */
export function decodeHeaderValue(value: ArrayBuffer, maxBytes: i32, additionalLabels: Array<string>): Decoded {
  if (value.byteLength > maxBytes) return new Decoded(null, Reject.TooLarge);
  const raw = base64DecodeBytes(value);
  if (raw === null) return new Decoded(null, Reject.BadBase64);
  const d = decodeExchangeBytes(raw, new ExchangeTranscoder(additionalLabels), new ArrayBuffer(0), PeerSource.Headers);
  if (d.state === null) return new Decoded(null, d.reason);
  return new Decoded(decodePeerState(d.state!), Reject.None);
}
