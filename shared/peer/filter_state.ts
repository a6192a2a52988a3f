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
import { ProtoReader, ProtoWriter, WireType } from "../codec/protobuf";
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

class Field {
  constructor(public key: string, public value: string) {}
}

function stringEntry(w: ProtoWriter, key: string, value: string): void {
  // map entry { key = 1; value = 2: Value { string_value = 3 } }
  const v = new ProtoWriter(value.length + 8);
  v.string(3, value);
  const e = new ProtoWriter(key.length + value.length + 16);
  e.string(1, key);
  e.message(2, v);
  w.message(1, e);
}

/** The filter-state Struct bytes for a peer (deterministic: entries in key order). */
export function encodePeerState(p: PeerMetadata): ArrayBuffer {
  const fields = new Array<Field>();
  // Already in byte order of the keys: app cluster id identity labels name namespace revision service service_account source type version workload
  if (p.app.length > 0) fields.push(new Field(F_APP, p.app));
  if (p.cluster.length > 0) fields.push(new Field(F_CLUSTER, p.cluster));
  if (p.id.length > 0) fields.push(new Field(F_ID, p.id));
  if (p.identity.length > 0) fields.push(new Field(F_IDENTITY, p.identity));
  const w = new ProtoWriter(256);
  const tail = new Array<Field>();
  if (p.name.length > 0) tail.push(new Field(F_NAME, p.name));
  if (p.namespace.length > 0) tail.push(new Field(F_NAMESPACE, p.namespace));
  if (p.canonicalRevision.length > 0) tail.push(new Field(F_REVISION, p.canonicalRevision));
  if (p.canonicalService.length > 0) tail.push(new Field(F_SERVICE, p.canonicalService));
  if (p.serviceAccount.length > 0) tail.push(new Field(F_SERVICE_ACCOUNT, p.serviceAccount));
  const src = peerSourceName(p.source);
  if (src.length > 0) tail.push(new Field(F_SOURCE, src));
  const type = workloadTypeName(p.workloadType);
  if (type.length > 0) tail.push(new Field(F_TYPE, type));
  if (p.version.length > 0) tail.push(new Field(F_VERSION, p.version));
  if (p.workload.length > 0) tail.push(new Field(F_WORKLOAD, p.workload));
  for (let i = 0; i < fields.length; i++) stringEntry(w, fields[i].key, fields[i].value);
  if (p.labelKeys.length > 0) {
    // labels: Value { struct_value = 5: Struct { entries sorted by key } }. labelKeys are kept sorted
    // by PeerMetadata.setLabel (UTF-16 order, equal to byte order for the ASCII keys Kubernetes allows).
    const s = new ProtoWriter(64);
    for (let i = 0; i < p.labelKeys.length; i++) stringEntry(s, p.labelKeys[i], p.labelValues[i]);
    const v = new ProtoWriter(s.length + 8);
    v.message(5, s);
    const e = new ProtoWriter(v.length + 16);
    e.string(1, F_LABELS);
    e.message(2, v);
    w.message(1, e);
  }
  for (let i = 0; i < tail.length; i++) stringEntry(w, tail[i].key, tail[i].value);
  return w.finish();
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
