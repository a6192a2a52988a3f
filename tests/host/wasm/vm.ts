// One Wasm VM (cpp-host WasmBase + Envoy's Wasm): an instance with its linear memory, the context
// table, and every host function. Contexts are the host-side twins of the guest's contexts:
// RootCtx per plugin, StreamCtx per HTTP stream, NetCtx per TCP connection.
//
// Rules copied from cpp-host (proxy-wasm/proxy-wasm-cpp-host src/wasm.cc, src/context.cc, src/exports.cc)
// and Envoy (envoyproxy/envoy source/extensions/common/wasm/context.cc):
// - host calls act on the effective context (proxy_set_effective_context) or else the context the
//   host is calling into; the effective context is reset at every host->VM call boundary;
// - actions that re-enter the proxy (continue, local reply, close) run after the VM call returns;
// - data returned to the guest is allocated with the guest's malloc, exact length, ptr 0/size 0 when
//   empty; every u32 is normalised with >>> 0, i64 params arrive as BigInt;
// - a trap (or a JS error thrown by a host function) fails the VM for good.
import { randomFillSync } from "node:crypto";
import type {
  HeaderList, HttpCalloutResponse, HttpFilterCallbacks, NetworkFilterCallbacks, PluginConfig, WasmRuntimeOptions,
} from "../api";
import { AbiVersion, WASI, WASI_MODULES, envFunctions } from "./link";
import { decodePairs, encodePairs } from "./pairs";
import { PropertySource, getPropertySegments, splitPath } from "./properties";
import { Status, MapType, BufferType, StreamType, Errno } from "./status";
import type { SharedState } from "./shared";
import type { EnvoyStatsStore, StatKind } from "./stats";

const utf8 = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** A body or TCP data buffer the guest may read and replace. */
export interface DataHolder { buf: Buffer; modified?: boolean; }

export class BaseCtx {
  constructor(readonly vm: WasmVm, readonly id: number, public root: RootCtx) {}
  created = false;
  propertySource(): PropertySource { return this.root.propertySource(); }
}

