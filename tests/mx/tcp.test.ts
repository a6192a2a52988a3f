// The TCP metadata exchange (root_id peer_metadata_tcp) in the wasm-side host: two network filters
// wired back to back the way a client sidecar's outbound listener and a server sidecar's inbound
// listener see one connection.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Sidecar, CLIENT_NODE, SERVER_NODE, peerState, peerId, PEER_UNKNOWN } from "./sidecar";
import { pbEncodeStruct, StructT, AnyT, toStruct } from "./codec";

const sidecars: Sidecar[] = [];
after(async () => { for (const s of sidecars) await s.stop(); });
async function tcp(nodeInfo: ReturnType<typeof CLIENT_NODE>, direction: "inbound" | "outbound", extra: object = {}) {
  const s = new Sidecar(nodeInfo);
  sidecars.push(s);
  return s.load({ tcp: { direction, max_frame_bytes: 4096 }, additional_labels: ["role"], ...extra }, "network");
}

const MAGIC = Buffer.from([0x3d, 0x23, 0x04, 0x67]);

/** Feeds bytes to a filter the way Envoy does: data stays buffered while the filter says StopIteration. */
function feed(dir: "onData" | "onWrite", f: any, pending: { buf: Buffer }, chunk: Buffer, end = false): Buffer | null {
  pending.buf = Buffer.concat([pending.buf, chunk]);
  const holder = { buf: pending.buf };
  const st = f[dir](holder, end);
  if (st === "StopIteration") { pending.buf = holder.buf; return null; }
  pending.buf = Buffer.alloc(0);
  return holder.buf;
}

test("client and server exchange frames in both directions before application bytes", async () => {
  const client = await tcp(CLIENT_NODE(), "outbound");
  const server = await tcp(SERVER_NODE(), "inbound");
  const c = client.newConnection({ listenerDirection: "OUTBOUND" });
  const s = server.newConnection({ listenerDirection: "INBOUND" });
  const up = { buf: Buffer.alloc(0) };
  const down = { buf: Buffer.alloc(0) };

  // Client app speaks first; the client filter prepends its frame.
  const wire1 = feed("onData", c.f, { buf: Buffer.alloc(0) }, Buffer.from("PING"))!;
  assert.deepEqual(wire1.subarray(0, 4), MAGIC);
  // The frame may arrive split: the server waits, then drains exactly the frame.
  assert.equal(feed("onData", s.f, up, wire1.subarray(0, 5)), null);
  const toApp = feed("onData", s.f, up, wire1.subarray(5))!;
  assert.equal(toApp.toString(), "PING");
  const downPeer = peerState(s.state, "downstream")!;
  assert.equal(downPeer.workload, "productpage-v1");
  assert.deepEqual(downPeer.labels, { role: "client" });
  assert.equal(downPeer.source, "metadata_exchange");
  assert.equal(peerId(s.state, "downstream"), CLIENT_NODE().id);

  // Server app answers; the server filter prepends its frame; the client drains it.
  const wire2 = feed("onWrite", s.f, { buf: Buffer.alloc(0) }, Buffer.from("PONG"))!;
  assert.deepEqual(wire2.subarray(0, 4), MAGIC);
  const toClientApp = feed("onWrite", c.f, down, wire2)!;
  assert.equal(toClientApp.toString(), "PONG");
  assert.equal(peerState(c.state, "upstream")!.workload, "ratings-v1");

  // Later bytes pass untouched in both directions.
  assert.equal(feed("onData", c.f, { buf: Buffer.alloc(0) }, Buffer.from("more"))!.toString(), "more");
  assert.equal(feed("onData", s.f, up, Buffer.from("more"))!.toString(), "more");
  assert.equal(server.counter("metadata_exchange.metadata_added"), 1);
  assert.equal(client.counter("metadata_exchange.metadata_added"), 1);
});

