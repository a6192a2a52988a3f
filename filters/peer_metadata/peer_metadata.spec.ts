import { parseConfig, Method, TcpDirection, ENVOY_METADATA_HEADER, ENVOY_ID_HEADER, ISTIO_METADATA_HEADER } from "./config";
import { PeerCache, CachedPeer, idHash, idHashAt } from "./cache";
import { decodeHeaderValue, encodeHeaderValue, Reject } from "./header_value";
import { buildFrame, parseFrame, FrameStatus, MX_MAGIC } from "./tcp_frame";
import { WorkloadTable, canonicalIp, ipOfAddress } from "./workloads";
import { PeerMetadata, WorkloadType, PeerSource } from "../../shared/peer/peer";
import { decodePeerState } from "../../shared/peer/filter_state";
import { ExchangeKeySet } from "../../shared/peer/exchange";
import { parseJson, JsonValue } from "../../shared/codec/json";
import { encodeStruct } from "../../shared/codec/protobuf";
import { base64Encode } from "../../shared/codec/base64";
import { DiscoveryEnv, discoverFromHeaders, discover, stripHeaders, Outcome, Seen } from "./discovery";
import { HttpCounters } from "./counters";
import { HeaderMap, addHeader, removeHeader, getHeader, getPropertyBytes, setProperty, propertyPath, getMetric } from "../../shared/abi/host";
import { PeerSide, encodePeerState } from "../../shared/peer/filter_state";
import { ExchangeTranscoder, TranscodeStatus } from "../../shared/peer/transcode";
import { peerFromExchange } from "../../shared/peer/exchange";
// The ABI layer's malloc, as in the built filter: header reads land in the view scratch (values
// over 4 KiB take the spilled-buffer path, covered below).
export { malloc } from "../../shared/abi/exports";

function cfgError(text: string): string {
  const r = parseConfig(text);
  return r.config === null ? r.field + ": " + r.why : "<ok>";
}

function bytes(s: string): ArrayBuffer { return String.UTF8.encode(s); }

function exchangeValue(json: string): ArrayBuffer {
  return bytes(encodeHeaderValue(parseJson(json).value!));
}

describe("config", () => {
  it("defaults: istio header names, both sets accepted, minimal keys, 500-entry cache, auto direction", () => {
    const c = parseConfig("").config!;
    expect(c.metadataHeader).toBe(ISTIO_METADATA_HEADER);
    expect(c.acceptBothHeaderSets).toBe(true);
    expect(c.exchangeKeys).toBe(ExchangeKeySet.Minimal);
    expect(c.maxCacheSize).toBe(500);
    expect(c.auto).toBe(true);
  });
  it("reads Istio's sidecar inbound / outbound shapes", () => {
    const c = parseConfig("{\"downstream_discovery\":[{\"istio_headers\":{}},{\"workload_discovery\":{}}],\"downstream_propagation\":[{\"istio_headers\":{}}],\"headers\":\"envoy\",\"additional_labels\":[\"role\"]}").config!;
    expect(c.auto).toBe(false);
    expect(c.downstreamDiscovery.length).toBe(2);
    expect(c.downstreamDiscovery[1]).toBe(Method.WorkloadDiscovery);
    expect(c.downstreamPropagation).toBe(true);
    expect(c.upstreamPropagation).toBe(false);
    expect(c.metadataHeader).toBe(ENVOY_METADATA_HEADER);
    expect(c.idHeader).toBe(ENVOY_ID_HEADER);
    expect(c.additionalLabels[0]).toBe("role");
    const o = parseConfig("{\"upstream_discovery\":[{\"istio_headers\":{}}],\"upstream_propagation\":[{\"istio_headers\":{\"skip_external_clusters\":true}}],\"tcp\":{\"direction\":\"outbound\",\"max_frame_bytes\":4096}}").config!;
    expect(o.skipExternalClusters).toBe(true);
    expect(o.tcpDirection).toBe(TcpDirection.Outbound);
    expect(o.maxFrameBytes).toBe(4096);
  });
  it("names the bad field", () => {
    expect(cfgError("{")).toBe("configuration: invalid JSON: line 1 column 2: expected a string key in object");
    expect(cfgError("{\"max_peer_cache_size\":\"big\"}")).toBe("max_peer_cache_size: expected an integer, got string");
    expect(cfgError("{\"max_peer_cache_size\":-2}")).toBe("max_peer_cache_size: expected an integer in [0, 1000000], got -2");
    expect(cfgError("{\"headers\":\"x\"}")).toBe("headers: expected \"istio\" (x-istio-peer-metadata / x-istio-peer-id) or \"envoy\" (x-envoy-peer-metadata / x-envoy-peer-metadata-id), got \"x\"");
    expect(cfgError("{\"upstream_discovery\":[{\"istio_headers\":{}},{\"dns\":{}}]}")).toBe("upstream_discovery[1].dns: unknown discovery method (expected istio_headers, workload_discovery or baggage)");
    expect(cfgError("{\"upstream_discovery\":[{\"istio_headers\":{},\"workload_discovery\":{}}]}")).toBe("upstream_discovery[0]: expected exactly one of istio_headers, workload_discovery, baggage");
    expect(cfgError("{\"exchange_keys\":\"all\"}")).toBe("exchange_keys: expected \"minimal\" (Istio 1.24+) or \"full\" (Istio 1.8-1.23), got \"all\"");
    expect(cfgError("{\"metadata_header\":\"X-Upper\"}")).toBe("metadata_header: expected a lower-case header name");
    expect(cfgError("{\"workload_discovery\":{\"path\":\"/w\"}}")).toBe("workload_discovery.cluster: required (the Envoy cluster serving the workload table)");
    expect(cfgError("{\"workloads\":[{\"addresses\":[\"10.0.0.300\"]}]}")).toBe("workloads[0].addresses[0]: expected an IPv4 or IPv6 address");
    expect(cfgError("{\"workloads\":[{\"addresses\":[\"10.0.0.3\"],\"workload_type\":\"STATEFULSET\"}]}")).toBe("workloads[0].workload_type: expected DEPLOYMENT, CRONJOB, POD or JOB");
    expect(cfgError("{\"tcp\":{\"direction\":\"sideways\"}}")).toBe("tcp.direction: expected \"auto\", \"inbound\" or \"outbound\", got \"sideways\"");
    expect(cfgError("{\"typo\":1}")).toBe("typo: unknown field (expected one of: downstream_discovery, upstream_discovery, downstream_propagation, upstream_propagation, shared_with_upstream, additional_labels, headers, metadata_header, id_header, accept_both_header_sets, exchange_keys, max_peer_cache_size, max_header_bytes, workloads, workload_discovery, tcp, trust_domain)");
  });
});

