// Interop: the compiled AssemblyScript codec against protobufjs's google.protobuf.Struct / Any,
// an independent encoder and decoder, in both directions.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MxCodec, Json, pbEncodeStruct, pbDecodeStruct, sortKeys, rng, randomTree, StructT, AnyT, toStruct, toValue,
} from "./codec";

const codec = new MxCodec();

const ISTIO_PAYLOAD = {
  NAME: "productpage-v1-6db7564db8-pvsnd",
  NAMESPACE: "default",
  WORKLOAD_NAME: "productpage-v1",
  CLUSTER_ID: "client-cluster",
  OWNER: "kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1",
  LABELS: {
    app: "productpage", version: "v1", role: "client",
    "service.istio.io/canonical-name": "productpage-svc", "service.istio.io/canonical-revision": "version-1",
  },
};

test("our Struct bytes decode with protobufjs to the same tree (200 random trees)", () => {
  const r = rng(7);
  for (let i = 0; i < 200; i++) {
    const tree = { k: randomTree(r), [`x${i}`]: randomTree(r) } as { [k: string]: Json };
    const [ok, bytes] = codec.call("jsonToStruct", JSON.stringify(tree));
    assert.ok(ok, `jsonToStruct failed on ${JSON.stringify(tree)}`);
    assert.deepEqual(pbDecodeStruct(bytes), tree);
  }
});

test("our serialization is byte-identical to protobufjs over key-sorted input (deterministic)", () => {
  const r = rng(11);
  for (let i = 0; i < 200; i++) {
    const tree = { a: randomTree(r), b: randomTree(r), [randomString6(r)]: randomTree(r) } as { [k: string]: Json };
    const [, ours] = codec.call("jsonToStruct", JSON.stringify(tree));
    const theirs = pbEncodeStruct(sortKeys(tree) as { [k: string]: Json });
    assert.equal(ours.toString("hex"), theirs.toString("hex"), JSON.stringify(tree));
  }
});

function randomString6(r: () => number): string {
  return String.fromCharCode(0x61 + Math.floor(r() * 26)) + "\u00e9".repeat(Math.floor(r() * 2));
}

test("protobufjs Struct bytes (unsorted map order) decode with our codec", () => {
  const r = rng(13);
  for (let i = 0; i < 200; i++) {
    const tree = { z: randomTree(r), m: randomTree(r), a: randomTree(r) } as { [k: string]: Json };
    const [ok, json] = codec.text("structToJson", pbEncodeStruct(tree));
    assert.ok(ok);
    assert.deepEqual(JSON.parse(json), tree);
  }
});

test("a header built by protobufjs (padded and unpadded base64) decodes to the peer", () => {
  const bytes = pbEncodeStruct(ISTIO_PAYLOAD);
  const padded = bytes.toString("base64");
  const raw = padded.replace(/=+$/, "");
  assert.notEqual(padded, raw, "fixture should need padding");
  for (const value of [padded, raw]) {
    const [ok, json] = codec.text("decodeHeader", value);
    assert.ok(ok, json);
    assert.deepEqual(JSON.parse(json), {
      app: "productpage", cluster: "client-cluster", labels: { role: "client" }, name: "productpage-v1-6db7564db8-pvsnd",
      namespace: "default", revision: "version-1", service: "productpage-svc", source: "istio_headers", type: "deployment",
      version: "v1", workload: "productpage-v1",
    });
  }
});

test("our header value decodes with protobufjs and is padded standard base64", () => {
  const [ok, value] = codec.text("headerValue", JSON.stringify(ISTIO_PAYLOAD));
  assert.ok(ok);
  assert.match(value, /^[A-Za-z0-9+/]*={0,2}$/);
  assert.equal(value.length % 4, 0);
  assert.deepEqual(pbDecodeStruct(Buffer.from(value, "base64")), ISTIO_PAYLOAD);
  // And it is what protobufjs emits for the key-sorted payload.
  assert.equal(value, pbEncodeStruct(sortKeys(ISTIO_PAYLOAD) as any).toString("base64"));
});

