// The TCP exchange through the test host's tcp_proxy (tests/host/proxy/tcp_proxy.ts) over real
// loopback sockets: caller -> client sidecar (outbound listener, peer_metadata_tcp) -> server
// sidecar (inbound listener, peer_metadata_tcp) -> app, for a client-first app (echo) and a
// server-first one (an SMTP-like banner before anything is read). Istio's native filter exchanges
// metadata both ways for either (istio/proxy@12e56f7fa8b5c611f9d523607b705711c360f856
// source/extensions/filters/network/metadata_exchange/metadata_exchange.cc: the frame is written at
// the first onData or onWrite, the peer's read from the first bytes received).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import type { ConnectionInfo, LoadedPlugin, StreamInfo } from "../host/api";
import { TcpProxy } from "../host/proxy/tcp_proxy";
import { Clusters } from "../host/proxy/cluster_manager";
import type { ListenerModel } from "../host/proxy/bootstrap";
import { Sidecar, CLIENT_NODE, SERVER_NODE, peerState, peerId, PEER_UNKNOWN } from "./sidecar";

const closers: Array<() => Promise<void> | void> = [];
after(async () => { for (const c of closers.reverse()) await c(); });

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
}

/** An app: "echo" answers every chunk with it; "banner" greets first, then echoes with a prefix. */
async function app(kind: "echo" | "banner"): Promise<{ port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    if (kind === "banner") s.write("220 mail.example ESMTP ready\r\n");
    s.on("data", (d) => { received.push(d); s.write(kind === "banner" ? Buffer.concat([Buffer.from("250 "), d]) : d); });
    s.on("end", () => s.end());
    s.on("error", () => undefined);
  });
  const port = await listen(srv);
  closers.push(() => new Promise<void>((r) => srv.close(() => r())));
  return { port, received };
}

interface Seen { infos: StreamInfo[]; reads: number }

/** A listener with one peer_metadata_tcp filter and tcp_proxy to 127.0.0.1:upstreamPort. */
async function sidecarListener(plugin: LoadedPlugin, direction: "INBOUND" | "OUTBOUND", upstreamPort: number, seen: Seen): Promise<number> {
  const listener: ListenerModel = {
    name: direction === "INBOUND" ? "inbound_tcp" : "outbound_tcp", address: { address: "127.0.0.1", port: 0 },
    direction, metadata: {}, filterChainName: "", filters: [],
  };
  const clusters = new Clusters([{
    name: "up", connectTimeoutMs: 2000, endpoints: [{ address: { address: "127.0.0.1", port: upstreamPort }, metadata: {} }],
    metadata: {}, httpProtocol: "HTTP1",
  }], (p) => p);
  const stats = { counterAdd() {}, gaugeSet() {}, histogramRecord() {}, flush() {}, prometheus: () => "", text: () => "" } as any;
  // Remember each connection's StreamInfo and count the filter's reads, as a test probe.
  const probe: LoadedPlugin = {
    config: plugin.config,
    newHttpFilter: (w, cb) => plugin.newHttpFilter(w, cb),
    newNetworkFilter: (w, cb) => {
      seen.infos.push(cb.streamInfo);
      const f = plugin.newNetworkFilter(w, cb);
      return { ...f, onNewConnection: () => f.onNewConnection(), onWrite: (d, e) => f.onWrite(d, e), onEvent: (ev) => f.onEvent(ev),
        onData: (d, e) => { seen.reads++; return f.onData(d, e); } };
    },
    shutdown: () => plugin.shutdown(),
  };
  const proxy = new TcpProxy({ listener, model: { kind: "tcp_proxy", statPrefix: listener.name, cluster: "up" }, clusters, stats, plugins: [probe] });
  let id = 0;
  const srv = net.createServer({ allowHalfOpen: true }, (sock) => {
    const info: ConnectionInfo = {
      id: ++id, sourceAddress: `${sock.remoteAddress}:${sock.remotePort}`, destinationAddress: `${sock.localAddress}:${sock.localPort}`,
      mtls: false, requestedServerName: "", tlsVersion: "", uriSanPeerCertificate: [], uriSanLocalCertificate: [], dnsSanPeerCertificate: [],
      subjectPeerCertificate: "", sha256PeerCertificateDigest: "",
    };
    proxy.handleConnection(sock, info, 0);
  });
  const port = await listen(srv);
  closers.push(() => new Promise<void>((r) => srv.close(() => r())));
  return port;
}

async function sidecar(node: ReturnType<typeof CLIENT_NODE>, direction: "inbound" | "outbound", extra: object = {}): Promise<Sidecar> {
  const s = new Sidecar(node);
  closers.push(() => s.stop());
  return s.load({ tcp: { direction, ...extra }, additional_labels: ["role"] }, "network");
}

