// Static clusters: endpoint choice (round robin), upstream connections over HTTP/1.1 (keep-alive
// agents), HTTP/2 (one session per endpoint, h2c or h2 via ALPN) and raw TCP, each optionally in
// TLS from the cluster's UpstreamTlsContext; plus proxy_http_call's real HTTP (ClusterManager).
import http from "node:http";
import https from "node:https";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import type { ClusterManager, HeaderList, HttpCalloutResponse, StatsStore, UpstreamInfo } from "../api";
import type { ClusterModel, EndpointModel } from "./bootstrap";
import { clientTlsOptions, sanList, sanMatches } from "./tls";

export type UpstreamProtocol = "HTTP1" | "HTTP2";

export class ClusterError extends Error {
  constructor(readonly flag: string, readonly details: string, message: string) { super(message); }
}

export class Cluster {
  private rr = 0;
  private agent: http.Agent;
  private sessions = new Map<string, http2.ClientHttp2Session>();
  constructor(readonly model: ClusterModel, private portMap: (p: number) => number) {
    // No TLS session resumption: a resumed session carries no peer certificate for the SAN check.
    const opts = { keepAlive: true, maxSockets: 64, maxCachedSessions: 0 };
    this.agent = model.tls ? new https.Agent(opts) : new http.Agent(opts);
  }

  get name(): string { return this.model.name; }

  pickEndpoint(): EndpointModel | undefined {
    const eps = this.model.endpoints;
    if (!eps.length) return undefined;
    return eps[this.rr++ % eps.length];
  }

  hostPort(ep: EndpointModel): { host: string; port: number } {
    return { host: ep.address.address, port: this.portMap(ep.address.port) };
  }

  upstreamInfo(ep: EndpointModel): UpstreamInfo {
    const { host, port } = this.hostPort(ep);
    return {
      address: `${host}:${port}`, localAddress: "", clusterName: this.name, clusterMetadata: this.model.metadata,
      hostMetadata: ep.metadata, tlsVersion: "", uriSanPeerCertificate: [],
    };
  }

  /**
   * TLS facts per upstream socket, read once right after the handshake: node does not reliably
   * hand out the peer certificate again on a kept-alive socket.
   */
  private facts = new WeakMap<net.Socket, { tlsVersion: string; uriSans: string[]; localUriSans: string[]; sanOk: boolean }>();

  private tlsFacts(sock: tls.TLSSocket) {
    let f = this.facts.get(sock);
    if (!f) {
      const peer = sock.getPeerX509Certificate?.();
      f = {
        tlsVersion: sock.getProtocol() ?? "", uriSans: sanList(peer, "URI"), localUriSans: sanList(sock.getX509Certificate?.(), "URI"),
        sanOk: !this.model.tls || sanMatches(this.model.tls.matchSubjectAltNames, peer),
      };
      this.facts.set(sock, f);
    }
    return f;
  }

  /** Fills upstream TLS/local-address facts once the socket is connected. */
  describeSocket(sock: net.Socket, info: UpstreamInfo): void {
    info.localAddress = `${sock.localAddress}:${sock.localPort}`;
    if (sock instanceof tls.TLSSocket) {
      const f = this.tlsFacts(sock);
      info.tlsVersion = f.tlsVersion;
      info.uriSanPeerCertificate = f.uriSans;
      info.uriSanLocalCertificate = f.localUriSans;
    }
  }

  private checkSans(sock: tls.TLSSocket): Error | undefined {
    if (this.tlsFacts(sock).sanOk) return undefined;
    return new ClusterError("UF", "upstream_reset_before_response_started{connection_failure,TLS_error:_SAN_mismatch}",
      `cluster ${this.name}: upstream certificate SANs do not match match_typed_subject_alt_names`);
  }

  /** HTTP/1.1 request options (Node http.request) for an endpoint. */
  http1Options(ep: EndpointModel): http.RequestOptions & tls.ConnectionOptions {
    const { host, port } = this.hostPort(ep);
    const base: http.RequestOptions = { host, port, agent: this.agent, timeout: this.model.connectTimeoutMs };
    if (!this.model.tls) return base as http.RequestOptions & tls.ConnectionOptions;
    return { ...base, ...clientTlsOptions(this.model.tls, ["http/1.1"]) } as http.RequestOptions & tls.ConnectionOptions;
  }