describe("header value", () => {
  it("decodes padded and unpadded values into the receiver's view", () => {
    const v = exchangeValue("{\"NAME\":\"ratings-v1-x\",\"NAMESPACE\":\"default\",\"WORKLOAD_NAME\":\"ratings-v1\",\"OWNER\":\"kubernetes://apis/apps/v1/namespaces/default/deployments/ratings-v1\",\"LABELS\":{\"app\":\"ratings\",\"service.istio.io/canonical-revision\":\"version-1\"}}");
    const s = String.UTF8.decode(v);
    expect(s.length % 4).toBe(0); // sent padded, as Envoy's Base64::encode does
    let unpadded = s;
    while (unpadded.endsWith("=")) unpadded = unpadded.substring(0, unpadded.length - 1);
    for (let i = 0; i < 2; i++) {
      const d = decodeHeaderValue(i == 0 ? v : bytes(unpadded), 8192, []);
      expect(d.reason).toBe(Reject.None);
      const p = d.peer!;
      expect(p.workload).toBe("ratings-v1");
      expect(p.workloadType).toBe(WorkloadType.Deployment);
      expect(p.canonicalRevision).toBe("version-1");
      expect(p.app).toBe("ratings");
    }
  });
  it("rejects bad input with a reason, never aborting", () => {
    expect(decodeHeaderValue(bytes("not base64!"), 8192, []).reason).toBe(Reject.BadBase64);
    // Valid base64 of a truncated Struct entry.
    const full = encodeStruct(parseJson("{\"NAME\":\"x\"}").value!);
    expect(decodeHeaderValue(bytes(base64Encode(full.slice(0, full.byteLength - 1))), 8192, []).reason).toBe(Reject.BadProtobuf);
    expect(decodeHeaderValue(exchangeValue("{\"NAME\":7}"), 8192, []).reason).toBe(Reject.WrongType);
    expect(decodeHeaderValue(exchangeValue("{\"LABELS\":\"app=x\"}"), 8192, []).reason).toBe(Reject.WrongType);
    expect(decodeHeaderValue(exchangeValue("{\"LABELS\":{\"app\":true}}"), 8192, []).reason).toBe(Reject.WrongType);
    expect(decodeHeaderValue(new ArrayBuffer(1 << 20), 8192, []).reason).toBe(Reject.TooLarge);
    // Unknown keys and unknown types under unread keys are fine (a full pre-1.24 payload).
    expect(decodeHeaderValue(exchangeValue("{\"PLATFORM_METADATA\":{\"a\":1},\"MESH_ID\":\"m\",\"LABELS\":{\"pod-template-hash\":5}}"), 8192, []).reason).toBe(Reject.None);
  });
});