export class RootCtx extends BaseCtx {
  inConfigure = false;
  tickMs = 0;
  timer?: NodeJS.Timeout;
  callResponse?: HttpCalloutResponse;
  statusCode = 0;
  statusMessage = "";
  pendingDone = false;
  deleted = false;
  private src?: PropertySource;
  constructor(vm: WasmVm, id: number, readonly plugin: PluginConfig | undefined) {
    super(vm, id, undefined as unknown as RootCtx);
    this.root = this;
  }
  propertySource(): PropertySource {
    if (!this.src) {
      const p = this.plugin;
      this.src = {
        node: this.vm.opts.node, pluginName: p?.name ?? "", rootId: p?.rootId ?? "", vmId: p?.vmId ?? "",
        requestHeaders: () => undefined, responseHeaders: () => undefined, responseTrailers: () => undefined,
      };
    }
    return this.src;
  }
  stopTicks(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export class StreamCtx extends BaseCtx {
  reqHeaders?: HeaderList;
  respHeaders?: HeaderList;
  reqTrailers?: HeaderList;
  respTrailers?: HeaderList;
  reqBody?: DataHolder;
  respBody?: DataHolder;
  inLog = false;
  /** end_of_stream of the body callback running now (Envoy's end_of_stream_). */
  reqEos = false;
  respEos = false;
  /** proxy_send_local_response ran during the current callback: its result is overridden. */
  stopNext = false;
  localReplySent = false;
  private src?: PropertySource;
  constructor(vm: WasmVm, id: number, root: RootCtx, readonly cb: HttpFilterCallbacks) { super(vm, id, root); }
  propertySource(): PropertySource {
    if (!this.src) {
      const r = this.root.propertySource();
      this.src = {
        node: r.node, pluginName: r.pluginName, rootId: r.rootId, vmId: r.vmId, stream: this.cb.streamInfo,
        requestHeaders: () => this.reqHeaders ?? (this.inLog ? this.cb.requestHeaders() : undefined),
        responseHeaders: () => this.respHeaders ?? (this.inLog ? this.cb.responseHeaders() : undefined),
        responseTrailers: () => this.respTrailers ?? (this.inLog ? this.cb.responseTrailers() : undefined),
      };
    }
    return this.src;
  }
  clearRequest(): void {
    this.reqHeaders = undefined;
    this.reqBody = undefined;
    this.reqTrailers = undefined;
  }
}

export class NetCtx extends BaseCtx {
  downstream?: DataHolder;
  upstream?: DataHolder;
  private src?: PropertySource;
  constructor(vm: WasmVm, id: number, root: RootCtx, readonly cb: NetworkFilterCallbacks) { super(vm, id, root); }
  propertySource(): PropertySource {
    if (!this.src) {
      const r = this.root.propertySource();
      this.src = {
        node: r.node, pluginName: r.pluginName, rootId: r.rootId, vmId: r.vmId, stream: this.cb.streamInfo,
        requestHeaders: r.requestHeaders, responseHeaders: r.responseHeaders, responseTrailers: r.responseTrailers,
      };
    }
    return this.src;
  }
}

// Headers Envoy keeps in O(1) "inline" slots: addCopy appends to the existing value with ","
// (cookie with "; "), instead of adding a second entry (source/common/http/header_map_impl.cc).
const INLINE_HEADERS = new Set([
  ":authority", ":path", ":method", ":scheme", ":status", ":protocol", "host", "content-length", "content-type",
  "content-encoding", "transfer-encoding", "connection", "upgrade", "keep-alive", "proxy-connection", "te", "expect",
  "user-agent", "x-request-id", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-client-cert",
  "x-envoy-original-path", "x-envoy-decorator-operation", "grpc-timeout", "grpc-status", "grpc-message",
  "grpc-accept-encoding", "via", "cache-control", "accept-encoding", "date", "server", "location", "etag", "cookie",
]);

export function addCopy(map: HeaderList, key: string, value: string): void {
  if (INLINE_HEADERS.has(key)) {
    for (const e of map) {
      if (e[0] === key) {
        e[1] = e[1] + (key === "cookie" ? "; " : ",") + value;
        return;
      }
    }
  }
  map.push([key, value]);
}

export function removeAll(map: HeaderList, key: string): void {
  for (let i = map.length - 1; i >= 0; i--) if (map[i][0] === key) map.splice(i, 1);
}

export function headerBytes(map: HeaderList): number {
  let n = 0;
  for (const [k, v] of map) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** Host calls allowed while `_initialize`/`_start` run (cpp-host `startVm`). */
const START_ALLOWED = new Set([
  "proxy_log", "fd_write", "fd_fdstat_get", "fd_seek", "fd_close", "args_sizes_get", "args_get", "environ_sizes_get",
  "environ_get", "clock_time_get", "random_get", "proc_exit",
]);
/** Host calls allowed inside the guest allocator (cpp-host `allocMemory`). */
const MALLOC_ALLOWED = new Set(["proxy_log", "fd_write", "clock_time_get", "poll_oneoff"]);

const METRIC_KINDS: StatKind[] = ["counter", "gauge", "histogram"];

export type Exports = Record<string, Function | WebAssembly.Memory | undefined>;

export class WasmVm {
  instance!: WebAssembly.Instance;
  memory!: WebAssembly.Memory;
  x!: Exports;
  failed = false;
  failMessage = "";
  disposed = false;
  contexts = new Map<number, BaseCtx>();
  private nextContextId = 1;
  private current: BaseCtx;
  private effective: BaseCtx | null = null;
  private depth = 0;
  private deferred: Array<() => void> = [];
  private restrict: Set<string> | null = null;
  private buf!: ArrayBuffer;
  private u8!: Uint8Array;
  private mb!: Buffer; // Buffer view of the same memory: native utf8 slicing/writing without copies
  private dv!: DataView;
  private malloc!: Function;
  private nextHttpToken = 0;
  private metrics = new Map<number, { kind: StatKind; name: string }>();
  private nextMetric = [0, 1, 2];
  readonly vmCtx: RootCtx;

  constructor(readonly opts: WasmRuntimeOptions, readonly module: WebAssembly.Module, readonly abi: AbiVersion,
    readonly shared: SharedState, readonly stats: EnvoyStatsStore, readonly vmId: string,
    readonly environment: Record<string, string>, readonly allowedCapabilities: Set<string> | undefined, readonly label: string) {
    this.vmCtx = new RootCtx(this, 0, undefined);
    this.current = this.vmCtx;
  }

  // ------------------------------------------------------------------ instance life cycle

  /** Links and instantiates (running the start section), then `_initialize`/`_start` restricted. */
  instantiate(): void {
    try {
      this.instance = new WebAssembly.Instance(this.module, this.imports());
    } catch (e) {
      // A trap in the start section (AS top-level code) fails instance creation in cpp-host.
      this.opts.log.log(4, `Wasm start section failed: ${(e as Error).message}`);
      throw new Error("Failed to create new Wasm instance");
    }
    this.x = this.instance.exports as Exports;
    this.memory = this.x.memory as WebAssembly.Memory;
    this.malloc = (this.x.malloc ?? this.x.proxy_on_memory_allocate) as Function;
    this.refresh();
    for (const name of ["_initialize", "_start"]) {
      if (typeof this.x[name] !== "function") continue;
      this.restrict = START_ALLOWED;
      try {
        this.call(name, this.vmCtx);
      } finally {
        this.restrict = null;
      }
      if (name === "_initialize") {
        if (typeof this.x.__main_void === "function") this.call("__main_void", this.vmCtx);
        else if (typeof this.x.main === "function") this.call("main", this.vmCtx, 0, 0);
      }
      break;
    }
  }

  /**
   * This VM's host functions for an instance created elsewhere: the as-pect runner instantiates
   * the spec module itself, and its specs call the host through these (tests/unit/spec-host.ts).
   * Call embed() with the instance before any host call.
   */
  embedImports(): WebAssembly.Imports { return this.imports(); }

  /** Binds an instance made with embedImports(); host calls then act on `current`. */
  embed(instance: WebAssembly.Instance, current: BaseCtx): void {
    this.instance = instance;
    this.x = instance.exports as Exports;
    this.memory = this.x.memory as WebAssembly.Memory;
    this.malloc = (this.x.malloc ?? this.x.proxy_on_memory_allocate) as Function;
    this.refresh();
    this.current = current;
  }

  dispose(): void {
    this.disposed = true;
    for (const c of this.contexts.values()) if (c instanceof RootCtx) c.stopTicks();
  }

  allocId(): number { return this.nextContextId++; }

  /** Calls an export with `ctx` as the current context. Returns undefined if missing or on failure. */
  call(name: string, ctx: BaseCtx, ...args: unknown[]): number | undefined {
    if (this.failed) return undefined;
    const fn = this.x[name];
    if (typeof fn !== "function") return undefined;
    const savedCurrent = this.current;
    const savedEffective = this.effective;
    this.current = ctx;
    this.effective = null;
    this.depth++;
    let result: number | undefined;
    try {
      result = fn(...args);
      if (typeof result === "number") result = result >>> 0;
      else result = 0;
    } catch (e) {
      this.fail(name, e);
      result = undefined;
    } finally {
      this.current = savedCurrent;
      this.effective = savedEffective;
      this.depth--;
    }
    if (this.depth === 0 && this.hold === 0) this.runDeferred();
    return result;
  }

  /**
   * Filter callbacks hold the deferred actions until they have converted the callback's result
   * (a local reply re-enters the encoder path, which must not see this call's stop flag).
   */
  hold = 0;
  flushDeferred(): void {
    if (this.depth === 0 && this.hold === 0) this.runDeferred();
  }

  has(name: string): boolean { return typeof this.x[name] === "function"; }

  private fail(fn: string, e: unknown): void {
    const err = e as Error;
    const kind = err instanceof WebAssembly.RuntimeError ? "RuntimeError" : (err?.name ?? "Error");
    this.failed = true;
    this.failMessage = `Function: ${fn} failed: Uncaught ${kind}: ${err?.message ?? String(e)}`;
    this.deferred.length = 0;
    // Envoy logs the fail message through the VM integration's error log.
    this.opts.log.log(4, this.failMessage);
    for (const c of this.contexts.values()) if (c instanceof RootCtx) c.stopTicks();
  }

  defer(action: () => void): void {
    if (this.depth === 0) action();
    else this.deferred.push(action);
  }

  private runDeferred(): void {
    while (this.deferred.length && !this.failed) this.deferred.shift()!();
  }

  // ------------------------------------------------------------------ memory

  private refresh(): void {
    // During the start section the instance (and so its exported memory) does not exist yet:
    // cpp-host has no memory either, so every read/write is an invalid access.
    if (!this.memory) {
      this.u8 = EMPTY;
      return;
    }
    const b = this.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.u8 = new Uint8Array(b);
      this.mb = Buffer.from(b);
      this.dv = new DataView(b);
    }
  }

  memoryBytes(): number { return this.memory.buffer.byteLength; }

  /** Guest bytes [ptr, ptr+len) as a view (valid until the next guest call), or null if out of bounds. */
  read(ptr: number, len: number): Uint8Array | null {
    this.refresh();
    ptr >>>= 0; len >>>= 0;
    if (ptr + len > this.u8.length) return null;
    return this.u8.subarray(ptr, ptr + len);
  }

  readCopy(ptr: number, len: number): Uint8Array | null {
    const v = this.read(ptr, len);
    return v === null ? null : Uint8Array.prototype.slice.call(v);
  }

  readString(ptr: number, len: number): string | null {
    this.refresh();
    ptr >>>= 0; len >>>= 0;
    if (ptr + len > this.u8.length) return null;
    if (len === 0) return "";
    return this.mb.toString("utf8", ptr, ptr + len);
  }

  /** copyOut for a string: malloc(exact UTF-8 length) and encode straight into guest memory. */
  copyOutString(str: string, ptrPtr: number, sizePtr: number): Status {
    const len = Buffer.byteLength(str);
    if (len === 0) return this.copyOut(EMPTY, ptrPtr, sizePtr);
    const saved = this.restrict;
    this.restrict = MALLOC_ALLOWED;
    let ptr: number;
    try {
      ptr = (this.malloc(len) as number) >>> 0;
    } finally {
      this.restrict = saved;
    }
    this.refresh();
    if (ptr === 0 || ptr + len > this.u8.length) return Status.InvalidMemoryAccess;
    this.mb.write(str, ptr, len, "utf8");
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, len) ? Status.Ok : Status.InvalidMemoryAccess;
  }

  // Filters ask for the same few property paths on every request: a small cache keyed by an
  // FNV-1a hash of the guest bytes (verified byte for byte) avoids decoding them each time.
  private pathCache = new Map<number, { bytes: Uint8Array; segs: string[] }>();
  propertyPath(ptr: number, len: number): string[] | null {
    this.refresh();
    ptr >>>= 0; len >>>= 0;
    if (ptr + len > this.u8.length) return null;
    const u8 = this.u8;
    let h = 0x811c9dc5 ^ len;
    for (let i = ptr, end = ptr + len; i < end; i++) h = Math.imul(h ^ u8[i], 16777619);
    const hit = this.pathCache.get(h);
    if (hit && hit.bytes.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) if (hit.bytes[i] !== u8[ptr + i]) { same = false; break; }
      if (same) return hit.segs;
    }
    const bytes = u8.slice(ptr, ptr + len);
    const segs = splitPath(bytes);
    if (this.pathCache.size >= 1024) this.pathCache.clear();
    this.pathCache.set(h, { bytes, segs });
    return segs;
  }

