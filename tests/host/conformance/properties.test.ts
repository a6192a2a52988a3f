// Behaviour 13: proxy_get_property / proxy_set_property with Envoy >= 1.30 attribute names and
// encodings. Protobuf values are decoded here with protobufjs (an independent decoder).
import { test } from "node:test";
import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { decodePairs } from "../wasm/pairs";
import { env, probe, FakeHttpCallbacks, makeStreamInfo, requestHeaders, text, hex } from "./harness";

const proto = protobuf.parse(`
syntax = "proto3";
package t;
message Struct { map<string, Value> fields = 1; }
message Value { oneof kind { int32 null_value = 1; double number_value = 2; string string_value = 3; bool bool_value = 4; Struct struct_value = 5; ListValue list_value = 6; } }
message ListValue { repeated Value values = 1; }
message Node { string id = 1; string cluster = 2; Struct metadata = 3; }
message Metadata { map<string, Struct> filter_metadata = 1; }
`).root;
const Node = proto.lookupType("t.Node");
const Metadata = proto.lookupType("t.Metadata");

const i64 = (h: string) => hex(h).readBigInt64LE(0);

const PROPS = [
  "request path", "request url_path", "request host", "request method", "request scheme", "request useragent", "request id",
  "request query", "request protocol", "request time", "request headers user-agent", "request headers", "rawprop request.path",
  "request", "source address", "source port", "destination address", "destination port", "connection mtls",
  "connection uri_san_peer_certificate", "connection id", "connection tls_version", "connection requested_server_name",
  "upstream address", "upstream port", "xds node", "xds node id", "xds node metadata NAME", "xds cluster_name", "xds cluster_metadata",
  "xds cluster_metadata filter_metadata istio", "xds listener_direction", "xds upstream_host_metadata", "xds route_name",
  "plugin_name", "plugin_root_id", "plugin_vm_id", "connection_id", "node", "cluster_name", "xds",
];

test("request/connection/source/destination/upstream/xds/plugin attributes with Envoy's encodings", async () => {
  const e = env();
  const script = PROPS.map((p) => `request_headers ${p.startsWith("rawprop") ? p : "prop " + p}`).join("\n");
  const p = await probe(e, script);
  p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders([["user-agent", "second"]]), true);
  const all = e.logs.results("request_headers", "prop");
  const get = (name: string) => all[PROPS.filter((x) => !x.startsWith("rawprop")).indexOf(name)];
  const str = (name: string) => { const [s, v] = get(name); assert.equal(s, 0, name); return text(v); };
  assert.equal(str("request path"), "/foo?x=1");
  assert.equal(str("request url_path"), "/foo");
  assert.equal(str("request host"), "svc.local");
  assert.equal(str("request method"), "GET");
  assert.equal(str("request scheme"), "http");
  assert.equal(str("request useragent"), "curl/8,second", "multiple values comma-joined");
  assert.equal(str("request id"), "rid-1");
  assert.equal(str("request query"), "x=1");
  assert.equal(str("request protocol"), "HTTP/1.1");
  assert.equal(i64(get("request time")[1]), 1700000000123456789n, "timestamp = int64 ns LE");
  assert.equal(str("request headers user-agent"), "curl/8,second");
  const headerPairs = decodePairs(hex(get("request headers")[1]));
  assert.deepEqual(headerPairs.find(([k]) => k === ":path"), [":path", "/foo?x=1"]);
  assert.equal(e.logs.result("request_headers", "rawprop")[0], 1, "dotted name is one segment -> filter state -> NOT_FOUND");
  assert.equal(get("request")[0], 3, "attribute wrapper -> SERIALIZATION_FAILURE");
  assert.equal(str("source address"), "10.1.2.3:41234");
  assert.equal(i64(get("source port")[1]), 41234n);
  assert.equal(str("destination address"), "127.0.0.1:15006");
  assert.equal(i64(get("destination port")[1]), 15006n);
  assert.deepEqual(get("connection mtls"), [0, "01"], "bool = 1 byte");
  assert.equal(str("connection uri_san_peer_certificate"), "spiffe://cluster.local/ns/default/sa/client");
  assert.equal(i64(get("connection id")[1]), 42n);
  assert.equal(str("connection tls_version"), "TLSv1.3");
  assert.equal(str("connection requested_server_name"), "svc.local");
  assert.equal(str("upstream address"), "127.0.0.1:8080");
  assert.equal(i64(get("upstream port")[1]), 8080n);
  const node = Node.toObject(Node.decode(hex(get("xds node")[1]))) as any;
  assert.equal(node.id, "sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local");
  assert.equal(node.cluster, "reviews.ns");
  assert.equal(node.metadata.fields.NAME.stringValue, "reviews-v1");
  assert.equal(node.metadata.fields.LABELS.structValue.fields.app.stringValue, "reviews");
  assert.equal(str("xds node id"), "sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local");
  assert.equal(str("xds node metadata NAME"), "reviews-v1");
  assert.equal(str("xds cluster_name"), "inbound|8080||");
  const md = Metadata.toObject(Metadata.decode(hex(get("xds cluster_metadata")[1]))) as any;
  assert.equal(md.filterMetadata.istio.fields.services.stringValue, "reviews");
  assert.deepEqual(decodePairs(hex(get("xds cluster_metadata filter_metadata istio")[1])), [["services", "reviews"]], "maps as pairs");
  assert.equal(i64(get("xds listener_direction")[1]), 1n, "INBOUND = 1");
  const hmd = Metadata.toObject(Metadata.decode(hex(get("xds upstream_host_metadata")[1]))) as any;
  assert.equal(hmd.filterMetadata.istio.fields.workload.stringValue, "reviews-v1");
  assert.equal(str("xds route_name"), "default-route");
  assert.equal(str("plugin_name"), "probe-plugin");
  assert.equal(str("plugin_root_id"), "probe");
  assert.equal(str("plugin_vm_id"), "vm1");
  assert.equal(i64(get("connection_id")[1]), 42n);
  assert.equal(get("node")[0], 1, "pre-1.25 top-level names are gone (filter state lookup -> NOT_FOUND)");
  assert.equal(get("cluster_name")[0], 1);
  assert.equal(get("xds")[0], 3);
  assert.equal(get("xds route_name")[0], 0);
  await e.runtime.shutdown();
});

