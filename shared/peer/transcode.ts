// Exchange Struct bytes -> filter-state Struct bytes in one pass over the wire format, with no
// tree, no strings and one allocation (the result). This is the peer-cache miss path of the
// metadata-exchange filter (HTTP header value and TCP frame alike) and the one reading of an
// exchange payload this suite has: decodeHeaderValue and the TCP frame parser go through it.
//
// What it accepts and reads is Istio's (proxy@release-1.28 extensions/common/metadata_object.cc
// convertStructToWorkloadMetadata, reached from peer_metadata/filter.cc MXMethod::lookup after
// `metadata.ParseFromString(bytes)`):
//   - the whole message must parse as google.protobuf.Struct: every nested Value / Struct /
//     ListValue well formed and every string valid UTF-8 (proto3 strings; C++ ParseFromString
//     fails otherwise), or the result is BadProtobuf;
//   - only NAME, NAMESPACE, WORKLOAD_NAME, CLUSTER_ID, OWNER (and the 1.5-1.7 SERVICE_ACCOUNT) and,
//     inside LABELS, the canonical name/revision, app, version and the configured additional labels
//     are read; for a repeated map key the last entry wins (protobuf map semantics);
//   - a key the receiver reads holding a non-string value (LABELS a non-Struct) is WrongType: this
//     suite rejects rather than reading "" as protobuf's string_value() would (README, Bad input);
//   - the workload type comes from OWNER as Istio's parseOwner does.
// The output is byte-identical to encodePeerState(peer) of the same peer (specs check this).
import {
  F_APP, F_CLUSTER, F_ID, F_IDENTITY, F_LABELS, F_NAME, F_NAMESPACE, F_REVISION, F_SERVICE, F_SERVICE_ACCOUNT, F_SOURCE,
  F_TYPE, F_VERSION, F_WORKLOAD,
} from "./filter_state";
import { PeerSource, peerSourceName, CANONICAL_NAME_LABEL, CANONICAL_REVISION_LABEL, APP_LABEL, VERSION_LABEL } from "./peer";

export enum TranscodeStatus { Ok = 0, BadProtobuf = 1, WrongType = 2 }

const MAX_DEPTH: i32 = 64;

// Reader state (one VM runs one callback at a time; nothing here outlives a call).
let pos: usize = 0;
let bad: bool = false;

function varint(end: usize): u64 {
  let result: u64 = 0;
  let shift: u64 = 0;
  let p = pos;
  while (p < end && shift < 70) {
    const b = load<u8>(p++);
    result |= <u64>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      if (shift == 63 && b > 1) break;
      pos = p;
      return result;
    }
    shift += 7;
  }
  bad = true;
  pos = end;
  return 0;
}

/** Next tag at pos (< end): the tag value, or 0 on a malformed / zero-field tag (bad is set). */
function tag(end: usize): u32 {
  const t = varint(end);
  if (bad || (t >> 3) == 0 || t > 0xffffffff) { bad = true; pos = end; return 0; }
  return <u32>t;
}

/** Length of a length-delimited value at pos; pos moves past the prefix. -1 (bad set) if it overruns. */
function ldLen(end: usize): i32 {
  const n = varint(end);
  if (bad || n > <u64>(end - pos)) { bad = true; pos = end; return -1; }
  return <i32>n;
}

/** Skips a value of wire type wt at pos. Groups are refused, as the tree decoder does. */
function skipWire(wt: u32, end: usize): void {
  if (wt == 0) varint(end);
  else if (wt == 1) { if (end - pos < 8) { bad = true; pos = end; } else pos += 8; }
  else if (wt == 5) { if (end - pos < 4) { bad = true; pos = end; } else pos += 4; }
  else if (wt == 2) { const n = ldLen(end); if (n >= 0) pos += <usize>n; }
  else { bad = true; pos = end; }
}

