// A TCP listener's network filter chain ending in tcp_proxy, with Envoy's read-filter iteration
// (envoy source/common/network/filter_manager_impl.cc): onNewConnection runs lazily, filter by
// filter, in the same pass as onData; every read filter sees the whole unread buffer; a
// StopIteration halts the pass until continueReading; tcp_proxy drains the buffer to upstream.
// Write filters run in reverse order on upstream data.
import type net from "node:net";
import type { ConnectionInfo, LoadedPlugin, NetworkFilter, StatsStore } from "../api";
import type { ListenerModel, TcpProxyModel } from "./bootstrap";
import type { Clusters } from "./cluster_manager";
import { newStreamInfo } from "./hcm";

export interface TcpProxyDeps {
  listener: ListenerModel;
  model: TcpProxyModel;
  clusters: Clusters;
  stats: StatsStore;
  plugins: LoadedPlugin[];
}

export class TcpProxy {
  constructor(private deps: TcpProxyDeps) {}

  handleConnection(down: net.Socket, info: ConnectionInfo, worker: number): void {
    const { stats, model } = this.deps;
    const prefix = `tcp.${model.statPrefix}`;
    stats.counterAdd(`${prefix}.downstream_cx_total`, 1);
    const si = newStreamInfo(info, this.deps.listener, "");
    let readBuf = Buffer.alloc(0);
    let readEnd = false;
    let up: net.Socket | undefined;
    let connecting = false;
    let closed = false;
    const initialized: boolean[] = [];
    const filters: NetworkFilter[] = this.deps.plugins.map((p, i) => p.newNetworkFilter(worker, {
      streamInfo: si,
      continueReading: () => queueMicrotask(() => runRead(i + 1)),
      close: () => closeAll("LocalClose"),
    }));

    const closeAll = (downEvent: "RemoteClose" | "LocalClose", upEvent?: "RemoteClose" | "LocalClose") => {
      if (closed) return;
      closed = true;
      for (const f of filters) {
        try { if (upEvent) f.onUpstreamEvent?.(upEvent); } catch (e) { console.error("network filter onUpstreamEvent threw:", e); }
      }
      for (const f of filters) {
        try { f.onEvent(downEvent); } catch (e) { console.error("network filter onEvent threw:", e); }
      }
      up?.end();
      down.end();
      setTimeout(() => { up?.destroy(); down.destroy(); }, 1000).unref();
    };

    const connectUpstream = () => {
      if (connecting) return;
      connecting = true;
      const cluster = this.deps.clusters.get(model.cluster)!;
      const ep = cluster.pickEndpoint();
      if (!ep) {
        si.responseFlags.push("UH");
        stats.counterAdd(`${prefix}.upstream_flush_total`, 0);
        closeAll("LocalClose");
        return;
      }
      si.upstream = cluster.upstreamInfo(ep);
      stats.counterAdd(`cluster.${cluster.name}.upstream_cx_total`, 1);
      cluster.connectTcp(ep).then((sock) => {
        if (closed) { sock.destroy(); return; }
        up = sock;
        cluster.describeSocket(sock, si.upstream!);
        sock.on("data", (d: Buffer) => runWrite(d, false));
        // Upstream finished: pass its end downstream, then the connection is over. The downstream
        // event is RemoteClose if the downstream had already half-closed, else we close it (LocalClose).
        sock.on("end", () => { runWrite(Buffer.alloc(0), true); closeAll(readEnd ? "RemoteClose" : "LocalClose", "RemoteClose"); });
        sock.on("error", () => closeAll(readEnd ? "RemoteClose" : "LocalClose", "RemoteClose"));
        // Connected: forward what every read filter already let through, never bytes a filter holds.
        if (passedChain) runRead(filters.length);
      }, () => {
        si.responseFlags.push("UF");
        stats.counterAdd(`cluster.${cluster.name}.upstream_cx_connect_fail`, 1);
        closeAll("LocalClose");
      });
    };

    // Positions 0..n-1 are the wasm filters; position n is tcp_proxy itself. `passedChain`: the
    // last pass reached tcp_proxy, so the unread buffer is cleared for upstream; a filter that stops
    // keeps the bytes in the buffer (Envoy's connection read buffer) for its next onData.
    let passedChain = false;
    const runRead = (from: number) => {
      if (closed) return;
      passedChain = false;
      for (let i = from; i < filters.length; i++) {
        if (!initialized[i]) {
          initialized[i] = true;
          if (filters[i].onNewConnection() === "StopIteration" || closed) return;
        }
        if (readBuf.length > 0 || readEnd) {
          const holder = { buf: readBuf };
          const st = filters[i].onData(holder, readEnd);
          readBuf = holder.buf;
          if (st === "StopIteration" || closed) return;
        }
      }
      // tcp_proxy: connect on the first pass, forward (and drain) once connected.
      passedChain = true;
      if (!up) { connectUpstream(); return; }
      if (readBuf.length) {
        si.bytesReceived += readBuf.length;
        stats.counterAdd(`${prefix}.downstream_cx_rx_bytes_total`, readBuf.length);
        up.write(readBuf);
        readBuf = Buffer.alloc(0);
      }
      if (readEnd) up.end();
    };

    // Upstream bytes a write filter stopped on stay buffered, as in Envoy: Connection::write leaves
    // them in the upstream connection's read buffer, so the next upstream read presents them again
    // together with the new bytes.
    let writeBuf: Buffer = Buffer.alloc(0);
    const runWrite = (data: Buffer, end: boolean) => {
      if (closed) return;
      const holder = { buf: writeBuf.length ? Buffer.concat([writeBuf, data]) : data };
      writeBuf = Buffer.alloc(0);
      for (let i = filters.length - 1; i >= 0; i--) {
        if (filters[i].onWrite(holder, end) === "StopIteration") { writeBuf = holder.buf; return; }
      }
      if (holder.buf.length) {
        si.bytesSent += holder.buf.length;
        stats.counterAdd(`${prefix}.downstream_cx_tx_bytes_total`, holder.buf.length);
        down.write(holder.buf);
      }
      if (end) down.end();
    };

    down.on("data", (d: Buffer) => { readBuf = Buffer.concat([readBuf, d]); runRead(0); });
    // Half-close: the downstream FIN goes upstream (tcp_proxy), answers keep flowing back until the
    // upstream closes too.
    down.on("end", () => { readEnd = true; runRead(0); });
    down.on("error", () => closeAll("RemoteClose"));
    down.on("close", () => closeAll("RemoteClose"));
    runRead(0);
  }
}
