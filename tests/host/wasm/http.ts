// Envoy's wasm HTTP filter (source/extensions/common/wasm/context.cc decodeHeaders ... onDestroy)
// on top of a WasmVm: lazy context creation at request headers, cpp-host's status conversion,
// the header/body availability windows, log -> done -> delete, and the failure policy.
import type {
  DataStatus, HeaderList, HeadersStatus, HttpFilter, HttpFilterCallbacks, PluginConfig, TrailersStatus,
} from "../api";
import { StreamCtx, WasmVm, RootCtx, DataHolder } from "./vm";

/** Per worker: the VM and this plugin's root context in it. */
export interface WorkerSlot { vm: WasmVm; root: RootCtx; }

const GRPC_UNAVAILABLE = 14;

/** cpp-host convertVmCallResultToFilterHeadersStatus + Envoy's mapping. */
export function headersStatus(r: number, stop: boolean, allowStopIteration: boolean): HeadersStatus {
  if (stop || r > 4) return "StopAllIterationAndWatermark";
  switch (r) {
    case 0: return "Continue";
    case 1: return allowStopIteration ? "StopIteration" : "StopAllIterationAndWatermark";
    case 2: return "Continue"; // ContinueAndEndStream falls into Envoy's default branch
    case 3: return "StopAllIterationAndBuffer";
    default: return "StopAllIterationAndWatermark";
  }
}

export function dataStatus(r: number, stop: boolean): DataStatus {
  if (stop || r > 3) return "StopIterationNoBuffer";
  return (["Continue", "StopIterationAndBuffer", "StopIterationAndWatermark", "StopIterationNoBuffer"] as const)[r];
}

export function trailersStatus(r: number, stop: boolean): TrailersStatus {
  return stop || r > 1 ? "StopIteration" : r === 1 ? "StopIteration" : "Continue";
}

function sendFailure(cb: HttpFilterCallbacks): void {
  cb.sendLocalReply(503, new Uint8Array(0), [], GRPC_UNAVAILABLE, "wasm_fail_stream");
}

/** Envoy's filter for a worker whose VM already failed: fail-closed answers 503, fail-open is a no-op. */
export class FailedHttpFilter implements HttpFilter {
  constructor(private cb: HttpFilterCallbacks, private failOpen: boolean) {}
  decodeHeaders(): HeadersStatus {
    if (this.failOpen) return "Continue";
    sendFailure(this.cb);
    return "StopAllIterationAndWatermark";
  }
  decodeData(): DataStatus { return this.failOpen ? "Continue" : "StopIterationNoBuffer"; }
  decodeTrailers(): TrailersStatus { return this.failOpen ? "Continue" : "StopIteration"; }
  encodeHeaders(): HeadersStatus { return "Continue"; }
  encodeData(): DataStatus { return "Continue"; }
  encodeTrailers(): TrailersStatus { return "Continue"; }
  log(): void {}
  onDestroy(): void {}
}

export class WasmHttpFilter implements HttpFilter {
  private ctx?: StreamCtx;
  private bypass = false;
  private failureReplySent = false;
  private destroyed = false;
  private reqBuffered?: Buffer;
  private respBuffered?: Buffer;

  constructor(private slot: WorkerSlot, private config: PluginConfig, private cb: HttpFilterCallbacks) {}

  private get vm(): WasmVm { return this.slot.vm; }

  /** A filter callback: deferred actions wait until `done` converted the result. */
  private invoke(name: string, c: StreamCtx, ...args: unknown[]): number | undefined {
    const vm = this.vm;
    // The stop flag belongs to this callback only (cpp-host resets it around every VM call).
    c.stopNext = false;
    vm.hold++;
    try {
      return vm.call(name, c, ...args);
    } finally {
      vm.hold--;
    }
  }

  private done<T>(status: T): T {
    this.vm.flushDeferred();
    return status;
  }

  /** Envoy `onCreate`: proxy_on_context_create(stream, root) the first time the filter is reached. */
  private ensureContext(): StreamCtx | undefined {
    if (this.ctx) return this.ctx;
    const vm = this.vm;
    const c = new StreamCtx(vm, vm.allocId(), this.slot.root, this.cb);
    vm.contexts.set(c.id, c);
    this.ctx = c;
    vm.call("proxy_on_context_create", c, c.id, this.slot.root.id);
    if (!vm.failed) c.created = true;
    return c;
  }

  /** CHECK_FAIL: fail-open continues and drops the filter; fail-closed sends the 503 once. */
  private failed<T extends string>(cont: T, stop: T): T {
    if (this.config.failurePolicy === "FAIL_OPEN") {
      this.bypass = true;
      return cont;
    }
    if (!this.failureReplySent) {
      this.failureReplySent = true;
      sendFailure(this.cb);
    }
    return stop;
  }

  private inactive(): boolean { return this.bypass || this.failureReplySent || this.destroyed; }

  decodeHeaders(headers: HeaderList, endStream: boolean): HeadersStatus {
    if (this.inactive()) return this.bypass ? "Continue" : "StopAllIterationAndWatermark";
    if (this.vm.failed) return this.failed<HeadersStatus>("Continue", "StopAllIterationAndWatermark");
    const c = this.ensureContext()!;
    if (this.vm.failed) return this.failed<HeadersStatus>("Continue", "StopAllIterationAndWatermark");
    c.reqHeaders = headers;
    const r = this.vm.abi === "0.1.0"
      ? this.invoke("proxy_on_request_headers", c, c.id, headers.length)
      : this.invoke("proxy_on_request_headers", c, c.id, headers.length, endStream ? 1 : 0);
    if (this.vm.failed) return this.failed<HeadersStatus>("Continue", "StopAllIterationAndWatermark");
    const s = headersStatus(r ?? 0, c.stopNext, this.config.allowOnHeadersStopIteration);
    c.stopNext = false;
    if (s === "Continue") c.reqHeaders = undefined;
    return this.done(s);
  }