test("a client without the exchange: bytes pass untouched, no frame is sent back, peer unknown", async () => {
  const server = await tcp(SERVER_NODE(), "inbound");
  const s = server.newConnection({ listenerDirection: "INBOUND" });
  const out = feed("onData", s.f, { buf: Buffer.alloc(0) }, Buffer.from("GET / HTTP/1.1\r\n\r\n"))!;
  assert.equal(out.toString(), "GET / HTTP/1.1\r\n\r\n");
  assert.equal(peerId(s.state, "downstream"), PEER_UNKNOWN);
  const reply = feed("onWrite", s.f, { buf: Buffer.alloc(0) }, Buffer.from("HTTP/1.1 200 OK\r\n\r\n"))!;
  assert.equal(reply.toString(), "HTTP/1.1 200 OK\r\n\r\n");
  assert.equal(server.counter("metadata_exchange.initial_header_not_found"), 1);
  assert.equal(server.plugin.failed(0), false);
});

function frame(payload: object, length?: number): Buffer {
  const any = AnyT.encode(AnyT.fromObject({ type_url: "type.googleapis.com/google.protobuf.Struct", value: StructT.encode(StructT.fromObject(toStruct(payload as any))).finish() })).finish();
  const head = Buffer.alloc(8);
  MAGIC.copy(head);
  head.writeUInt32BE(length ?? any.length, 4);
  return Buffer.concat([head, Buffer.from(any)]);
}

