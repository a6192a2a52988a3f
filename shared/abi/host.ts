// Host-call wrappers. Every wrapper returns the host's status (or a neutral value) and never throws:
// a trap fails the whole VM for every request on that worker (Envoy: "Function: ... failed").
// proxy-runtime 0.1.8 gets several of these wrong (plugin config size pointer, get_metric,
// shared data, queues); these are this suite's own, written against spec v0.2.1.
import * as host from "./imports";
import { free, malloc as runtimeMalloc } from "@solo-io/proxy-runtime/assembly/malloc";
import { HeaderPair, encodePairs, decodePairs } from "./pairs";

export enum WasmResult {
  Ok = 0, NotFound = 1, BadArgument = 2, SerializationFailure = 3, ParseFailure = 4,
  InvalidMemoryAccess = 6, Empty = 7, CasMismatch = 8, InternalFailure = 10, Unimplemented = 12,
}
export enum LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Critical = 5, Off = 6 }
export enum HeaderMap {
  RequestHeaders = 0, RequestTrailers = 1, ResponseHeaders = 2, ResponseTrailers = 3,
  GrpcInitialMetadata = 4, GrpcTrailingMetadata = 5, HttpCallResponseHeaders = 6, HttpCallResponseTrailers = 7,
}
export enum BufferType {
  HttpRequestBody = 0, HttpResponseBody = 1, DownstreamData = 2, UpstreamData = 3,
  HttpCallResponseBody = 4, GrpcReceiveBuffer = 5, VmConfiguration = 6, PluginConfiguration = 7, CallData = 8,
}
export enum StreamType { Request = 0, Response = 1, Downstream = 2, Upstream = 3 }
export enum MetricType { Counter = 0, Gauge = 1, Histogram = 2 }
export enum PeerType { Unknown = 0, Local = 1, Remote = 2 }

// Out-parameter words the host writes (ptr, size, cas/level, u64 values). Static, so the
// per-request path allocates nothing to receive results.
const RET: usize = memory.data(32);
const RET_PTR: usize = RET;
const RET_SIZE: usize = RET + 4;
const RET_AUX: usize = RET + 8;
const RET_U64: usize = RET + 16;

// Reads whose bytes are only looked at (compared with a cached copy, parsed, hashed) land in a
// static scratch area instead of a fresh ArrayBuffer: the host calls `malloc` at most once per host
// call, synchronously, so arming the scratch for exactly one call is safe. A value larger than the
// scratch gets an ordinary buffer, kept alive as the "spill" until the next view read. Either way
// the bytes stay valid only until the next host call that returns bytes: compare or copy them first.
const SCRATCH_SIZE: usize = 4096;
const SCRATCH: usize = memory.data(4096, 16);
let scratchArmed: bool = false;
let viewAt: usize = SCRATCH;
let spill: ArrayBuffer | null = null;

/** The module's `malloc` export (cpp-host prefers it to proxy_on_memory_allocate). */
export function allocate(size: i32): usize {
  if (scratchArmed && size >= 0 && <usize>size <= SCRATCH_SIZE) {
    scratchArmed = false;
    return SCRATCH;
  }
  return runtimeMalloc(size);
}

/** Takes ownership of a buffer the host allocated through our `malloc` (or null for ptr 0). */
function takeBuffer(): ArrayBuffer | null {
  const ptr = <usize>load<u32>(RET_PTR);
  const size = load<u32>(RET_SIZE);
  if (ptr == 0) return size == 0 ? new ArrayBuffer(0) : null;
  const buf = changetype<ArrayBuffer>(ptr);
  // malloc hands out a pinned ArrayBuffer of exactly `size` bytes; unpinning makes it an
  // ordinary GC-managed object owned by us.
  free(ptr);
  if (<u32>buf.byteLength != size) return null;
  return buf;
}

function clearRet(): void {
  store<u64>(RET_PTR, 0);
}

// ---------------------------------------------------------------------------------------------
// Logging: nothing is formatted unless the host's log level asks for it.

/** True when the host would print a message at `level`. Ask before building a log string. */
export function logEnabled(level: LogLevel): bool {
  if (host.proxy_get_log_level(RET_AUX) != WasmResult.Ok) return level >= LogLevel.Info;
  return <u32>level >= load<u32>(RET_AUX);
}