/** The filter-state bytes the tree reading (peerFromExchange + encodePeerState) gives for a payload. */
function viaTree(json: string, labels: Array<string>, id: string, source: PeerSource): ArrayBuffer {
  const p = peerFromExchange(parseJson(json).value!, labels);
  p.id = id;
  p.source = source;
  return encodePeerState(p);
}

function same(a: ArrayBuffer, b: ArrayBuffer): bool {
  return a.byteLength == b.byteLength && memory.compare(changetype<usize>(a), changetype<usize>(b), a.byteLength) == 0;
}

describe("exchange transcoder (the miss path)", () => {
  it("writes the same filter-state bytes as the tree reading, for every field and label shape", () => {
    const cases = [
      "{\"NAME\":\"p-0\",\"NAMESPACE\":\"ns\",\"WORKLOAD_NAME\":\"p\",\"CLUSTER_ID\":\"c\",\"OWNER\":\"kubernetes://apis/apps/v1/namespaces/ns/deployments/p\",\"LABELS\":{\"app\":\"a\",\"version\":\"v\",\"service.istio.io/canonical-name\":\"s\",\"service.istio.io/canonical-revision\":\"r\",\"role\":\"x\",\"zone\":\"\",\"other\":\"o\"}}",
      "{}",
      "{\"LABELS\":{}}",
      "{\"OWNER\":\"kubernetes://apis/batch/v1/namespaces/ns/cronjobs/nightly\",\"WORKLOAD_NAME\":\"nightly\",\"SERVICE_ACCOUNT\":\"sa\"}",
      "{\"OWNER\":\"short\",\"WORKLOAD_NAME\":\"a-much-longer-name\",\"PLATFORM_METADATA\":{\"x\":[1,true,null,{\"y\":\"z\"}]}}",
      "{\"NAME\":\"\u00e9t\u00e9-\u4e2d\",\"LABELS\":{\"role\":\"\u00fc\"}}",
    ];
    const labelSets: Array<Array<string>> = [[], ["role"], ["zone", "role", "role", "app"]];
    for (let i = 0; i < cases.length; i++) {
      const raw = encodeStruct(parseJson(cases[i]).value!);
      for (let j = 0; j < labelSets.length; j++) {
        const t = new ExchangeTranscoder(labelSets[j]);
        const id = bytes("sidecar~1~x");
        expect(t.transcode(raw, changetype<usize>(id), id.byteLength, PeerSource.Headers)).toBe(TranscodeStatus.Ok);
        expect(same(t.state, viaTree(cases[i], labelSets[j], "sidecar~1~x", PeerSource.Headers))).toBe(true);
        expect(t.transcode(raw, 0, 0, PeerSource.Tcp)).toBe(TranscodeStatus.Ok);
        expect(same(t.state, viaTree(cases[i], labelSets[j], "", PeerSource.Tcp))).toBe(true);
      }
    }
  });
  it("last map entry wins for a repeated key, as protobuf maps do", () => {
    const a = encodeStruct(parseJson("{\"NAME\":\"first\"}").value!);
    const b = encodeStruct(parseJson("{\"NAME\":\"second\"}").value!);
    const both = new ArrayBuffer(a.byteLength + b.byteLength);
    memory.copy(changetype<usize>(both), changetype<usize>(a), a.byteLength);
    memory.copy(changetype<usize>(both) + a.byteLength, changetype<usize>(b), b.byteLength);
    const t = new ExchangeTranscoder([]);
    expect(t.transcode(both, 0, 0, PeerSource.Headers)).toBe(TranscodeStatus.Ok);
    expect(decodePeerState(t.state)!.name).toBe("second");
  });
  it("refuses invalid UTF-8 anywhere in the Struct (proto3 strings; ParseFromString fails on it)", () => {
    const ok = encodeStruct(parseJson("{\"MESH_ID\":\"ab\"}").value!);
    const t = new ExchangeTranscoder([]);
    expect(t.transcode(ok, 0, 0, PeerSource.Headers)).toBe(TranscodeStatus.Ok);
    // Replace the value's "ab" with 0xC3 0x28 (a broken two-byte sequence).
    store<u8>(changetype<usize>(ok) + ok.byteLength - 2, 0xc3);
    store<u8>(changetype<usize>(ok) + ok.byteLength - 1, 0x28);
    expect(t.transcode(ok, 0, 0, PeerSource.Headers)).toBe(TranscodeStatus.BadProtobuf);
  });
});

