// RBAC per-request cost and memory (issue 11 acceptance), with the shared bench host
// (tests/bench/bench-host.ts), against the null filter and each scenario's call floor in the same run.
//
// Scenarios (Istio AuthorizationPolicy front end, mTLS peer + HTTP request):
//   null               the floor
//   istio x10          10 ALLOW policies (principal + method + path prefix each) and one DENY on /admin*;
//                      the request is allowed by the 6th ALLOW policy
//   istio x1000        the same shape with 1,000 ALLOW policies; the request is allowed by the 500th
//   call floor x10     tests/fixtures/call_floor replaying the host calls one x10 request makes
// Exits non-zero when linear memory grows, a decision is wrong, or the recorded calls are not steady.
// BENCH_SHOW_CALLS=1 prints the recorded host calls of one request.
import path from "node:path";
import {
  instantiate, Stream, header, i64, enc, callFloorConfig, describeCalls, memoryNote, FIXTURES, DIST, REQUESTS, WARMUP,
  type PropertyValue,
} from "./bench-host";

const k = (...parts: string[]) => parts.join("\0");
const PROPERTIES: Array<[string, PropertyValue]> = [
  [k("connection", "tls_version"), enc.encode("TLSv1.3")],
  [k("connection", "uri_san_peer_certificate"), enc.encode("spiffe://cluster.local/ns/ns-5/sa/sa-5")],
  [k("source", "address"), enc.encode("10.1.2.3:41234")],
  [k("destination", "address"), enc.encode("10.0.0.9:8080")],
  [k("destination", "port"), i64(8080)],
];

function istioConfig(n: number): string {
  const policies: unknown[] = [{ metadata: { name: "deny-admin", namespace: "foo" }, spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }] } }];
  for (let i = 0; i < n; i++) {
    policies.push({ metadata: { name: `allow-${String(i).padStart(4, "0")}`, namespace: "foo" }, spec: { rules: [{
      from: [{ source: { principals: [`cluster.local/ns/ns-${i}/sa/sa-${i}`] } }],
      to: [{ operation: { methods: ["GET"], paths: [`/api/v${i}/*`] } }],
    }] } });
  }
  return JSON.stringify({ authorization_policies: policies });
}

const REQUEST = (target: number) => [header(":method", "GET"), header(":path", `/api/v${target}/items?x=1`), header(":authority", "svc:8080"),
  header(":scheme", "http"), header("user-agent", "bench/1.0"), header("accept", "*/*"), header("x-request-id", "7f1c0c1e-5d4b-4c1a-9a57-3e7f2a9d1b11")];
const RESPONSE = [header(":status", "200"), header("content-type", "application/json")];

function scenario(n: number, principal: number) {
  const props: Array<[string, PropertyValue]> = PROPERTIES.map(([key, v]) => key === k("connection", "uri_san_peer_certificate")
    ? [key, enc.encode(`spiffe://cluster.local/ns/ns-${principal}/sa/sa-${principal}`)] : [key, v]);
  return { config: istioConfig(n), props, request: REQUEST(principal) };
}

const floorFile = path.join(FIXTURES, "null.wasm");
const rbacFile = process.env.BENCH_RBAC_WASM ?? path.join(DIST, "rbac.wasm");
const callFloorFile = path.join(FIXTURES, "call_floor.wasm");

function measure(name: string, file: string, rootId: string, config: string, props: Array<[string, PropertyValue]>, request: ReturnType<typeof REQUEST>, requests: number) {
  const vm = instantiate(file, { rootId, config, properties: props });
  const mk = (i: number) => new Stream([...request], [...RESPONSE], i);
  const warm = Math.min(WARMUP, requests);
  for (let i = 0; i < warm; i++) vm.request(mk(i));
  const memWarm = vm.memoryBytes();
  const readsWarm = vm.reads();
  const t0 = process.hrtime.bigint();
  for (let i = warm; i < warm + requests; i++) vm.request(mk(i));
  const ns = Number(process.hrtime.bigint() - t0) / requests;
  return { name, ns, memWarm, memEnd: vm.memoryBytes(), vm, reads: (vm.reads() - readsWarm) / requests };
}

