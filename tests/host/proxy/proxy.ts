// One Envoy-like proxy instance started from a loaded bootstrap: wasm plugins loaded through the
// WasmRuntime (the wasm side of tests/host/api.ts), listeners on 127.0.0.1 (HCM or tcp_proxy, TLS
// from the filter chain's transport socket), static clusters, the admin port and a log sink.
import net from "node:net";
import tls from "node:tls";
import type http from "node:http";
import type { ConnectionInfo, LoadedPlugin, LogSink, StatsStore, WasmRuntime, WasmRuntimeOptions } from "../api";
import type { Bootstrap, ListenerModel } from "./bootstrap";
import { Clusters } from "./cluster_manager";
import { createAdminServer } from "./admin";
import { HttpConnectionManager } from "./hcm";
import { TcpProxy } from "./tcp_proxy";
import { sanMatches, serverTlsOptions, tlsConnectionFacts } from "./tls";
import type { FilterManager } from "./filter_manager";

export interface ProxyOptions {
  bootstrap: Bootstrap;
  stats: StatsStore;
  /** The wasm side: a runtime, or a factory given the proxy's ClusterManager/LogSink/stats. */
  runtime: WasmRuntime | ((opts: WasmRuntimeOptions) => WasmRuntime);
  /** Envoy --concurrency. */
  workers?: number;
  /** bootstrap port -> port actually used (0 = ephemeral). Applied to listeners, admin and endpoints. */
  portMap?: Record<number, number>;
  log?: LogSink;
  /** Address every socket binds to; only loopback is allowed here. */
  bindAddress?: string;
}

/** A LogSink that keeps every line and prints warnings and worse to stderr. */
export class MemoryLogSink implements LogSink {
  readonly lines: Array<{ level: number; message: string }> = [];
  constructor(private lvl = 2, private echoFrom = 3, private prefix = "") {}
  log(level: number, message: string): void {
    this.lines.push({ level, message });
    if (this.lines.length > 10000) this.lines.splice(0, 5000);
    if (level >= this.echoFrom) process.stderr.write(`${this.prefix}[${["trace", "debug", "info", "warning", "error", "critical"][level] ?? level}] ${message}\n`);
  }
  level(): number { return this.lvl; }
}

export class Proxy {
  readonly clusters: Clusters;
  readonly log: LogSink;
  private runtime?: WasmRuntime;
  private servers: net.Server[] = [];
  private admin?: http.Server;
  private sockets = new Set<net.Socket>();
  private streams = new Set<FilterManager>();
  private plugins: LoadedPlugin[] = [];
  private hcms: HttpConnectionManager[] = [];
  private ports = new Map<string, number>();
  private nextConnId = 1;
  private flushTimer?: NodeJS.Timeout;
  private ready = false;
  private readonly workers: number;

  constructor(private opts: ProxyOptions) {
    this.workers = opts.workers ?? 2;
    this.log = opts.log ?? new MemoryLogSink();
    this.clusters = new Clusters(opts.bootstrap.clusters, (p) => this.mapPort(p), opts.stats);
  }

  get stats(): StatsStore { return this.opts.stats; }
  get bootstrap(): Bootstrap { return this.opts.bootstrap; }

  private mapPort(p: number): number {
    const m = this.opts.portMap?.[p];
    return m === undefined ? p : m;
  }

  /** The port a listener (by name) is bound to. */
  listenerPort(name: string): number {
    const p = this.ports.get(name);
    if (p === undefined) throw new Error(`no listener named ${name}`);
    return p;
  }

  get adminPort(): number {
    const a = this.admin?.address();
    if (!a || typeof a === "string") throw new Error("admin is not listening");
    return a.port;
  }