  writeU32(ptr: number, value: number): boolean {
    this.refresh();
    ptr >>>= 0;
    if (ptr + 4 > this.u8.length || !this.dv) return false;
    this.dv.setUint32(ptr, value >>> 0, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    this.refresh();
    ptr >>>= 0;
    if (ptr + 8 > this.u8.length || !this.dv) return false;
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  /** cpp-host `copyToPointerSize`: malloc(exact length), copy, write ptr and size; 0/0 for empty. */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): Status {
    if (data.length === 0) {
      return this.writeU32(ptrPtr, 0) && this.writeU32(sizePtr, 0) ? Status.Ok : Status.InvalidMemoryAccess;
    }
    const saved = this.restrict;
    this.restrict = MALLOC_ALLOWED;
    let ptr: number;
    try {
      ptr = (this.malloc(data.length) as number) >>> 0;
    } finally {
      this.restrict = saved;
    }
    this.refresh();
    if (ptr === 0 || ptr + data.length > this.u8.length) return Status.InvalidMemoryAccess;
    this.u8.set(data, ptr);
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, data.length) ? Status.Ok : Status.InvalidMemoryAccess;
  }

  // ------------------------------------------------------------------ contexts

  /** cpp-host ContextOrEffectiveContext: an effective context that no longer exists reverts to the current one. */
  ctx(): BaseCtx {
    const e = this.effective;
    if (e !== null && this.contexts.get(e.id) === e) return e;
    return this.current;
  }

  createRoot(plugin: PluginConfig): RootCtx {
    const r = new RootCtx(this, this.allocId(), plugin);
    this.contexts.set(r.id, r);
    return r;
  }

  /** on_context_create(root, 0) -> on_vm_start -> on_configure; false or a trap = plugin load failure. */
  startRoot(r: RootCtx): boolean {
    const p = r.plugin!;
    this.call("proxy_on_context_create", r, r.id, 0);
    if (this.failed) return false;
    r.created = true;
    if (this.has("proxy_on_vm_start")) {
      const ok = this.call("proxy_on_vm_start", r, r.id, p.vmConfiguration.length);
      if (this.failed || !ok) return false;
    }
    return this.configure(r);
  }