  /** Opens (or reuses) the HTTP/2 session to an endpoint. */
  http2Session(ep: EndpointModel): Promise<http2.ClientHttp2Session> {
    const { host, port } = this.hostPort(ep);
    const key = `${host}:${port}`;
    const existing = this.sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const tlsCtx = this.model.tls;
      const authority = `${tlsCtx ? "https" : "http"}://${host}:${port}`;
      const session = http2.connect(authority, {
        createConnection: () => (tlsCtx
          ? tls.connect({ host, port, ...clientTlsOptions(tlsCtx, ["h2"]) })
          : net.connect({ host, port })),
      });
      const timer = setTimeout(() => {
        session.destroy();
        reject(new ClusterError("UF", "upstream_reset_before_response_started{connection_timeout}", `cluster ${this.name}: connect timeout to ${key}`));
      }, this.model.connectTimeoutMs);
      session.once("connect", (_s, sock) => {
        clearTimeout(timer);
        const bad = sock instanceof tls.TLSSocket ? this.checkSans(sock) : undefined;
        if (bad) {
          session.destroy();
          reject(bad);
          return;
        }
        this.sessions.set(key, session);
        session.on("close", () => { if (this.sessions.get(key) === session) this.sessions.delete(key); });
        resolve(session);
      });
      session.once("error", (e) => {
        clearTimeout(timer);
        if (this.sessions.get(key) === session) this.sessions.delete(key);
        reject(new ClusterError("UF", "upstream_reset_before_response_started{remote_connection_failure}", `cluster ${this.name}: ${e.message}`));
      });
    });
  }

  /** Raw TCP (tcp_proxy), TLS if configured. Resolves once connected (and the handshake checked). */
  connectTcp(ep: EndpointModel): Promise<net.Socket> {
    const { host, port } = this.hostPort(ep);
    return new Promise((resolve, reject) => {
      const tlsCtx = this.model.tls;
      const sock: net.Socket = tlsCtx
        ? tls.connect({ host, port, allowHalfOpen: true, ...clientTlsOptions(tlsCtx, tlsCtx.alpn) } as tls.ConnectionOptions)
        : net.connect({ host, port, allowHalfOpen: true });
      const timer = setTimeout(() => { sock.destroy(); reject(new ClusterError("UF", "connection_timeout", `cluster ${this.name}: connect timeout`)); }, this.model.connectTimeoutMs);
      sock.once(tlsCtx ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        const bad = sock instanceof tls.TLSSocket ? this.checkSans(sock) : undefined;
        if (bad) { sock.destroy(); reject(bad); return; }
        resolve(sock);
      });
      sock.once("error", (e) => { clearTimeout(timer); reject(new ClusterError("UF", "connection_failure", `cluster ${this.name}: ${e.message}`)); });
    });
  }

  checkHttp1Socket(sock: net.Socket): Error | undefined {
    return sock instanceof tls.TLSSocket ? this.checkSans(sock) : undefined;
  }

  close(): void {
    this.agent.destroy();
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
  }
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "http2-settings"]);

/** Header list -> Node outgoing headers for HTTP/1 (pseudo-headers become the request line / Host). */
export function toHttp1Headers(headers: HeaderList): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of headers) {
    if (k.startsWith(":") || HOP_BY_HOP.has(k) || k === "te") continue;
    const cur = out[k];
    out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  const authority = headers.find(([k]) => k === ":authority")?.[1];
  if (authority !== undefined) out.host = authority;
  return out;
}

/** Header list -> Node http2 headers object (multi-valued keys become arrays). */
export function toHttp2Headers(headers: HeaderList): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const [k, v] of headers) {
    if (HOP_BY_HOP.has(k) || k === "host" || (k === "te" && v !== "trailers")) continue;
    const cur = out[k];
    out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [String(cur), v];
  }
  return out;
}