test("response attributes; request header attributes gone after Continue and back in on_log", async () => {
  const e = env();
  const p = await probe(e, [
    "response_headers prop request path", "response_headers prop request protocol",
    "log prop request path", "log prop response code", "log prop response code_details", "log prop response flags",
    "log prop response size", "log prop response headers x-r", "log prop xds listener_metadata filter_metadata",
    "log prop response headers_bytes",
  ].join("\n"));
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  const h = requestHeaders();
  cb.reqHeaders = h;
  f.decodeHeaders(h, true);
  const rh: Array<[string, string]> = [[":status", "200"], ["x-r", "1"]];
  cb.respHeaders = rh;
  f.encodeHeaders(rh, true);
  assert.equal(e.logs.result("response_headers", "prop", 0)[0], 1, "request headers no longer held -> NOT_FOUND");
  assert.equal(text(e.logs.result("response_headers", "prop", 1)[1]), "HTTP/1.1", "stream-info attributes stay");
  f.log();
  const r = e.logs.results("log", "prop");
  assert.equal(text(r[0][1]), "/foo?x=1");
  assert.equal(i64(r[1][1]), 200n);
  assert.equal(text(r[2][1]), "via_upstream");
  assert.equal(i64(r[3][1]), 0x2n | 0x4000n, "UH | DC bits");
  assert.equal(i64(r[4][1]), 7n);
  assert.equal(text(r[5][1]), "1");
  assert.deepEqual(r[6], [0, "00000000"], "an empty map serializes as a zero count (marshalPairs), not as nothing");
  assert.equal(i64(r[7][1]), BigInt(":status".length + "200".length + "x-r".length + "1".length), "headers_bytes = byte size");
  await e.runtime.shutdown();
});

