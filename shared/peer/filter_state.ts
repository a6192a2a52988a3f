// How the metadata-exchange filter hands peers to the other filters of this suite (stats, RBAC)
// and to anything else that can read Envoy filter state. STABLE FORMAT: documented in
// shared/peer/README.md; change it only together with every reader.
//
// proxy_set_property("<side>_peer") creates Envoy filter state `wasm.<side>_peer` (a CelState of
// bytes, life span FilterChain); any Wasm filter later in the chain reads it back with
// proxy_get_property("<side>_peer") (Envoy falls back to filter state `wasm.<name>` for unknown
// top-level names), CEL and access logs with filter_state['wasm.<side>_peer'].
//
//   wasm.downstream_peer / wasm.upstream_peer   google.protobuf.Struct (deterministic) with the
//        lower-case fields of Istio 1.19+'s native `downstream_peer` (WorkloadMetadataObject
//        serializeAsProto): type, workload, name, cluster, namespace, service, revision, app,
//        version, identity, labels{} — plus this suite's service_account, id and source. Empty
//        fields are omitted. Present  <=>  the peer was found.
//   wasm.downstream_peer_id / wasm.upstream_peer_id   the peer's exchange id (its node.id) as
//        plain bytes when it sent one; the sentinel `envoy.wasm.metadata_exchange.peer_unknown`
//        when every discovery method ran and none found the peer (Istio 1.6-1.18 used the same
//        sentinel). Plain text, so %FILTER_STATE(wasm.downstream_peer_id:PLAIN)% and Envoy's
//        filter_state RBAC matcher can read it.
import { ProtoReader, WireType } from "../codec/protobuf";
import { getPropertyBytes, setProperty, propertyPath, WasmResult } from "../abi/host";
import { PeerMetadata, PeerSource, workloadTypeName, workloadTypeFromName, peerSourceName, peerSourceFromName } from "./peer";

export enum PeerSide { Downstream = 0, Upstream = 1 }

/** Istio's "looked, found nothing" marker for the *_peer_id key. */
export const PEER_UNKNOWN = "envoy.wasm.metadata_exchange.peer_unknown";

export const DOWNSTREAM_PEER_KEY = "downstream_peer";
export const UPSTREAM_PEER_KEY = "upstream_peer";
export const DOWNSTREAM_PEER_ID_KEY = "downstream_peer_id";
export const UPSTREAM_PEER_ID_KEY = "upstream_peer_id";

// Field names inside the Struct (Istio's baggage/filter-state tokens).
export const F_TYPE = "type";
export const F_WORKLOAD = "workload";
export const F_NAME = "name";
export const F_CLUSTER = "cluster";
export const F_NAMESPACE = "namespace";
export const F_SERVICE = "service";
export const F_REVISION = "revision";
export const F_APP = "app";
export const F_VERSION = "version";
export const F_IDENTITY = "identity";
export const F_LABELS = "labels";
export const F_SERVICE_ACCOUNT = "service_account";
export const F_ID = "id";
export const F_SOURCE = "source";

const PATH_PEER: StaticArray<ArrayBuffer> = [propertyPath([DOWNSTREAM_PEER_KEY]), propertyPath([UPSTREAM_PEER_KEY])];
const PATH_PEER_ID: StaticArray<ArrayBuffer> = [propertyPath([DOWNSTREAM_PEER_ID_KEY]), propertyPath([UPSTREAM_PEER_ID_KEY])];
const UNKNOWN_BYTES = String.UTF8.encode(PEER_UNKNOWN);

// The encoder below writes the Struct in one pass into one exactly-sized buffer (no intermediate
// writers): it runs for every cache miss and every workload-table entry.
//   Struct field 1 (entry) { key = 1: string; value = 2: Value { string_value = 3 | struct_value = 5 } }

export function varintSize(n: u32): i32 {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

export function putVarint(p: usize, n: u32): usize {
  while (n >= 0x80) { store<u8>(p, <u8>(n | 0x80)); n >>= 7; p++; }
  store<u8>(p, <u8>n);
  return p + 1;
}

function putString(p: usize, s: string, n: i32): usize {
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, p);
  return p + <usize>n;
}

/** Size of a map entry holding key -> Value{string_value}, including its field-1 tag and length. */
export function stringEntrySize(kl: i32, vl: i32): i32 {
  const value = 1 + varintSize(<u32>vl) + vl;
  const entry = 1 + varintSize(<u32>kl) + kl + 1 + varintSize(<u32>value) + value;
  return 1 + varintSize(<u32>entry) + entry;
}

/** Writes a key -> Value{string_value} entry's framing up to its key bytes; returns where they go. */
export function putEntryHead(p: usize, kl: i32, vl: i32): usize {
  const vmsg = 1 + varintSize(<u32>vl) + vl;
  const entry = 1 + varintSize(<u32>kl) + kl + 1 + varintSize(<u32>vmsg) + vmsg;
  store<u8>(p++, 0x0a);
  p = putVarint(p, <u32>entry);
  store<u8>(p++, 0x0a);
  return putVarint(p, <u32>kl);
}

