// istio_stats per-request cost and memory (issue 5 acceptance), against the null filter in the same
// run, with a minimal in-process host modelled on tests/bench/abi.bench.ts: every module gets the same
// per-request stream record (8 request and 4 response headers); istio_stats additionally gets what
// Envoy would serve it: properties (StreamInfo values, xds.*, the metadata-exchange filter state),
// header lookups and the stats store (define once, increment, record).
//
// Scenarios:
//   null                the floor
//   stats               full 25-label set, outbound (reporter=source), a cache-hit upstream peer,
//                       response codes cycling 200/404/503 (a stable series set)
//   stats+x-user guard  a dimension from request.headers['x-user'], a unique value per request,
//                       max_series_per_metric 1000: linear memory must stop growing
// Exits non-zero when memory is not flat / not bounded or when the recorded counts are wrong; the
// cost ratio is printed against the 4x target (it is reported, not enforced, see README.md).
import { readFileSync } from "node:fs";
import path from "node:path";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000_000);
const WARMUP = 50_000;
const enc = new TextEncoder();
const countKeys = !!process.env.BENCH_COUNT_KEYS;
const keyCounts = new Map<string, number>();
const dec = new TextDecoder();

// ---- protobuf bytes for the filter-state Struct (shared/peer/README.md format)
function varint(n: number): number[] { const out: number[] = []; while (n > 127) { out.push((n & 127) | 128); n >>>= 7; } out.push(n); return out; }
function ld(field: number, body: Uint8Array): number[] { return [(field << 3) | 2, ...varint(body.length), ...body]; }
function structOf(fields: Record<string, string>): Uint8Array {
  const out: number[] = [];
  for (const k of Object.keys(fields).sort()) {
    const value = Uint8Array.from(ld(3, enc.encode(fields[k])));
    out.push(...ld(1, Uint8Array.from([...ld(1, enc.encode(k)), ...ld(2, value)])));
  }
  return Uint8Array.from(out);
}
function pairs(entries: Array<[string, string]>): Uint8Array {
  const parts = entries.map(([k, v]) => [enc.encode(k), enc.encode(v)]);
  const size = 4 + 8 * parts.length + parts.reduce((a, [k, v]) => a + k.length + v.length + 2, 0);
  const out = new Uint8Array(size); const dv = new DataView(out.buffer);
  dv.setUint32(0, parts.length, true);
  let o = 4 + 8 * parts.length;
  parts.forEach(([k, v], i) => { dv.setUint32(4 + 8 * i, k.length, true); dv.setUint32(8 + 8 * i, v.length, true); out.set(k, o); o += k.length + 1; out.set(v, o); o += v.length + 1; });
  return out;
}
function i64(n: number): Uint8Array { const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, BigInt(n), true); return b; }

const UPSTREAM_PEER = structOf({
  workload: "ratings-v1", namespace: "default", service: "ratings", revision: "version-1", app: "ratings", version: "v1",
  cluster: "server-cluster", identity: "spiffe://cluster.local/ns/default/sa/bookinfo-ratings", type: "deployment",
});
const k = (...parts: string[]) => parts.join("\0");
const STATIC: Record<string, Uint8Array> = {
  [k("xds", "node", "id")]: enc.encode("sidecar~10.0.0.1~productpage-v1-abc.default~default.svc.cluster.local"),
  [k("xds", "node", "metadata", "NAME")]: enc.encode("productpage-v1-abc"),
  [k("xds", "node", "metadata", "NAMESPACE")]: enc.encode("default"),
  [k("xds", "node", "metadata", "WORKLOAD_NAME")]: enc.encode("productpage-v1"),
  [k("xds", "node", "metadata", "CLUSTER_ID")]: enc.encode("client-cluster"),
  [k("xds", "node", "metadata", "ISTIO_VERSION")]: enc.encode("1.28.0"),
  [k("xds", "node", "metadata", "LABELS")]: pairs([["app", "productpage"], ["version", "v1"], ["service.istio.io/canonical-name", "productpage"], ["service.istio.io/canonical-revision", "v1"]]),
  [k("xds", "listener_direction")]: i64(2),
  [k("xds", "cluster_name")]: enc.encode("outbound|9080||ratings.default.svc.cluster.local"),
  [k("xds", "route_name")]: enc.encode("default"),
  [k("xds", "cluster_metadata", "filter_metadata", "istio", "services", "0", "host")]: enc.encode("ratings.default.svc.cluster.local"),
  [k("xds", "cluster_metadata", "filter_metadata", "istio", "services", "0", "name")]: enc.encode("ratings"),
  [k("xds", "cluster_metadata", "filter_metadata", "istio", "services", "0", "namespace")]: enc.encode("default"),
  [k("upstream", "uri_san_peer_certificate")]: enc.encode("spiffe://cluster.local/ns/default/sa/bookinfo-ratings"),
  [k("upstream", "uri_san_local_certificate")]: enc.encode("spiffe://cluster.local/ns/default/sa/bookinfo-productpage"),
  [k("connection", "mtls")]: Uint8Array.of(0),
  [k("response", "flags")]: i64(0),
  [k("request", "total_size")]: i64(412),
  [k("response", "total_size")]: i64(230),
  "upstream_peer": UPSTREAM_PEER,
};
const K_CODE = k("response", "code");
const K_DURATION = k("request", "duration");
const K_HEADERS = k("request", "headers", "");
const CODES = [200, 404, 503].map(i64);
const DURATIONS = [3_000_000, 12_000_000, 45_000_000].map(i64);

