// Envoy's router filter as the terminal of the decoder chain: virtual-host and route matching,
// direct responses, the upstream request over HTTP/1.1 or HTTP/2 (h2c or TLS+ALPN), response
// flags and local replies for the failures Envoy names (NR 404, NC/UH 503, UF 503, UT 504).
import http from "node:http";
import https from "node:https";
import http2 from "node:http2";
import type { HeaderList, StatsStore } from "../api";
import type { RouteModel, VirtualHostModel } from "./bootstrap";
import { Cluster, ClusterError, Clusters, fromHttp2Object, fromRaw, toHttp1Headers, toHttp2Headers } from "./cluster_manager";
import type { DecoderTerminal, FilterManager } from "./filter_manager";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

function header(h: HeaderList, name: string): string | undefined {
  return h.find(([k]) => k === name)?.[1];
}

/** Envoy's domain search: exact, then longest suffix wildcard, then longest prefix wildcard, then "*". */
export function selectVirtualHost(vhosts: VirtualHostModel[], authority: string): VirtualHostModel | undefined {
  const host = authority.toLowerCase();
  const tries = [host];
  // Envoy also matches without the port when the domain list has no port (ignore_port_in_host_matching
  // is not set here, so only exact port-less matches are retried for hosts carrying a port).
  const noPort = host.replace(/:\d+$/, "");
  if (noPort !== host) tries.push(noPort);
  for (const h of tries) {
    const exact = vhosts.find((v) => v.domains.includes(h));
    if (exact) return exact;
    let best: { v: VirtualHostModel; len: number } | undefined;
    for (const v of vhosts) for (const d of v.domains) {
      if (d.length > 1 && d.startsWith("*") && h.endsWith(d.slice(1)) && h.length > d.length - 1 && (!best || d.length > best.len)) best = { v, len: d.length };
    }
    if (best) return best.v;
    for (const v of vhosts) for (const d of v.domains) {
      if (d.length > 1 && d.endsWith("*") && h.startsWith(d.slice(0, -1)) && h.length > d.length - 1 && (!best || d.length > best.len)) best = { v, len: d.length };
    }
    if (best) return best.v;
  }
  return vhosts.find((v) => v.domains.includes("*"));
}

export function matchRoute(vh: VirtualHostModel, headers: HeaderList): RouteModel | undefined {
  const fullPath = header(headers, ":path") ?? "/";
  const pathOnly = fullPath.split("?")[0];
  return vh.routes.find((r) => {
    const m = r.match;
    if (m.prefix !== undefined && !pathOnly.startsWith(m.prefix)) return false;
    if (m.path !== undefined && pathOnly !== m.path) return false;
    if (m.grpc && !(header(headers, "content-type") ?? "").startsWith("application/grpc")) return false;
    for (const hm of m.headers) {
      const v = header(headers, hm.name);
      let ok = hm.present !== undefined ? (v !== undefined) === hm.present
        : v !== undefined && (hm.exact !== undefined ? v === hm.exact : v.startsWith(hm.prefix!));
      if (hm.invert) ok = !ok;
      if (!ok) return false;
    }
    return true;
  });
}

export interface RouterContext {
  clusters: Clusters;
  stats: StatsStore;
  virtualHosts: VirtualHostModel[];
  routeConfigName: string;
  downstreamProtocol: "HTTP1" | "HTTP2";
}

/** One router instance per stream. */
export class Router implements DecoderTerminal {
  private fm!: FilterManager;
  private h1?: http.ClientRequest;
  private h2?: http2.ClientHttp2Stream;
  private pending: Array<() => void> = [];
  private ready = false;
  private aborted = false;
  private responseStarted = false;
  private timer?: NodeJS.Timeout;
  private cluster?: Cluster;
  private started = 0n;

  constructor(private ctx: RouterContext) {}

  attach(fm: FilterManager): void { this.fm = fm; }

