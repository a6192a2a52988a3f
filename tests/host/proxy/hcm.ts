// Envoy's http_connection_manager for one listener: codec selection (HTTP/1.1, h2c by preface
// sniffing with codec_type AUTO, h2 over TLS by ALPN), the headers the HCM adds before filters
// run (:scheme, x-forwarded-proto, x-request-id; Host -> :authority), one FilterManager per
// stream ending in the router, and the response mutations applied after the filters (server).
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { randomUUID } from "node:crypto";
import type { ConnectionInfo, HeaderList, HttpFilter, HttpFilterCallbacks, LoadedPlugin, StatsStore, StreamInfo } from "../api";
import type { HcmModel, ListenerModel } from "./bootstrap";
import type { Clusters } from "./cluster_manager";
import { fromHttp2Object, fromRaw, toHttp2Headers } from "./cluster_manager";
import { FilterManager, type EncoderTerminal } from "./filter_manager";
import { Router } from "./router";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const META = "__istioWasmHostConn";
interface ConnMeta { info: ConnectionInfo; worker: number; tls: boolean; }
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

export interface HcmDeps {
  listener: ListenerModel;
  model: HcmModel;
  clusters: Clusters;
  stats: StatsStore;
  /** One entry per http_filters[] wasm filter, in order. */
  plugins: LoadedPlugin[];
  /** Active-stream bookkeeping so the proxy can wait for / reset streams at shutdown. */
  track: (fm: FilterManager) => void;
  untrack: (fm: FilterManager) => void;
}

export function newStreamInfo(conn: ConnectionInfo, listener: ListenerModel, protocol: string): StreamInfo {
  return {
    connection: conn,
    listenerDirection: listener.direction,
    listenerMetadata: listener.metadata,
    routeName: "",
    routeMetadata: {},
    virtualHostName: "",
    filterChainName: listener.filterChainName,
    protocol,
    startTimeNs: BigInt(Date.now()) * 1_000_000n,
    requestBytes: 0,
    requestTotalBytes: 0,
    responseCodeDetails: "",
    responseFlags: [],
    responseBytes: 0,
    responseTotalBytes: 0,
    bytesReceived: 0,
    bytesSent: 0,
    filterState: new Map(),
    dynamicMetadata: {},
  };
}

export class HttpConnectionManager {
  private h1 = http.createServer({ keepAlive: true } as http.ServerOptions);
  private h2 = http2.createServer();
  private sessions = new Set<http2.ServerHttp2Session>();