  configure(r: RootCtx): boolean {
    if (!this.has("proxy_on_configure")) return true;
    r.inConfigure = true;
    let ok: number | undefined;
    try {
      ok = this.call("proxy_on_configure", r, r.id, r.plugin!.configuration.length);
    } finally {
      r.inConfigure = false;
    }
    return !this.failed && !!ok;
  }

  /** Root shutdown: on_done; true -> on_delete, false -> pending until proxy_done. */
  shutdownRoot(r: RootCtx): void {
    r.stopTicks();
    if (r.deleted || this.failed) return;
    const done = this.has("proxy_on_done") ? this.call("proxy_on_done", r, r.id) : 1;
    if (this.failed) return;
    if (done) this.deleteCtx(r);
    else r.pendingDone = true;
  }

  deleteCtx(c: BaseCtx): void {
    if (c instanceof RootCtx) { c.deleted = true; c.stopTicks(); }
    if (c.created) this.call("proxy_on_delete", c, c.id);
    this.contexts.delete(c.id);
  }

  tick(r: RootCtx): void {
    if (this.failed || this.disposed || r.deleted) return;
    this.call("proxy_on_tick", r, r.id);
  }

  queueReady(rootId: number, queueId: number): void {
    const r = this.contexts.get(rootId);
    if (!(r instanceof RootCtx) || this.failed || this.disposed || r.deleted) return;
    this.call("proxy_on_queue_ready", r, r.id, queueId);
  }

  // ------------------------------------------------------------------ imports

  private imports(): WebAssembly.Imports {
    const env: Record<string, Function> = {};
    const table = this.hostFunctions();
    for (const name of Object.keys(envFunctions(this.abi))) env[name] = this.guard(name, table[name] ?? (() => Status.Unimplemented));
    const wasiTable = this.wasiFunctions();
    const wasi: Record<string, Function> = {};
    for (const name of Object.keys(WASI)) wasi[name] = this.guard(name, wasiTable[name] ?? (() => Errno.Nosys));
    const out: WebAssembly.Imports = { env };
    for (const m of WASI_MODULES) out[m] = wasi;
    return out;
  }

  /** Start-up / allocator restrictions and capability_restriction_config. */
  private guard(name: string, fn: Function): Function {
    const caps = this.allowedCapabilities;
    const isWasi = name in WASI;
    return (...args: unknown[]) => {
      if (!this.instance) {
        // The start function runs inside instantiation, before any context exists. cpp-host's host
        // functions then find no current context and the instance is not created (WAMR: "Failed to
        // create new Wasm instance"); proxy_log's level check comes first and still answers
        // BadArgument (exports.cc `log`).
        if (name === "proxy_log" && (Number(args[0]) >>> 0) > 5) return Status.BadArgument;
        throw new WebAssembly.RuntimeError(`host call ${name} from the start function: no current context`);
      }
      if (this.restrict !== null && !this.restrict.has(name)) {
        throw new WebAssembly.RuntimeError("restricted_callback");
      }
      if (caps && !caps.has(name) && name !== "proxy_log") {
        this.opts.log.log(4, `Attempted call to restricted proxy-wasm capability: ${name}`);
        return isWasi ? 76 : Status.InternalFailure;
      }
      return fn(...args);
    };
  }

  private logPrefix(): string {
    const p = this.ctx().root.plugin;
    if (!p) return "";
    return [p.name, p.rootId, p.vmId].filter((s) => s !== "").map((s) => " " + s).join("");
  }

  guestLog(level: number, msg: string): void {
    this.opts.log.log(level, `wasm log${this.logPrefix()}: ${msg}`);
  }

  /** The header map `type` as visible to `c` right now (undefined = not available). */
  private map(c: BaseCtx, type: number, write: boolean): HeaderList | undefined {
    if (type === MapType.HttpCallResponseHeaders || type === MapType.HttpCallResponseTrailers) {
      if (write) return undefined;
      const r = c.root.callResponse;
      return r ? (type === MapType.HttpCallResponseHeaders ? r.headers : r.trailers) : undefined;
    }
    if (!(c instanceof StreamCtx)) return undefined;
    if (c.inLog) {
      if (write) return undefined;
      switch (type) {
        case MapType.RequestHeaders: return c.reqHeaders ?? c.cb.requestHeaders();
        case MapType.ResponseHeaders: return c.respHeaders ?? c.cb.responseHeaders();
        case MapType.ResponseTrailers: return c.respTrailers ?? c.cb.responseTrailers();
      }
      return undefined;
    }
    // Trailers can be added from the last body callback when the stream has none
    // (Envoy getMap: addDecodedTrailers / addEncodedTrailers).
    if (write && type === MapType.RequestTrailers && !c.reqTrailers && c.reqBody && c.reqEos) c.reqTrailers = c.cb.addRequestTrailers();
    if (write && type === MapType.ResponseTrailers && !c.respTrailers && c.respBody && c.respEos) c.respTrailers = c.cb.addResponseTrailers();
    switch (type) {
      case MapType.RequestHeaders: return c.reqHeaders;
      case MapType.RequestTrailers: return c.reqTrailers;
      case MapType.ResponseHeaders: return c.respHeaders;
      case MapType.ResponseTrailers: return c.respTrailers;
    }
    return undefined;
  }

