// proxy_get_property as Envoy >= 1.30 serves it (envoy context.cc `getProperty` / `findValue`,
// source/extensions/filters/common/expr/context.cc, docs attributes.rst): a NUL-separated path, the
// first segment a top-level attribute, the rest walking maps / messages / lists; values serialized
// with Envoy's `serializeValue` (8-byte LE ints, ns durations/timestamps, raw strings, protobuf
// bytes for messages, pairs for maps, SERIALIZATION_FAILURE for the attribute wrappers).
import type { HeaderList, NodeInfo, StreamInfo } from "../api";
import { encodePairs } from "./pairs";
import { Status } from "./status";

export type Value =
  | { t: "string"; v: string }
  | { t: "bytes"; v: Uint8Array }
  | { t: "int" | "uint" | "duration" | "timestamp"; v: bigint }
  | { t: "double"; v: number }
  | { t: "bool"; v: boolean }
  | { t: "null" }
  | { t: "message"; bytes: () => Uint8Array; field: (name: string) => Value | undefined }
  | { t: "map"; entries: () => Array<[string, Value]>; get: (key: string) => Value | undefined }
  | { t: "wrapper"; get: (key: string) => Value | undefined }
  | { t: "list"; items: Value[] };

/** What one context can see: stream facts (absent for root contexts), header maps while Envoy holds them. */
export interface PropertySource {
  node: NodeInfo;
  pluginName: string;
  rootId: string;
  vmId: string;
  stream?: StreamInfo;
  requestHeaders(): HeaderList | undefined;
  responseHeaders(): HeaderList | undefined;
  responseTrailers(): HeaderList | undefined;
}

const str = (v: string | undefined): Value | undefined => (v === undefined ? undefined : { t: "string", v });
const int = (v: number | bigint | undefined): Value | undefined => (v === undefined ? undefined : { t: "int", v: BigInt(v) });
const uint = (v: number | bigint | undefined): Value | undefined => (v === undefined ? undefined : { t: "uint", v: BigInt(v) });

function headerValue(h: HeaderList | undefined, key: string): string | undefined {
  if (!h) return undefined;
  const vals = h.filter(([k]) => k === key).map(([, v]) => v);
  return vals.length ? vals.join(",") : undefined;
}

function headersMap(h: HeaderList | undefined): Value | undefined {
  if (!h) return undefined;
  const entries = (): Array<[string, Value]> => {
    const keys: string[] = [];
    for (const [k] of h) if (!keys.includes(k)) keys.push(k);
    return keys.map((k) => [k, { t: "string", v: headerValue(h, k)! }]);
  };
  return { t: "map", entries, get: (k) => str(headerValue(h, k.toLowerCase())) };
}

/** HeaderMap::byteSize(): keys plus values. */
function headersBytes(h: HeaderList | undefined): Value | undefined {
  if (!h) return undefined;
  let n = 0;
  for (const [k, v] of h) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return { t: "int", v: BigInt(n) };
}

function splitAddress(addr: string): [string, number | undefined] {
  const i = addr.lastIndexOf(":");
  if (i < 0) return [addr, undefined];
  const port = Number(addr.slice(i + 1));
  return [addr, Number.isFinite(port) ? port : undefined];
}

function peer(address: string | undefined): Value | undefined {
  if (address === undefined) return undefined;
  const [a, port] = splitAddress(address);
  return { t: "wrapper", get: (k) => (k === "address" ? str(a) : k === "port" ? int(port) : undefined) };
}

// ---- protobuf (hand-rolled writer for the few messages Envoy returns here)
class PbWriter {
  parts: number[] = [];
  varint(n: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) { this.parts.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
    this.parts.push(Number(v));
  }
  tag(field: number, wire: number): void { this.varint((field << 3) | wire); }
  bytes(field: number, b: Uint8Array): void { this.tag(field, 2); this.varint(b.length); for (const x of b) this.parts.push(x); }
  string(field: number, s: string): void { if (s !== "") this.bytes(field, Buffer.from(s, "utf8")); }
  double(field: number, d: number): void {
    this.tag(field, 1);
    const b = Buffer.alloc(8); b.writeDoubleLE(d, 0);
    for (const x of b) this.parts.push(x);
  }
  finish(): Uint8Array { return Uint8Array.from(this.parts); }
}