type Headers = Array<[string | Uint8Array, string | Uint8Array]>;
interface Stream { id: number; n: number; request: Headers; response: Headers; }

interface Metric { name: string; type: number; value: bigint; samples: number; }

function instantiate(file: string, config: string) {
  let inst: WebAssembly.Instance;
  let memory: WebAssembly.Memory;
  // Views of linear memory, rebuilt only when it grows (as a host keeps its base pointer).
  let bytes = Buffer.alloc(0);
  let dv = new DataView(new ArrayBuffer(8));
  const view = () => {
    if (bytes.buffer !== memory.buffer) { bytes = Buffer.from(memory.buffer); dv = new DataView(memory.buffer); }
    return bytes;
  };
  const str = (p: number, n: number) => view().toString("latin1", p >>> 0, (p >>> 0) + n);
  const CONFIG = enc.encode(config);
  const ROOT_ID = enc.encode("istio_stats");
  let current: Stream | undefined;
  const metrics = new Map<number, Metric>();
  const nextId = [1, 2, 3];
  let defines = 0;
  let hostCalls = 0;
  let malloc: Function;
  // Header values are copied straight from the stream's strings into guest memory (HeaderString bytes).
  const giveText = (v: string | Uint8Array, rp: number, rs: number) => {
    if (typeof v !== "string") return give(v, rp, rs);
    const n = Buffer.byteLength(v);
    if (n === 0) return give(new Uint8Array(0), rp, rs);
    const ptr = malloc(n) >>> 0;
    view().write(v, ptr, "utf8");
    dv.setUint32(rp >>> 0, ptr, true);
    dv.setUint32(rs >>> 0, n, true);
    return 0;
  };
  const give = (data: Uint8Array, rp: number, rs: number) => {
    if (data.length === 0) { view(); dv.setUint32(rp >>> 0, 0, true); dv.setUint32(rs >>> 0, 0, true); return 0; }
    const ptr = malloc(data.length) >>> 0;
    view().set(data, ptr);
    dv.setUint32(rp >>> 0, ptr, true);
    dv.setUint32(rs >>> 0, data.length, true);
    return 0;
  };
  const header = (h: Headers, key: string) => { for (const [k, v] of h) if (k === key) return v; return undefined; };
  const env: Record<string, Function> = {
    proxy_log: () => 0,
    proxy_get_log_level: (ret: number) => { view(); dv.setUint32(ret >>> 0, 2, true); return 0; },
    proxy_set_tick_period_milliseconds: () => 0,
    proxy_get_property: (p: number, n: number, rp: number, rs: number) => {
      hostCalls++;
      const key = str(p, n);
      if (countKeys) keyCounts.set(key, (keyCounts.get(key) ?? 0) + 1);
      if (key === "plugin_root_id") return give(ROOT_ID, rp, rs);
      if (current) {
        if (key === K_CODE) return give(CODES[current.n % 3], rp, rs);
        if (key === K_DURATION) return give(DURATIONS[current.n % 3], rp, rs);
        if (key.startsWith(K_HEADERS)) {
          const v = header(current.request, key.slice(16));
          return v === undefined ? 1 : giveText(v, rp, rs);
        }
      }
      const v = STATIC[key];
      return v === undefined ? 1 : give(v, rp, rs);
    },
    proxy_get_header_map_value: (map: number, k: number, kn: number, rp: number, rs: number) => {
      hostCalls++;
      if (!current || map !== 0) return 1;
      const v = header(current.request, str(k, kn));
      return v === undefined ? 1 : giveText(v, rp, rs);
    },
    proxy_add_header_map_value: (map: number, k: number, kn: number, v: number, vn: number) => {
      if (!current || map !== 2) return 2;
      const b = view();
      current.response.push([b.slice(k >>> 0, (k >>> 0) + kn), b.slice(v >>> 0, (v >>> 0) + vn)]);
      return 0;
    },
    proxy_get_buffer_bytes: (type: number, _s: number, _m: number, rp: number, rs: number) => (type === 7 ? give(CONFIG, rp, rs) : 1),
    proxy_set_effective_context: () => 0,
    proxy_define_metric: (type: number, p: number, n: number, ret: number) => {
      const name = dec.decode(view().subarray(p >>> 0, (p >>> 0) + n));
      const id = nextId[type] * 4 + type; nextId[type]++;
      metrics.set(id, { name, type, value: 0n, samples: 0 });
      defines++;
      view();
      dv.setUint32(ret >>> 0, id, true);
      return 0;
    },
    proxy_increment_metric: (id: number, d: bigint) => { const m = metrics.get(id >>> 0); if (!m) return 1; m.value += d; return 0; },
    proxy_record_metric: (id: number, v: bigint) => { const m = metrics.get(id >>> 0); if (!m) return 1; if (m.type === 2) m.samples++; else m.value = v; return 0; },
  };
  const module = new WebAssembly.Module(readFileSync(file));
  inst = new WebAssembly.Instance(module, { env: new Proxy(env, { get: (t, k) => (k in t ? t[k as string] : () => 12) }) as any, wasi_unstable: { proc_exit: () => {} } });
  memory = inst.exports.memory as WebAssembly.Memory;
  malloc = inst.exports.malloc as Function;
  const x = inst.exports as any;
  x.proxy_on_context_create(1, 0);
  if (!x.proxy_on_vm_start(1, 0) || !x.proxy_on_configure(1, CONFIG.length)) throw new Error(`${file}: configure failed`);
  let next = 2;
  const request = (n: number, user: string) => {
    const s: Stream = {
      id: next++, n,
      request: [[":method", "GET"], [":path", "/ratings/0"], [":authority", "ratings:9080"], [":scheme", "http"],
        ["user-agent", "bench/1.0"], ["accept", "*/*"], ["x-request-id", "7f1c0c1e-5d4b-4c1a-9a57-3e7f2a9d1b11"], ["x-user", user]],
      response: [[":status", "200"], ["content-type", "application/json"], ["content-length", "128"], ["date", "Sun, 22 Nov 2026 02:00:00 GMT"]],
    };
    current = s;
    x.proxy_on_context_create(s.id, 1);
    x.proxy_on_request_headers(s.id, s.request.length, 1);
    x.proxy_on_response_headers(s.id, s.response.length, 0);
    x.proxy_on_response_body(s.id, 128, 1);
    x.proxy_on_log(s.id);
    x.proxy_on_done(s.id);
    x.proxy_on_delete(s.id);
    current = undefined;
  };
  return { request, memoryBytes: () => memory.buffer.byteLength, metrics, defines: () => defines, hostCalls: () => hostCalls };
}