describe("peer cache", () => {
  it("is bounded and evicts the oldest quarter when it overflows", () => {
    const c = new PeerCache(8);
    for (let i = 0; i < 8; i++) c.put(new CachedPeer(new ArrayBuffer(1), bytes("id" + i.toString()), bytes("v" + i.toString())));
    expect(c.size).toBe(8);
    expect(c.put(new CachedPeer(new ArrayBuffer(1), bytes("id8"), bytes("v8")))).toBe(2);
    expect(c.size).toBe(7);
    expect(c.get(bytes("id0"))).toBeNull();
    expect(c.get(bytes("id1"))).toBeNull();
    expect(c.get(bytes("id2"))).not.toBeNull();
    expect(c.get(bytes("id8"))!.sameRaw(bytes("v8"))).toBe(true);
    expect(c.get(bytes("id8"))!.sameRaw(bytes("v9"))).toBe(false);
    expect(c.get(bytes("id9"))).toBeNull();
    // Lookup by view: the id bytes wherever they are (here inside a larger buffer).
    const framed = bytes("<<id2>>");
    expect(c.findAt(changetype<usize>(framed) + 2, 3)).not.toBeNull();
    expect(c.findAt(changetype<usize>(framed) + 2, 3)!.sameRaw(bytes("v2"))).toBe(true);
    expect(c.findAt(changetype<usize>(framed) + 2, 2)).toBeNull();
    c.delete(bytes("id8"));
    expect(c.get(bytes("id8"))).toBeNull();
    for (let i = 0; i < 10000; i++) c.put(new CachedPeer(new ArrayBuffer(1), bytes("x" + (i % 1000).toString()), new ArrayBuffer(0)));
    expect(c.size).toBeLessThanOrEqual(8);
  });
  it("answers every lookup as an insertion-ordered map would (front index checked against a model)", () => {
    // 24 ids through 8 entries: the 16-slot front index collides, entries are replaced, deleted
    // and evicted; after every step each id's answer must match the model's.
    const c = new PeerCache(8);
    const model = new Map<string, string>();
    let x: u32 = 12345;
    for (let step = 0; step < 1500; step++) {
      x = x * 1103515245 + 12345;
      const k = "id" + ((x >> 16) % 24).toString();
      const op = (x >> 8) % 5;
      if (op <= 1) {
        const raw = "v" + step.toString();
        const evicted = c.put(new CachedPeer(new ArrayBuffer(1), bytes(k), bytes(raw)));
        if (model.has(k)) model.delete(k);
        model.set(k, raw);
        let want = 0;
        if (model.size > 8) {
          const keys = model.keys();
          for (let i = 0; i < 2; i++) model.delete(keys[i]);
          want = 2;
        }
        expect(evicted).toBe(want);
      } else if (op == 2) {
        c.delete(bytes(k));
        if (model.has(k)) model.delete(k);
      }
      expect(c.size).toBe(model.size);
      for (let i = 0; i < 24; i++) {
        const id = "id" + i.toString();
        const e = c.get(bytes(id));
        if (model.has(id)) {
          expect(e).not.toBeNull();
          expect(e!.sameRaw(bytes(model.get(id)))).toBe(true);
        } else {
          expect(e).toBeNull();
        }
      }
    }
  });
  it("hashes every byte of the id, whatever its length and alignment", () => {
    for (let n = 0; n <= 40; n++) {
      const id = new ArrayBuffer(n);
      for (let i = 0; i < n; i++) store<u8>(changetype<usize>(id) + <usize>i, <u8>(97 + i % 26));
      const h = idHash(id);
      // The same bytes at an odd address hash the same.
      const shifted = new ArrayBuffer(n + 3);
      memory.copy(changetype<usize>(shifted) + 3, changetype<usize>(id), <usize>n);
      expect(idHashAt(changetype<usize>(shifted) + 3, n)).toBe(h);
      // Changing any single byte changes the hash; so does the length.
      for (let i = 0; i < n; i++) {
        const other = id.slice(0);
        store<u8>(changetype<usize>(other) + <usize>i, <u8>(load<u8>(changetype<usize>(other) + <usize>i) ^ 1));
        expect(idHash(other)).not.toBe(h);
      }
      if (n > 0) expect(idHashAt(changetype<usize>(id), n - 1)).not.toBe(h);
    }
  });
  it("size 0 disables caching", () => {
    const c = new PeerCache(0);
    c.put(new CachedPeer(new ArrayBuffer(1), bytes("a"), new ArrayBuffer(0)));
    expect(c.get(bytes("a"))).toBeNull();
  });
});