/** Whether [p, p+n) is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
export function validUtf8(p: usize, n: i32): bool {
  const end = p + <usize>n;
  while (p < end) {
    // Eight ASCII bytes at a time.
    if (p + 8 <= end && (load<u64>(p) & 0x8080808080808080) == 0) { p += 8; continue; }
    const b = <u32>load<u8>(p);
    if (b < 0x80) { p++; continue; }
    let need: i32;
    let min: u32;
    let cp: u32;
    if ((b & 0xe0) == 0xc0) { need = 1; min = 0x80; cp = b & 0x1f; }
    else if ((b & 0xf0) == 0xe0) { need = 2; min = 0x800; cp = b & 0x0f; }
    else if ((b & 0xf8) == 0xf0) { need = 3; min = 0x10000; cp = b & 0x07; }
    else return false;
    if (p + 1 + <usize>need > end) return false;
    for (let i = 1; i <= need; i++) {
      const c = <u32>load<u8>(p + <usize>i);
      if ((c & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    p += 1 + <usize>need;
  }
  return true;
}

/** A length-delimited string at pos: its length (pos moves past it), -1 if malformed or not UTF-8. */
function stringAt(end: usize): i32 {
  const n = ldLen(end);
  if (n < 0) return -1;
  if (!validUtf8(pos, n)) { bad = true; pos = end; return -1; }
  pos += <usize>n;
  return n;
}

// Value kinds as the oneof ends up (last member on the wire wins); 0 = no kind set (null).
const K_NULL: i32 = 0;
const K_STRING: i32 = 3;
const K_STRUCT: i32 = 5;
const K_OTHER: i32 = 9;

// The last validated Value: its kind and, for a string or struct, the byte range of its payload.
let valKind: i32 = K_NULL;
let valPtr: usize = 0;
let valLen: i32 = 0;

/** Validates a Struct in [pos, end), leaving pos at end. */
function checkStruct(end: usize, depth: i32): void {
  if (depth > MAX_DEPTH) { bad = true; pos = end; return; }
  while (!bad && pos < end) {
    const t = tag(end);
    if (bad) return;
    if (t == ((1 << 3) | 2)) {
      const n = ldLen(end);
      if (n < 0) return;
      const e = pos + <usize>n;
      checkEntry(e, depth);
      pos = e;
    } else skipWire(t & 7, end);
  }
}

/** Validates one map entry in [pos, end). */
function checkEntry(end: usize, depth: i32): void {
  while (!bad && pos < end) {
    const t = tag(end);
    if (bad) return;
    if (t == ((1 << 3) | 2)) stringAt(end);
    else if (t == ((2 << 3) | 2)) {
      const n = ldLen(end);
      if (n < 0) return;
      const e = pos + <usize>n;
      checkValue(e, depth + 1);
      pos = e;
    } else skipWire(t & 7, end);
  }
}

/** Validates a Value in [pos, end) and records its kind (and payload range) in valKind/valPtr/valLen. */
function checkValue(end: usize, depth: i32): void {
  if (depth > MAX_DEPTH) { bad = true; pos = end; return; }
  let kind = K_NULL;
  let vp: usize = 0;
  let vl: i32 = 0;
  while (!bad && pos < end) {
    const t = tag(end);
    if (bad) return;
    const f = t >> 3;
    const wt = t & 7;
    if (f == 1 && wt == 0) { varint(end); kind = K_NULL; }
    else if (f == 2 && wt == 1) { skipWire(1, end); kind = K_OTHER; }
    else if (f == 4 && wt == 0) { varint(end); kind = K_OTHER; }
    else if (f == 3 && wt == 2) {
      const n = ldLen(end);
      if (n < 0) return;
      if (!validUtf8(pos, n)) { bad = true; pos = end; return; }
      kind = K_STRING; vp = pos; vl = n;
      pos += <usize>n;
    } else if (f == 5 && wt == 2) {
      const n = ldLen(end);
      if (n < 0) return;
      const s = pos;
      const e = pos + <usize>n;
      checkStruct(e, depth + 1);
      pos = e;
      kind = K_STRUCT; vp = s; vl = n;
    } else if (f == 6 && wt == 2) {
      const n = ldLen(end);
      if (n < 0) return;
      const e = pos + <usize>n;
      checkList(e, depth + 1);
      pos = e;
      kind = K_OTHER;
    } else skipWire(wt, end);
  }
  valKind = kind; valPtr = vp; valLen = vl;
}