export function encodeStructValue(v: unknown): Uint8Array {
  const w = new PbWriter();
  if (v === null || v === undefined) { w.tag(1, 0); w.varint(0); }
  else if (typeof v === "number") w.double(2, v);
  else if (typeof v === "string") w.bytes(3, Buffer.from(v, "utf8"));
  else if (typeof v === "boolean") { w.tag(4, 0); w.varint(v ? 1 : 0); }
  else if (Array.isArray(v)) {
    const lw = new PbWriter();
    for (const item of v) lw.bytes(1, encodeStructValue(item));
    w.bytes(6, lw.finish());
  } else w.bytes(5, encodeStruct(v as Record<string, unknown>));
  return w.finish();
}

export function encodeStruct(obj: Record<string, unknown>): Uint8Array {
  const w = new PbWriter();
  for (const [k, v] of Object.entries(obj)) {
    const e = new PbWriter();
    e.string(1, k);
    e.bytes(2, encodeStructValue(v));
    w.bytes(1, e.finish());
  }
  return w.finish();
}

/** envoy.config.core.v3.Metadata { map<string, Struct> filter_metadata = 1; } */
export function encodeMetadata(md: Record<string, unknown>): Uint8Array {
  const w = new PbWriter();
  for (const [k, v] of Object.entries(md)) {
    const e = new PbWriter();
    e.string(1, k);
    e.bytes(2, encodeStruct((v ?? {}) as Record<string, unknown>));
    w.bytes(1, e.finish());
  }
  return w.finish();
}

/** envoy.config.core.v3.Node { id = 1; cluster = 2; Struct metadata = 3; } */
export function encodeNode(node: NodeInfo): Uint8Array {
  const w = new PbWriter();
  w.string(1, node.id);
  w.string(2, node.cluster);
  if (node.metadata && Object.keys(node.metadata).length) w.bytes(3, encodeStruct(node.metadata));
  return w.finish();
}

/** A Struct as CEL sees it: a map of converted values. */
function jsonValue(v: unknown): Value {
  if (v === null || v === undefined) return { t: "null" };
  if (typeof v === "number") return { t: "double", v };
  if (typeof v === "string") return { t: "string", v };
  if (typeof v === "boolean") return { t: "bool", v };
  if (Array.isArray(v)) return { t: "list", items: v.map(jsonValue) };
  const o = v as Record<string, unknown>;
  return { t: "map", entries: () => Object.entries(o).map(([k, x]) => [k, jsonValue(x)]), get: (k) => (k in o ? jsonValue(o[k]) : undefined) };
}

function metadataMessage(md: Record<string, unknown> | undefined): Value | undefined {
  if (!md) return undefined;
  return {
    t: "message",
    bytes: () => encodeMetadata(md),
    field: (f) => (f === "filter_metadata" ? jsonValue(md) : undefined),
  };
}

function nodeMessage(node: NodeInfo): Value {
  return {
    t: "message",
    bytes: () => encodeNode(node),
    field: (f) => (f === "id" ? str(node.id) : f === "cluster" ? str(node.cluster) : f === "metadata" ? jsonValue(node.metadata ?? {}) : undefined),
  };
}

/**
 * response.flags = StreamInfo::legacyResponseFlags(): bit N set for CoreResponseFlag N. The short names in
 * the order of Envoy's CoreResponseFlag enum (envoy/stream_info/stream_info.h, through
 * UnconditionalDropOverload = LastFlag); extension-defined flags have no legacy bit.
 */