const s10 = scenario(10, 5);
const s1000 = scenario(1000, 500);

const recorder = instantiate(rbacFile, { rootId: "rbac", config: s10.config, properties: s10.props, record: true });
for (let i = 0; i < 100; i++) recorder.request(new Stream([...s10.request], [...RESPONSE], i));
const [calls, again] = [100, 101].map((n) => recorder.recordRequest(new Stream([...s10.request], [...RESPONSE], n)));
const floorConfig = callFloorConfig(calls);
if (process.env.BENCH_SHOW_CALLS) for (const line of describeCalls(calls)) console.log("  " + line);
const recorder1000 = instantiate(rbacFile, { rootId: "rbac", config: s1000.config, properties: s1000.props, record: true });
for (let i = 0; i < 10; i++) recorder1000.request(new Stream([...s1000.request], [...RESPONSE], i));
const calls1000 = recorder1000.recordRequest(new Stream([...s1000.request], [...RESPONSE], 10));
const floorConfig1000 = callFloorConfig(calls1000);

const big = Math.max(1000, Math.floor(REQUESTS / 50));
const rounds = [0, 1].map(() => [
  measure("null", floorFile, "null", "{}", [], s10.request, REQUESTS),
  measure("istio x10", rbacFile, "rbac", s10.config, s10.props, s10.request, REQUESTS),
  measure("call floor x10", callFloorFile, "call_floor", floorConfig, [], s10.request, REQUESTS),
  measure("istio x1000", rbacFile, "rbac", s1000.config, s1000.props, s1000.request, big),
  measure("call floor x1000", callFloorFile, "call_floor", floorConfig1000, [], s1000.request, big),
]);
const best = (i: number) => rounds.map((r) => r[i]).sort((a, b) => a.ns - b.ns)[0];
const [floor, r10, f10, r1000, f1000] = [0, 1, 2, 3, 4].map(best);

console.log(`requests per run: ${REQUESTS} (x1000: ${big}), after up to ${WARMUP} warm-up; best of 2 interleaved rounds (wall ns)`);
for (const r of [floor, r10, f10, r1000, f1000]) {
  console.log(`${r.name.padEnd(18)} ${r.ns.toFixed(1).padStart(9)} ns/request  ratio ${(r.ns / floor.ns).toFixed(2)}x  ${memoryNote(r.memWarm, r.memEnd)}`);
}
console.log(`host calls per request (properties + headers read): x10 ${r10.reads.toFixed(2)}, x1000 ${r1000.reads.toFixed(2)}; all calls recorded: x10 ${calls.length}, x1000 ${calls1000.length}`);
console.log(`own work above the call floor: x10 ${(r10.ns - f10.ns).toFixed(1)} ns/request (target <= 500), x1000 ${(r1000.ns - f1000.ns).toFixed(1)} ns/request ` +
  `(${((r1000.ns - f1000.ns) / Math.max(1, r10.ns - f10.ns)).toFixed(1)}x the x10 figure for 100x the policies)`);

let failed = false;
const check = (ok: boolean, what: string) => { if (!ok) { failed = true; console.error("FAIL: " + what); } };
check(r10.memEnd === r10.memWarm, "linear memory grew (x10)");
check(r1000.memEnd === r1000.memWarm, "linear memory grew (x1000)");
const allowed = (vm: { metrics: Map<number, { name: string; value: number }> }, name: string) =>
  [...vm.metrics.values()].filter((m) => m.name === name).reduce((a, m) => a + m.value, 0);
check(allowed(r10.vm, "rbac.allowed") > 0 && allowed(r10.vm, "rbac.denied") === 0, "x10: the request must be allowed by the ALLOW stage");
check(allowed(r1000.vm, "rbac.allowed") > 0 && allowed(r1000.vm, "rbac.denied") === 0, "x1000: the request must be allowed by the ALLOW stage");
check(describeCalls(again).join("\n") === describeCalls(calls).join("\n"), "the recorded request is not steady state");
check(!calls.some((c) => c.fn === "proxy_get_property" && c.key && new TextDecoder().decode(c.key).startsWith("metadata")),
  "a request read dynamic metadata although no policy needs it");
if (failed) process.exit(1);