function checkList(end: usize, depth: i32): void {
  if (depth > MAX_DEPTH) { bad = true; pos = end; return; }
  while (!bad && pos < end) {
    const t = tag(end);
    if (bad) return;
    if (t == ((1 << 3) | 2)) {
      const n = ldLen(end);
      if (n < 0) return;
      const e = pos + <usize>n;
      checkValue(e, depth + 1);
      pos = e;
    } else skipWire(t & 7, end);
  }
}

function bytesOf(s: string): ArrayBuffer { return String.UTF8.encode(s); }

function sameAt(p: usize, n: i32, key: ArrayBuffer): bool {
  return n == key.byteLength && memory.compare(p, changetype<usize>(key), <usize>n) == 0;
}

// Top-level keys read (slot order) and label keys read (slot order; additional labels follow).
const TOP_KEYS: StaticArray<ArrayBuffer> = [
  bytesOf("NAME"), bytesOf("NAMESPACE"), bytesOf("WORKLOAD_NAME"), bytesOf("CLUSTER_ID"), bytesOf("OWNER"), bytesOf("SERVICE_ACCOUNT"),
];
const T_NAME = 0;
const T_NAMESPACE = 1;
const T_WORKLOAD = 2;
const T_CLUSTER = 3;
const T_OWNER = 4;
const T_SA = 5;
const LABELS_KEY = bytesOf("LABELS");
const STD_LABELS: StaticArray<ArrayBuffer> = [bytesOf(CANONICAL_NAME_LABEL), bytesOf(CANONICAL_REVISION_LABEL), bytesOf(APP_LABEL), bytesOf(VERSION_LABEL)];
const L_SERVICE = 0;
const L_REVISION = 1;
const L_APP = 2;
const L_VERSION = 3;

// Output field names (filter-state Struct keys) as bytes.
const O_APP = bytesOf(F_APP);
const O_CLUSTER = bytesOf(F_CLUSTER);
const O_ID = bytesOf(F_ID);
const O_LABELS = bytesOf(F_LABELS);
const O_NAME = bytesOf(F_NAME);
const O_NAMESPACE = bytesOf(F_NAMESPACE);
const O_REVISION = bytesOf(F_REVISION);
const O_SERVICE = bytesOf(F_SERVICE);
const O_SERVICE_ACCOUNT = bytesOf(F_SERVICE_ACCOUNT);
const O_SOURCE = bytesOf(F_SOURCE);
const O_TYPE = bytesOf(F_TYPE);
const O_VERSION = bytesOf(F_VERSION);
const O_WORKLOAD = bytesOf(F_WORKLOAD);
// identity is never set from an exchange payload (Istio's minimal set has no IDENTITY).
const _IDENTITY = F_IDENTITY;

const SOURCES: StaticArray<ArrayBuffer> = [
  bytesOf(peerSourceName(PeerSource.None)), bytesOf(peerSourceName(PeerSource.Headers)), bytesOf(peerSourceName(PeerSource.Discovery)),
  bytesOf(peerSourceName(PeerSource.EndpointMetadata)), bytesOf(peerSourceName(PeerSource.Tcp)),
];
// Workload types by their OWNER segment (Istio's parseOwner: "<...>/<type>s/<workload>").
const TYPE_NAMES: StaticArray<ArrayBuffer> = [bytesOf("pod"), bytesOf("deployment"), bytesOf("job"), bytesOf("cronjob")];