export function log(level: LogLevel, message: string): void {
  const buf = String.UTF8.encode(message);
  host.proxy_log(level, changetype<usize>(buf), buf.byteLength);
}

/** Logs only if enabled; use when the message is already built or constant. */
export function logIf(level: LogLevel, message: string): void {
  if (logEnabled(level)) log(level, message);
}

// ---------------------------------------------------------------------------------------------
// Time and ticks

export function nowNanos(): u64 {
  if (host.proxy_get_current_time_nanoseconds(RET_U64) != WasmResult.Ok) return 0;
  return load<u64>(RET_U64);
}

export function setTickPeriodMillis(ms: u32): WasmResult {
  return <WasmResult>host.proxy_set_tick_period_milliseconds(ms);
}

// ---------------------------------------------------------------------------------------------
// Buffers (bodies, TCP data, configuration, callout bodies)

/** Bytes [start, start+maxSize) of a buffer; null when the buffer does not exist now. */
export function getBufferBytes(type: BufferType, start: u32, maxSize: u32): ArrayBuffer | null {
  clearRet();
  if (host.proxy_get_buffer_bytes(type, start, maxSize, RET_PTR, RET_SIZE) != WasmResult.Ok) return null;
  return takeBuffer();
}

/** Length of a buffer, or -1 if it does not exist now. */
export function getBufferLength(type: BufferType): i64 {
  if (host.proxy_get_buffer_status(type, RET_SIZE, RET_AUX) != WasmResult.Ok) return -1;
  return <i64>load<u32>(RET_SIZE);
}

export function setBufferBytes(type: BufferType, start: u32, size: u32, data: ArrayBuffer): WasmResult {
  return <WasmResult>host.proxy_set_buffer_bytes(type, start, size, changetype<usize>(data), data.byteLength);
}

/**
 * The plugin configuration, read with its real size during on_configure (proxy-runtime 0.1.8
 * passes the size as the size *pointer*, so it reads garbage and scribbles on memory).
 */
export function getPluginConfiguration(size: u32): string {
  if (size == 0) return "";
  const buf = getBufferBytes(BufferType.PluginConfiguration, 0, size);
  return buf === null ? "" : String.UTF8.decode(buf);
}

export function getVmConfiguration(size: u32): string {
  if (size == 0) return "";
  const buf = getBufferBytes(BufferType.VmConfiguration, 0, size);
  return buf === null ? "" : String.UTF8.decode(buf);
}

// ---------------------------------------------------------------------------------------------
// Header maps. Byte-level variants take pre-encoded names so hot paths encode nothing.

export function getHeaderBytes(map: HeaderMap, name: ArrayBuffer): ArrayBuffer | null {
  clearRet();
  if (host.proxy_get_header_map_value(map, changetype<usize>(name), name.byteLength, RET_PTR, RET_SIZE) != WasmResult.Ok) return null;
  return takeBuffer();
}

/** First value of a header, or null when absent or the map is not available now. */
export function getHeader(map: HeaderMap, name: string): string | null {
  const v = getHeaderBytes(map, String.UTF8.encode(name));
  return v === null ? null : String.UTF8.decode(v);
}

export function addHeaderBytes(map: HeaderMap, name: ArrayBuffer, value: ArrayBuffer): WasmResult {
  return <WasmResult>host.proxy_add_header_map_value(map, changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength);
}

export function addHeader(map: HeaderMap, name: string, value: string): WasmResult {
  return addHeaderBytes(map, String.UTF8.encode(name), String.UTF8.encode(value));
}

export function replaceHeaderBytes(map: HeaderMap, name: ArrayBuffer, value: ArrayBuffer): WasmResult {
  return <WasmResult>host.proxy_replace_header_map_value(map, changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength);
}

export function replaceHeader(map: HeaderMap, name: string, value: string): WasmResult {
  return replaceHeaderBytes(map, String.UTF8.encode(name), String.UTF8.encode(value));
}

export function removeHeaderBytes(map: HeaderMap, name: ArrayBuffer): WasmResult {
  return <WasmResult>host.proxy_remove_header_map_value(map, changetype<usize>(name), name.byteLength);
}

export function removeHeader(map: HeaderMap, name: string): WasmResult {
  return removeHeaderBytes(map, String.UTF8.encode(name));
}

