// The export table Envoy calls. A filter's build entry re-exports this file:
//   import "./filter";                          // registers root contexts
//   export * from "../../shared/abi/exports";
// Unknown context ids and callbacks in the wrong state never trap: they log (if the level asks)
// and answer Continue, because a trap fails the VM for every stream on the worker.
import { Context, RootContext, findRootFactory, registeredRootIds } from "./context";
import { LogLevel, logEnabled, log, getPropertyString, propertyPath, allocate } from "./host";
// `abort_proc_exit` (selected with --use abort=abort_proc_exit) lives in proxy-runtime's runtime.ts;
// it logs the abort message at CRITICAL and calls wasi proc_exit, which is correct as written.
import "@solo-io/proxy-runtime/assembly/runtime";

/** Envoy allocates every value it returns through this (proxy-runtime's pinned ArrayBuffer, or scratch). */
export function malloc(size: i32): usize {
  return allocate(size);
}

// Root contexts: one per plugin in this VM (a handful at most), so a linear scan beats hashing.
const roots = new Array<RootContext>();
// Stream contexts live in a direct-mapped table indexed by the low bits of the context id. Envoy
// hands out ids sequentially per VM, so live streams almost never share a slot; the rare
// collision (4096 ids apart and both still alive) goes to an overflow map.
const SLOTS: u32 = 4096;
const slotIds = new StaticArray<u32>(SLOTS);
const slotCtx = new StaticArray<Context | null>(SLOTS);
const overflow = new Map<u32, Context>();

function unknown(what: string, id: u32): void {
  if (logEnabled(LogLevel.Warn)) log(LogLevel.Warn, what + ": unknown context id " + id.toString());
}

// @ts-ignore: decorator
@inline function findStream(id: u32): Context | null {
  const slot = id & (SLOTS - 1);
  if (unchecked(slotIds[slot]) == id) return unchecked(slotCtx[slot]);
  return overflow.has(id) ? overflow.get(id) : null;
}

// @ts-ignore: decorator
@inline function stream(id: u32, what: string): Context | null {
  const c = findStream(id);
  if (c === null) unknown(what, id);
  return c;
}

function addStream(id: u32, c: Context): void {
  const slot = id & (SLOTS - 1);
  if (unchecked(slotCtx[slot]) === null) {
    unchecked(slotIds[slot] = id);
    unchecked(slotCtx[slot] = c);
  } else {
    overflow.set(id, c);
  }
}

function removeStream(id: u32): void {
  const slot = id & (SLOTS - 1);
  if (unchecked(slotIds[slot]) == id) {
    unchecked(slotIds[slot] = 0);
    unchecked(slotCtx[slot] = null);
  } else if (overflow.has(id)) {
    overflow.delete(id);
  }
}

let lastRoot: RootContext | null = null;

function findRoot(id: u32): RootContext | null {
  const last = lastRoot;
  if (last !== null && last.id == id) return last;
  for (let i = 0, n = roots.length; i < n; i++) {
    const r = unchecked(roots[i]);
    if (r.id == id) {
      lastRoot = r;
      return r;
    }
  }
  return null;
}

function root(id: u32, what: string): RootContext | null {
  const r = findRoot(id);
  if (r === null) unknown(what, id);
  return r;
}

export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_context_create(id: u32, parentId: u32): void {
  if (parentId == 0) {
    const rootId = getPropertyString(propertyPath(["plugin_root_id"]));
    const name = rootId === null ? "" : rootId;
    const factory = findRootFactory(name);
    if (factory === null) {
      // Leaving the root unregistered makes on_vm_start/on_configure answer false: the plugin
      // fails to load, which is what Envoy does for a root_id the module does not serve.
      if (logEnabled(LogLevel.Error)) log(LogLevel.Error, "no filter registered for root_id \"" + name + "\" (this module serves: " + registeredRootIds() + ")");
      return;
    }
    const r = factory(id);
    r.rootId = name;
    roots.push(r);
    return;
  }
  const parent = root(parentId, "proxy_on_context_create");
  if (parent === null) return;
  addStream(id, parent.createContext(id));
}