/** After the key: the Value{string_value} framing; returns where the value's bytes go. */
export function putStringValueHead(p: usize, vl: i32): usize {
  store<u8>(p++, 0x12);
  p = putVarint(p, <u32>(1 + varintSize(<u32>vl) + vl));
  store<u8>(p++, 0x1a);
  return putVarint(p, <u32>vl);
}

function putStringEntry(p: usize, key: string, kl: i32, value: string, vl: i32): usize {
  p = putString(putEntryHead(p, kl, vl), key, kl);
  return putString(putStringValueHead(p, vl), value, vl);
}

/** Appends key/value (skipping empty values) to the parallel lists. */
function add(keys: Array<string>, values: Array<string>, key: string, value: string): void {
  if (value.length == 0) return;
  keys.push(key);
  values.push(value);
}

/** The filter-state Struct bytes for a peer (deterministic: entries in key-byte order). */
export function encodePeerState(p: PeerMetadata): ArrayBuffer {
  const keys = new Array<string>();
  const values = new Array<string>();
  // In byte order of the keys: app cluster id identity [labels] name namespace revision service
  // service_account source type version workload.
  add(keys, values, F_APP, p.app);
  add(keys, values, F_CLUSTER, p.cluster);
  add(keys, values, F_ID, p.id);
  add(keys, values, F_IDENTITY, p.identity);
  const labelsAt = keys.length;
  add(keys, values, F_NAME, p.name);
  add(keys, values, F_NAMESPACE, p.namespace);
  add(keys, values, F_REVISION, p.canonicalRevision);
  add(keys, values, F_SERVICE, p.canonicalService);
  add(keys, values, F_SERVICE_ACCOUNT, p.serviceAccount);
  add(keys, values, F_SOURCE, peerSourceName(p.source));
  add(keys, values, F_TYPE, workloadTypeName(p.workloadType));
  add(keys, values, F_VERSION, p.version);
  add(keys, values, F_WORKLOAD, p.workload);

  let size = 0;
  for (let i = 0; i < keys.length; i++) size += stringEntrySize(String.UTF8.byteLength(keys[i]), String.UTF8.byteLength(values[i]));
  // labels: entry { key "labels", value Value { struct_value = 5: Struct { entries } } }. labelKeys
  // are kept sorted by PeerMetadata.setLabel (UTF-16 order = byte order for Kubernetes' ASCII keys).
  const nl = p.labelKeys.length;
  let inner = 0;
  for (let i = 0; i < nl; i++) inner += stringEntrySize(String.UTF8.byteLength(p.labelKeys[i]), String.UTF8.byteLength(p.labelValues[i]));
  const lvalue = 1 + varintSize(<u32>inner) + inner;
  const lentry = 1 + 1 + 6 + 1 + varintSize(<u32>lvalue) + lvalue;
  if (nl > 0) size += 1 + varintSize(<u32>lentry) + lentry;

  const out = new ArrayBuffer(size);
  let w = changetype<usize>(out);
  for (let i = 0; i < keys.length; i++) {
    if (i == labelsAt && nl > 0) w = putLabels(w, p, inner, lvalue, lentry);
    const k = keys[i];
    const v = values[i];
    w = putStringEntry(w, k, String.UTF8.byteLength(k), v, String.UTF8.byteLength(v));
  }
  if (labelsAt == keys.length && nl > 0) w = putLabels(w, p, inner, lvalue, lentry);
  return out;
}

function putLabels(w: usize, p: PeerMetadata, inner: i32, lvalue: i32, lentry: i32): usize {
  store<u8>(w++, 0x0a);
  w = putVarint(w, <u32>lentry);
  store<u8>(w++, 0x0a);
  store<u8>(w++, 6);
  w = putString(w, F_LABELS, 6);
  store<u8>(w++, 0x12);
  w = putVarint(w, <u32>lvalue);
  store<u8>(w++, 0x2a);
  w = putVarint(w, <u32>inner);
  for (let i = 0; i < p.labelKeys.length; i++) {
    const k = p.labelKeys[i];
    const v = p.labelValues[i];
    w = putStringEntry(w, k, String.UTF8.byteLength(k), v, String.UTF8.byteLength(v));
  }
  return w;
}

/** Reads the string_value of a Value sub-message ("" for any other kind). */
function readStringValue(r: ProtoReader): string {
  let s = "";
  while (r.tag()) {
    if (r.field == 3 && r.wireType == WireType.LengthDelimited) s = r.string();
    else if (!r.skip()) break;
  }
  return s;
}