export function getHeaderPairs(map: HeaderMap): Array<HeaderPair> {
  clearRet();
  if (host.proxy_get_header_map_pairs(map, RET_PTR, RET_SIZE) != WasmResult.Ok) return new Array<HeaderPair>();
  return decodePairs(takeBuffer());
}

export function setHeaderPairs(map: HeaderMap, pairs: Array<HeaderPair>): WasmResult {
  const buf = encodePairs(pairs);
  return <WasmResult>host.proxy_set_header_map_pairs(map, changetype<usize>(buf), buf.byteLength);
}

/** Envoy answers with the map's byte size (HeaderMap::byteSize), not its entry count; -1 if unavailable. */
export function getHeaderMapByteSize(map: HeaderMap): i64 {
  if (host.proxy_get_header_map_size(map, RET_SIZE) != WasmResult.Ok) return -1;
  return <i64>load<u32>(RET_SIZE);
}

// ---------------------------------------------------------------------------------------------
// Properties (Envoy attributes). Paths are NUL-separated segments: ["request", "headers", "x-a"].

/** Encodes a property path once; keep the result for hot paths. */
export function propertyPath(segments: Array<string>): ArrayBuffer {
  let size = 0;
  const parts = new Array<ArrayBuffer>(segments.length);
  for (let i = 0; i < segments.length; i++) {
    parts[i] = String.UTF8.encode(segments[i]);
    size += parts[i].byteLength + (i > 0 ? 1 : 0);
  }
  const out = new ArrayBuffer(size);
  let p = changetype<usize>(out);
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) { store<u8>(p, 0); p += 1; }
    memory.copy(p, changetype<usize>(parts[i]), parts[i].byteLength);
    p += parts[i].byteLength;
  }
  return out;
}

/** Raw property bytes; null when NOT_FOUND or any other failure. Empty values come back as 0 bytes. */
export function getPropertyBytes(path: ArrayBuffer): ArrayBuffer | null {
  clearRet();
  if (host.proxy_get_property(changetype<usize>(path), path.byteLength, RET_PTR, RET_SIZE) != WasmResult.Ok) return null;
  return takeBuffer();
}

export function getPropertyString(path: ArrayBuffer): string | null {
  const b = getPropertyBytes(path);
  return b === null ? null : String.UTF8.decode(b);
}

/** int/uint/duration/timestamp properties are 8 bytes little-endian; anything else is absent. */
export function getPropertyI64(path: ArrayBuffer, fallback: i64): i64 {
  return getPropertyView(path) == 8 ? load<i64>(viewAt) : fallback;
}

/** bool properties are one byte. */
export function getPropertyBool(path: ArrayBuffer, fallback: bool): bool {
  return getPropertyView(path) == 1 ? load<u8>(viewAt) != 0 : fallback;
}

// ---------------------------------------------------------------------------------------------
// Views: reads that do not allocate when the caller only needs to look at the bytes.

/** Arms the scratch for one host call; pair with viewResult. */
// @ts-ignore: decorator
@inline function armView(): void {
  clearRet();
  scratchArmed = true;
}

/** Length of the value the last host call returned (now at viewPtr()), or -1 for none. */
function viewResult(r: i32): i32 {
  scratchArmed = false;
  const ptr = <usize>load<u32>(RET_PTR);
  const size = load<u32>(RET_SIZE);
  viewAt = SCRATCH;
  if (ptr == SCRATCH) return r == WasmResult.Ok && <usize>size <= SCRATCH_SIZE ? <i32>size : -1;
  if (ptr == 0) return r == WasmResult.Ok && size == 0 ? 0 : -1;
  // An ordinary buffer: a value larger than the scratch, or a module whose malloc export bypasses
  // `allocate`. Taking it unpins it either way.
  const b = takeBuffer();
  if (r != WasmResult.Ok || b === null) return -1;
  spill = b;
  viewAt = changetype<usize>(b);
  return b.byteLength;
}

/** Where the bytes of the last successful view read are (valid until the next host call). */
export function viewPtr(): usize {
  return viewAt;
}

/** A property's bytes as a view: its length (0 for an empty value), or -1 when absent or on failure. */
export function getPropertyView(path: ArrayBuffer): i32 {
  armView();
  return viewResult(host.proxy_get_property(changetype<usize>(path), path.byteLength, RET_PTR, RET_SIZE));
}

