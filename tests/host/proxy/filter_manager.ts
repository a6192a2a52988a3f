// Envoy's HTTP filter manager for one stream: decoder filters run in config order, encoder filters
// in reverse, each direction with Envoy's iteration states (Continue, StopSingleIteration after a
// StopIteration, StopAll after StopAllIteration*), one buffered body per direction, trailers held
// back while a filter is stopped, local replies routed through the encoder chain, and the
// access-log phase (log) followed by onDestroy once the stream is complete or reset.
//
// Behaviour matched (envoy source/common/http/filter_manager.cc, ActiveStreamFilterBase):
// - StopIteration from headers: later filters wait, but this filter still gets decodeData.
// - StopAllIteration*: data and trailers are buffered before reaching this filter.
// - Continue from decodeData after a StopIteration resumes headers, then the buffered body.
// - StopIterationAndBuffer keeps the whole body seen so far; the next call sees it cumulatively.
// - A local reply after response headers went downstream resets the stream instead.
import type { DataStatus, HeaderList, HeadersStatus, HttpFilter, HttpFilterCallbacks, StreamInfo, TrailersStatus } from "../api";

/** The end of the decoder chain (Envoy's router) as the filter manager sees it. */
export interface DecoderTerminal {
  decodeHeaders(headers: HeaderList, endStream: boolean): void;
  decodeData(data: Buffer, endStream: boolean): void;
  decodeTrailers(trailers: HeaderList): void;
  /** Stream is over (complete, local reply or reset): abort any upstream work. */
  abort(): void;
}

/** The downstream connection codec (end of the encoder chain). */
export interface EncoderTerminal {
  encodeHeaders(headers: HeaderList, endStream: boolean): void;
  encodeData(data: Buffer, endStream: boolean): void;
  encodeTrailers(trailers: HeaderList): void;
  reset(details: string): void;
}

export type FilterFactory = (callbacks: HttpFilterCallbacks) => HttpFilter;

type Iteration = "Continue" | "StopSingle" | "StopAll";

interface DirectionState {
  headers?: HeaderList;
  trailers?: HeaderList;
  /** All body has been received from the source of this direction. */
  complete: boolean;
  /** Index (in this direction's order) up to which headers have been passed; -1 = none. */
  headersContinuedTo: number;
  /** Filter (direction order) holding the buffered body / stopped iteration. */
  stoppedAt: number;
  iteration: Iteration[];
  buffer?: Buffer;
  /** While a filter's data callback runs: the body it sees (buffered + new chunk). */
  view?: { at: number; buf: Buffer };
  /** Headers went past the last filter (to the router / downstream codec). */
  headersSent: boolean;
  ended: boolean;
  /** Filter index currently inside a callback in this direction, or -1. */
  inCallback: number;
  /** Highest filter position trailers were delivered to. */
  trailersReached: number;
}

function newDirection(n: number): DirectionState {
  return {
    complete: false, headersContinuedTo: -1, stoppedAt: -1, iteration: new Array(n).fill("Continue"), headersSent: false, ended: false,
    inCallback: -1, trailersReached: -1,
  };
}