export function proxy_on_vm_start(id: u32, size: u32): bool {
  const r = root(id, "proxy_on_vm_start");
  return r === null ? false : r.onVmStart(size);
}

export function proxy_validate_configuration(id: u32, size: u32): bool {
  const r = root(id, "proxy_validate_configuration");
  return r === null ? false : r.onValidateConfiguration(size);
}

export function proxy_on_configure(id: u32, size: u32): bool {
  const r = root(id, "proxy_on_configure");
  return r === null ? false : r.onConfigure(size);
}

export function proxy_on_tick(id: u32): void {
  const r = root(id, "proxy_on_tick");
  if (r !== null) r.onTick();
}

export function proxy_on_queue_ready(id: u32, queueId: u32): void {
  const r = root(id, "proxy_on_queue_ready");
  if (r !== null) r.onQueueReady(queueId);
}

export function proxy_on_http_call_response(id: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void {
  const r = root(id, "proxy_on_http_call_response");
  if (r !== null) r.onHttpCallResponse(token, headers, bodySize, trailers);
}

export function proxy_on_request_headers(id: u32, headers: u32, endOfStream: bool): u32 {
  const c = stream(id, "proxy_on_request_headers");
  return c === null ? 0 : c.onRequestHeaders(headers, endOfStream);
}

export function proxy_on_request_body(id: u32, size: u32, endOfStream: bool): u32 {
  const c = stream(id, "proxy_on_request_body");
  return c === null ? 0 : c.onRequestBody(size, endOfStream);
}

export function proxy_on_request_trailers(id: u32, trailers: u32): u32 {
  const c = stream(id, "proxy_on_request_trailers");
  return c === null ? 0 : c.onRequestTrailers(trailers);
}

export function proxy_on_response_headers(id: u32, headers: u32, endOfStream: bool): u32 {
  const c = stream(id, "proxy_on_response_headers");
  return c === null ? 0 : c.onResponseHeaders(headers, endOfStream);
}

export function proxy_on_response_body(id: u32, size: u32, endOfStream: bool): u32 {
  const c = stream(id, "proxy_on_response_body");
  return c === null ? 0 : c.onResponseBody(size, endOfStream);
}

export function proxy_on_response_trailers(id: u32, trailers: u32): u32 {
  const c = stream(id, "proxy_on_response_trailers");
  return c === null ? 0 : c.onResponseTrailers(trailers);
}

export function proxy_on_new_connection(id: u32): u32 {
  const c = stream(id, "proxy_on_new_connection");
  return c === null ? 0 : c.onNewConnection();
}

export function proxy_on_downstream_data(id: u32, size: u32, endOfStream: bool): u32 {
  const c = stream(id, "proxy_on_downstream_data");
  return c === null ? 0 : c.onDownstreamData(size, endOfStream);
}

export function proxy_on_upstream_data(id: u32, size: u32, endOfStream: bool): u32 {
  const c = stream(id, "proxy_on_upstream_data");
  return c === null ? 0 : c.onUpstreamData(size, endOfStream);
}

export function proxy_on_downstream_connection_close(id: u32, peerType: u32): void {
  const c = stream(id, "proxy_on_downstream_connection_close");
  if (c !== null) c.onDownstreamConnectionClose(peerType);
}

export function proxy_on_upstream_connection_close(id: u32, peerType: u32): void {
  const c = stream(id, "proxy_on_upstream_connection_close");
  if (c !== null) c.onUpstreamConnectionClose(peerType);
}

export function proxy_on_log(id: u32): void {
  const c = stream(id, "proxy_on_log");
  if (c !== null) c.onLog();
}

export function proxy_on_done(id: u32): bool {
  const c = findStream(id);
  if (c !== null) {
    c.onDone();
    return true;
  }
  const r = root(id, "proxy_on_done");
  return r === null ? true : r.onDone();
}

export function proxy_on_delete(id: u32): void {
  const c = findStream(id);
  if (c !== null) {
    c.onDelete();
    removeStream(id);
    return;
  }
  const r = root(id, "proxy_on_delete");
  if (r === null) return;
  r.onDelete();
  roots.splice(roots.indexOf(r), 1);
  if (lastRoot === r) lastRoot = null;
}