test("outside a stream: CEL attributes NOT_FOUND, xds.node and plugin_* served", async () => {
  const e = env();
  await probe(e, "", { vmConfiguration: Buffer.from("vm_start prop request path\nvm_start prop xds node id\nvm_start prop connection_id\nvm_start setprop k v") });
  assert.equal(e.logs.result("vm_start", "prop", 0)[0], 1);
  assert.equal(text(e.logs.result("vm_start", "prop", 1)[1]), "sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local");
  assert.equal(e.logs.result("vm_start", "prop", 2)[0], 1);
  assert.equal(e.logs.result("vm_start", "setprop")[0], 1, "set_property without stream info -> NOT_FOUND");
  await e.runtime.shutdown();
});

test("set_property writes filter state wasm.<path>, readable back and by later filters", async () => {
  const e = env();
  const p = await probe(e, "request_headers setprop my.key some%20value\nrequest_headers rawprop my.key\nrequest_headers prop filter_state wasm.my.key\nresponse_headers rawprop my.key");
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  f.decodeHeaders(requestHeaders(), true);
  assert.equal(e.logs.result("request_headers", "setprop")[0], 0);
  assert.equal(Buffer.from(cb.streamInfo.filterState.get("wasm.my.key")!).toString(), "some value", "visible to other filters");
  assert.equal(text(e.logs.result("request_headers", "rawprop")[1]), "some value");
  assert.equal(text(e.logs.result("request_headers", "prop")[1]), "some value");
  // another filter (e.g. a later plugin) sets state; this plugin reads it on the response path
  cb.streamInfo.filterState.set("wasm.my.key", Buffer.from("changed"));
  f.encodeHeaders([[":status", "200"]], true);
  assert.equal(text(e.logs.result("response_headers", "rawprop")[1]), "changed");
  await e.runtime.shutdown();
});

test("upstream TLS facts: uri_san_peer_certificate / uri_san_local_certificate / tls_version once the upstream is TLS", async () => {
  const e = env();
  const p = await probe(e, "log prop upstream uri_san_peer_certificate\nlog prop upstream uri_san_local_certificate\nlog prop upstream tls_version\nlog prop upstream local_address");
  const cb = new FakeHttpCallbacks();
  cb.streamInfo.upstream = { ...cb.streamInfo.upstream!, tlsVersion: "TLSv1.3", uriSanPeerCertificate: ["spiffe://cluster.local/ns/default/sa/server"],
    uriSanLocalCertificate: ["spiffe://cluster.local/ns/default/sa/client"] };
  const f = p.newHttpFilter(0, cb);
  f.decodeHeaders(requestHeaders(), true);
  f.log();
  const r = e.logs.results("log", "prop").map(([s, v]) => [s, text(v)]);
  assert.deepEqual(r, [[0, "spiffe://cluster.local/ns/default/sa/server"], [0, "spiffe://cluster.local/ns/default/sa/client"], [0, "TLSv1.3"], [0, "127.0.0.1:50000"]]);
  await e.runtime.shutdown();
});

test("response.grpc_status: trailers, else trailers-only headers, else the HTTP status mapped as Envoy's httpToGrpcStatus", async () => {
  const e = env();
  const p = await probe(e, "response_headers prop response grpc_status\nlog prop response grpc_status");
  const run = (code: number | undefined, headers: Array<[string, string]> | undefined, trailers?: Array<[string, string]>) => {
    e.logs.clear();
    const cb = new FakeHttpCallbacks();
    cb.streamInfo.responseCode = code;
    const f = p.newHttpFilter(0, cb);
    f.decodeHeaders(requestHeaders([["content-type", "application/grpc"]]), true);
    if (headers) { cb.respHeaders = headers; f.encodeHeaders(headers, trailers === undefined); }
    if (trailers) { cb.respTrailers = trailers; f.encodeTrailers(trailers); }
    f.log();
    f.onDestroy();
    const out = e.logs.guest().filter((m) => m.startsWith("R ") && m.includes(" prop ")).map((m) => {
      const [, ev, , st, v] = m.split(" ");
      return `${ev}:${st === "0" ? String(i64(v)) : "status" + st}`;
    });
    return out.join(" ");
  };
  // gRPC response with status in the trailers: headers phase has no trailers yet -> HTTP 200 maps to UNKNOWN (2)
  assert.equal(run(200, [[":status", "200"], ["content-type", "application/grpc"]], [["grpc-status", "5"]]), "response_headers:2 log:5");
  // trailers-only response: grpc-status in the headers
  assert.equal(run(200, [[":status", "200"], ["grpc-status", "7"]]), "response_headers:7 log:7");
  // trailers win over headers
  assert.equal(run(200, [[":status", "200"], ["grpc-status", "3"]], [["grpc-status", "0"]]), "response_headers:3 log:0");
  // no grpc-status anywhere: from the HTTP status
  assert.equal(run(503, [[":status", "503"]]), "response_headers:14 log:14");
  assert.equal(run(404, [[":status", "404"]]), "response_headers:12 log:12");
  assert.equal(run(401, [[":status", "401"]]), "response_headers:16 log:16");
  // not a number, or above the known range -> InvalidCode (-1)
  assert.equal(run(200, [[":status", "200"], ["grpc-status", "abc"]]), "response_headers:-1 log:-1");
  assert.equal(run(200, [[":status", "200"]], [["grpc-status", "17"]]), "response_headers:2 log:-1");
  // no response at all -> NOT_FOUND
  assert.equal(run(undefined, undefined), "log:status1");
  await e.runtime.shutdown();
});