  decodeData(data: Buffer, endStream: boolean): DataStatus {
    if (this.inactive()) return this.bypass ? "Continue" : "StopIterationNoBuffer";
    const c = this.ctx;
    if (!c) return "Continue";
    if (c.localReplySent) return "StopIterationNoBuffer";
    if (this.vm.failed) return this.failed<DataStatus>("Continue", "StopIterationNoBuffer");
    const holder: DataHolder = { buf: this.reqBuffered ? Buffer.concat([this.reqBuffered, data]) : data };
    c.reqBody = holder;
    c.reqEos = endStream;
    const r = this.invoke("proxy_on_request_body", c, c.id, holder.buf.length, endStream ? 1 : 0);
    c.reqEos = false;
    if (this.vm.failed) return this.failed<DataStatus>("Continue", "StopIterationNoBuffer");
    const s = dataStatus(r ?? 0, c.stopNext);
    c.stopNext = false;
    if (holder.modified) this.cb.setRequestBody(holder.buf);
    // While buffering, Envoy keeps the body reachable (decodingBuffer) and the next call sees it all.
    this.reqBuffered = s === "StopIterationAndBuffer" ? holder.buf : undefined;
    if (s === "Continue") c.reqBody = undefined;
    return this.done(s);
  }

  decodeTrailers(trailers: HeaderList): TrailersStatus {
    if (this.inactive()) return this.bypass ? "Continue" : "StopIteration";
    const c = this.ctx;
    if (!c) return "Continue";
    if (c.localReplySent) return "StopIteration";
    if (this.vm.failed) return this.failed<TrailersStatus>("Continue", "StopIteration");
    c.reqTrailers = trailers;
    const r = this.invoke("proxy_on_request_trailers", c, c.id, trailers.length);
    if (this.vm.failed) return this.failed<TrailersStatus>("Continue", "StopIteration");
    const s = trailersStatus(r ?? 0, c.stopNext);
    c.stopNext = false;
    if (s === "Continue") c.reqTrailers = undefined;
    return this.done(s);
  }

  encodeHeaders(headers: HeaderList, endStream: boolean): HeadersStatus {
    // After Envoy's own failure reply no encoder callback reaches the VM (failure_local_reply_sent_).
    if (this.inactive()) return "Continue";
    const c = this.ctx;
    if (!c) return "Continue";
    if (this.vm.failed) return this.failed<HeadersStatus>("Continue", "StopAllIterationAndWatermark");
    c.respHeaders = headers;
    const r = this.vm.abi === "0.1.0"
      ? this.invoke("proxy_on_response_headers", c, c.id, headers.length)
      : this.invoke("proxy_on_response_headers", c, c.id, headers.length, endStream ? 1 : 0);
    if (this.vm.failed) return this.failed<HeadersStatus>("Continue", "StopAllIterationAndWatermark");
    const s = headersStatus(r ?? 0, c.stopNext, this.config.allowOnHeadersStopIteration);
    c.stopNext = false;
    if (s === "Continue") c.respHeaders = undefined;
    return this.done(s);
  }

  encodeData(data: Buffer, endStream: boolean): DataStatus {
    if (this.inactive()) return "Continue";
    const c = this.ctx;
    if (!c) return "Continue";
    if (this.vm.failed) return this.failed<DataStatus>("Continue", "StopIterationNoBuffer");
    const holder: DataHolder = { buf: this.respBuffered ? Buffer.concat([this.respBuffered, data]) : data };
    c.respBody = holder;
    c.respEos = endStream;
    const r = this.invoke("proxy_on_response_body", c, c.id, holder.buf.length, endStream ? 1 : 0);
    c.respEos = false;
    if (this.vm.failed) return this.failed<DataStatus>("Continue", "StopIterationNoBuffer");
    const s = dataStatus(r ?? 0, c.stopNext);
    c.stopNext = false;
    if (holder.modified) this.cb.setResponseBody(holder.buf);
    this.respBuffered = s === "StopIterationAndBuffer" ? holder.buf : undefined;
    if (s === "Continue") c.respBody = undefined;
    return this.done(s);
  }

  encodeTrailers(trailers: HeaderList): TrailersStatus {
    if (this.inactive()) return "Continue";
    const c = this.ctx;
    if (!c) return "Continue";
    if (this.vm.failed) return this.failed<TrailersStatus>("Continue", "StopIteration");
    c.respTrailers = trailers;
    const r = this.invoke("proxy_on_response_trailers", c, c.id, trailers.length);
    if (this.vm.failed) return this.failed<TrailersStatus>("Continue", "StopIteration");
    const s = trailersStatus(r ?? 0, c.stopNext);
    c.stopNext = false;
    if (s === "Continue") c.respTrailers = undefined;
    return this.done(s);
  }

  log(): void {
    if (this.bypass || this.failureReplySent || this.destroyed || this.vm.failed) return;
    // A stream that never reached this filter still gets a context in the access-log phase.
    const c = this.ensureContext();
    if (!c || this.vm.failed) return;
    c.inLog = true;
    try {
      this.vm.call("proxy_on_log", c, c.id);
    } finally {
      c.inLog = false;
    }
  }

  onDestroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const c = this.ctx;
    if (!c) return;
    if (!this.vm.failed && c.created) {
      this.vm.call("proxy_on_done", c, c.id); // result ignored for streams
      this.vm.deleteCtx(c);
    } else {
      this.vm.contexts.delete(c.id);
    }
  }
}