  decodeHeaders(headers: HeaderList, endStream: boolean): void {
    const si = this.fm.streamInfo;
    const vh = selectVirtualHost(this.ctx.virtualHosts, header(headers, ":authority") ?? "");
    const route = vh ? matchRoute(vh, headers) : undefined;
    if (!vh || !route) {
      this.fm.sendLocalReply(404, new Uint8Array(0), [], undefined, "route_not_found", "NR");
      return;
    }
    si.virtualHostName = vh.name;
    si.routeName = route.name;
    si.routeMetadata = route.metadata;
    if (route.directResponse) {
      this.fm.sendLocalReply(route.directResponse.status, Buffer.from(route.directResponse.body), [], undefined, "direct_response");
      return;
    }
    const cluster = this.ctx.clusters.get(route.cluster!);
    if (!cluster) {
      this.fm.sendLocalReply(503, new Uint8Array(0), [], undefined, "cluster_not_found", "NC");
      return;
    }
    this.cluster = cluster;
    const ep = cluster.pickEndpoint();
    if (!ep) {
      this.fm.sendLocalReply(503, Buffer.from("no healthy upstream"), [], undefined, "no_healthy_upstream", "UH");
      return;
    }
    si.upstream = cluster.upstreamInfo(ep);
    this.count("upstream_rq_total");
    const up: HeaderList = headers.filter(([k]) => !HOP_BY_HOP.has(k) && k !== "x-envoy-expected-rq-timeout-ms");
    if (route.timeoutMs > 0) {
      // Router-set (replacing any from a previous hop), so filters never see it.
      up.push(["x-envoy-expected-rq-timeout-ms", String(route.timeoutMs)]);
      this.timer = setTimeout(() => this.onTimeout(), route.timeoutMs);
    }
    this.started = process.hrtime.bigint();
    const proto = cluster.model.httpProtocol === "DOWNSTREAM" ? this.ctx.downstreamProtocol : cluster.model.httpProtocol;
    if (proto === "HTTP2") this.startH2(cluster, ep, up, endStream);
    else this.startH1(cluster, ep, up, endStream);
  }

  decodeData(data: Buffer, endStream: boolean): void {
    this.whenReady(() => {
      if (this.h1) { if (endStream) this.h1.end(data); else this.h1.write(data); }
      else if (this.h2) { if (endStream) this.h2.end(data); else this.h2.write(data); }
    });
  }

  decodeTrailers(trailers: HeaderList): void {
    this.whenReady(() => {
      if (this.h1) {
        const t: Record<string, string> = {};
        for (const [k, v] of trailers) t[k] = v;
        this.h1.addTrailers(t);
        this.h1.end();
      } else if (this.h2) {
        this.h2Trailers = trailers;
        this.h2.end();
      }
    });
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    clearTimeout(this.timer);
    this.pending = [];
    if (this.h1 && !this.h1.writableFinished) this.h1.destroy();
    else if (this.h1 && !this.responseDone) this.h1.destroy();
    if (this.h2 && !this.h2.closed && !this.responseDone) this.h2.close(http2.constants.NGHTTP2_CANCEL);
  }

  // ---------------------------------------------------------------------------------------------

  private h2Trailers?: HeaderList;
  private responseDone = false;

  private count(stat: string): void {
    if (this.cluster) this.ctx.stats.counterAdd(`cluster.${this.cluster.name}.${stat}`, 1);
  }

  private whenReady(fn: () => void): void {
    if (this.aborted) return;
    if (this.ready) fn();
    else this.pending.push(fn);
  }

  private markReady(): void {
    this.ready = true;
    const p = this.pending;
    this.pending = [];
    for (const fn of p) fn();
  }

  private onTimeout(): void {
    if (this.aborted || this.responseDone) return;
    this.count("upstream_rq_timeout");
    if (this.responseStarted) {
      this.fm.reset("upstream_response_timeout", "UT");
      return;
    }
    this.fm.sendLocalReply(504, Buffer.from("upstream request timeout"), [], undefined, "upstream_response_timeout", "UT");
  }

  private onUpstreamError(e: Error): void {
    if (this.aborted || this.responseDone) return;
    clearTimeout(this.timer);
    if (this.responseStarted) {
      this.fm.reset("upstream_reset_after_response_started{remote_reset}", "UR");
      return;
    }
    const flag = e instanceof ClusterError ? e.flag : "UF";
    const details = e instanceof ClusterError ? e.details : "upstream_reset_before_response_started{remote_connection_failure}";
    this.count("upstream_cx_connect_fail");
    // Envoy's body for an upstream failure before headers.
    const body = `upstream connect error or disconnect/reset before headers. reset reason: ${flag === "UF" ? "remote connection failure" : "remote reset"}, transport failure reason: ${e.message}`;
    this.fm.sendLocalReply(503, Buffer.from(body), [], undefined, details, flag);
  }