/** A header's first value as a view: its length, or -1 when absent or the map is not available now. */
export function getHeaderView(map: HeaderMap, name: ArrayBuffer): i32 {
  armView();
  return viewResult(host.proxy_get_header_map_value(map, changetype<usize>(name), name.byteLength, RET_PTR, RET_SIZE));
}

/** Whether the viewed `n` bytes equal `b` (false when n < 0). */
export function viewEquals(n: i32, b: ArrayBuffer): bool {
  return n >= 0 && n == b.byteLength && memory.compare(viewAt, changetype<usize>(b), <usize>n) == 0;
}

/** Whether the viewed `n` bytes start with `prefix`. */
export function viewStartsWith(n: i32, prefix: ArrayBuffer): bool {
  const k = prefix.byteLength;
  return n >= k && memory.compare(viewAt, changetype<usize>(prefix), <usize>k) == 0;
}

/** An owned copy of the viewed `n` bytes (n >= 0). */
export function viewCopy(n: i32): ArrayBuffer {
  const out = new ArrayBuffer(n);
  memory.copy(changetype<usize>(out), viewAt, <usize>n);
  return out;
}

/** The viewed `n` bytes decoded as UTF-8. */
export function viewString(n: i32): string {
  return n <= 0 ? "" : String.UTF8.decodeUnsafe(viewAt, <usize>n);
}

/** Writes filter state `wasm.<path>` (Envoy CelState, readable by other filters). */
export function setProperty(path: ArrayBuffer, value: ArrayBuffer): WasmResult {
  return <WasmResult>host.proxy_set_property(changetype<usize>(path), path.byteLength, changetype<usize>(value), value.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Stream control and local replies

export function continueStream(stream: StreamType): WasmResult {
  return <WasmResult>host.proxy_continue_stream(stream);
}

export function closeStream(stream: StreamType): WasmResult {
  return <WasmResult>host.proxy_close_stream(stream);
}

/** grpcStatus -1 means "no grpc-status" (Envoy ignores values outside 0..16). */
export function sendLocalResponse(status: u32, details: string, body: ArrayBuffer, headers: Array<HeaderPair>, grpcStatus: i32 = -1): WasmResult {
  const d = String.UTF8.encode(details);
  const h = encodePairs(headers);
  return <WasmResult>host.proxy_send_local_response(status, changetype<usize>(d), d.byteLength,
    changetype<usize>(body), body.byteLength, changetype<usize>(h), h.byteLength, grpcStatus);
}

export function setEffectiveContext(id: u32): WasmResult {
  return <WasmResult>host.proxy_set_effective_context(id);
}

export function done(): WasmResult {
  return <WasmResult>host.proxy_done();
}

export class CalloutStatus {
  constructor(public code: u32, public message: string) {}
}

/** Status of the last callout on this root (Envoy: 11 "reset" for a failed http_call). */
export function getStatus(): CalloutStatus {
  clearRet();
  if (host.proxy_get_status(RET_AUX, RET_PTR, RET_SIZE) != WasmResult.Ok) return new CalloutStatus(0xffffffff, "");
  const code = load<u32>(RET_AUX);
  const msg = takeBuffer();
  return new CalloutStatus(code, msg === null ? "" : String.UTF8.decode(msg));
}

// ---------------------------------------------------------------------------------------------
// HTTP callouts (run on the root context)

/** Returns the callout token, or 0 when the host refused the call (unknown cluster, missing pseudo-headers). */
export function httpCall(cluster: string, headers: Array<HeaderPair>, body: ArrayBuffer | null, trailers: Array<HeaderPair>, timeoutMs: u32): u32 {
  const c = String.UTF8.encode(cluster);
  const h = encodePairs(headers);
  const t = encodePairs(trailers);
  const bodyPtr = body === null ? 0 : changetype<usize>(body);
  const bodyLen = body === null ? 0 : body.byteLength;
  store<u32>(RET_AUX, 0);
  const r = host.proxy_http_call(changetype<usize>(c), c.byteLength, changetype<usize>(h), h.byteLength,
    bodyPtr, bodyLen, changetype<usize>(t), t.byteLength, timeoutMs, RET_AUX);
  return r == WasmResult.Ok ? load<u32>(RET_AUX) : 0;
}

// ---------------------------------------------------------------------------------------------
// Shared data (process-wide per vm_id, compare-and-swap)

export class SharedData {
  constructor(public result: WasmResult, public value: ArrayBuffer | null, public cas: u32) {}
}

export function getSharedData(key: string): SharedData {
  const k = String.UTF8.encode(key);
  clearRet();
  store<u32>(RET_AUX, 0);
  const r = <WasmResult>host.proxy_get_shared_data(changetype<usize>(k), k.byteLength, RET_PTR, RET_SIZE, RET_AUX);
  if (r != WasmResult.Ok) return new SharedData(r, null, 0);
  const cas = load<u32>(RET_AUX);
  return new SharedData(r, takeBuffer(), cas);
}

/** cas 0 writes unconditionally; otherwise CAS_MISMATCH if someone wrote since that cas was read. */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32): WasmResult {
  const k = String.UTF8.encode(key);
  return <WasmResult>host.proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(value), value.byteLength, cas);
}

