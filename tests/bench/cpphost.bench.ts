// A second opinion on relative costs: every filter root of dist/*.wasm and the null fixture under
// proxy-wasm-cpp-host with WAMR's fast interpreter (the driver in tests/cpphost), one HTTP stream or
// TCP connection after another in Envoy's callback order. ns/stream is the driver's wall time per
// stream after a warm-up, including the driver's own header-map and property-table work; the ratio
// to the null module is the figure to compare with the V8 benches (absolute numbers are an
// interpreter's, not Envoy's V8/JIT).
import path from "node:path";
import { existsSync, readdirSync } from "node:fs";
import { buildCppHost } from "../cpphost/build";
import { runCppHost, type ScenarioEvent } from "../cpphost/scenario";

const ROOT = process.cwd();
const STREAMS = Number(process.env.CPPHOST_BENCH_STREAMS ?? 20_000);
const WARMUP = 1_000;

const built = buildCppHost();
if ("skip" in built) {
  console.log(`cpp-host bench skipped: ${built.skip}`);
  process.exit(0);
}
const driver = built.driver;

const HTTP: ScenarioEvent[] = [
  { on: "request_headers", end_stream: true, headers: [[":authority", "backend.default.svc"], [":path", "/api/v1/items?page=2"], [":method", "GET"],
    [":scheme", "http"], ["user-agent", "bench/1.0"], ["accept", "*/*"], ["x-request-id", "7f1c0c1e-5d4b-4c1a-9a57-3e7f2a9d1b11"], ["x-forwarded-proto", "http"]] },
  { on: "response_headers", end_stream: true, headers: [[":status", "200"], ["content-type", "application/json"], ["content-length", "128"], ["date", "Sun, 22 Nov 2026 02:00:00 GMT"]] },
  { on: "log" }, { on: "destroy" },
];
const TCP: ScenarioEvent[] = [{ on: "new_connection" }, { on: "downstream_data", data: "68656c6c6f" }, { on: "upstream_data", data: "776f726c64" }, { on: "downstream_close" }];
const ROOTS: Record<string, Array<[string, "http" | "network"]>> = {
  peer_metadata: [["peer_metadata", "http"], ["peer_metadata_tcp", "network"]],
  istio_stats: [["istio_stats", "http"], ["istio_stats_tcp", "network"]],
};

async function measure(module: string, rootId: string, kind: "http" | "network") {
  const r = await runCppHost(driver, { module, plugins: [{ name: rootId, rootId, kind }],
    streams: [{ kind: kind === "http" ? "http" : "tcp", repeat: STREAMS + WARMUP, warmup: WARMUP, events: kind === "http" ? HTTP : TCP }] });
  if (r.error) throw new Error(`${module} ${rootId}: ${r.error}`);
  return { ns: r.streams[0].ns_per_stream ?? 0, mem: r.memory };
}

const nullModule = path.join(ROOT, "build", "fixtures", "null.wasm");
const floor = { http: await measure(nullModule, "null", "http"), network: await measure(nullModule, "null", "network") };
console.log(`cpp-host + WAMR fast interpreter, ${STREAMS} streams each after ${WARMUP} warm-up`);
console.log(`${"module / root_id".padEnd(40)} ${"ns/stream".padStart(10)} ${"ratio".padStart(7)}  linear memory`);
console.log(`${"null (http)".padEnd(40)} ${floor.http.ns.toFixed(0).padStart(10)} ${"1.0x".padStart(7)}  ${floor.http.mem.before} -> ${floor.http.mem.after}`);
console.log(`${"null (tcp)".padEnd(40)} ${floor.network.ns.toFixed(0).padStart(10)} ${"1.0x".padStart(7)}  ${floor.network.mem.before} -> ${floor.network.mem.after}`);
const dist = path.join(ROOT, "dist");
for (const f of existsSync(dist) ? readdirSync(dist).filter((x) => x.endsWith(".wasm") && x !== "suite.wasm").sort() : []) {
  const name = f.replace(/\.wasm$/, "");
  for (const [rootId, kind] of ROOTS[name] ?? [[name, "http"] as [string, "http"]]) {
    const m = await measure(path.join(dist, f), rootId, kind);
    const base = kind === "http" ? floor.http : floor.network;
    console.log(`${`${f} ${rootId}`.padEnd(40)} ${m.ns.toFixed(0).padStart(10)} ${`${(m.ns / base.ns).toFixed(1)}x`.padStart(7)}  ${m.mem.before} -> ${m.mem.after}`);
  }
}