  private onResponseHeaders(headers: HeaderList, end: boolean): void {
    if (this.aborted) return;
    this.responseStarted = true;
    const status = Number(header(headers, ":status"));
    this.count(`upstream_rq_${status}`);
    this.count(`upstream_rq_${Math.floor(status / 100)}xx`);
    this.fm.streamInfo.responseCodeDetails = "via_upstream";
    // Envoy's router sets (replaces) this header, so a second hop does not add another.
    const out: HeaderList = headers.filter(([k]) => !HOP_BY_HOP.has(k) && k !== "x-envoy-upstream-service-time");
    out.push(["x-envoy-upstream-service-time", String(Number((process.hrtime.bigint() - this.started) / 1_000_000n))]);
    if (end) this.finishResponse();
    this.fm.encodeHeaders(out, end);
  }

  private finishResponse(): void {
    this.responseDone = true;
    clearTimeout(this.timer);
    if (this.cluster) this.ctx.stats.histogramRecord(`cluster.${this.cluster.name}.upstream_rq_time`, Number((process.hrtime.bigint() - this.started) / 1_000_000n));
  }

  private startH1(cluster: Cluster, ep: Parameters<Cluster["http1Options"]>[0], headers: HeaderList, endStream: boolean): void {
    const mod = cluster.model.tls ? https : http;
    const req = mod.request({
      ...cluster.http1Options(ep),
      method: header(headers, ":method") ?? "GET",
      path: header(headers, ":path") ?? "/",
      headers: toHttp1Headers(headers),
    });
    this.h1 = req;
    req.on("socket", (sock) => {
      const onReady = () => {
        const bad = cluster.checkHttp1Socket(sock);
        if (bad) { req.destroy(bad); return; }
        if (this.fm.streamInfo.upstream) cluster.describeSocket(sock, this.fm.streamInfo.upstream);
      };
      if ((sock as { connecting?: boolean }).connecting) sock.once(cluster.model.tls ? "secureConnect" : "connect", onReady);
      else onReady();
    });
    req.on("response", (res) => {
      const method = header(headers, ":method");
      const noBody = method === "HEAD" || res.statusCode === 204 || res.statusCode === 304 || res.headers["content-length"] === "0";
      this.onResponseHeaders([[":status", String(res.statusCode)], ...fromRaw(res.rawHeaders)], noBody);
      if (noBody) { res.resume(); return; }
      res.on("data", (d: Buffer) => { if (!this.aborted) this.fm.encodeData(d, false); });
      res.on("end", () => {
        if (this.aborted) return;
        this.finishResponse();
        const t = fromRaw(res.rawTrailers);
        if (t.length) this.fm.encodeTrailers(t);
        else this.fm.encodeData(Buffer.alloc(0), true);
      });
      res.on("error", (e) => this.onUpstreamError(e));
    });
    req.on("error", (e) => this.onUpstreamError(e));
    if (endStream) req.end();
    this.markReady();
  }

  private startH2(cluster: Cluster, ep: Parameters<Cluster["http2Session"]>[0], headers: HeaderList, endStream: boolean): void {
    cluster.http2Session(ep).then((session) => {
      if (this.aborted) return;
      const socket = (session as unknown as { socket: import("node:net").Socket }).socket;
      if (this.fm.streamInfo.upstream && socket) cluster.describeSocket(socket, this.fm.streamInfo.upstream);
      const stream = session.request(toHttp2Headers(headers), { endStream, waitForTrailers: !endStream });
      this.h2 = stream;
      stream.on("wantTrailers", () => {
        // Empty trailers make Node end the stream with an empty DATA frame (END_STREAM).
        stream.sendTrailers(this.h2Trailers?.length ? toHttp2Headers(this.h2Trailers) : {});
      });
      let trailers: HeaderList | undefined;
      stream.on("response", (h: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader, _f: number, raw?: unknown) => this.onResponseHeaders(raw ? fromRaw(raw as unknown as string[]) : fromHttp2Object(h), stream.endAfterHeaders));
      stream.on("data", (d: Buffer) => { if (!this.aborted) this.fm.encodeData(d, false); });
      stream.on("trailers", (t) => { trailers = fromHttp2Object(t); });
      stream.on("end", () => {
        if (this.aborted || this.responseDone) return;
        this.finishResponse();
        if (trailers && trailers.length) this.fm.encodeTrailers(trailers);
        else this.fm.encodeData(Buffer.alloc(0), true);
      });
      stream.on("error", (e) => this.onUpstreamError(e));
      stream.on("close", () => {
        if (!this.responseDone && !this.aborted) this.onUpstreamError(new Error(`stream closed with code ${stream.rstCode}`));
      });
      this.markReady();
    }, (e: Error) => this.onUpstreamError(e));
  }
}