  constructor(private deps: HcmDeps) {
    this.h1.on("request", (req, res) => this.onH1Request(req, res));
    // rawHeaders keeps repeated headers apart, as Envoy's header map does.
    this.h2.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders?: unknown) =>
      this.onH2Stream(stream, headers, rawHeaders as string[] | undefined));
    this.h2.on("sessionError", () => { /* the session is torn down by node */ });
    this.h2.on("session", (s) => { this.sessions.add(s); s.on("close", () => this.sessions.delete(s)); });
    this.h1.on("clientError", (_e, sock) => sock.destroy());
  }

  private get prefix(): string { return `http.${this.deps.model.statPrefix}`; }

  /** A downstream connection the listener accepted (plain or TLS, already handshaken). */
  handleConnection(sock: net.Socket, info: ConnectionInfo, worker: number, alpn: string | false | undefined): void {
    const meta = { info, worker, tls: info.tlsVersion !== "" };
    this.deps.stats.counterAdd(`${this.prefix}.downstream_cx_total`, 1);
    const codec = this.deps.model.codecType;
    if (alpn === "h2" || codec === "HTTP2") return this.toH2(sock, meta);
    if (alpn === "http/1.1" || codec === "HTTP1") return this.toH1(sock, meta);
    // codec_type AUTO without a negotiated protocol (plaintext, or TLS without ALPN): Envoy looks
    // for the HTTP/2 connection preface.
    let seen = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      seen = Buffer.concat([seen, d]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      if (seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n)) && seen.length < H2_PREFACE.length) return;
      sock.off("data", onData);
      sock.pause();
      sock.unshift(seen);
      if (seen.subarray(0, H2_PREFACE.length).equals(H2_PREFACE)) this.toH2(sock, meta);
      else this.toH1(sock, meta);
    };
    sock.on("data", onData);
  }

  private toH1(sock: net.Socket, meta: ConnMeta): void {
    (sock as unknown as Record<string, unknown>)[META] = meta;
    this.h1.emit("connection", sock);
    sock.resume();
  }

  private toH2(sock: net.Socket, meta: ConnMeta): void {
    // node's http2 hands out a proxy of the socket; plain property reads pass through it.
    (sock as unknown as Record<string, unknown>)[META] = meta;
    this.h2.emit("connection", sock);
  }

  /** Filters + router for one stream. */
  private newStream(meta: ConnMeta, protocol: "HTTP1" | "HTTP2", encoder: EncoderTerminal): FilterManager {
    const si = newStreamInfo(meta.info, this.deps.listener, protocol === "HTTP2" ? "HTTP/2" : "HTTP/1.1");
    const router = new Router({
      clusters: this.deps.clusters, stats: this.deps.stats, virtualHosts: this.deps.model.virtualHosts,
      routeConfigName: this.deps.model.routeConfigName, downstreamProtocol: protocol,
    });
    const started = process.hrtime.bigint();
    const factories = this.deps.plugins.map((p) => (cb: HttpFilterCallbacks): HttpFilter => p.newHttpFilter(meta.worker, cb));
    const fm: FilterManager = new FilterManager({
      streamInfo: si, filters: factories, decoderTerminal: router, encoderTerminal: encoder,
      onComplete: () => {
        this.deps.untrack(fm);
        const code = si.responseCode;
        if (code !== undefined) this.deps.stats.counterAdd(`${this.prefix}.downstream_rq_${Math.floor(code / 100)}xx`, 1);
        this.deps.stats.counterAdd(`${this.prefix}.downstream_rq_completed`, 1);
        this.deps.stats.histogramRecord(`${this.prefix}.downstream_rq_time`, Number((process.hrtime.bigint() - started) / 1_000_000n));
      },
    });
    router.attach(fm);
    this.deps.stats.counterAdd(`${this.prefix}.downstream_rq_total`, 1);
    this.deps.stats.counterAdd(`${this.prefix}.downstream_rq_${protocol === "HTTP2" ? "http2" : "http1"}_total`, 1);
    this.deps.track(fm);
    return fm;
  }

  /** Headers the HCM adds before any filter runs (use_remote_address false, Envoy defaults). */
  private mutateRequest(h: HeaderList, tls: boolean): void {
    const connScheme = tls ? "https" : "http";
    if (!h.some(([k]) => k === "x-forwarded-proto")) h.push(["x-forwarded-proto", connScheme]);
    // Envoy (ConnectionManagerUtility): a missing :scheme comes from x-forwarded-proto when that is
    // http/https, else from the connection's encryption.
    const xfp = h.find(([k]) => k === "x-forwarded-proto")![1].toLowerCase();
    if (!h.some(([k]) => k === ":scheme")) h.push([":scheme", xfp === "http" || xfp === "https" ? xfp : connScheme]);
    if (this.deps.model.generateRequestId && !h.some(([k]) => k === "x-request-id")) h.push(["x-request-id", randomUUID()]);
  }

  private onH1Request(req: http.IncomingMessage, res: http.ServerResponse): void {
    const meta = (req.socket as unknown as Record<string, ConnMeta | undefined>)[META];
    if (!meta) { res.destroy(); return; }
    const h: HeaderList = [];
    const raw = fromRaw(req.rawHeaders);
    const host = raw.find(([k]) => k === "host")?.[1];
    if (host !== undefined) h.push([":authority", host]);
    h.push([":path", req.url ?? "/"], [":method", req.method ?? "GET"]);
    for (const [k, v] of raw) if (k !== "host" && !HOP_BY_HOP.has(k)) h.push([k, v]);
    this.mutateRequest(h, meta.tls);
    const te = req.headers["transfer-encoding"];
    const cl = req.headers["content-length"];
    const endStream = te === undefined && (cl === undefined || cl === "0");
    let ended = false;
    const fm = this.newStream(meta, "HTTP1", {
      encodeHeaders: (headers, end) => {
        const status = Number(headers.find(([k]) => k === ":status")?.[1] ?? 200);
        const out: Array<[string, string]> = [];
        for (const [k, v] of headers) if (!k.startsWith(":") && !HOP_BY_HOP.has(k) && k !== "server") out.push([k, v]);
        out.push(["server", "envoy"]);
        res.writeHead(status, out.flat());
        if (end) { ended = true; res.end(); }
      },
      encodeData: (d, end) => {
        fm.streamInfo.responseBytes += d.length;
        fm.streamInfo.responseTotalBytes += d.length;
        if (end) { ended = true; res.end(d); } else res.write(d);
      },
      encodeTrailers: (t) => {
        const o: Record<string, string> = {};
        for (const [k, v] of t) o[k] = v;
        res.addTrailers(o);
        ended = true;
        res.end();
      },
      reset: () => { ended = true; res.destroy(); },
    });
    fm.decodeHeaders(h, endStream);
    if (endStream) { req.resume(); } else {
      req.on("data", (d: Buffer) => fm.decodeData(d, false));
      req.on("end", () => {
        const t = fromRaw(req.rawTrailers);
        if (t.length) fm.decodeTrailers(t);
        else fm.decodeData(Buffer.alloc(0), true);
      });
    }
    res.on("close", () => { if (!ended && !fm.isDone) fm.reset("downstream_remote_disconnect", "DC"); });
  }

  private onH2Stream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders?: string[]): void {
    const m = (stream.session?.socket as unknown as Record<string, ConnMeta | undefined> | undefined)?.[META];
    if (!m) { stream.close(http2.constants.NGHTTP2_REFUSED_STREAM); return; }
    const h = (rawHeaders ? fromRaw(rawHeaders) : fromHttp2Object(headers)).filter(([k]) => !HOP_BY_HOP.has(k));
    const host = h.findIndex(([k]) => k === "host");
    if (host >= 0) {
      if (!h.some(([k]) => k === ":authority")) h.unshift([":authority", h[host][1]]);
      h.splice(h.findIndex(([k]) => k === "host"), 1);
    }
    this.mutateRequest(h, m.tls);
    let pendingTrailers: HeaderList | undefined;
    let ended = false;
    const fm = this.newStream(m, "HTTP2", {
      encodeHeaders: (hs, end) => {
        const o = toHttp2Headers(hs.filter(([k]) => k !== "server"));
        o.server = "envoy";
        if (stream.destroyed || stream.closed) return;
        stream.respond(o, { endStream: end, waitForTrailers: !end });
        if (end) ended = true;
      },
      encodeData: (d, end) => {
        fm.streamInfo.responseBytes += d.length;
        fm.streamInfo.responseTotalBytes += d.length;
        if (stream.destroyed || stream.closed) return;
        if (end) { ended = true; stream.end(d); } else stream.write(d);
      },
      encodeTrailers: (t) => {
        pendingTrailers = t;
        ended = true;
        if (!stream.destroyed && !stream.closed) stream.end();
      },
      reset: () => { ended = true; if (!stream.closed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR); },
    });
    stream.on("wantTrailers", () => stream.sendTrailers(pendingTrailers?.length ? toHttp2Headers(pendingTrailers) : {}));
    const endStream = stream.endAfterHeaders;
    let reqTrailers: HeaderList | undefined;
    fm.decodeHeaders(h, endStream);
    if (!endStream) {
      stream.on("data", (d: Buffer) => fm.decodeData(d, false));
      stream.on("trailers", (t) => { reqTrailers = fromHttp2Object(t); });
      stream.on("end", () => {
        if (reqTrailers?.length) fm.decodeTrailers(reqTrailers);
        else fm.decodeData(Buffer.alloc(0), true);
      });
    } else stream.resume();
    stream.on("error", () => { /* surfaced as close below */ });
    stream.on("close", () => { if (!ended && !fm.isDone) fm.reset("downstream_remote_disconnect", "DC"); });
  }

  close(): void {
    this.h1.closeAllConnections?.();
    for (const s of this.sessions) s.destroy();
    this.sessions.clear();
  }
}