export const CORE_RESPONSE_FLAGS = ["LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI", "RL", "UAEX", "RLSE",
  "DC", "URX", "SI", "IH", "DPE", "UMSDR", "RFCF", "NFCF", "DT", "UPE", "NC", "OM", "DF", "DO", "DR", "UDO"];
const RESPONSE_FLAG_BITS: Record<string, number> = Object.fromEntries(CORE_RESPONSE_FLAGS.map((f, i) => [f, 2 ** i]));

function requestAttr(src: PropertySource, s: StreamInfo, k: string): Value | undefined {
  const h = src.requestHeaders();
  const path = headerValue(h, ":path");
  switch (k) {
    case "path": return str(path);
    case "url_path": return path === undefined ? undefined : str(path.split("?")[0]);
    case "query": return path === undefined ? undefined : str(path.includes("?") ? path.slice(path.indexOf("?") + 1) : "");
    case "host": return str(headerValue(h, ":authority"));
    case "scheme": return str(headerValue(h, ":scheme"));
    case "method": return str(headerValue(h, ":method"));
    case "referer": return str(headerValue(h, "referer"));
    case "useragent": return str(headerValue(h, "user-agent"));
    case "id": return str(headerValue(h, "x-request-id"));
    case "headers": return headersMap(h);
    case "headers_bytes": return headersBytes(h);
    case "protocol": return s.protocol ? str(s.protocol) : undefined;
    case "time": return { t: "timestamp", v: s.startTimeNs };
    case "duration": return s.durationNs === undefined ? undefined : { t: "duration", v: s.durationNs };
    case "size": {
      // Envoy: the Content-Length header while the request headers are visible (an unparsable one
      // means no value), else the body bytes received so far.
      const cl = headerValue(h, "content-length");
      if (cl === undefined) return int(s.requestBytes);
      return /^\s*[+-]?\d+\s*$/.test(cl) ? int(BigInt(cl.trim())) : undefined;
    }
    case "total_size": return int(s.requestTotalBytes);
  }
  return undefined;
}

/** A grpc-status value as Envoy parses it: absent or empty -> none; not a number or above 16 -> InvalidCode (-1). */
function parseGrpcStatus(h: HeaderList | undefined): number | undefined {
  const v = h?.find(([k]) => k === "grpc-status")?.[1];
  if (v === undefined || v === "") return undefined;
  if (!/^\s*\+?\d+\s*$/.test(v)) return -1;
  const n = Number(v);
  return n > 16 ? -1 : n;
}

/** Envoy's Grpc::Utility::httpToGrpcStatus. */
function httpToGrpcStatus(code: number): number {
  switch (code) {
    case 400: return 13;                                        // INTERNAL
    case 401: return 16;                                        // UNAUTHENTICATED
    case 403: return 7;                                         // PERMISSION_DENIED
    case 404: return 12;                                        // UNIMPLEMENTED
    case 429: case 502: case 503: case 504: return 14;          // UNAVAILABLE
    default: return 2;                                          // UNKNOWN
  }
}

/**
 * response.grpc_status as Envoy computes it (Grpc::Common::getGrpcStatus(trailers, headers, info)):
 * the trailers' grpc-status, else the headers' (trailers-only response), else the HTTP status mapped
 * with httpToGrpcStatus whenever a response code exists (Envoy does not check that the request was gRPC).
 */
export function grpcStatusOf(trailers: HeaderList | undefined, headers: HeaderList | undefined, responseCode: number | undefined): number | undefined {
  return parseGrpcStatus(trailers) ?? parseGrpcStatus(headers) ?? (responseCode === undefined ? undefined : httpToGrpcStatus(responseCode));
}