const NO_LABELS = new ExchangeTranscoder([]);

describe("tcp frame", () => {
  it("round-trips metadata and id, and drains exactly the frame", () => {
    const f = buildFrame(parseJson("{\"NAME\":\"db-0\",\"NAMESPACE\":\"data\",\"LABELS\":{}}").value!, "sidecar~10.0.0.9~db-0.data~data.svc.cluster.local");
    expect(bswap<u32>(load<u32>(changetype<usize>(f)))).toBe(MX_MAGIC);
    // Followed by application bytes.
    const withApp = new ArrayBuffer(f.byteLength + 3);
    memory.copy(changetype<usize>(withApp), changetype<usize>(f), f.byteLength);
    const r = parseFrame(withApp, 65536, new ExchangeTranscoder([]));
    expect(r.status).toBe(FrameStatus.Done);
    expect(r.consumed).toBe(f.byteLength);
    const peer = decodePeerState(r.state!)!;
    expect(peer.name).toBe("db-0");
    expect(peer.id).toBe("sidecar~10.0.0.9~db-0.data~data.svc.cluster.local");
    expect(String.UTF8.decode(r.id!)).toBe("sidecar~10.0.0.9~db-0.data~data.svc.cluster.local");
    expect(peer.source).toBe(PeerSource.Tcp);
  });
  it("waits for a partial frame, rejects bad magic at the first differing byte, and bounds the length", () => {
    const f = buildFrame(parseJson("{\"NAME\":\"a\"}").value!, "id");
    for (let i = 1; i < f.byteLength; i++) expect(parseFrame(f.slice(0, i), 65536, NO_LABELS).status).toBe(FrameStatus.NeedMore);
    expect(parseFrame(bytes("G"), 65536, NO_LABELS).reason).toBe(Reject.BadMagic);
    expect(parseFrame(bytes("GET / HTTP/1.1\r\n"), 65536, NO_LABELS).reason).toBe(Reject.BadMagic);
    const huge = new ArrayBuffer(8);
    store<u32>(changetype<usize>(huge), bswap<u32>(MX_MAGIC));
    store<u32>(changetype<usize>(huge) + 4, bswap<u32>(0xfffffff0));
    expect(parseFrame(huge, 65536, NO_LABELS).reason).toBe(Reject.FrameTooLarge);
    const garbage = new ArrayBuffer(12);
    store<u32>(changetype<usize>(garbage), bswap<u32>(MX_MAGIC));
    store<u32>(changetype<usize>(garbage) + 4, bswap<u32>(4));
    store<u32>(changetype<usize>(garbage) + 8, 0xffffffff);
    expect(parseFrame(garbage, 65536, NO_LABELS).status).toBe(FrameStatus.Invalid);
  });
});