const USERS = ["alice", "bob", "carol"];
function measure(name: string, file: string, config: string, uniqueUsers: boolean, requests = REQUESTS) {
  const vm = instantiate(file, config);
  const user = (i: number) => (uniqueUsers ? "user-" + i : USERS[i % 3]);
  for (let i = 0; i < WARMUP; i++) vm.request(i, user(i));
  const memWarm = vm.memoryBytes();
  const t0 = process.hrtime.bigint();
  for (let i = WARMUP; i < WARMUP + requests; i++) vm.request(i, user(i));
  const ns = Number(process.hrtime.bigint() - t0) / requests;
  return { name, ns, memWarm, memEnd: vm.memoryBytes(), vm };
}

const floorFile = path.join(process.cwd(), "build", "fixtures", "null.wasm");
const statsFile = process.env.BENCH_STATS_WASM ?? path.join(process.cwd(), "dist", "istio_stats.wasm");
const addHeaderFile = path.join(process.cwd(), "build", "fixtures", "add_header.wasm");
// add_header (shared/abi + one host call per request) is printed as a calibration point: the cost
// of a single host call in this harness relative to the floor.
const rounds = [0, 1].map(() => [measure("null", floorFile, "{}", false), measure("stats", statsFile, "", false), measure("add_header", addHeaderFile, "{}", false)]);
const best = (i: number) => rounds.map((r) => r[i]).sort((a, b) => a.ns - b.ns)[0];
const floor = best(0);
const stats = best(1);
const oneCall = best(2);
const guardConfig = JSON.stringify({ max_series_per_metric: 1000, metrics: [{ name: "requests_total", dimensions: { x_user: "request.headers['x-user']" } }] });
const guard = measure("stats+x-user guard", statsFile, guardConfig, true);