function responseAttr(src: PropertySource, s: StreamInfo, k: string): Value | undefined {
  switch (k) {
    case "code": return int(s.responseCode);
    case "code_details": return s.responseCodeDetails ? str(s.responseCodeDetails) : undefined;
    case "flags": return uint(s.responseFlags.reduce((a, f) => a | (RESPONSE_FLAG_BITS[f] ?? 0), 0));
    case "grpc_status": return int(grpcStatusOf(src.responseTrailers(), src.responseHeaders(), s.responseCode));
    case "headers": return headersMap(src.responseHeaders());
    case "headers_bytes": return headersBytes(src.responseHeaders());
    case "trailers": return headersMap(src.responseTrailers());
    case "size": return int(s.responseBytes);
    case "total_size": return int(s.responseTotalBytes);
  }
  return undefined;
}

function connectionAttr(s: StreamInfo, k: string): Value | undefined {
  const c = s.connection;
  const tls = c.tlsVersion !== "";
  const first = (l: string[]) => (tls && l.length ? str(l[0]) : undefined);
  switch (k) {
    case "id": return uint(c.id);
    case "mtls": return { t: "bool", v: c.mtls };
    case "requested_server_name": return str(c.requestedServerName);
    case "tls_version": return tls ? str(c.tlsVersion) : undefined;
    case "subject_peer_certificate": return tls && c.subjectPeerCertificate ? str(c.subjectPeerCertificate) : undefined;
    case "uri_san_peer_certificate": return first(c.uriSanPeerCertificate);
    case "uri_san_local_certificate": return first(c.uriSanLocalCertificate);
    case "dns_san_peer_certificate": return first(c.dnsSanPeerCertificate);
    case "sha256_peer_certificate_digest": return tls && c.sha256PeerCertificateDigest ? str(c.sha256PeerCertificateDigest) : undefined;
    case "termination_details": return undefined;
  }
  return undefined;
}

function upstreamAttr(s: StreamInfo, k: string): Value | undefined {
  const u = s.upstream;
  if (!u) return undefined;
  const [addr, port] = splitAddress(u.address);
  switch (k) {
    case "address": return str(addr);
    case "port": return int(port);
    case "local_address": return str(u.localAddress);
    case "tls_version": return u.tlsVersion ? str(u.tlsVersion) : undefined;
    case "uri_san_peer_certificate": return u.tlsVersion && u.uriSanPeerCertificate.length ? str(u.uriSanPeerCertificate[0]) : undefined;
    case "uri_san_local_certificate": {
      const l = u.uriSanLocalCertificate ?? [];
      return u.tlsVersion && l.length ? str(l[0]) : undefined;
    }
  }
  return undefined;
}

function xdsAttr(src: PropertySource, k: string): Value | undefined {
  if (k === "node") return nodeMessage(src.node);
  const s = src.stream;
  if (!s) return undefined;
  switch (k) {
    case "cluster_name": return s.upstream ? str(s.upstream.clusterName) : undefined;
    case "cluster_metadata": return s.upstream ? metadataMessage(s.upstream.clusterMetadata) : undefined;
    case "upstream_host_metadata": return s.upstream ? metadataMessage(s.upstream.hostMetadata) : undefined;
    case "listener_direction": return int(s.listenerDirection === "INBOUND" ? 1 : s.listenerDirection === "OUTBOUND" ? 2 : 0);
    case "listener_metadata": return metadataMessage(s.listenerMetadata);
    case "route_name": return s.routeName ? str(s.routeName) : undefined;
    case "route_metadata": return metadataMessage(s.routeMetadata);
    case "virtual_host_name": return s.virtualHostName ? str(s.virtualHostName) : undefined;
    case "filter_chain_name": return str(s.filterChainName);
  }
  return undefined;
}