test("bad header values are rejected with a reason and never abort", () => {
  const cases: Array<[string | Buffer, string]> = [
    ["%%%notbase64", "bad_base64"],
    [pbEncodeStruct(ISTIO_PAYLOAD).subarray(0, 20).toString("base64"), "bad_protobuf"],
    [pbEncodeStruct({ NAME: 42 } as any).toString("base64"), "wrong_type"],
    [pbEncodeStruct({ LABELS: ["app"] } as any).toString("base64"), "wrong_type"],
    ["A".repeat(1 << 20), "header_too_large"],
    [Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 255)).toString("base64"), "bad_protobuf"],
  ];
  for (const [value, reason] of cases) {
    const [ok, out] = codec.text("decodeHeader", value);
    assert.equal(ok, false);
    assert.equal(out, reason);
  }
});

function pbFrame(payload: { [k: string]: Json }, magic = 0x3d230467): Buffer {
  const any = AnyT.encode(AnyT.fromObject({
    type_url: "type.googleapis.com/google.protobuf.Struct",
    value: StructT.encode(StructT.fromObject(toStruct(payload))).finish(),
  })).finish();
  const head = Buffer.alloc(8);
  head.writeUInt32BE(magic, 0);
  head.writeUInt32BE(any.length, 4);
  return Buffer.concat([head, Buffer.from(any)]);
}

test("a TCP exchange frame built with protobufjs Any(Struct) is read and drained exactly", () => {
  const f = pbFrame({ "x-envoy-peer-metadata": ISTIO_PAYLOAD, "x-envoy-peer-metadata-id": "sidecar~10.0.0.1~pp.default~default.svc.cluster.local" });
  const [, out] = codec.text("readFrame", Buffer.concat([f, Buffer.from("GET / HTTP/1.1\r\n")]));
  const m = /^done (\d+) (.*)$/.exec(out);
  assert.ok(m, out);
  assert.equal(Number(m[1]), f.length);
  const st = JSON.parse(m[2]);
  assert.equal(st.workload, "productpage-v1");
  assert.equal(st.id, "sidecar~10.0.0.1~pp.default~default.svc.cluster.local");
  assert.equal(st.source, "metadata_exchange");
});

test("our TCP frame parses with protobufjs", () => {
  const [ok, f] = codec.call("frame", JSON.stringify({ metadata: ISTIO_PAYLOAD, id: "node-1" }));
  assert.ok(ok);
  assert.equal(f.readUInt32BE(0), 0x3d230467);
  assert.equal(f.readUInt32BE(4), f.length - 8);
  const any = AnyT.decode(f.subarray(8)) as any;
  assert.equal(any.type_url ?? any.typeUrl, "type.googleapis.com/google.protobuf.Struct");
  assert.deepEqual(pbDecodeStruct(any.value), { "x-envoy-peer-metadata": ISTIO_PAYLOAD, "x-envoy-peer-metadata-id": "node-1" });
});

test("bad TCP frames: wrong magic, huge length, wrong type_url, truncated", () => {
  const good = pbFrame({ "x-envoy-peer-metadata": ISTIO_PAYLOAD, "x-envoy-peer-metadata-id": "x" });
  assert.equal(codec.text("readFrame", pbFrame({}, 0x3d230468))[1], "invalid bad_magic");
  const huge = Buffer.from(good);
  huge.writeUInt32BE(0x7fffffff, 4);
  assert.equal(codec.text("readFrame", huge)[1], "invalid frame_too_large");
  for (let i = 1; i < good.length; i += 7) assert.equal(codec.text("readFrame", good.subarray(0, i))[1], "more");
  const wrongUrl = Buffer.from(good.toString("latin1").replace("google.protobuf.Struct", "google.protobuf.Strucx"), "latin1");
  assert.equal(codec.text("readFrame", wrongUrl)[1], "invalid bad_frame");
  assert.equal(codec.text("readFrame", pbFrame({ "x-envoy-peer-metadata": "flat" }))[1], "invalid wrong_type");
  void toValue;
});