  private buffer(c: BaseCtx, type: number): { data: Uint8Array; holder?: DataHolder } | undefined {
    switch (type) {
      case BufferType.RequestBody: return c instanceof StreamCtx && c.reqBody ? { data: c.reqBody.buf, holder: c.reqBody } : undefined;
      case BufferType.ResponseBody: return c instanceof StreamCtx && c.respBody ? { data: c.respBody.buf, holder: c.respBody } : undefined;
      case BufferType.DownstreamData: return c instanceof NetCtx && c.downstream ? { data: c.downstream.buf, holder: c.downstream } : undefined;
      case BufferType.UpstreamData: return c instanceof NetCtx && c.upstream ? { data: c.upstream.buf, holder: c.upstream } : undefined;
      case BufferType.HttpCallResponseBody: return c.root.callResponse ? { data: c.root.callResponse.body } : undefined;
      case BufferType.VmConfiguration: return c.root.plugin ? { data: c.root.plugin.vmConfiguration } : undefined;
      case BufferType.PluginConfiguration: return c.root.inConfigure && c.root.plugin ? { data: c.root.plugin.configuration } : undefined;
    }
    return undefined;
  }

  private continueStream(type: number): Status {
    const c = this.ctx();
    if (type > StreamType.Upstream) return Status.BadArgument;
    if (type === StreamType.Upstream) return Status.Unimplemented;
    if (type === StreamType.Downstream) {
      if (c instanceof NetCtx) this.defer(() => c.cb.continueReading());
      return Status.Ok;
    }
    if (c instanceof StreamCtx) {
      if (type === StreamType.Request) this.defer(() => c.cb.continueDecoding());
      else this.defer(() => c.cb.continueEncoding());
      // Envoy drops every REQUEST pointer on either continue (context.cc `continueStream`).
      c.clearRequest();
    }
    return Status.Ok;
  }

  private closeStream(type: number): Status {
    const c = this.ctx();
    if (type > StreamType.Upstream) return Status.BadArgument;
    if (c instanceof StreamCtx && type <= StreamType.Response) this.defer(() => c.cb.resetStream("wasm_close_stream"));
    else if (c instanceof NetCtx && type >= StreamType.Downstream) this.defer(() => c.cb.close());
    return Status.Ok;
  }

