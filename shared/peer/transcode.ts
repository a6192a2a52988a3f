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
  F_APP, F_CLUSTER, F_ID, F_LABELS, F_NAME, F_NAMESPACE, F_REVISION, F_SERVICE, F_SERVICE_ACCOUNT, F_SOURCE,
  F_TYPE, F_VERSION, F_WORKLOAD, varintSize, putVarint, stringEntrySize, putEntryHead, putStringValueHead,
} from "./filter_state";
import { ProtoReader, WireType, validUtf8 } from "../codec/protobuf";
import { KEY_NAME, KEY_NAMESPACE, KEY_WORKLOAD_NAME, KEY_CLUSTER_ID, KEY_OWNER, KEY_SERVICE_ACCOUNT, KEY_LABELS } from "./exchange";
import { PeerSource, peerSourceName, WorkloadType, workloadTypeName, CANONICAL_NAME_LABEL, CANONICAL_REVISION_LABEL, APP_LABEL, VERSION_LABEL } from "./peer";

export enum TranscodeStatus { Ok = 0, BadProtobuf = 1, WrongType = 2 }

const MAX_DEPTH: i32 = 64;

// One reader for every call (one VM runs one callback at a time; nothing here outlives a call).
// Nested messages are read by narrowing its `end` (ProtoReader.enter) instead of sub-readers.
const r = new ProtoReader(new ArrayBuffer(0));

// Value kinds as the oneof ends up (last member on the wire wins); 0 = no kind set (null).
const K_NULL: i32 = 0;
const K_STRING: i32 = 3;
const K_STRUCT: i32 = 5;
const K_OTHER: i32 = 9;

// What the last readEntry saw: the key's byte range and its value's kind
// and (string or struct) payload range.
let keyPtr: usize = 0;
let keyLen: i32 = 0;
let valKind: i32 = K_NULL;
let valPtr: usize = 0;
let valLen: i32 = 0;

/** A length-delimited UTF-8 string at the reader: [pos, returned end); 0 (reader failed) if malformed. */
function stringEnd(): usize {
  const e = r.enter();
  if (!r.ok) return 0;
  if (!validUtf8(r.pos, <i32>(e - r.pos))) { r.fail(); return 0; }
  return e;
}

/** Validates the Struct in the reader's [pos, end). */
function checkStruct(depth: i32): void {
  if (depth > MAX_DEPTH) { r.fail(); return; }
  while (r.tag()) {
    if (r.field == 1 && r.wireType == WireType.LengthDelimited) {
      const e = r.enter();
      if (!r.ok) return;
      const outer = r.end;
      r.end = e;
      readEntry(depth);
      if (!r.ok) return;
      r.pos = e;
      r.end = outer;
    } else if (!r.skip()) return;
  }
}

/** Validates one map entry in [pos, end), recording its key range and its value's kind and payload. */
function readEntry(depth: i32): void {
  // Locals first: the value may hold nested entries, whose reads reuse the globals.
  let kp: usize = 0;
  let kl: i32 = 0;
  let seen = false;
  let kind = K_NULL;
  let vp: usize = 0;
  let vl: i32 = 0;
  while (r.tag()) {
    if (r.field == 1 && r.wireType == WireType.LengthDelimited) {
      const e = stringEnd();
      if (!r.ok) return;
      kp = r.pos; kl = <i32>(e - r.pos);
      r.pos = e;
    } else if (r.field == 2 && r.wireType == WireType.LengthDelimited) {
      const e = r.enter();
      if (!r.ok) return;
      const outer = r.end;
      r.end = e;
      checkValue(depth + 1);
      if (!r.ok) return;
      r.pos = e;
      r.end = outer;
      kind = valKind; vp = valPtr; vl = valLen;
      seen = true;
    } else if (!r.skip()) return;
  }
  keyPtr = kp; keyLen = kl;
  // A map entry without a value holds the default Value: null.
  valKind = seen ? kind : K_NULL; valPtr = vp; valLen = vl;
}