test("request.size: Content-Length while the request headers are visible (unparsable -> NOT_FOUND), else body bytes", async () => {
  const e = env();
  const p = await probe(e, "request_headers prop request size\nlog prop request size");
  const sizes = (headers: Array<[string, string]>) => {
    e.logs.clear();
    const cb = new FakeHttpCallbacks();
    cb.streamInfo.requestBytes = 5;
    const f = p.newHttpFilter(0, cb);
    const h = requestHeaders(headers);
    cb.reqHeaders = h;
    f.decodeHeaders(h, false);
    f.log();
    f.onDestroy();
    return e.logs.guest().filter((m) => m.startsWith("R ") && m.includes(" prop ")).map((m) => {
      const [, , , st, v] = m.split(" ");
      return st === "0" ? String(i64(v)) : "status" + st;
    }).join(" ");
  };
  assert.equal(sizes([["content-length", "1234"]]), "1234 1234", "the header, not the 5 body bytes seen so far");
  assert.equal(sizes([]), "5 5", "no Content-Length: body bytes");
  assert.equal(sizes([["content-length", "12x"]]), "status1 status1", "invalid Content-Length: no value");
  await e.runtime.shutdown();
});

test("an unknown name falls back to the upstream connection's filter state (Envoy Context::findValue)", async () => {
  const e = env();
  const p = await probe(e, "request_headers rawprop upstream_peer\nrequest_headers rawprop own\nrequest_headers rawprop nowhere");
  const info = makeStreamInfo();
  info.upstream!.filterState = new Map([["wasm.upstream_peer", Buffer.from("from-upstream")], ["wasm.own", Buffer.from("upstream-own")]]);
  info.filterState.set("wasm.own", Buffer.from("downstream-own"));
  const f = p.newHttpFilter(0, new FakeHttpCallbacks(info));
  f.decodeHeaders(requestHeaders(), true);
  assert.equal(text(e.logs.result("request_headers", "rawprop", 0)[1]), "from-upstream");
  assert.equal(text(e.logs.result("request_headers", "rawprop", 1)[1]), "downstream-own", "the stream's own filter state comes first");
  assert.equal(e.logs.result("request_headers", "rawprop", 2)[0], 1, "absent from both: NOT_FOUND");
  await e.runtime.shutdown();
});

test("response.flags covers Envoy's whole CoreResponseFlag list (legacy bits, through DR and UDO)", async () => {
  const e = env();
  const p = await probe(e, "log prop response flags");
  const f = p.newHttpFilter(0, new FakeHttpCallbacks(makeStreamInfo({ responseFlags: ["LH", "DO", "DR", "UDO"] })));
  f.decodeHeaders(requestHeaders(), true);
  f.log();
  // LH = bit 0, DropOverLoad = 27, DownstreamRemoteReset = 28, UnconditionalDropOverload = 29 (stream_info.h)
  assert.equal(i64(e.logs.result("log", "prop")[1]), (1n << 0n) | (1n << 27n) | (1n << 28n) | (1n << 29n));
  await e.runtime.shutdown();
});