/** Node's raw header array ([k, v, k, v...]) -> HeaderList with lower-case keys. */
export function fromRaw(raw: string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

/** Node http2 headers object -> HeaderList (pseudo-headers first, arrays expanded). */
export function fromHttp2Object(h: http2.IncomingHttpHeaders | http2.IncomingHttpStatusHeader): HeaderList {
  const out: HeaderList = [];
  const keys = Object.keys(h).sort((a, b) => Number(!a.startsWith(":")) - Number(!b.startsWith(":")));
  for (const k of keys) {
    const v = (h as Record<string, unknown>)[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push([k.toLowerCase(), String(x)]);
    else out.push([k.toLowerCase(), String(v)]);
  }
  return out;
}

export class Clusters implements ClusterManager {
  private map = new Map<string, Cluster>();
  constructor(models: ClusterModel[], portMap: (p: number) => number, private stats?: StatsStore) {
    for (const m of models) this.map.set(m.name, new Cluster(m, portMap));
  }

  get(name: string): Cluster | undefined { return this.map.get(name); }
  has(cluster: string): boolean { return this.map.has(cluster); }

  /** proxy_http_call: a real HTTP request to one endpoint of the cluster (HTTP/2 if the cluster says so). */
  async httpCall(cluster: string, headers: HeaderList, body: Uint8Array, trailers: HeaderList, timeoutMs: number): Promise<HttpCalloutResponse> {
    const c = this.map.get(cluster);
    if (!c) throw new Error(`unknown cluster ${cluster}`);
    const ep = c.pickEndpoint();
    if (!ep) throw new Error(`cluster ${cluster} has no healthy upstream`);
    this.stats?.counterAdd(`cluster.${cluster}.upstream_rq_total`, 1);
    const hdrs: HeaderList = headers.filter(([k]) => k !== "content-length");
    if (body.length) hdrs.push(["content-length", String(body.length)]);
    const withTimeout = <T>(p: Promise<T>, cancel: () => void): Promise<T> => {
      if (!timeoutMs) return p;
      return new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => { cancel(); reject(new Error("timeout")); }, timeoutMs);
        p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
      });
    };
    if (c.model.httpProtocol === "HTTP2") {
      const session = await c.http2Session(ep);
      const req = session.request(toHttp2Headers(hdrs), { endStream: false, waitForTrailers: trailers.length > 0 });
      if (trailers.length) req.once("wantTrailers", () => req.sendTrailers(toHttp2Headers(trailers)));
      req.end(Buffer.from(body));
      return withTimeout(new Promise<HttpCalloutResponse>((resolve, reject) => {
        let rh: HeaderList = [];
        let rt: HeaderList = [];
        const chunks: Buffer[] = [];
        req.on("response", (h: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader, _f: number, raw?: unknown) => { rh = raw ? fromRaw(raw as unknown as string[]) : fromHttp2Object(h); });
        req.on("trailers", (t) => { rt = fromHttp2Object(t); });
        req.on("data", (d: Buffer) => chunks.push(d));
        req.on("end", () => resolve({ headers: rh, body: Buffer.concat(chunks), trailers: rt }));
        req.on("error", reject);
      }), () => req.close(http2.constants.NGHTTP2_CANCEL));
    }
    let request: http.ClientRequest | undefined;
    const p = new Promise<HttpCalloutResponse>((resolve, reject) => {
      const method = hdrs.find(([k]) => k === ":method")?.[1] ?? "GET";
      const reqPath = hdrs.find(([k]) => k === ":path")?.[1] ?? "/";
      const mod = c.model.tls ? https : http;
      request = mod.request({ ...c.http1Options(ep), method, path: reqPath, headers: toHttp1Headers(hdrs) }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => resolve({
          headers: [[":status", String(res.statusCode)], ...fromRaw(res.rawHeaders)],
          body: Buffer.concat(chunks),
          trailers: fromRaw(res.rawTrailers),
        }));
        res.on("error", reject);
      });
      request.on("error", reject);
      request.end(Buffer.from(body));
    });
    return withTimeout(p, () => request?.destroy());
  }

  close(): void {
    for (const c of this.map.values()) c.close();
  }
}