  async start(): Promise<void> {
    const b = this.opts.bootstrap;
    const r = this.opts.runtime;
    this.runtime = typeof r === "function"
      ? r({ workers: this.workers, node: b.node, clusters: this.clusters, stats: this.opts.stats, log: this.log })
      : r;
    try {
      for (const l of b.listeners) await this.startListener(l);
      if (b.admin) {
        this.admin = createAdminServer(this.opts.stats, b.node, () => this.ready);
        await this.listen(this.admin, this.mapPort(b.admin.port));
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
    // Envoy flushes histograms to sinks/admin every stats_flush_interval (5 s by default).
    this.flushTimer = setInterval(() => this.opts.stats.flush(), 5000);
    this.flushTimer.unref();
    this.ready = true;
  }

  private async loadPlugins(l: ListenerModel, kind: "http" | "network"): Promise<LoadedPlugin[]> {
    const out: LoadedPlugin[] = [];
    for (const f of l.filters) {
      const configs = f.kind === "http_connection_manager" ? (kind === "http" ? f.httpFilters.filter((h) => h.kind === "wasm").map((h) => h.plugin!) : [])
        : f.kind === "wasm" && kind === "network" ? [f.plugin] : [];
      for (const c of configs) {
        // Envoy refuses to start when a plugin fails to load or configure.
        const p = await this.runtime!.loadPlugin(c, kind);
        this.plugins.push(p);
        out.push(p);
      }
    }
    return out;
  }

  private async startListener(l: ListenerModel): Promise<void> {
    const terminal = l.filters[l.filters.length - 1];
    let handle: (sock: net.Socket, info: ConnectionInfo, worker: number, alpn: string | false | undefined) => void;
    if (terminal.kind === "http_connection_manager") {
      if (l.filters.length > 1) throw new Error(`listener ${l.name}: network filters before http_connection_manager are not supported by this host`);
      const hcm = new HttpConnectionManager({
        listener: l, model: terminal, clusters: this.clusters, stats: this.opts.stats,
        plugins: await this.loadPlugins(l, "http"),
        track: (fm) => this.streams.add(fm),
        untrack: (fm) => this.streams.delete(fm),
      });
      this.hcms.push(hcm);
      handle = (s, i, w, a) => hcm.handleConnection(s, i, w, a);
    } else if (terminal.kind === "tcp_proxy") {
      const tp = new TcpProxy({ listener: l, model: terminal, clusters: this.clusters, stats: this.opts.stats, plugins: await this.loadPlugins(l, "network") });
      handle = (s, i, w) => tp.handleConnection(s, i, w);
    } else {
      throw new Error(`listener ${l.name}: no terminal filter`);
    }
    const onSocket = (sock: net.Socket) => {
      this.sockets.add(sock);
      sock.on("close", () => this.sockets.delete(sock));
      sock.on("error", () => { /* reset by peer etc.: the close handler cleans up */ });
      const id = this.nextConnId++;
      const info: ConnectionInfo = {
        id, sourceAddress: `${sock.remoteAddress}:${sock.remotePort}`, destinationAddress: `${sock.localAddress}:${sock.localPort}`,
        mtls: false, requestedServerName: "", tlsVersion: "", uriSanPeerCertificate: [], uriSanLocalCertificate: [], dnsSanPeerCertificate: [],
        subjectPeerCertificate: "", sha256PeerCertificateDigest: "",
      };
      this.opts.stats.counterAdd(`listener.${l.address.address}_${l.address.port}.downstream_cx_total`, 1);
      let alpn: string | false | undefined;
      if (sock instanceof tls.TLSSocket) {
        Object.assign(info, tlsConnectionFacts(sock));
        alpn = sock.alpnProtocol ?? false;
        if (l.tls && !sanMatches(l.tls.matchSubjectAltNames, sock.getPeerX509Certificate?.())) {
          this.log.log(1, `listener ${l.name}: peer certificate SANs do not match; closing`);
          sock.destroy();
          return;
        }
      }
      handle(sock, info, id % this.workers, alpn);
    };
    // Half-open sockets: a downstream FIN is forwarded (tcp_proxy) while answers still flow back.
    const server = l.tls
      ? tls.createServer({ ...serverTlsOptions(l.tls), allowHalfOpen: true }).on("secureConnection", onSocket).on("tlsClientError", () => { /* handshake failures close the socket */ })
      : net.createServer({ allowHalfOpen: true }, onSocket);
    // TLS servers see the raw socket first; track it so stop() can reach half-open handshakes.
    if (l.tls) server.on("connection", (s: net.Socket) => { this.sockets.add(s); s.on("close", () => this.sockets.delete(s)); });
    await this.listen(server, this.mapPort(l.address.port), l.address.address);
    this.servers.push(server);
    const a = server.address();
    this.ports.set(l.name, typeof a === "object" && a ? a.port : 0);
  }

  private listen(server: net.Server, port: number, address?: string): Promise<void> {
    const host = this.opts.bindAddress ?? "127.0.0.1";
    if (address !== undefined && address !== "127.0.0.1" && address !== "0.0.0.0") {
      return Promise.reject(new Error(`listener address ${address}: this host binds only 127.0.0.1`));
    }
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => { server.off("error", reject); resolve(); });
    });
  }

  /** Flushes histograms now (what Envoy's 5 s stats flush does). */
  flushStats(): void { this.opts.stats.flush(); }

  async stop(): Promise<void> {
    this.ready = false;
    clearInterval(this.flushTimer);
    const closing = [...this.servers, ...(this.admin ? [this.admin] : [])].map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const fm of this.streams) fm.reset("downstream_local_disconnect");
    for (const h of this.hcms) h.close();
    for (const s of this.sockets) s.destroy();
    this.admin?.closeAllConnections();
    this.clusters.close();
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 2000).unref())]);
    // Let access-log / destroy microtasks run before the plugins go away.
    await new Promise((r) => setImmediate(r));
    for (const p of this.plugins) await p.shutdown().catch(() => undefined);
    await this.runtime?.shutdown().catch(() => undefined);
    this.servers = [];
    this.admin = undefined;
  }
}

export async function startProxy(opts: ProxyOptions): Promise<Proxy> {
  const p = new Proxy(opts);
  await p.start();
  return p;
}