describe("workload table", () => {
  it("maps every address to the converted peer, Istio-style defaults", () => {
    const t = new WorkloadTable();
    const err = t.load(parseJson("[{\"uid\":\"u1\",\"name\":\"ratings-v1-abc\",\"addresses\":[\"10.0.0.7\",\"fd00::7\"],\"workload_name\":\"ratings-v1\",\"canonical_name\":\"ratings\",\"canonical_revision\":\"v1\",\"workload_type\":\"DEPLOYMENT\",\"cluster_id\":\"c1\",\"labels\":{\"role\":\"db\",\"other\":\"x\"}}]").value!, ["role"], "cluster.local");
    expect(err).toBe("");
    expect(t.size).toBe(2);
    const p = decodePeerState(t.lookup("10.0.0.7")!)!;
    expect(p.namespace).toBe("default");
    expect(p.serviceAccount).toBe("default");
    expect(p.identity).toBe("spiffe://cluster.local/ns/default/sa/default");
    expect(p.app).toBe("ratings");
    expect(p.version).toBe("v1");
    expect(p.label("role")).toBe("db");
    expect(p.label("other")).toBe("");
    expect(p.source).toBe(PeerSource.Discovery);
    expect(t.lookup("fd00::7")).not.toBeNull();
    expect(t.lookup("10.0.0.8")).toBeNull();
  });
  it("parses Envoy address attributes", () => {
    expect(ipOfAddress("10.1.2.3:41234")).toBe("10.1.2.3");
    expect(ipOfAddress("[FD00::7]:80")).toBe("fd00::7");
    expect(ipOfAddress("10.1.2.3")).toBe("10.1.2.3");
    expect(ipOfAddress("garbage")).toBe("");
    expect(canonicalIp("01.2.3.4")).toBe("");
    expect(canonicalIp("1.2.3")).toBe("");
    expect(canonicalIp("1.2.3.4.5")).toBe("");
  });
  it("holds many workloads (100k is measured by the bench; 20k here keeps the debug build quick)", () => {
    const arr = JsonValue.array();
    for (let i = 0; i < 20000; i++) {
      const ip = "10." + ((i >> 16) & 255).toString() + "." + ((i >> 8) & 255).toString() + "." + (i & 255).toString();
      arr.push(JsonValue.object().set("name", JsonValue.fromString("w" + i.toString())).set("addresses", JsonValue.array().push(JsonValue.fromString(ip))));
    }
    const t = new WorkloadTable();
    expect(t.load(arr, [], "cluster.local")).toBe("");
    expect(t.size).toBe(20000);
    expect(decodePeerState(t.lookup("10.0.78.31")!)!.name).toBe("w19999");
  });
});

// istio_headers against the spec host (tests/unit/spec-host.ts, the test host's wasm layer): header maps and filter state.
const MD = "x-istio-peer-metadata";
const ID = "x-istio-peer-id";
const EMD = "x-envoy-peer-metadata";
const EID = "x-envoy-peer-metadata-id";
const PEER = propertyPath(["downstream_peer"]);
const PEER_ID = propertyPath(["downstream_peer_id"]);

function headerEnv(config: string): DiscoveryEnv {
  const e = new DiscoveryEnv();
  e.configure(parseConfig(config).config!);
  const c = new HttpCounters();
  e.counters = c;
  // The host keeps one stat per name (Envoy dedups defines across contexts), so every env's
  // counters start from whatever earlier cases left: counter() reports the change since here.
  const ids = [c.cacheMiss, c.cacheEvicted, c.discoveryHit, c.notFound];
  for (let i = 1; i < c.rejected.length; i++) ids.push(c.rejected[i]);
  for (let i = 0; i < ids.length; i++) baseline.set(ids[i], getMetric(ids[i]));
  return e;
}

/** Empties the exchange headers of `map` and the filter state a previous case wrote. */
function reset(map: HeaderMap, headers: Array<string>): void {
  const all = [MD, ID, EMD, EID];
  for (let i = 0; i < all.length; i++) removeHeader(map, all[i]);
  for (let i = 0; i + 1 < headers.length; i += 2) addHeader(map, headers[i], headers[i + 1]);
  setProperty(PEER, new ArrayBuffer(0));
  setProperty(PEER_ID, new ArrayBuffer(0));
}

function workloadWritten(): string {
  const b = getPropertyBytes(PEER);
  if (b === null || b.byteLength == 0) return "";
  const p = decodePeerState(b);
  return p === null ? "" : p.workload;
}

function idWritten(): string {
  const b = getPropertyBytes(PEER_ID);
  return b === null ? "" : String.UTF8.decode(b);
}

function value(workload: string): string {
  return String.UTF8.decode(exchangeValue("{\"NAME\":\"" + workload + "-0\",\"WORKLOAD_NAME\":\"" + workload + "\",\"LABELS\":{}}"));
}

const baseline = new Map<u32, u64>();
function counter(id: u32): u64 { return getMetric(id) - (baseline.has(id) ? baseline.get(id) : 0); }