console.log(`requests per run: ${REQUESTS} (after ${WARMUP} warm-up); 7 callbacks per request; best of 2 interleaved rounds`);
for (const r of [floor, oneCall, stats, guard]) {
  console.log(`${r.name.padEnd(20)} ${r.ns.toFixed(1).padStart(8)} ns/request  ratio ${(r.ns / floor.ns).toFixed(2)}x  ` +
    `linear memory after warm-up ${r.memWarm} B, at end ${r.memEnd} B (${r.memEnd === r.memWarm ? "flat" : "GREW " + (r.memEnd - r.memWarm) + " B"})`);
}
console.log(`istio_stats host calls (properties + headers) per request: ${(stats.vm.hostCalls() / (WARMUP + REQUESTS)).toFixed(2)}`);
if (countKeys) for (const [key, n] of keyCounts) console.log(`  ${key.split("\0").join(".")}: ${n}`);
console.log(`cost target (issue 5): stats <= 4.00x null -> ${stats.ns / floor.ns <= 4 ? "met" : "NOT met"} (${(stats.ns / floor.ns).toFixed(2)}x)`);

let failed = false;
const check = (ok: boolean, what: string) => { if (!ok) { failed = true; console.error("FAIL: " + what); } };
// Correct counts: every request counted once, 3 codes -> 3 requests_total series, ids defined once.
const total = (vm: typeof stats.vm, suffix: string) => [...vm.metrics.values()].filter((m) => m.name.endsWith(suffix)).reduce((a, m) => a + m.value, 0n);
const statsVm = stats.vm;
const reqSeries = [...statsVm.metrics.values()].filter((m) => m.name.endsWith(";.;istio_requests_total"));
check(reqSeries.length === 3, `3 requests_total series expected, got ${reqSeries.length}`);
check(total(statsVm, "istio_requests_total") === BigInt(WARMUP + REQUESTS), `requests_total sums to ${total(statsVm, "istio_requests_total")}`);
check(statsVm.defines() === 3 * 4 + 1, `metrics defined ${statsVm.defines()} times (want 13: 3 label sets x 4 HTTP metrics + istio_build)`);
const sample = reqSeries.find((m) => m.name.includes("response_code=.=404;.;"));
check(!!sample && sample.name.startsWith("reporter=.=source;.;source_workload=.=productpage-v1;.;") &&
  sample.name.includes("destination_workload=.=ratings-v1;.;") && sample.name.includes("destination_canonical_revision=.=version-1;.;"),
  `unexpected series name ${sample?.name}`);
check(stats.memEnd === stats.memWarm, "linear memory grew with a stable series set");
// Guard: 1000 series + one overflow series; overflow counter counts the rest.
const guardSeries = [...guard.vm.metrics.values()].filter((m) => m.name.endsWith("istio_requests_total") && m.name.startsWith("reporter="));
check(guardSeries.length === 1001, `guarded requests_total has ${guardSeries.length} series (want 1000 + overflow)`);
const overflow = [...guard.vm.metrics.values()].find((m) => m.name === "metric=.=istio_requests_total;.;istio_stats_overflow_total");
check(!!overflow && overflow.value === BigInt(WARMUP + REQUESTS - 1000), `overflow counter ${overflow?.value}`);
check(guard.memEnd === guard.memWarm, "linear memory grew with the cardinality guard on");
if (failed) process.exit(1);