function readLabels(r: ProtoReader, p: PeerMetadata): bool {
  // r is over a Value; find struct_value (5).
  while (r.tag()) {
    if (r.field == 5 && r.wireType == WireType.LengthDelimited) {
      const s = r.sub();
      while (s.tag()) {
        if (s.field == 1 && s.wireType == WireType.LengthDelimited) {
          const e = s.sub();
          let k = "";
          let v = "";
          while (e.tag()) {
            if (e.field == 1 && e.wireType == WireType.LengthDelimited) k = e.string();
            else if (e.field == 2 && e.wireType == WireType.LengthDelimited) v = readStringValue(e.sub());
            else if (!e.skip()) break;
          }
          if (!e.ok) return false;
          p.setLabel(k, v);
        } else if (!s.skip()) break;
      }
      if (!s.ok) return false;
    } else if (!r.skip()) break;
  }
  return r.ok;
}

/** Decodes filter-state Struct bytes straight off the wire (no tree); null when malformed. */
export function decodePeerState(buf: ArrayBuffer): PeerMetadata | null {
  const p = new PeerMetadata();
  const r = new ProtoReader(buf);
  while (r.tag()) {
    if (r.field != 1 || r.wireType != WireType.LengthDelimited) { if (!r.skip()) break; continue; }
    const e = r.sub();
    let key = "";
    while (e.tag()) {
      if (e.field == 1 && e.wireType == WireType.LengthDelimited) key = e.string();
      else if (e.field == 2 && e.wireType == WireType.LengthDelimited) {
        const v = e.sub();
        if (key == F_LABELS) { if (!readLabels(v, p)) return null; continue; }
        const s = readStringValue(v);
        if (!v.ok) return null;
        if (key == F_WORKLOAD) p.workload = s;
        else if (key == F_NAME) p.name = s;
        else if (key == F_NAMESPACE) p.namespace = s;
        else if (key == F_CLUSTER) p.cluster = s;
        else if (key == F_SERVICE) p.canonicalService = s;
        else if (key == F_REVISION) p.canonicalRevision = s;
        else if (key == F_APP) p.app = s;
        else if (key == F_VERSION) p.version = s;
        else if (key == F_IDENTITY) p.identity = s;
        else if (key == F_SERVICE_ACCOUNT) p.serviceAccount = s;
        else if (key == F_ID) p.id = s;
        else if (key == F_TYPE) p.workloadType = workloadTypeFromName(s);
        else if (key == F_SOURCE) p.source = peerSourceFromName(s);
      } else if (!e.skip()) break;
    }
    if (!e.ok) return null;
  }
  return r.ok ? p : null;
}

// ---------------------------------------------------------------------------------------------
// Host side: write (the metadata-exchange filter) and read (stats, RBAC).

/** Records a found peer. Returns the host's status of the first failing write (or Ok). */
export function writePeer(side: PeerSide, p: PeerMetadata): WasmResult {
  const r = setProperty(PATH_PEER[side], encodePeerState(p));
  if (p.id.length > 0) {
    const r2 = setProperty(PATH_PEER_ID[side], String.UTF8.encode(p.id));
    if (r == WasmResult.Ok) return r2;
  }
  return r;
}

/**
 * Hot-path variant: writes filter-state bytes made earlier by encodePeerState (e.g. kept in a
 * cache entry) and the id bytes (null or empty = none).
 */
export function writePeerBytes(side: PeerSide, state: ArrayBuffer, id: ArrayBuffer | null): WasmResult {
  const r = setProperty(PATH_PEER[side], state);
  if (id !== null && id.byteLength > 0) {
    const r2 = setProperty(PATH_PEER_ID[side], id);
    if (r == WasmResult.Ok) return r2;
  }
  return r;
}

/** Records that every discovery method ran and none found the peer. */
export function writeNoPeer(side: PeerSide): WasmResult {
  return setProperty(PATH_PEER_ID[side], UNKNOWN_BYTES);
}

export enum PeerStatus {
  /** No verdict yet (exchange still pending, or no metadata-exchange filter before this one). */
  Pending = 0,
  Found = 1,
  /** Discovery finished without a peer (the peer_unknown sentinel). */
  NotFound = 2,
}

export class PeerLookup {
  constructor(public status: PeerStatus, public peer: PeerMetadata | null) {}
}

/** What the metadata-exchange filter recorded for `side` on the current stream. */
export function readPeer(side: PeerSide): PeerLookup {
  const b = getPropertyBytes(PATH_PEER[side]);
  if (b !== null && b.byteLength > 0) {
    const p = decodePeerState(b);
    if (p !== null) return new PeerLookup(PeerStatus.Found, p);
  }
  const id = getPropertyBytes(PATH_PEER_ID[side]);
  if (id !== null && id.byteLength == UNKNOWN_BYTES.byteLength &&
    memory.compare(changetype<usize>(id), changetype<usize>(UNKNOWN_BYTES), id.byteLength) == 0) {
    return new PeerLookup(PeerStatus.NotFound, null);
  }
  return new PeerLookup(PeerStatus.Pending, null);
}