function varintSize(n: u32): i32 {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function putVarint(p: usize, n: u32): usize {
  while (n >= 0x80) { store<u8>(p, <u8>(n | 0x80)); n >>= 7; p++; }
  store<u8>(p, <u8>n);
  return p + 1;
}

function entrySize(kl: i32, vl: i32): i32 {
  const value = 1 + varintSize(<u32>vl) + vl;
  const entry = 1 + varintSize(<u32>kl) + kl + 1 + varintSize(<u32>value) + value;
  return 1 + varintSize(<u32>entry) + entry;
}

function putEntry(w: usize, kp: usize, kl: i32, vp: usize, vl: i32): usize {
  const vmsg = 1 + varintSize(<u32>vl) + vl;
  const entry = 1 + varintSize(<u32>kl) + kl + 1 + varintSize(<u32>vmsg) + vmsg;
  store<u8>(w++, 0x0a);
  w = putVarint(w, <u32>entry);
  store<u8>(w++, 0x0a);
  w = putVarint(w, <u32>kl);
  memory.copy(w, kp, <usize>kl);
  w += <usize>kl;
  store<u8>(w++, 0x12);
  w = putVarint(w, <u32>vmsg);
  store<u8>(w++, 0x1a);
  w = putVarint(w, <u32>vl);
  memory.copy(w, vp, <usize>vl);
  return w + <usize>vl;
}

/**
 * One per configuration (the additional labels are fixed there). Not reentrant: the scratch
 * ranges are reused by every call.
 */
export class ExchangeTranscoder {
  /** Additional label keys, sorted by bytes, unique (the filter-state `labels` order). */
  private extra: StaticArray<ArrayBuffer>;
  // Slots: 6 top-level keys, 4 standard labels, then the additional labels. ptr/len of the string
  // value, len -1 = absent.
  private ptrs: StaticArray<usize>;
  private lens: StaticArray<i32>;
  /** The result of the last Ok transcode. */
  state: ArrayBuffer = new ArrayBuffer(0);

  constructor(additionalLabels: Array<string>) {
    const keys = new Array<string>();
    for (let i = 0; i < additionalLabels.length; i++) {
      const k = additionalLabels[i];
      if (!keys.includes(k)) keys.push(k);
    }
    keys.sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
    const extra = new StaticArray<ArrayBuffer>(keys.length);
    for (let i = 0; i < keys.length; i++) extra[i] = bytesOf(keys[i]);
    this.extra = extra;
    this.ptrs = new StaticArray<usize>(10 + keys.length);
    this.lens = new StaticArray<i32>(10 + keys.length);
  }

  /**
   * Reads the exchange Struct in [p, p+n) and builds the filter-state bytes (this.state) for a
   * peer with that id ([idPtr, idPtr+idLen), may be empty) found by `source`.
   */
  transcode(p: usize, n: i32, idPtr: usize, idLen: i32, source: PeerSource): TranscodeStatus {
    const slots = this.ptrs.length;
    for (let i = 0; i < slots; i++) unchecked(this.lens[i] = -1);
    let labelsPtr: usize = 0;
    let labelsLen: i32 = -1;
    let wrongType = false;
    bad = false;
    pos = p;
    const end = p + <usize>n;
    // Top level: validate every entry; remember the values of the keys read (last entry wins).
    while (!bad && pos < end) {
      const t = tag(end);
      if (bad) break;
      if (t != ((1 << 3) | 2)) { skipWire(t & 7, end); continue; }
      const en = ldLen(end);
      if (en < 0) break;
      const ee = pos + <usize>en;
      let kp: usize = 0;
      let kl: i32 = 0;
      valKind = K_NULL; valPtr = 0; valLen = 0;
      let hasValue = false;
      while (!bad && pos < ee) {
        const et = tag(ee);
        if (bad) break;
        if (et == ((1 << 3) | 2)) { const l = stringAt(ee); if (l >= 0) { kl = l; kp = pos - <usize>l; } }
        else if (et == ((2 << 3) | 2)) {
          const vn = ldLen(ee);
          if (vn < 0) break;
          const ve = pos + <usize>vn;
          checkValue(ve, 1);
          pos = ve;
          hasValue = true;
        } else skipWire(et & 7, ee);
      }
      if (bad) break;
      pos = ee;
      // A map entry without a value holds the default Value: null.
      const kind = hasValue ? valKind : K_NULL;
      if (sameAt(kp, kl, LABELS_KEY)) {
        if (kind == K_STRUCT) { labelsPtr = valPtr; labelsLen = valLen; }
        else { labelsLen = -2; }
        continue;
      }
      for (let i = 0; i < 6; i++) {
        if (sameAt(kp, kl, unchecked(TOP_KEYS[i]))) {
          if (kind == K_STRING) { unchecked(this.ptrs[i] = valPtr); unchecked(this.lens[i] = valLen); }
          else { unchecked(this.lens[i] = -2); }
          break;
        }
      }
    }
    if (bad) return TranscodeStatus.BadProtobuf;
    for (let i = 0; i < 6; i++) if (unchecked(this.lens[i]) == -2) wrongType = true;
    if (labelsLen == -2) wrongType = true;
    if (labelsLen >= 0 && !this.readLabels(labelsPtr, labelsLen)) wrongType = true;
    if (wrongType) return TranscodeStatus.WrongType;
    this.state = this.build(idPtr, idLen, source);
    return TranscodeStatus.Ok;
  }

  /** Reads LABELS (already validated): false if a read label has a non-string value. */
  private readLabels(p: usize, n: i32): bool {
    const nx = this.extra.length;
    pos = p;
    const end = p + <usize>n;
    let ok = true;
    while (pos < end) {
      const t = tag(end);
      if (t != ((1 << 3) | 2)) { skipWire(t & 7, end); continue; }
      const en = ldLen(end);
      const ee = pos + <usize>en;
      let kp: usize = 0;
      let kl: i32 = 0;
      let hasValue = false;
      valKind = K_NULL; valPtr = 0; valLen = 0;
      while (pos < ee) {
        const et = tag(ee);
        if (et == ((1 << 3) | 2)) { const l = ldLen(ee); kp = pos; kl = l; pos += <usize>l; }
        else if (et == ((2 << 3) | 2)) {
          const vn = ldLen(ee);
          const ve = pos + <usize>vn;
          checkValue(ve, 2);
          pos = ve;
          hasValue = true;
        } else skipWire(et & 7, ee);
      }
      pos = ee;
      const kind = hasValue ? valKind : K_NULL;
      // A standard label may also be listed in additional_labels: then it fills both slots.
      for (let i = 0; i < 4; i++) if (sameAt(kp, kl, unchecked(STD_LABELS[i]))) { this.setSlot(6 + i, kind); break; }
      for (let i = 0; i < nx; i++) if (sameAt(kp, kl, unchecked(this.extra[i]))) { this.setSlot(10 + i, kind); break; }
    }
    for (let i = 6; i < this.lens.length; i++) if (unchecked(this.lens[i]) == -2) ok = false;
    return ok;
  }

  private setSlot(slot: i32, kind: i32): void {
    if (kind == K_STRING) { unchecked(this.ptrs[slot] = valPtr); unchecked(this.lens[slot] = valLen); }
    else unchecked(this.lens[slot] = -2);
  }

  /** Workload type index into TYPE_NAMES from OWNER and WORKLOAD_NAME, or -1 (Istio's parseOwner). */
  private ownerType(): i32 {
    const ol = unchecked(this.lens[T_OWNER]);
    let wl = unchecked(this.lens[T_WORKLOAD]);
    if (wl < 0) wl = 0;
    if (ol < 0 || ol <= wl + 2) return -1;
    const op = unchecked(this.ptrs[T_OWNER]);
    const headLen = ol - wl - 2;
    let slash = -1;
    for (let i = headLen - 1; i >= 0; i--) if (load<u8>(op + <usize>i) == 0x2f) { slash = i; break; }
    if (slash < 0) return -1;
    const sp = op + <usize>(slash + 1);
    const sl = headLen - slash - 1;
    for (let i = 0; i < 4; i++) if (sameAt(sp, sl, unchecked(TYPE_NAMES[i]))) return i;
    return -1;
  }

  private build(idPtr: usize, idLen: i32, source: PeerSource): ArrayBuffer {
    const ptrs = this.ptrs;
    const lens = this.lens;
    const ty = this.ownerType();
    const src = SOURCES[<i32>source];
    const nx = this.extra.length;
    // Sizes, in the key-byte order of the filter-state Struct (see filter_state.ts encodePeerState).
    let size = 0;
    size += this.sz(O_APP, 6 + L_APP);
    size += this.sz(O_CLUSTER, T_CLUSTER);
    if (idLen > 0) size += entrySize(O_ID.byteLength, idLen);
    let inner = 0;
    let nl = 0;
    for (let i = 0; i < nx; i++) {
      const l = unchecked(lens[10 + i]);
      if (l >= 0) { inner += entrySize(unchecked(this.extra[i]).byteLength, l); nl++; }
    }
    const lvalue = 1 + varintSize(<u32>inner) + inner;
    const lentry = 1 + 1 + 6 + 1 + varintSize(<u32>lvalue) + lvalue;
    if (nl > 0) size += 1 + varintSize(<u32>lentry) + lentry;
    size += this.sz(O_NAME, T_NAME);
    size += this.sz(O_NAMESPACE, T_NAMESPACE);
    size += this.sz(O_REVISION, 6 + L_REVISION);
    size += this.sz(O_SERVICE, 6 + L_SERVICE);
    size += this.sz(O_SERVICE_ACCOUNT, T_SA);
    if (src.byteLength > 0) size += entrySize(O_SOURCE.byteLength, src.byteLength);
    if (ty >= 0) size += entrySize(O_TYPE.byteLength, TYPE_NAMES[ty].byteLength);
    size += this.sz(O_VERSION, 6 + L_VERSION);
    size += this.sz(O_WORKLOAD, T_WORKLOAD);

    const out = new ArrayBuffer(size);
    let w = changetype<usize>(out);
    w = this.put(w, O_APP, 6 + L_APP);
    w = this.put(w, O_CLUSTER, T_CLUSTER);
    if (idLen > 0) w = putEntry(w, changetype<usize>(O_ID), O_ID.byteLength, idPtr, idLen);
    if (nl > 0) {
      store<u8>(w++, 0x0a);
      w = putVarint(w, <u32>lentry);
      store<u8>(w++, 0x0a);
      store<u8>(w++, 6);
      memory.copy(w, changetype<usize>(O_LABELS), 6);
      w += 6;
      store<u8>(w++, 0x12);
      w = putVarint(w, <u32>lvalue);
      store<u8>(w++, 0x2a);
      w = putVarint(w, <u32>inner);
      for (let i = 0; i < nx; i++) {
        const l = unchecked(lens[10 + i]);
        if (l < 0) continue;
        const k = unchecked(this.extra[i]);
        w = putEntry(w, changetype<usize>(k), k.byteLength, unchecked(ptrs[10 + i]), l);
      }
    }
    w = this.put(w, O_NAME, T_NAME);
    w = this.put(w, O_NAMESPACE, T_NAMESPACE);
    w = this.put(w, O_REVISION, 6 + L_REVISION);
    w = this.put(w, O_SERVICE, 6 + L_SERVICE);
    w = this.put(w, O_SERVICE_ACCOUNT, T_SA);
    if (src.byteLength > 0) w = putEntry(w, changetype<usize>(O_SOURCE), O_SOURCE.byteLength, changetype<usize>(src), src.byteLength);
    if (ty >= 0) {
      const tn = TYPE_NAMES[ty];
      w = putEntry(w, changetype<usize>(O_TYPE), O_TYPE.byteLength, changetype<usize>(tn), tn.byteLength);
    }
    w = this.put(w, O_VERSION, 6 + L_VERSION);
    w = this.put(w, O_WORKLOAD, T_WORKLOAD);
    return out;
  }

  /** Size of a top-level string entry for a slot (empty values are omitted, as encodePeerState does). */
  @inline private sz(key: ArrayBuffer, slot: i32): i32 {
    const l = unchecked(this.lens[slot]);
    return l > 0 ? entrySize(key.byteLength, l) : 0;
  }

  @inline private put(w: usize, key: ArrayBuffer, slot: i32): usize {
    const l = unchecked(this.lens[slot]);
    return l > 0 ? putEntry(w, changetype<usize>(key), key.byteLength, unchecked(this.ptrs[slot]), l) : w;
  }
}