// ---------------------------------------------------------------------------------------------
// Shared queues

/** Queue id, or 0 on failure. on_queue_ready goes to the root that registered it. */
export function registerSharedQueue(name: string): u32 {
  const n = String.UTF8.encode(name);
  store<u32>(RET_AUX, 0);
  if (host.proxy_register_shared_queue(changetype<usize>(n), n.byteLength, RET_AUX) != WasmResult.Ok) return 0;
  return load<u32>(RET_AUX);
}

/** Queue id, or 0 when no such queue ("" = this plugin's vm_id). */
export function resolveSharedQueue(vmId: string, name: string): u32 {
  const v = String.UTF8.encode(vmId);
  const n = String.UTF8.encode(name);
  store<u32>(RET_AUX, 0);
  if (host.proxy_resolve_shared_queue(changetype<usize>(v), v.byteLength, changetype<usize>(n), n.byteLength, RET_AUX) != WasmResult.Ok) return 0;
  return load<u32>(RET_AUX);
}

export function enqueueSharedQueue(queueId: u32, value: ArrayBuffer): WasmResult {
  return <WasmResult>host.proxy_enqueue_shared_queue(queueId, changetype<usize>(value), value.byteLength);
}

/** Next item, or null when the queue is empty or unknown. */
export function dequeueSharedQueue(queueId: u32): ArrayBuffer | null {
  clearRet();
  if (host.proxy_dequeue_shared_queue(queueId, RET_PTR, RET_SIZE) != WasmResult.Ok) return null;
  return takeBuffer();
}

// ---------------------------------------------------------------------------------------------
// Metrics. Envoy exposes them as `wasmcustom.<name>`; ids encode the type (id & 3).

/** Metric id, or 0 when the host refused the definition. */
export function defineMetric(type: MetricType, name: string): u32 {
  const n = String.UTF8.encode(name);
  store<u32>(RET_AUX, 0);
  if (host.proxy_define_metric(type, changetype<usize>(n), n.byteLength, RET_AUX) != WasmResult.Ok) return 0;
  return load<u32>(RET_AUX);
}

/** Counters need delta > 0 (Envoy: BAD_ARGUMENT otherwise); gauges add or subtract. */
export function incrementMetric(id: u32, delta: i64): WasmResult {
  return <WasmResult>host.proxy_increment_metric(id, delta);
}

/**
 * Adds `delta` to a counter the filter defined, skipping ids that were never defined (0: the define
 * failed or the counter is optional) and zero deltas (Envoy refuses a counter increment of 0).
 */
export function bumpCounter(id: u32, delta: i64 = 1): void {
  if (id != 0 && delta != 0) incrementMetric(id, delta);
}

/** Gauges: set. Histograms: record a sample. Counters: ADD (Envoy's behaviour). */
export function recordMetric(id: u32, value: u64): WasmResult {
  return <WasmResult>host.proxy_record_metric(id, value);
}

/** Counter/gauge value; 0 for histograms or unknown ids (proxy-runtime 0.1.8 calls record here). */
export function getMetric(id: u32): u64 {
  store<u64>(RET_U64, 0);
  if (host.proxy_get_metric(id, RET_U64) != WasmResult.Ok) return 0;
  return load<u64>(RET_U64);
}
