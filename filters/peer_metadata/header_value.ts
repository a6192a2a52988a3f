// The exchange header value: base64 (standard alphabet; '=' padding sent, optional on receipt,
// as Envoy's Base64::encode / decodeWithoutPadding) of a deterministically serialized
// google.protobuf.Struct. Decoding validates the types of the keys a receiver reads, so a peer
// that sends NAME as a number is "unknown" with a reason, not a peer with empty fields.
import { base64Encode, base64DecodeBytes } from "../../shared/codec/base64";
import { encodeStruct, decodeStruct } from "../../shared/codec/protobuf";
import { JsonValue, JsonKind } from "../../shared/codec/json";
import { PeerMetadata } from "../../shared/peer/peer";
import { peerFromExchange, KEY_NAME, KEY_NAMESPACE, KEY_WORKLOAD_NAME, KEY_CLUSTER_ID, KEY_OWNER, KEY_LABELS, KEY_SERVICE_ACCOUNT } from "../../shared/peer/exchange";
import { CANONICAL_NAME_LABEL, CANONICAL_REVISION_LABEL, APP_LABEL, VERSION_LABEL } from "../../shared/peer/peer";

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

const STRING_KEYS: Array<string> = [KEY_NAME, KEY_NAMESPACE, KEY_WORKLOAD_NAME, KEY_CLUSTER_ID, KEY_OWNER, KEY_SERVICE_ACCOUNT];
const LABEL_KEYS: Array<string> = [CANONICAL_NAME_LABEL, CANONICAL_REVISION_LABEL, APP_LABEL, VERSION_LABEL];

/** True when every key a receiver reads has the type Istio writes. */
export function exchangeTypesValid(s: JsonValue, additionalLabels: Array<string>): bool {
  for (let i = 0; i < STRING_KEYS.length; i++) {
    const v = s.get(STRING_KEYS[i]);
    if (v !== null && v.kind != JsonKind.String) return false;
  }
  const labels = s.get(KEY_LABELS);
  if (labels === null) return true;
  if (labels.kind != JsonKind.Object) return false;
  for (let i = 0; i < LABEL_KEYS.length; i++) {
    const v = labels.get(LABEL_KEYS[i]);
    if (v !== null && v.kind != JsonKind.String) return false;
  }
  for (let i = 0; i < additionalLabels.length; i++) {
    const v = labels.get(additionalLabels[i]);
    if (v !== null && v.kind != JsonKind.String) return false;
  }
  return true;
}

/** Decodes an exchange Struct that is already bytes (TCP payload, or decoded base64). */
export function decodeExchangeStruct(bytes: ArrayBuffer, additionalLabels: Array<string>): Decoded {
  const s = decodeStruct(bytes);
  if (s === null) return new Decoded(null, Reject.BadProtobuf);
  return peerFromTree(s, additionalLabels);
}

export function peerFromTree(s: JsonValue, additionalLabels: Array<string>): Decoded {
  if (!exchangeTypesValid(s, additionalLabels)) return new Decoded(null, Reject.WrongType);
  return new Decoded(peerFromExchange(s, additionalLabels), Reject.None);
}

/** Decodes a received header value. Never aborts; bounded by maxBytes before any decoding. */
export function decodeHeaderValue(value: ArrayBuffer, maxBytes: i32, additionalLabels: Array<string>): Decoded {
  if (value.byteLength > maxBytes) return new Decoded(null, Reject.TooLarge);
  const raw = base64DecodeBytes(value);
  if (raw === null) return new Decoded(null, Reject.BadBase64);
  return decodeExchangeStruct(raw, additionalLabels);
}