function topLevel(src: PropertySource, name: string): Value | undefined {
  const s = src.stream;
  switch (name) {
    case "plugin_name": return str(src.pluginName);
    case "plugin_root_id": return str(src.rootId);
    case "plugin_vm_id": return str(src.vmId);
    case "xds": return { t: "wrapper", get: (k) => xdsAttr(src, k) };
    case "connection_id": return s ? uint(s.connection.id) : undefined;
  }
  if (!s) {
    // Without stream info the CEL attributes do not exist; other names fall to filter state, also absent.
    return undefined;
  }
  switch (name) {
    case "request": return { t: "wrapper", get: (k) => requestAttr(src, s, k) };
    case "response": return { t: "wrapper", get: (k) => responseAttr(src, s, k) };
    case "connection": return { t: "wrapper", get: (k) => connectionAttr(s, k) };
    case "upstream": return { t: "wrapper", get: (k) => upstreamAttr(s, k) };
    case "source": return peer(s.connection.sourceAddress);
    case "destination": return peer(s.connection.destinationAddress);
    case "metadata": return metadataMessage(s.dynamicMetadata);
    case "filter_state": {
      const fs = s.filterState;
      return { t: "map", entries: () => [...fs].map(([k, v]) => [k, { t: "bytes", v }]), get: (k) => (fs.has(k) ? { t: "bytes", v: fs.get(k)! } : undefined) };
    }
  }
  // Envoy Context::findValue: "wasm.<name>" in the stream's filter state, else in the upstream
  // connection's filter state.
  const fsv = s.filterState.get("wasm." + name) ?? s.upstream?.filterState?.get("wasm." + name);
  return fsv === undefined ? undefined : { t: "bytes", v: fsv };
}

function step(v: Value, seg: string): Value | undefined {
  switch (v.t) {
    case "wrapper": return v.get(seg);
    case "map": return v.get(seg);
    case "message": return v.field(seg);
    case "list": {
      const i = Number(seg);
      return Number.isInteger(i) && i >= 0 && i < v.items.length ? v.items[i] : undefined;
    }
  }
  return undefined;
}

function le64(v: bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, v), 0);
  return b;
}

export function serializeValue(v: Value): Uint8Array | Status.SerializationFailure {
  switch (v.t) {
    case "string": return Buffer.from(v.v, "utf8");
    case "bytes": return v.v;
    case "int": case "uint": case "duration": case "timestamp": return le64(v.v);
    case "double": { const b = Buffer.alloc(8); b.writeDoubleLE(v.v, 0); return b; }
    case "bool": return Uint8Array.of(v.v ? 1 : 0);
    case "null": return new Uint8Array(0);
    case "message": return v.bytes();
    case "wrapper": return Status.SerializationFailure;
    case "map": {
      const pairs: Array<[string, Uint8Array]> = [];
      for (const [k, x] of v.entries()) {
        const b = serializeValue(x);
        if (typeof b === "number") return b;
        pairs.push([k, b]);
      }
      return pairs.length ? encodePairs(pairs) : new Uint8Array(4); // count 0, as marshalPairs writes it
    }
    case "list": {
      const pairs: Array<[Uint8Array, string]> = [];
      for (const x of v.items) {
        const b = serializeValue(x);
        if (typeof b === "number") return b;
        pairs.push([b, ""]);
      }
      return pairs.length ? encodePairs(pairs) : new Uint8Array(4);
    }
  }
}

const utf8 = new TextDecoder();

/** Splits the guest's path bytes on NUL (an empty trailing segment is ignored). */
export function splitPath(path: Uint8Array): string[] {
  const segs: string[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path[i] === 0) {
      if (i > start || i < path.length) segs.push(utf8.decode(path.subarray(start, i)));
      start = i + 1;
    }
  }
  return segs;
}

export function getProperty(src: PropertySource, path: Uint8Array): Uint8Array | Status {
  return getPropertySegments(src, splitPath(path));
}

export function getPropertySegments(src: PropertySource, segs: string[]): Uint8Array | Status {
  if (!segs.length) return Status.NotFound;
  let v = topLevel(src, segs[0]);
  for (let i = 1; v !== undefined && i < segs.length; i++) v = step(v, segs[i]);
  if (v === undefined) return Status.NotFound;
  return serializeValue(v);
}