describe("istio_headers discovery", () => {
  it("a miss decodes and caches; a hit finds the entry from the id view and compares the value in place", () => {
    const env = headerEnv("");
    const c = env.counters!;
    reset(HeaderMap.RequestHeaders, [MD, value("alpha"), ID, "id-alpha"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(env.seen).toBe(Seen.MD | Seen.ID);
    expect(counter(c.cacheMiss)).toBe(1);
    expect(env.cache.size).toBe(1);
    expect(workloadWritten()).toBe("alpha");
    expect(idWritten()).toBe("id-alpha");
    for (let i = 0; i < 3; i++) {
      reset(HeaderMap.RequestHeaders, [ID, "id-alpha", MD, value("alpha")]);
      expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
      expect(workloadWritten()).toBe("alpha");
      expect(idWritten()).toBe("id-alpha");
    }
    expect(counter(c.cacheMiss)).toBe(1);
  });

  // Istio proxy@068793d292d354e9ee507da2101faffdf5409bd1 peer_metadata/filter.cc,
  // MXMethod::derivePeerInfo: `if (!peer_info.empty()) return lookup(peer_id, peer_info); return {};`
  // -- the cache is consulted only when a non-empty metadata header came with the id.
  it("a cached id without a metadata header is not a peer (Istio), and both presets are recorded absent", () => {
    const env = headerEnv("");
    reset(HeaderMap.RequestHeaders, [MD, value("beta"), ID, "id-beta"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    reset(HeaderMap.RequestHeaders, [ID, "id-beta"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Absent);
    expect(env.seen).toBe(Seen.ID | Seen.NO_MD | Seen.NO_OTHER_MD);
    expect(workloadWritten()).toBe("");
    expect(idWritten()).toBe("");
    // An empty metadata header is no metadata either (peer_info.empty()), cached id or not; it was
    // still seen, so downstream propagation answers it.
    reset(HeaderMap.RequestHeaders, [ID, "id-beta", MD, ""]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Absent);
    expect(env.seen).toBe(Seen.ID | Seen.MD);
    expect(workloadWritten()).toBe("");
    // An unknown id without a value: nothing found, nothing written.
    reset(HeaderMap.RequestHeaders, [ID, "id-unknown"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Absent);
    expect(workloadWritten()).toBe("");
    reset(HeaderMap.RequestHeaders, []);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Absent);
    expect(env.seen).toBe(Seen.NO_MD | Seen.NO_OTHER_MD | Seen.NO_ID | Seen.NO_OTHER_ID);
  });

  // Envoy's Base64::decodeWithoutPadding (used by MXMethod::lookup) accepts both forms, so they are
  // one metadata value: neither a mismatch nor a second decode.
  it("padded and unpadded base64 of the same bytes hit the same cache entry", () => {
    const env = headerEnv("");
    const c = env.counters!;
    // 1 + 4 + ... : pick a payload whose base64 needs padding.
    let padded = value("pad");
    let w = "pad";
    while (!padded.endsWith("=")) { w += "x"; padded = value(w); }
    let unpadded = padded;
    while (unpadded.endsWith("=")) unpadded = unpadded.substring(0, unpadded.length - 1);
    reset(HeaderMap.RequestHeaders, [MD, padded, ID, "id-pad"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    reset(HeaderMap.RequestHeaders, [MD, unpadded, ID, "id-pad"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(workloadWritten()).toBe(w);
    reset(HeaderMap.RequestHeaders, [MD, padded, ID, "id-pad"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(counter(c.cacheMiss)).toBe(1);
    expect(counter(c.rejected[Reject.IdMismatch])).toBe(0);
    // Unpadded first, padded next: the same.
    const env2 = headerEnv("");
    reset(HeaderMap.RequestHeaders, [MD, unpadded, ID, "id-pad2"]);
    expect(discoverFromHeaders(env2, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    reset(HeaderMap.RequestHeaders, [MD, padded, ID, "id-pad2"]);
    expect(discoverFromHeaders(env2, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(counter(env2.counters!.cacheMiss)).toBe(1);
  });

  it("a reconfigure that changes additional_labels empties the cache; one that does not keeps it", () => {
    const env = headerEnv("");
    reset(HeaderMap.RequestHeaders, [MD, String.UTF8.decode(exchangeValue("{\"WORKLOAD_NAME\":\"lab\",\"LABELS\":{\"role\":\"db\"}}")), ID, "id-lab"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(decodePeerState(getPropertyBytes(PEER)!)!.label("role")).toBe("");
    env.configure(parseConfig("{}").config!);
    expect(env.cache.size).toBe(1);
    env.configure(parseConfig("{\"additional_labels\":[\"role\"]}").config!);
    expect(env.cache.size).toBe(0);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(decodePeerState(getPropertyBytes(PEER)!)!.label("role")).toBe("db");
    env.configure(parseConfig("{\"additional_labels\":[\"role\"],\"max_header_bytes\":4096}").config!);
    expect(env.cache.size).toBe(1);
  });

  it("refuses a cached id that arrives with different metadata, counts it, and decodes afresh next time", () => {
    const env = headerEnv("");
    const c = env.counters!;
    reset(HeaderMap.RequestHeaders, [MD, value("gamma"), ID, "id-gamma"]);
    discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream);
    reset(HeaderMap.RequestHeaders, [MD, value("imposter"), ID, "id-gamma"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Rejected);
    expect(counter(c.rejected[Reject.IdMismatch])).toBe(1);
    expect(workloadWritten()).toBe("");
    expect(env.cache.get(bytes("id-gamma"))).toBeNull();
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(workloadWritten()).toBe("imposter");
    expect(counter(c.cacheMiss)).toBe(2);
  });

  it("compares values larger than the 4 KiB view scratch too", () => {
    const env = headerEnv("");
    const c = env.counters!;
    const big = "x".repeat(4000);
    const v1 = String.UTF8.decode(exchangeValue("{\"WORKLOAD_NAME\":\"big\",\"LABELS\":{},\"PAD\":\"" + big + "\"}"));
    const v2 = String.UTF8.decode(exchangeValue("{\"WORKLOAD_NAME\":\"big\",\"LABELS\":{},\"PAD\":\"" + big + "y\"}"));
    expect(v1.length).toBeGreaterThan(4096);
    reset(HeaderMap.RequestHeaders, [MD, v1, ID, "id-big"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(counter(c.cacheMiss)).toBe(1);
    expect(workloadWritten()).toBe("big");
    reset(HeaderMap.RequestHeaders, [MD, v2, ID, "id-big"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Rejected);
    expect(counter(c.rejected[Reject.IdMismatch])).toBe(1);
  });

  it("rejects a value over max_header_bytes before decoding; an empty id is found but not cached", () => {
    const env = headerEnv("{\"max_header_bytes\":64}");
    const c = env.counters!;
    reset(HeaderMap.RequestHeaders, [MD, "A".repeat(65), ID, "id-long"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Rejected);
    expect(counter(c.rejected[Reject.TooLarge])).toBe(1);
    const open = headerEnv("");
    reset(HeaderMap.RequestHeaders, [MD, value("e"), ID, ""]);
    expect(discoverFromHeaders(open, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(open.seen).toBe(Seen.MD | Seen.ID);
    expect(workloadWritten()).toBe("e");
    expect(open.cache.size).toBe(0);
  });

  it("reads the other preset when the configured pair is absent, only when accept_both_header_sets", () => {
    const env = headerEnv("");
    reset(HeaderMap.RequestHeaders, [EMD, value("legacy"), EID, "id-legacy"]);
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(env.seen).toBe(Seen.MD | Seen.ID | Seen.NO_ID);
    expect(workloadWritten()).toBe("legacy");
    // Cached under its id: a hit through the other preset too.
    expect(discoverFromHeaders(env, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Found);
    expect(counter(env.counters!.cacheMiss)).toBe(1);
    const strict = headerEnv("{\"accept_both_header_sets\":false}");
    expect(discoverFromHeaders(strict, HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(Outcome.Absent);
    expect(strict.seen).toBe(Seen.NO_ID | Seen.NO_MD);
  });

  it("discover() reports nothing seen when istio_headers did not run", () => {
    const env = headerEnv("");
    reset(HeaderMap.RequestHeaders, [MD, value("delta"), ID, "id-delta"]);
    expect(discover(env, [Method.IstioHeaders], HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(true);
    expect(env.seen).toBe(Seen.MD | Seen.ID);
    expect(discover(env, [Method.WorkloadDiscovery], HeaderMap.RequestHeaders, PeerSide.Downstream)).toBe(false);
    expect(env.seen).toBe(0);
  });

  it("strip skips exactly the headers marked absent", () => {
    const env = headerEnv("");
    reset(HeaderMap.ResponseHeaders, [MD, "m", ID, "i", EMD, "em", EID, "ei"]);
    stripHeaders(env, HeaderMap.ResponseHeaders, Seen.NO_MD | Seen.NO_OTHER_ID);
    expect(getHeader(HeaderMap.ResponseHeaders, MD)).toBe("m");
    expect(getHeader(HeaderMap.ResponseHeaders, EID)).toBe("ei");
    expect(getHeader(HeaderMap.ResponseHeaders, ID)).toBeNull();
    expect(getHeader(HeaderMap.ResponseHeaders, EMD)).toBeNull();
    stripHeaders(env, HeaderMap.ResponseHeaders, 0);
    expect(getHeader(HeaderMap.ResponseHeaders, MD)).toBeNull();
    expect(getHeader(HeaderMap.ResponseHeaders, EID)).toBeNull();
  });
});