/** Connects, optionally waits for `greeting` bytes, sends `send`, collects until `total` bytes arrived. */
function converse(port: number, send: Buffer, total: number, waitFirst = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port });
    let got = Buffer.alloc(0);
    let sent = false;
    const t = setTimeout(() => { s.destroy(); reject(new Error(`timeout, got ${JSON.stringify(got.toString("latin1"))}`)); }, 5000);
    const maybeSend = () => { if (!sent && got.length >= waitFirst) { sent = true; s.write(send); } };
    s.on("connect", maybeSend);
    s.on("data", (d) => {
      got = Buffer.concat([got, d]);
      maybeSend();
      if (got.length >= total) { clearTimeout(t); s.end(); resolve(got); }
    });
    s.on("error", (e) => { clearTimeout(t); reject(e); });
  });
}

const until = async (f: () => boolean) => { for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setImmediate(r)); };

async function pair(appKind: "echo" | "banner") {
  const a = await app(appKind);
  const serverSeen: Seen = { infos: [], reads: 0 };
  const clientSeen: Seen = { infos: [], reads: 0 };
  const server = await sidecar(SERVER_NODE(), "inbound");
  const client = await sidecar(CLIENT_NODE(), "outbound");
  const serverPort = await sidecarListener(server.plugin, "INBOUND", a.port, serverSeen);
  const clientPort = await sidecarListener(client.plugin, "OUTBOUND", serverPort, clientSeen);
  return { a, server, client, serverSeen, clientSeen, clientPort, serverPort };
}

function checkPeers(p: Awaited<ReturnType<typeof pair>>) {
  const srv = p.serverSeen.infos.at(-1)!;
  const cli = p.clientSeen.infos.at(-1)!;
  assert.equal(peerState(srv.filterState, "downstream")?.workload, "productpage-v1", "server sidecar learned the client");
  assert.deepEqual(peerState(srv.filterState, "downstream")?.labels, { role: "client" });
  assert.equal(peerId(srv.filterState, "downstream"), CLIENT_NODE().id);
  assert.equal(peerState(cli.filterState, "upstream")?.workload, "ratings-v1", "client sidecar learned the server");
  assert.equal(peerId(cli.filterState, "upstream"), SERVER_NODE().id);
}

test("client-first app through two tcp_proxy sidecars: frames both ways, the app and the caller see only their bytes", async () => {
  const p = await pair("echo");
  const msg = Buffer.from("hello, client speaks first\n");
  const got = await converse(p.clientPort, msg, msg.length);
  assert.equal(got.toString(), msg.toString());
  await until(() => p.clientSeen.infos.length > 0 && p.clientSeen.infos.at(-1)!.filterState.has("wasm.upstream_peer"));
  assert.equal(Buffer.concat(p.a.received).toString(), msg.toString(), "the app received no frame bytes");
  checkPeers(p);
});

test("server-first app through two tcp_proxy sidecars: the banner carries the server's frame, the reply the client's", async () => {
  const p = await pair("banner");
  const banner = "220 mail.example ESMTP ready\r\n";
  const ehlo = Buffer.from("EHLO client.example\r\n");
  const got = await converse(p.clientPort, ehlo, banner.length + 4 + ehlo.length, banner.length);
  assert.equal(got.toString(), banner + "250 " + ehlo.toString(), "the caller saw the banner and the answer, no frame");
  assert.equal(Buffer.concat(p.a.received).toString(), ehlo.toString(), "the app received no frame bytes");
  await until(() => p.serverSeen.infos.at(-1)?.filterState.has("wasm.downstream_peer") ?? false);
  checkPeers(p);
  assert.equal(p.server.counter("metadata_exchange.metadata_added"), 1);
  assert.equal(p.client.counter("metadata_exchange.metadata_added"), 1);
});

test("a caller whose first bytes are a prefix of the magic and which then waits is not stalled: released at tcp.frame_timeout_ms by the host clock", async () => {
  const a = await app("echo");
  const seen: Seen = { infos: [], reads: 0 };
  const server = await sidecar(SERVER_NODE(), "inbound", { frame_timeout_ms: 500 });
  const port = await sidecarListener(server.plugin, "INBOUND", a.port, seen);
  const prefix = Buffer.from([0x3d, 0x23]);
  const answer = converse(port, prefix, prefix.length);
  await until(() => seen.reads > 0);
  assert.equal(seen.reads, 1, "the filter read the two bytes and holds them");
  assert.equal(a.received.length, 0, "nothing reached the app yet");
  server.advance(500);
  server.plugin.tick(0);
  const got = await answer;
  assert.deepEqual(got, prefix, "the held bytes reached the app unchanged and came back");
  assert.equal(peerId(seen.infos[0].filterState, "downstream"), PEER_UNKNOWN);
  assert.equal(server.counter("metadata_exchange.frame_timeout"), 1);
});