function headerBytes(h: HeaderList | undefined): number {
  let n = 0;
  for (const [k, v] of h ?? []) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

function headersStop(s: HeadersStatus): Iteration {
  return s === "Continue" ? "Continue" : s === "StopIteration" ? "StopSingle" : "StopAll";
}

export interface FilterManagerOptions {
  streamInfo: StreamInfo;
  filters: FilterFactory[];
  decoderTerminal: DecoderTerminal;
  encoderTerminal: EncoderTerminal;
  /** Called once after log() and onDestroy() ran on every filter. */
  onComplete?: () => void;
  /** Server header value Envoy stamps on responses (HCM server_name, default "envoy"). */
  serverName?: string;
}

export class FilterManager {
  readonly streamInfo: StreamInfo;
  private filters: HttpFilter[] = [];
  private dec: DirectionState;
  private enc: DirectionState;
  private deferred: Array<() => void> = [];
  private localReplySent = false;
  private done = false;
  private destroyed = false;
  private startHr = process.hrtime.bigint();

  constructor(private opts: FilterManagerOptions) {
    this.streamInfo = opts.streamInfo;
    this.dec = newDirection(opts.filters.length);
    this.enc = newDirection(opts.filters.length);
    opts.filters.forEach((factory, i) => this.filters.push(factory(this.callbacksFor(i))));
  }

  get isDone(): boolean { return this.done; }

  // ---------------------------------------------------------------------------------------------
  // Entry points: the downstream codec feeds the request, the router feeds the response.

  decodeHeaders(headers: HeaderList, endStream: boolean): void {
    if (this.done) return;
    this.dec.headers = headers;
    this.streamInfo.requestTotalBytes += headerBytes(headers);
    this.dec.complete = endStream;
    this.runHeaders(this.dec, 0, false);
  }

  decodeData(data: Buffer, endStream: boolean): void {
    if (this.done || this.localReplySent) return;
    this.streamInfo.requestBytes += data.length;
    this.streamInfo.requestTotalBytes += data.length;
    if (endStream) this.dec.complete = true;
    this.runData(this.dec, 0, data, endStream);
  }

  decodeTrailers(trailers: HeaderList): void {
    if (this.done || this.localReplySent) return;
    this.dec.trailers = trailers;
    this.dec.complete = true;
    this.runTrailers(this.dec, 0);
  }

  encodeHeaders(headers: HeaderList, endStream: boolean): void {
    if (this.done) return;
    const status = Number(headers.find(([k]) => k === ":status")?.[1]);
    if (Number.isInteger(status)) this.streamInfo.responseCode = status;
    this.enc.headers = headers;
    this.streamInfo.responseTotalBytes += headerBytes(headers);
    this.enc.complete = endStream;
    this.runHeaders(this.enc, 0, false);
  }

  encodeData(data: Buffer, endStream: boolean): void {
    if (this.done) return;
    if (endStream) this.enc.complete = true;
    this.runData(this.enc, 0, data, endStream);
  }

  encodeTrailers(trailers: HeaderList): void {
    if (this.done) return;
    this.enc.trailers = trailers;
    this.enc.complete = true;
    this.runTrailers(this.enc, 0);
  }

  /** Downstream went away (or the upstream failed after headers): reset, log, destroy. */
  reset(details: string, flag?: string): void {
    if (this.done) return;
    if (flag && !this.streamInfo.responseFlags.includes(flag)) this.streamInfo.responseFlags.push(flag);
    if (!this.streamInfo.responseCodeDetails) this.streamInfo.responseCodeDetails = details;
    this.opts.decoderTerminal.abort();
    this.opts.encoderTerminal.reset(details);
    this.finish();
  }

  /** Envoy's sendLocalReply as the HCM/router use it (also what filters reach through callbacks). */
  sendLocalReply(status: number, body: Uint8Array, extra: HeaderList, grpcStatus: number | undefined, details: string, flag?: string): void {
    if (this.done) return;
    if (flag && !this.streamInfo.responseFlags.includes(flag)) this.streamInfo.responseFlags.push(flag);
    if (this.enc.headersSent) {
      // Envoy: once response headers went downstream, a local reply can only reset the stream.
      this.streamInfo.responseCodeDetails = details;
      this.reset(details);
      return;
    }
    this.streamInfo.responseCodeDetails = details;
    this.opts.decoderTerminal.abort();
    // The request side stops here: nothing more flows to the router.
    this.localReplySent = true;
    this.dec.buffer = undefined;
    const isGrpc = this.dec.headers?.some(([k, v]) => k === "content-type" && v.startsWith("application/grpc")) ?? false;
    const headers: HeaderList = [[":status", String(status)]];
    const bodyBuf = Buffer.from(body);
    if (isGrpc) {
      // Envoy answers gRPC requests with a trailers-only 200 carrying grpc-status / grpc-message.
      headers[0][1] = "200";
      headers.push(["content-type", "application/grpc"]);
      headers.push(["grpc-status", String(grpcStatus ?? httpToGrpcStatus(status))]);
      if (bodyBuf.length) headers.push(["grpc-message", encodeURIComponent(bodyBuf.toString())]);
    } else if (bodyBuf.length) {
      headers.push(["content-length", String(bodyBuf.length)]);
      headers.push(["content-type", "text/plain"]);
    }
    for (const [k, v] of extra) headers.push([k.toLowerCase(), v]);
    const endWithHeaders = isGrpc || bodyBuf.length === 0;
    this.streamInfo.responseCode = Number(headers[0][1]);
    if (this.enc.headers) {
      // Response headers exist but were not sent (an encoder filter replies): Envoy sends the reply
      // directly, without running the encoder filters again (sendDirectLocalReply).
      this.enc.headersSent = true;
      this.opts.encoderTerminal.encodeHeaders(headers, endWithHeaders);
      if (!endWithHeaders) this.opts.encoderTerminal.encodeData(bodyBuf, true);
      this.encodeEnded();
      return;
    }
    this.encodeHeaders(headers, endWithHeaders);
    if (!endWithHeaders) this.encodeData(bodyBuf, true);
  }

  // ---------------------------------------------------------------------------------------------

  private order(d: DirectionState): number[] {
    const n = this.filters.length;
    return d === this.dec ? [...Array(n).keys()] : [...Array(n).keys()].reverse();
  }

  /** Runs fn as filter `pos` of direction d; actions the filter requested meanwhile run afterwards. */
  private call<T>(d: DirectionState, pos: number, fn: () => T): T {
    const prev = d.inCallback;
    this.pendingContinue.clear();
    d.inCallback = pos;
    try {
      return fn();
    } finally {
      d.inCallback = prev;
    }
  }

  /** After a filter callback: true if iteration must stop here (a local reply or reset was requested). */
  private stopRequested(): boolean {
    if (!this.stopNext) return false;
    this.stopNext = false;
    return true;
  }

  private flushDeferred(): void {
    while (this.deferred.length && !this.done) this.deferred.shift()!();
  }

  private halted(d: DirectionState): boolean {
    return this.done || (d === this.dec && this.localReplySent);
  }

  private runHeaders(d: DirectionState, from: number, pendingBody: boolean): void {
    const order = this.order(d);
    for (let pos = from; pos < order.length; pos++) {
      if (this.halted(d)) return;
      const f = this.filters[order[pos]];
      const end = d.complete && !pendingBody && !d.trailers;
      const status = this.call(d, pos, () => (d === this.dec ? f.decodeHeaders(d.headers!, end) : f.encodeHeaders(d.headers!, end)));
      d.headersContinuedTo = pos;
      const it = headersStop(status);
      if (this.stopRequested() || (it !== "Continue" && !this.takeContinue(d, pos))) {
        d.iteration[pos] = it === "Continue" ? "StopAll" : it;
        d.stoppedAt = pos;
        this.flushDeferred();
        return;
      }
      this.flushDeferred();
    }
    if (this.halted(d)) return;
    this.headersToTerminal(d, d.complete && !pendingBody && !d.trailers);
  }

  private headersToTerminal(d: DirectionState, end: boolean): void {
    if (d.headersSent) return;
    d.headersSent = true;
    if (d === this.dec) this.opts.decoderTerminal.decodeHeaders(d.headers!, end);
    else {
      this.opts.encoderTerminal.encodeHeaders(d.headers!, end);
      if (end) this.encodeEnded();
    }
  }

  private runData(d: DirectionState, from: number, data: Buffer, endStream: boolean): void {
    const order = this.order(d);
    for (let pos = from; pos < order.length; pos++) {
      if (this.halted(d)) return;
      // Data never overtakes headers held at or before this filter, nor a StopAll filter.
      if (d.headersContinuedTo < pos || d.iteration[pos] === "StopAll") {
        d.buffer = d.buffer ? Buffer.concat([d.buffer, data]) : data;
        d.stoppedAt = pos;
        return;
      }
      const f = this.filters[order[pos]];
      const owner = d.stoppedAt === pos && d.buffer !== undefined;
      d.view = { at: pos, buf: owner ? Buffer.concat([d.buffer!, data]) : data };
      if (owner) d.buffer = undefined;
      const end = endStream && !d.trailers;
      const status: DataStatus = this.call(d, pos, () => (d === this.dec ? f.decodeData(data, end) : f.encodeData(data, end)));
      const seen = d.view.buf;
      d.view = undefined;
      if (this.stopRequested()) {
        d.iteration[pos] = "StopAll";
        d.stoppedAt = pos;
        this.flushDeferred();
        return;
      }
      if (status === "Continue" || this.takeContinue(d, pos)) {
        this.flushDeferred();
        if (d.iteration[pos] === "StopSingle") {
          // Continue from data after a StopIteration: held headers go on first, then this body.
          d.buffer = seen;
          d.stoppedAt = pos;
          this.continueAt(d, pos);
          return;
        }
        data = seen;
        continue;
      }
      d.iteration[pos] = "StopSingle";
      d.stoppedAt = pos;
      // StopIterationNoBuffer: the filter keeps (or drops) the data itself.
      if (status === "StopIterationAndBuffer" || status === "StopIterationAndWatermark") d.buffer = seen;
      this.flushDeferred();
      return;
    }
    if (this.halted(d)) return;
    this.dataToTerminal(d, data, endStream && !d.trailers);
    // Trailers a filter added from its end-of-stream data callback follow the body (Envoy
    // addDecodedTrailers / addEncodedTrailers), starting after the filter that added them.
    if (endStream && d.trailers && !this.halted(d)) this.runTrailers(d, d.trailersReached + 1);
  }

  private dataToTerminal(d: DirectionState, data: Buffer, end: boolean): void {
    this.headersToTerminal(d, false);
    if (d === this.dec) this.opts.decoderTerminal.decodeData(data, end);
    else {
      this.opts.encoderTerminal.encodeData(data, end);
      if (end) this.encodeEnded();
    }
  }

  private runTrailers(d: DirectionState, from: number): void {
    const order = this.order(d);
    for (let pos = Math.max(from, d.trailersReached + 1); pos < order.length; pos++) {
      if (this.halted(d)) return;
      // Held behind headers or a StopAll filter; the continue at that filter delivers them.
      if (d.headersContinuedTo < pos || d.iteration[pos] === "StopAll") return;
      const f = this.filters[order[pos]];
      const status: TrailersStatus = this.call(d, pos, () => (d === this.dec ? f.decodeTrailers(d.trailers!) : f.encodeTrailers(d.trailers!)));
      d.trailersReached = pos;
      if (this.stopRequested()) {
        d.iteration[pos] = "StopAll";
        this.flushDeferred();
        return;
      }
      if (status === "Continue" || this.takeContinue(d, pos)) {
        this.flushDeferred();
        if (d.iteration[pos] === "StopSingle") {
          this.continueAt(d, pos);
          return;
        }
        continue;
      }
      d.iteration[pos] = "StopSingle";
      d.stoppedAt = pos;
      this.flushDeferred();
      return;
    }
    if (this.halted(d)) return;
    this.headersToTerminal(d, false);
    if (d === this.dec) this.opts.decoderTerminal.decodeTrailers(d.trailers!);
    else {
      this.opts.encoderTerminal.encodeTrailers(d.trailers!);
      this.encodeEnded();
    }
  }

  /**
   * Envoy's commonContinue for the filter at `pos`: held headers go to the next filters, then the
   * buffered body, then trailers. After StopAll the body and trailers start at this very filter
   * (it has not seen them yet, Envoy's iterate_from_current_filter); after StopIteration at the next.
   */
  private continueAt(d: DirectionState, pos: number): void {
    if (this.halted(d) || d.iteration[pos] === "Continue") return;
    const wasAll = d.iteration[pos] === "StopAll";
    d.iteration[pos] = "Continue";
    const body = d.stoppedAt === pos ? d.buffer : undefined;
    if (d.stoppedAt === pos) {
      d.buffer = undefined;
      d.stoppedAt = -1;
    }
    const start = wasAll ? pos : pos + 1;
    if (d.headersContinuedTo <= pos && !d.headersSent) {
      this.runHeaders(d, pos + 1, body !== undefined);
      if (this.halted(d)) return;
    }
    if (body !== undefined) {
      this.runData(d, start, body, d.complete && !d.trailers);
      if (this.halted(d)) return;
    }
    if (d.trailers && d.buffer === undefined) this.runTrailers(d, start);
  }

  /** A continue requested during the same callback counts as Continue (deferred actions run after the call). */
  private pendingContinue = new Set<string>();
  private stopNext = false;

  private takeContinue(d: DirectionState, pos: number): boolean {
    const key = `${d === this.dec ? "d" : "e"}${pos}`;
    if (this.pendingContinue.has(key)) {
      this.pendingContinue.delete(key);
      return true;
    }
    return false;
  }

  private encodeEnded(): void {
    if (this.enc.ended) return;
    this.enc.ended = true;
    this.opts.decoderTerminal.abort();
    this.finish();
  }

  /** Access-log phase then destroy, once, after the current call stack unwinds. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.streamInfo.durationNs = process.hrtime.bigint() - this.startHr;
    this.streamInfo.grpcStatus = streamGrpcStatus(this.enc.trailers, this.enc.headers, this.streamInfo.responseCode);
    // Envoy's request.total_size / response.total_size: body bytes plus HeaderMap::byteSize() (keys and
    // values) of the request headers, and of the response headers and trailers.
    this.streamInfo.requestTotalBytes = this.streamInfo.requestBytes + headerBytes(this.dec.headers);
    this.streamInfo.responseTotalBytes = this.streamInfo.responseBytes + headerBytes(this.enc.headers) + headerBytes(this.enc.trailers);
    queueMicrotask(() => {
      for (const f of this.filters) {
        try { f.log(); } catch (e) { console.error("filter log() threw:", e); }
      }
      for (const f of this.filters) {
        try { f.onDestroy(); } catch (e) { console.error("filter onDestroy() threw:", e); }
      }
      this.destroyed = true;
      this.opts.onComplete?.();
    });
  }

  get isDestroyed(): boolean { return this.destroyed; }

  // ---------------------------------------------------------------------------------------------

  private callbacksFor(index: number): HttpFilterCallbacks {
    const n = this.opts.filters.length;
    const decPos = index;
    const encPos = n - 1 - index;
    const fm = this;
    const viewOrBuffer = (d: DirectionState, pos: number): Buffer | undefined => {
      if (d.view && d.view.at === pos) return d.view.buf;
      return d.stoppedAt === pos ? d.buffer : undefined;
    };
    const setBody = (d: DirectionState, pos: number, b: Buffer) => {
      if (d.view && d.view.at === pos) d.view.buf = b;
      else d.buffer = b;
    };
    const continueOrDefer = (d: DirectionState, pos: number) => {
      if (d.inCallback === pos) {
        fm.pendingContinue.add(`${d === fm.dec ? "d" : "e"}${pos}`);
        return;
      }
      if (d.inCallback !== -1 || fm.dec.inCallback !== -1 || fm.enc.inCallback !== -1) {
        fm.deferred.push(() => fm.continueAt(d, pos));
        return;
      }
      fm.continueAt(d, pos);
    };
    const addTrailers = (d: DirectionState, pos: number): HeaderList => {
      if (!d.trailers) {
        d.trailers = [];
        d.trailersReached = pos;
      }
      return d.trailers;
    };
    const deferIfBusy = (fn: () => void) => {
      if (fm.dec.inCallback !== -1 || fm.enc.inCallback !== -1) fm.deferred.push(fn);
      else fn();
    };
    return {
      streamInfo: this.streamInfo,
      continueDecoding: () => continueOrDefer(fm.dec, decPos),
      continueEncoding: () => continueOrDefer(fm.enc, encPos),
      sendLocalReply: (status, body, headers, grpcStatus, details) => {
        // Envoy: the filter that sends a local reply stops iteration regardless of what it returns.
        if (fm.dec.inCallback !== -1 || fm.enc.inCallback !== -1) fm.stopNext = true;
        deferIfBusy(() => fm.sendLocalReply(status, body, headers, grpcStatus, details));
      },
      resetStream: (details) => {
        if (fm.dec.inCallback !== -1 || fm.enc.inCallback !== -1) fm.stopNext = true;
        deferIfBusy(() => fm.reset(details));
      },
      requestHeaders: () => fm.dec.headers,
      responseHeaders: () => fm.enc.headers,
      requestTrailers: () => fm.dec.trailers,
      responseTrailers: () => fm.enc.trailers,
      addRequestTrailers: () => addTrailers(fm.dec, decPos),
      addResponseTrailers: () => addTrailers(fm.enc, encPos),
      requestBody: () => viewOrBuffer(fm.dec, decPos),
      responseBody: () => viewOrBuffer(fm.enc, encPos),
      setRequestBody: (b) => setBody(fm.dec, decPos, b),
      setResponseBody: (b) => setBody(fm.enc, encPos, b),
    };
  }
}

/** Envoy's HTTP -> gRPC status mapping for local replies (Grpc::Utility::httpToGrpcStatus). */
function grpcStatusHeader(h: HeaderList | undefined): number | undefined {
  const v = h?.find(([k]) => k === "grpc-status")?.[1];
  if (v === undefined || v === "") return undefined;
  const n = /^\s*\+?\d+\s*$/.test(v) ? Number(v) : -1;
  return n > 16 ? -1 : n;
}

/**
 * The stream's gRPC status as Envoy derives it (Grpc::Common::getGrpcStatus(trailers, headers, info)):
 * grpc-status of the response trailers, else of the response headers (trailers-only), else the
 * response code through httpToGrpcStatus; -1 (InvalidCode) for a non-numeric or > 16 value.
 */
export function streamGrpcStatus(trailers: HeaderList | undefined, headers: HeaderList | undefined, code: number | undefined): number | undefined {
  return grpcStatusHeader(trailers) ?? grpcStatusHeader(headers) ?? (code === undefined ? undefined : httpToGrpcStatus(code));
}

export function httpToGrpcStatus(http: number): number {
  switch (http) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: return 14;
    case 502: return 14;
    case 503: return 14;
    case 504: return 14;
    default: return 2;
  }
}