/** Validates the Value in [pos, end) and records its kind (and payload range) in valKind/valPtr/valLen. */
function checkValue(depth: i32): void {
  if (depth > MAX_DEPTH) { r.fail(); return; }
  let kind = K_NULL;
  let vp: usize = 0;
  let vl: i32 = 0;
  while (r.tag()) {
    const f = r.field;
    const wt = r.wireType;
    // Oneof: the last member on the wire wins. A member with the wrong wire type is an unknown field.
    if (f == 1 && wt == WireType.Varint) { r.varint(); kind = K_NULL; }
    else if (f == 2 && wt == WireType.Fixed64) { r.fixed64(); kind = K_OTHER; }
    else if (f == 4 && wt == WireType.Varint) { r.varint(); kind = K_OTHER; }
    else if (f == 3 && wt == WireType.LengthDelimited) {
      const e = stringEnd();
      if (!r.ok) return;
      kind = K_STRING; vp = r.pos; vl = <i32>(e - r.pos);
      r.pos = e;
    } else if ((f == 5 || f == 6) && wt == WireType.LengthDelimited) {
      const e = r.enter();
      if (!r.ok) return;
      const s = r.pos;
      const outer = r.end;
      r.end = e;
      if (f == 5) checkStruct(depth + 1);
      else checkList(depth + 1);
      if (!r.ok) return;
      r.pos = e;
      r.end = outer;
      if (f == 5) { kind = K_STRUCT; vp = s; vl = <i32>(e - s); }
      else kind = K_OTHER;
    } else if (!r.skip()) return;
  }
  valKind = kind; valPtr = vp; valLen = vl;
}

function checkList(depth: i32): void {
  if (depth > MAX_DEPTH) { r.fail(); return; }
  while (r.tag()) {
    if (r.field == 1 && r.wireType == WireType.LengthDelimited) {
      const e = r.enter();
      if (!r.ok) return;
      const outer = r.end;
      r.end = e;
      checkValue(depth + 1);
      if (!r.ok) return;
      r.pos = e;
      r.end = outer;
    } else if (!r.skip()) return;
  }
}

function bytesOf(s: string): ArrayBuffer { return String.UTF8.encode(s); }

function sameAt(p: usize, n: i32, key: ArrayBuffer): bool {
  return n == key.byteLength && memory.compare(p, changetype<usize>(key), <usize>n) == 0;
}

// Top-level keys read (slot order) and label keys read (slot order; additional labels follow).
const TOP_KEYS: StaticArray<ArrayBuffer> = [
  bytesOf(KEY_NAME), bytesOf(KEY_NAMESPACE), bytesOf(KEY_WORKLOAD_NAME), bytesOf(KEY_CLUSTER_ID), bytesOf(KEY_OWNER), bytesOf(KEY_SERVICE_ACCOUNT),
];
const T_NAME = 0;
const T_NAMESPACE = 1;
const T_WORKLOAD = 2;
const T_CLUSTER = 3;
const T_OWNER = 4;
const T_SA = 5;
const LABELS_KEY = bytesOf(KEY_LABELS);
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
// `identity` is never set from an exchange payload (Istio's minimal set has no IDENTITY).

const SOURCES: StaticArray<ArrayBuffer> = [
  bytesOf(peerSourceName(PeerSource.None)), bytesOf(peerSourceName(PeerSource.Headers)), bytesOf(peerSourceName(PeerSource.Discovery)),
  bytesOf(peerSourceName(PeerSource.EndpointMetadata)), bytesOf(peerSourceName(PeerSource.Tcp)),
];
// Workload types by their OWNER segment (Istio's parseOwner: "<...>/<type>s/<workload>").
const TYPE_NAMES: StaticArray<ArrayBuffer> = [
  bytesOf(workloadTypeName(WorkloadType.Pod)), bytesOf(workloadTypeName(WorkloadType.Deployment)),
  bytesOf(workloadTypeName(WorkloadType.Job)), bytesOf(workloadTypeName(WorkloadType.CronJob)),
];