test("bad frames: huge length, garbage payload, close mid-frame; discovery fallback; never traps", async () => {
  const server = await tcp(SERVER_NODE(), "inbound", {
    workloads: [{ name: "db-client", namespace: "data", addresses: ["10.9.9.9"], workload_name: "db-client" }],
  });
  // A 4 GiB length claim: refused at once (bound 4096), bytes pass through.
  const huge = Buffer.concat([MAGIC, Buffer.from([0xff, 0xff, 0xff, 0xf0]), Buffer.from("rest")]);
  const a = server.newConnection({ listenerDirection: "INBOUND" });
  assert.deepEqual(feed("onData", a.f, { buf: Buffer.alloc(0) }, huge), huge);
  assert.equal(peerId(a.state, "downstream"), PEER_UNKNOWN);
  assert.equal(server.counter("metadata_exchange.frame_too_large"), 1);

  // Garbage Any payload of a plausible length.
  const garbage = Buffer.concat([MAGIC, Buffer.from([0, 0, 0, 4]), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
  const b = server.newConnection({ listenerDirection: "INBOUND" });
  assert.deepEqual(feed("onData", b.f, { buf: Buffer.alloc(0) }, garbage), garbage);
  assert.equal(server.counter("metadata_exchange.header_not_found"), 2);

  // Wrong metadata type inside a well-formed frame.
  const c = server.newConnection({ listenerDirection: "INBOUND" });
  const wrong = frame({ "x-envoy-peer-metadata": "flat", "x-envoy-peer-metadata-id": "x" });
  assert.deepEqual(feed("onData", c.f, { buf: Buffer.alloc(0) }, wrong), wrong);
  assert.equal(peerId(c.state, "downstream"), PEER_UNKNOWN);

  // Peer closes mid-frame: give up at end of stream; the peer falls back to the IP table.
  const d = server.newConnection({ listenerDirection: "INBOUND", connection: { ...a.cb.streamInfo.connection, sourceAddress: "10.9.9.9:5555" } });
  const partial = frame({ "x-envoy-peer-metadata": { NAME: "x" }, "x-envoy-peer-metadata-id": "y" }).subarray(0, 10);
  const pend = { buf: Buffer.alloc(0) };
  assert.equal(feed("onData", d.f, pend, partial), null);
  assert.deepEqual(feed("onData", d.f, pend, Buffer.alloc(0), true), partial);
  assert.equal(peerState(d.state, "downstream")!.workload, "db-client");

  // Closed before any byte arrived: the verdict is written at close (stats must not wait forever).
  const e = server.newConnection({ listenerDirection: "INBOUND" });
  e.f.onEvent("RemoteClose");
  assert.equal(peerId(e.state, "downstream"), PEER_UNKNOWN);
  assert.equal(server.plugin.failed(0), false);
  void pbEncodeStruct;
});

test("a frame followed by 1 MiB of application bytes in the same read: frame drained, the rest untouched", async () => {
  const client = await tcp(CLIENT_NODE(), "outbound");
  const server = await tcp(SERVER_NODE(), "inbound");
  const c = client.newConnection({ listenerDirection: "OUTBOUND" });
  const s = server.newConnection({ listenerDirection: "INBOUND" });
  const app = Buffer.alloc(1 << 20, 0x61);
  const wire = feed("onData", c.f, { buf: Buffer.alloc(0) }, app)!;
  assert.equal(wire.length > app.length, true);
  const out = feed("onData", s.f, { buf: Buffer.alloc(0) }, wire)!;
  assert.equal(out.length, app.length);
  assert.ok(out.equals(app));
  assert.equal(peerState(s.state, "downstream")!.workload, "productpage-v1");
});

test("direction auto follows xds.listener_direction", async () => {
  const s = new Sidecar(SERVER_NODE());
  sidecars.push(s);
  await s.load({}, "network");
  const inbound = s.newConnection({ listenerDirection: "INBOUND" });
  const client = await tcp(CLIENT_NODE(), "outbound");
  const c = client.newConnection({ listenerDirection: "OUTBOUND" });
  const wire = feed("onData", c.f, { buf: Buffer.alloc(0) }, Buffer.from("x"))!;
  assert.equal(feed("onData", inbound.f, { buf: Buffer.alloc(0) }, wire)!.toString(), "x");
  assert.equal(peerState(inbound.state, "downstream")!.workload, "productpage-v1");
});

// Istio's native filter writes its frame at the first data it sees in either direction and reads
// the peer's from the first bytes arriving from it (istio/proxy@12e56f7fa8b5c611f9d523607b705711c360f856
// source/extensions/filters/network/metadata_exchange/metadata_exchange.cc: onData and onWrite both
// reach writeNodeMetadata; tryReadInitialProxyHeader / tryReadProxyData on onData). So for a
// server-first protocol (MySQL greeting, SMTP banner) both peers still learn each other.
test("server-first protocol: the server sidecar's frame leads the greeting, the client's leads the client's first bytes", async () => {
  const client = await tcp(CLIENT_NODE(), "outbound");
  const server = await tcp(SERVER_NODE(), "inbound");
  const c = client.newConnection({ listenerDirection: "OUTBOUND" });
  const s = server.newConnection({ listenerDirection: "INBOUND" });
  const toClient = { buf: Buffer.alloc(0) };
  const toServer = { buf: Buffer.alloc(0) };

  // The server app speaks first; nothing has come from the client yet.
  const wire1 = feed("onWrite", s.f, { buf: Buffer.alloc(0) }, Buffer.from("220 smtp.example ESMTP\r\n"))!;
  assert.deepEqual(wire1.subarray(0, 4), MAGIC, "the server sidecar sends its frame in front of the greeting");
  // The frame may arrive split; the client sidecar waits, then drains exactly the frame.
  assert.equal(feed("onWrite", c.f, toClient, wire1.subarray(0, 6)), null);
  assert.equal(feed("onWrite", c.f, toClient, wire1.subarray(6))!.toString(), "220 smtp.example ESMTP\r\n");
  assert.equal(peerState(c.state, "upstream")!.workload, "ratings-v1");
  assert.equal(peerId(c.state, "upstream"), SERVER_NODE().id);

  // The client app answers; its sidecar's frame goes first; the server sidecar drains it.
  const wire2 = feed("onData", c.f, { buf: Buffer.alloc(0) }, Buffer.from("EHLO client\r\n"))!;
  assert.deepEqual(wire2.subarray(0, 4), MAGIC, "the client sidecar sends its frame in front of the client's first bytes");
  assert.equal(feed("onData", s.f, toServer, wire2)!.toString(), "EHLO client\r\n");
  const down = peerState(s.state, "downstream")!;
  assert.equal(down.workload, "productpage-v1");
  assert.deepEqual(down.labels, { role: "client" });
  assert.equal(peerId(s.state, "downstream"), CLIENT_NODE().id);

  // Later bytes pass untouched both ways; one frame each way (metadata_added counts frames written).
  assert.equal(feed("onWrite", s.f, { buf: Buffer.alloc(0) }, Buffer.from("250 ok\r\n"))!.toString(), "250 ok\r\n");
  assert.equal(feed("onWrite", c.f, toClient, Buffer.from("250 ok\r\n"))!.toString(), "250 ok\r\n");
  assert.equal(feed("onData", c.f, { buf: Buffer.alloc(0) }, Buffer.from("QUIT\r\n"))!.toString(), "QUIT\r\n");
  assert.equal(feed("onData", s.f, toServer, Buffer.from("QUIT\r\n"))!.toString(), "QUIT\r\n");
  assert.equal(server.counter("metadata_exchange.metadata_added"), 1);
  assert.equal(client.counter("metadata_exchange.metadata_added"), 1);
});

test("server-first protocol to a server without the exchange: the client sidecar sends no frame after the plain greeting", async () => {
  const client = await tcp(CLIENT_NODE(), "outbound");
  const c = client.newConnection({ listenerDirection: "OUTBOUND" });
  const greeting = Buffer.from("\x4a\x00\x00\x00\x0a8.0.36\x00"); // a MySQL handshake packet
  assert.deepEqual(feed("onWrite", c.f, { buf: Buffer.alloc(0) }, greeting), greeting);
  assert.equal(peerId(c.state, "upstream"), PEER_UNKNOWN);
  const login = Buffer.from("login packet");
  assert.deepEqual(feed("onData", c.f, { buf: Buffer.alloc(0) }, login), login);
  assert.equal(client.counter("metadata_exchange.metadata_added"), 0);
  assert.equal(client.counter("metadata_exchange.initial_header_not_found"), 1);
});

test("a client whose first bytes are a prefix of the magic and which then waits is released after tcp.frame_timeout_ms (host clock)", async () => {
  const server = await tcp(SERVER_NODE(), "inbound", { tcp: { direction: "inbound", max_frame_bytes: 4096, frame_timeout_ms: 300 } });
  const s = server.newConnection({ listenerDirection: "INBOUND" });
  const held = { buf: Buffer.alloc(0) };
  assert.equal(feed("onData", s.f, held, MAGIC.subarray(0, 2)), null, "two magic bytes: the filter waits for more");
  server.advance(299);
  server.plugin.tick(0);
  assert.deepEqual(s.cb.actions, [], "still waiting just before the timeout");
  assert.equal(peerId(s.state, "downstream"), undefined);
  server.advance(1);
  server.plugin.tick(0);
  assert.deepEqual(s.cb.actions, ["continueReading"], "the held bytes go on (continue_stream(DOWNSTREAM))");
  assert.equal(peerId(s.state, "downstream"), PEER_UNKNOWN);
  assert.equal(server.counter("metadata_exchange.frame_timeout"), 1);
  // Envoy's continueReading hands the held bytes to the next filter; later bytes pass untouched.
  assert.equal(feed("onData", s.f, { buf: Buffer.alloc(0) }, Buffer.from("rest"))!.toString(), "rest");
  // No frame goes back to a client that did not complete one.
  assert.equal(feed("onWrite", s.f, { buf: Buffer.alloc(0) }, Buffer.from("reply"))!.toString(), "reply");
  // A complete frame that arrives in time is not affected by the clock.
  const c2 = server.newConnection({ listenerDirection: "INBOUND" });
  const f = frame({ "x-envoy-peer-metadata": { NAME: "n", WORKLOAD_NAME: "w" }, "x-envoy-peer-metadata-id": "id-w" });
  const pend = { buf: Buffer.alloc(0) };
  assert.equal(feed("onData", c2.f, pend, f.subarray(0, 3)), null);
  server.advance(100);
  server.plugin.tick(0);
  assert.equal(feed("onData", c2.f, pend, Buffer.concat([f.subarray(3), Buffer.from("x")]))!.toString(), "x");
  server.advance(1000);
  server.plugin.tick(0);
  assert.deepEqual(c2.cb.actions, []);
  assert.equal(peerState(c2.state, "downstream")!.workload, "w");
  assert.equal(server.counter("metadata_exchange.frame_timeout"), 1);
  assert.equal(server.plugin.failed(0), false);
});