  private hostFunctions(): Record<string, Function> {
    const vm = this;
    const n = (x: number) => x >>> 0;
    const fns: Record<string, Function> = {
      proxy_log(level: number, ptr: number, size: number) {
        level = n(level);
        if (level > 5) return Status.BadArgument;
        const msg = vm.readString(ptr, size);
        if (msg === null) return Status.InvalidMemoryAccess;
        vm.guestLog(level, msg);
        return Status.Ok;
      },
      proxy_get_log_level(ret: number) {
        return vm.writeU32(ret, vm.opts.log.level()) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_get_current_time_nanoseconds(ret: number) {
        const now = vm.opts.clock ? vm.opts.clock() : BigInt(Date.now()) * 1000000n;
        return vm.writeU64(ret, now) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_set_tick_period_milliseconds(ms: number) {
        const r = vm.ctx().root;
        ms = n(ms);
        r.stopTicks();
        r.tickMs = ms;
        if (ms > 0 && !vm.disposed && r.id !== 0) {
          r.timer = setInterval(() => vm.tick(r), ms);
          r.timer.unref();
        }
        return Status.Ok;
      },
      proxy_get_property(pathPtr: number, pathSize: number, retPtr: number, retSize: number) {
        const path = vm.propertyPath(pathPtr, pathSize);
        if (path === null) return Status.InvalidMemoryAccess;
        const v = getPropertySegments(vm.ctx().propertySource(), path);
        if (typeof v === "number") return v;
        return vm.copyOut(v, retPtr, retSize);
      },
      proxy_set_property(pathPtr: number, pathSize: number, valPtr: number, valSize: number) {
        const path = vm.readString(pathPtr, pathSize);
        const value = vm.readCopy(valPtr, valSize);
        if (path === null || value === null) return Status.InvalidMemoryAccess;
        const s = vm.ctx().propertySource().stream;
        if (!s) return Status.NotFound;
        s.filterState.set("wasm." + path, value);
        return Status.Ok;
      },
      proxy_get_header_map_pairs(type: number, retPtr: number, retSize: number) {
        type = n(type);
        if (type > MapType.HttpCallResponseTrailers) return Status.BadArgument;
        const m = vm.map(vm.ctx(), type, false);
        return vm.copyOut(m && m.length ? encodePairs(m) : EMPTY, retPtr, retSize);
      },
      proxy_set_header_map_pairs(type: number, ptr: number, size: number) {
        type = n(type);
        if (type > MapType.HttpCallResponseTrailers) return Status.BadArgument;
        const raw = vm.read(ptr, size);
        if (raw === null) return Status.InvalidMemoryAccess;
        const m = vm.map(vm.ctx(), type, true);
        if (!m) return Status.BadArgument;
        const pairs = decodePairs(raw);
        m.length = 0;
        for (const [k, v] of pairs) addCopy(m, k.toLowerCase(), v);
        return Status.Ok;
      },
      proxy_get_header_map_value(type: number, kPtr: number, kSize: number, retPtr: number, retSize: number) {
        type = n(type);
        if (type > MapType.HttpCallResponseTrailers) return Status.BadArgument;
        const key = vm.readString(kPtr, kSize);
        if (key === null) return Status.InvalidMemoryAccess;
        const c = vm.ctx();
        const m = vm.map(c, type, false);
        if (!m) {
          if (!(c instanceof StreamCtx && c.inLog)) return Status.BadArgument;
          return vm.abi === "0.1.0" ? vm.copyOut(EMPTY, retPtr, retSize) : Status.NotFound;
        }
        const lk = key.toLowerCase();
        for (const [k, v] of m) if (k === lk) return vm.copyOutString(v, retPtr, retSize);
        if (vm.abi === "0.1.0") return vm.copyOut(EMPTY, retPtr, retSize);
        return Status.NotFound;
      },
      proxy_add_header_map_value(type: number, kPtr: number, kSize: number, vPtr: number, vSize: number) {
        type = n(type);
        if (type > MapType.HttpCallResponseTrailers) return Status.BadArgument;
        const key = vm.readString(kPtr, kSize);
        const value = vm.readString(vPtr, vSize);
        if (key === null || value === null) return Status.InvalidMemoryAccess;
        const m = vm.map(vm.ctx(), type, true);
        if (!m) return Status.BadArgument;
        addCopy(m, key.toLowerCase(), value);
        return Status.Ok;
      },
      proxy_replace_header_map_value(type: number, kPtr: number, kSize: number, vPtr: number, vSize: number) {
        type = n(type);
        if (type > MapType.HttpCallResponseTrailers) return Status.BadArgument;
        const key = vm.readString(kPtr, kSize);
        const value = vm.readString(vPtr, vSize);
        if (key === null || value === null) return Status.InvalidMemoryAccess;
        const m = vm.map(vm.ctx(), type, true);
        if (!m) return Status.BadArgument;
        const lk = key.toLowerCase();
        removeAll(m, lk);
        addCopy(m, lk, value);
        return Status.Ok;
      },
      proxy_remove_header_map_value(type: number, kPtr: number, kSize: number) {
        type = n(type);
        if (type > MapType.HttpCallResponseTrailers) return Status.BadArgument;
        const key = vm.readString(kPtr, kSize);
        if (key === null) return Status.InvalidMemoryAccess;
        const m = vm.map(vm.ctx(), type, true);
        if (!m) return Status.BadArgument;
        removeAll(m, key.toLowerCase());
        return Status.Ok;
      },
      proxy_get_header_map_size(type: number, ret: number) {
        type = n(type);
        if (type > MapType.HttpCallResponseTrailers) return Status.BadArgument;
        // Envoy answers this from the mutable map (getMap), not the access-log/const view.
        const m = vm.map(vm.ctx(), type, true);
        if (!m) return Status.BadArgument;
        return vm.writeU32(ret, headerBytes(m)) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_get_buffer_bytes(type: number, start: number, max: number, retPtr: number, retSize: number) {
        type = n(type); start = n(start); max = n(max);
        if (type > BufferType.CallData) return Status.BadArgument;
        const b = vm.buffer(vm.ctx(), type);
        if (!b) return Status.NotFound;
        const begin = Math.min(start, b.data.length);
        const end = Math.min(start + max, b.data.length);
        return vm.copyOut(end > begin ? b.data.subarray(begin, end) : EMPTY, retPtr, retSize);
      },
      proxy_get_buffer_status(type: number, lenPtr: number, flagsPtr: number) {
        type = n(type);
        if (type > BufferType.CallData) return Status.BadArgument;
        const b = vm.buffer(vm.ctx(), type);
        if (!b) return Status.NotFound;
        return vm.writeU32(lenPtr, b.data.length) && vm.writeU32(flagsPtr, 0) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_set_buffer_bytes(type: number, start: number, size: number, ptr: number, len: number) {
        type = n(type); start = n(start); size = n(size);
        if (type > BufferType.CallData) return Status.BadArgument;
        const b = vm.buffer(vm.ctx(), type);
        if (!b) return Status.NotFound;
        if (!b.holder) return Status.BadArgument;
        const data = vm.read(ptr, len);
        if (data === null) return Status.InvalidMemoryAccess;
        const cur = b.holder.buf;
        // Envoy's setBuffer: start 0 drains `size` bytes then prepends (size 0 = pure prepend,
        // size >= length = full replace); start at/after the end appends; anything else is refused.
        if (start === 0) b.holder.buf = Buffer.concat([data, cur.subarray(Math.min(size, cur.length))]);
        else if (start >= cur.length) b.holder.buf = Buffer.concat([cur, data]);
        else return Status.BadArgument;
        b.holder.modified = true;
        return Status.Ok;
      },
      proxy_continue_stream(type: number) { return vm.continueStream(n(type)); },
      proxy_close_stream(type: number) { return vm.closeStream(n(type)); },
      proxy_continue_request() { return vm.continueStream(StreamType.Request); },
      proxy_continue_response() { return vm.continueStream(StreamType.Response); },
      proxy_clear_route_cache() { return Status.Ok; },
      proxy_get_configuration(retPtr: number, retSize: number) {
        const p = vm.ctx().root.plugin;
        return vm.copyOut(p ? p.configuration : EMPTY, retPtr, retSize);
      },
      proxy_send_local_response(code: number, dPtr: number, dSize: number, bPtr: number, bSize: number,
        hPtr: number, hSize: number, grpc: number) {
        const details = vm.readString(dPtr, dSize);
        const body = vm.readCopy(bPtr, bSize);
        const hraw = vm.read(hPtr, hSize);
        if (details === null || body === null || hraw === null) return Status.InvalidMemoryAccess;
        const c = vm.ctx();
        if (!(c instanceof StreamCtx)) return Status.Ok;
        const headers: HeaderList = decodePairs(hraw).map(([k, v]) => [k.toLowerCase(), v]);
        const g = grpc | 0;
        const grpcStatus = g >= 0 && g <= 16 ? g : undefined;
        c.stopNext = true;
        c.localReplySent = true;
        const code32 = n(code);
        const det = details.replace(/\s/g, "_");
        vm.defer(() => c.cb.sendLocalReply(code32, body, headers, grpcStatus, det));
        return Status.Ok;
      },
      proxy_get_status(codePtr: number, msgPtr: number, msgSize: number) {
        const r = vm.ctx().root;
        if (!vm.writeU32(codePtr, r.statusCode)) return Status.InvalidMemoryAccess;
        return vm.copyOut(Buffer.from(r.statusMessage, "utf8"), msgPtr, msgSize);
      },
      proxy_set_effective_context(id: number) {
        const c = vm.contexts.get(n(id));
        if (!c) return Status.BadArgument;
        vm.effective = c;
        return Status.Ok;
      },
      proxy_done() {
        const r = vm.ctx().root;
        if (!r.pendingDone) return Status.NotFound;
        r.pendingDone = false;
        vm.defer(() => vm.deleteCtx(r));
        return Status.Ok;
      },
      proxy_call_foreign_function() { return Status.NotFound; },
      proxy_http_call(cPtr: number, cSize: number, hPtr: number, hSize: number, bPtr: number, bSize: number,
        tPtr: number, tSize: number, timeout: number, tokenPtr: number) {
        const cluster = vm.readString(cPtr, cSize);
        const hraw = vm.read(hPtr, hSize);
        const body = vm.readCopy(bPtr, bSize);
        const traw = vm.read(tPtr, tSize);
        if (cluster === null || hraw === null || body === null || traw === null) return Status.InvalidMemoryAccess;
        // cpp-host writes a 0 token first so a bad token pointer fails before anything starts.
        if (!vm.writeU32(tokenPtr, 0)) return Status.InvalidMemoryAccess;
        // Envoy takes the timeout as a signed int: >= 2^31 is negative -> BAD_ARGUMENT.
        if ((timeout | 0) < 0) return Status.BadArgument;
        if (!vm.opts.clusters.has(cluster)) return Status.BadArgument;
        const headers: HeaderList = [];
        for (const [k, v] of decodePairs(hraw)) addCopy(headers, k.toLowerCase(), v);
        const trailers: HeaderList = decodePairs(traw).map(([k, v]) => [k.toLowerCase(), v]);
        for (const required of [":method", ":path", ":authority"]) {
          if (!headers.some(([k]) => k === required)) return Status.BadArgument;
        }
        if (body.length) {
          removeAll(headers, "content-length");
          headers.push(["content-length", String(body.length)]);
        }
        const token = (vm.nextHttpToken += 4) >>> 0;
        if (!vm.writeU32(tokenPtr, token)) return Status.InvalidMemoryAccess;
        const root = vm.ctx().root;
        let pending: Promise<HttpCalloutResponse>;
        try {
          pending = vm.opts.clusters.httpCall(cluster, headers, body, trailers, n(timeout));
        } catch {
          return Status.InternalFailure; // the async client could not send
        }
        pending.then(
          (resp) => vm.httpCallDone(root, token, resp),
          () => vm.httpCallDone(root, token, undefined),
        );
        return Status.Ok;
      },
      proxy_grpc_call(sPtr: number, sSize: number) {
        const service = vm.readString(sPtr, sSize);
        if (service === null) return Status.InvalidMemoryAccess;
        if (!vm.opts.clusters.has(service)) return Status.ParseFailure;
        vm.guestLog(4, "gRPC callouts are not supported by this host");
        return Status.InternalFailure;
      },
      proxy_grpc_stream(sPtr: number, sSize: number) {
        const service = vm.readString(sPtr, sSize);
        if (service === null) return Status.InvalidMemoryAccess;
        if (!vm.opts.clusters.has(service)) return Status.ParseFailure;
        vm.guestLog(4, "gRPC callouts are not supported by this host");
        return Status.InternalFailure;
      },
      proxy_grpc_send() { return Status.NotFound; },
      proxy_grpc_cancel() { return Status.NotFound; },
      proxy_grpc_close() { return Status.NotFound; },
      proxy_set_shared_data(kPtr: number, kSize: number, vPtr: number, vSize: number, cas: number) {
        const key = vm.readString(kPtr, kSize);
        const value = vm.readCopy(vPtr, vSize);
        if (key === null || value === null) return Status.InvalidMemoryAccess;
        return vm.shared.setData(vm.vmId, key, value, n(cas));
      },
      proxy_get_shared_data(kPtr: number, kSize: number, retPtr: number, retSize: number, casPtr: number) {
        const key = vm.readString(kPtr, kSize);
        if (key === null) return Status.InvalidMemoryAccess;
        const e = vm.shared.getData(vm.vmId, key);
        if (!e) return Status.NotFound;
        const s = vm.copyOut(e.value, retPtr, retSize);
        if (s !== Status.Ok) return s;
        return vm.writeU32(casPtr, e.cas) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_register_shared_queue(nPtr: number, nSize: number, retId: number) {
        const name = vm.readString(nPtr, nSize);
        if (name === null) return Status.InvalidMemoryAccess;
        const id = vm.shared.registerQueue(vm.vmId, name, vm, vm.ctx().root.id);
        return vm.writeU32(retId, id) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_resolve_shared_queue(vPtr: number, vSize: number, nPtr: number, nSize: number, retId: number) {
        const vmId = vm.readString(vPtr, vSize);
        const name = vm.readString(nPtr, nSize);
        if (vmId === null || name === null) return Status.InvalidMemoryAccess;
        const id = vm.shared.resolveQueue(vmId === "" ? vm.vmId : vmId, name);
        if (id === undefined) return Status.NotFound;
        return vm.writeU32(retId, id) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_enqueue_shared_queue(id: number, vPtr: number, vSize: number) {
        const value = vm.readCopy(vPtr, vSize);
        if (value === null) return Status.InvalidMemoryAccess;
        return vm.shared.enqueue(n(id), value);
      },
      proxy_dequeue_shared_queue(id: number, retPtr: number, retSize: number) {
        const r = vm.shared.dequeue(n(id));
        if (typeof r === "number") return r;
        return vm.copyOut(r, retPtr, retSize);
      },
      proxy_define_metric(type: number, nPtr: number, nSize: number, retId: number) {
        type = n(type);
        if (type > 2) return Status.BadArgument;
        const name = vm.readString(nPtr, nSize);
        if (name === null) return Status.InvalidMemoryAccess;
        const kind = METRIC_KINDS[type];
        const full = "wasmcustom." + name;
        vm.stats.define(full, kind);
        const id = (vm.nextMetric[type] += 4);
        vm.metrics.set(id, { kind, name: full });
        return vm.writeU32(retId, id) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      proxy_increment_metric(id: number, delta: bigint) {
        const m = vm.metrics.get(n(id));
        if (!m) return Status.NotFound;
        const d = Number(BigInt.asIntN(64, BigInt(delta)));
        if (m.kind === "counter") {
          if (d <= 0) return Status.BadArgument;
          vm.stats.counterAdd(m.name, d);
        } else if (m.kind === "gauge") vm.stats.gaugeAdd(m.name, d);
        else return Status.BadArgument;
        return Status.Ok;
      },
      proxy_record_metric(id: number, value: bigint) {
        const m = vm.metrics.get(n(id));
        if (!m) return Status.NotFound;
        const v = Number(BigInt.asUintN(64, BigInt(value)));
        if (m.kind === "counter") vm.stats.counterAdd(m.name, v);
        else if (m.kind === "gauge") vm.stats.gaugeSet(m.name, v);
        else vm.stats.histogramRecord(m.name, v);
        return Status.Ok;
      },
      proxy_get_metric(id: number, ret: number) {
        const m = vm.metrics.get(n(id));
        if (!m) return Status.NotFound;
        if (m.kind === "histogram") return Status.BadArgument;
        return vm.writeU64(ret, BigInt(Math.trunc(vm.stats.value(m.name) ?? 0))) ? Status.Ok : Status.InvalidMemoryAccess;
      },
      pthread_equal(a: number, b: number) { return a === b ? 1 : 0; },
      emscripten_notify_memory_growth() { /* views are refreshed lazily */ },
    };
    return fns;
  }

  httpCallDone(root: RootCtx, token: number, resp: HttpCalloutResponse | undefined): void {
    if (this.failed || this.disposed || root.deleted) return;
    if (resp) {
      root.statusCode = 0;
      root.statusMessage = "";
      root.callResponse = resp;
    } else {
      root.statusCode = 11;
      root.statusMessage = "reset";
    }
    try {
      this.call("proxy_on_http_call_response", root, root.id, token,
        resp ? resp.headers.length : 0, resp ? resp.body.length : 0, resp ? resp.trailers.length : 0);
    } finally {
      root.callResponse = undefined;
    }
  }

  private wasiFunctions(): Record<string, Function> {
    const vm = this;
    const envEntries = () => Object.entries(vm.environment).map(([k, v]) => Buffer.from(`${k}=${v}\0`, "utf8"));
    return {
      fd_write(fd: number, iovs: number, iovsLen: number, nwritten: number) {
        fd = fd >>> 0;
        if (fd !== 1 && fd !== 2) return Errno.Badf;
        const parts: Uint8Array[] = [];
        for (let i = 0; i < iovsLen >>> 0; i++) {
          const iov = vm.read(iovs + i * 8, 8);
          if (iov === null) return Errno.Fault;
          const dv = new DataView(iov.buffer, iov.byteOffset, 8);
          const data = vm.readCopy(dv.getUint32(0, true), dv.getUint32(4, true));
          if (data === null) return Errno.Fault;
          parts.push(data);
        }
        const all = Buffer.concat(parts);
        if (all.length) {
          let msg = utf8.decode(all);
          if (msg.endsWith("\n")) msg = msg.slice(0, -1);
          vm.guestLog(fd === 1 ? 2 : 4, msg);
        }
        return vm.writeU32(nwritten, all.length) ? Errno.Success : Errno.Fault;
      },
      fd_read() { return Errno.Nosys; },
      fd_pwrite() { return Errno.Nosys; },
      fd_seek() { vm.opts.log.log(4, "wasi_unstable fd_seek"); return Errno.Success; },
      fd_close() { vm.opts.log.log(4, "wasi_unstable fd_close"); return Errno.Success; },
      fd_fdstat_get(fd: number, stat: number) {
        fd = fd >>> 0;
        if (fd !== 1 && fd !== 2) return Errno.Badf;
        // cpp-host: 24 bytes, all zero except fs_rights_base = __WASI_RIGHTS_FD_WRITE (64).
        const v = vm.read(stat, 24);
        if (v !== null) {
          v.fill(0);
          v[8] = 64;
        }
        return Errno.Success;
      },
      fd_fdstat_set_flags() { return Errno.Nosys; },
      fd_prestat_get() { return Errno.Badf; },
      fd_prestat_dir_name() { return Errno.Nosys; },
      environ_sizes_get(countPtr: number, sizePtr: number) {
        const e = envEntries();
        return vm.writeU32(countPtr, e.length) && vm.writeU32(sizePtr, e.reduce((a, b) => a + b.length, 0)) ? Errno.Success : Errno.Fault;
      },
      environ_get(environ: number, buf: number) {
        let p = buf >>> 0;
        let i = 0;
        for (const e of envEntries()) {
          const dst = vm.read(p, e.length);
          if (dst === null || !vm.writeU32(environ + i * 4, p)) return Errno.Fault;
          dst.set(e);
          p += e.length;
          i++;
        }
        return Errno.Success;
      },
      args_sizes_get(argc: number, size: number) { return vm.writeU32(argc, 0) && vm.writeU32(size, 0) ? Errno.Success : Errno.Fault; },
      args_get() { return Errno.Success; },
      clock_time_get(id: number, _precision: bigint, ret: number) {
        id = id >>> 0;
        let t: bigint;
        if (id === 0) t = BigInt(Date.now()) * 1000000n;
        else if (id === 1) t = process.hrtime.bigint();
        else return Errno.Notsup;
        return vm.writeU64(ret, t) ? Errno.Success : Errno.Fault;
      },
      clock_res_get(id: number, ret: number) {
        id = id >>> 0;
        if (id > 1) return Errno.Notsup;
        return vm.writeU64(ret, 1n) ? Errno.Success : Errno.Fault;
      },
      random_get(ptr: number, len: number) {
        len = len >>> 0;
        if (len > 64 * 1024) return Errno.Inval;
        const v = vm.read(ptr, len);
        if (v === null) return Errno.Fault;
        randomFillSync(v);
        return Errno.Success;
      },
      proc_exit() {
        // Envoy: Context::error("wasi_unstable proc_exit") logs at trace and returns to the guest.
        vm.opts.log.log(0, "wasi_unstable proc_exit");
      },
      sched_yield() { return Errno.Success; },
      poll_oneoff() { return Errno.Nosys; },
      path_open() { return Errno.Noent; },
    };
  }
}