/** A key -> Value{string_value} map entry from raw bytes (filter_state.ts writes the same layout from strings). */
function putEntry(w: usize, kp: usize, kl: i32, vp: usize, vl: i32): usize {
  w = putEntryHead(w, kl, vl);
  memory.copy(w, kp, <usize>kl);
  w = putStringValueHead(w + <usize>kl, vl);
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
   * Reads the exchange Struct `buf` and builds the filter-state bytes (this.state) for a peer with
   * that id ([idPtr, idPtr+idLen), may be empty) found by `source`.
   */
  transcode(buf: ArrayBuffer, idPtr: usize, idLen: i32, source: PeerSource): TranscodeStatus {
    const slots = this.ptrs.length;
    for (let i = 0; i < slots; i++) unchecked(this.lens[i] = -1);
    let labelsPtr: usize = 0;
    let labelsLen: i32 = -1;
    r.reset(buf);
    // Top level: validate every entry; remember the values of the keys read (last entry wins).
    while (r.tag()) {
      if (r.field != 1 || r.wireType != WireType.LengthDelimited) { if (!r.skip()) break; continue; }
      const e = r.enter();
      if (!r.ok) break;
      const outer = r.end;
      r.end = e;
      readEntry(0);
      if (!r.ok) break;
      r.pos = e;
      r.end = outer;
      if (sameAt(keyPtr, keyLen, LABELS_KEY)) {
        if (valKind == K_STRUCT) { labelsPtr = valPtr; labelsLen = valLen; }
        else labelsLen = -2;
        continue;
      }
      for (let i = 0; i < 6; i++) {
        if (sameAt(keyPtr, keyLen, unchecked(TOP_KEYS[i]))) { this.setSlot(i, valKind); break; }
      }
    }
    if (!r.ok) return TranscodeStatus.BadProtobuf;
    let wrongType = labelsLen == -2;
    for (let i = 0; i < 6; i++) if (unchecked(this.lens[i]) == -2) wrongType = true;
    if (labelsLen >= 0 && !this.readLabels(buf, labelsPtr, labelsLen)) wrongType = true;
    if (wrongType) return TranscodeStatus.WrongType;
    this.state = this.build(idPtr, idLen, source);
    return TranscodeStatus.Ok;
  }

  /** Reads LABELS (validated above) from [p, p+n) of buf: false if a read label has a non-string value. */
  private readLabels(buf: ArrayBuffer, p: usize, n: i32): bool {
    const nx = this.extra.length;
    const base = changetype<usize>(buf);
    r.reset(buf, <i32>(p - base), <i32>(p - base) + n);
    while (r.tag()) {
      if (r.field != 1 || r.wireType != WireType.LengthDelimited) { if (!r.skip()) break; continue; }
      const e = r.enter();
      const outer = r.end;
      r.end = e;
      readEntry(2);
      r.pos = e;
      r.end = outer;
      // A standard label may also be listed in additional_labels: then it fills both slots.
      for (let i = 0; i < 4; i++) if (sameAt(keyPtr, keyLen, unchecked(STD_LABELS[i]))) { this.setSlot(6 + i, valKind); break; }
      for (let i = 0; i < nx; i++) if (sameAt(keyPtr, keyLen, unchecked(this.extra[i]))) { this.setSlot(10 + i, valKind); break; }
    }
    let ok = true;
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
    if (idLen > 0) size += stringEntrySize(O_ID.byteLength, idLen);
    let inner = 0;
    let nl = 0;
    for (let i = 0; i < nx; i++) {
      const l = unchecked(lens[10 + i]);
      if (l >= 0) { inner += stringEntrySize(unchecked(this.extra[i]).byteLength, l); nl++; }
    }
    const lvalue = 1 + varintSize(<u32>inner) + inner;
    const lentry = 1 + 1 + 6 + 1 + varintSize(<u32>lvalue) + lvalue;
    if (nl > 0) size += 1 + varintSize(<u32>lentry) + lentry;
    size += this.sz(O_NAME, T_NAME);
    size += this.sz(O_NAMESPACE, T_NAMESPACE);
    size += this.sz(O_REVISION, 6 + L_REVISION);
    size += this.sz(O_SERVICE, 6 + L_SERVICE);
    size += this.sz(O_SERVICE_ACCOUNT, T_SA);
    if (src.byteLength > 0) size += stringEntrySize(O_SOURCE.byteLength, src.byteLength);
    if (ty >= 0) size += stringEntrySize(O_TYPE.byteLength, TYPE_NAMES[ty].byteLength);
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
    return l > 0 ? stringEntrySize(key.byteLength, l) : 0;
  }

  @inline private put(w: usize, key: ArrayBuffer, slot: i32): usize {
    const l = unchecked(this.lens[slot]);
    return l > 0 ? putEntry(w, changetype<usize>(key), key.byteLength, unchecked(this.ptrs[slot]), l) : w;
  }
}
