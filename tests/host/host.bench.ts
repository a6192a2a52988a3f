// Host-path benchmark: every built dist/*.wasm filter and build/fixtures/null.wasm run through the
// wasm side of the test host (link checks, canary, per-worker VM, the full HttpFilter path with
// Envoy's callback order), no sockets. Prints ns/request, the ratio to the null filter and linear
// memory after warm-up and at the end. Filters whose configuration this file does not know (the
// load is refused) are skipped with a printed line.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import type { HeaderList, PluginConfig } from "./api";
import { createWasmRuntime, createStatsStore, WasmPlugin } from "./wasm/index";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200_000);
const WARMUP = 20_000;
const ROOT = process.cwd();

let logged = 0;
const log = { log: () => { logged++; }, level: () => 3 };

const runtime = createWasmRuntime({
  workers: 1,
  node: { id: "sidecar~10.0.0.1~bench.default~default.svc.cluster.local", cluster: "bench.default", metadata: { NAME: "bench", NAMESPACE: "default", WORKLOAD_NAME: "bench" } },
  clusters: { has: () => false, httpCall: () => Promise.reject(new Error("no clusters in the bench")) },
  stats: createStatsStore([]),
  log,
});

function pluginConfig(code: Uint8Array, codePath: string, rootId: string, configuration: string): PluginConfig {
  return {
    name: `bench.${rootId || "null"}`, rootId, vmId: `bench-${path.basename(codePath)}-${rootId}`, code, codePath, runtime: "envoy.wasm.runtime.v8",
    vmConfiguration: new Uint8Array(0), configuration: Buffer.from(configuration), failurePolicy: "FAIL_CLOSED",
    allowOnHeadersStopIteration: false, environment: {},
  };
}

function streamInfo() {
  return {
    connection: { id: 1, sourceAddress: "10.0.0.2:40000", destinationAddress: "10.0.0.1:8080", mtls: false, requestedServerName: "", tlsVersion: "",
      uriSanPeerCertificate: [], uriSanLocalCertificate: [], dnsSanPeerCertificate: [], subjectPeerCertificate: "", sha256PeerCertificateDigest: "" },
    listenerDirection: "INBOUND" as const, listenerMetadata: {}, routeName: "", routeMetadata: {}, virtualHostName: "", filterChainName: "",
    protocol: "HTTP/1.1", startTimeNs: 0n, requestBytes: 0, requestTotalBytes: 0, responseCode: 200, responseCodeDetails: "via_upstream",
    responseFlags: [], responseBytes: 128, responseTotalBytes: 200, bytesReceived: 0, bytesSent: 0,
    filterState: new Map<string, Uint8Array>(), dynamicMetadata: {},
  };
}

const BODY = Buffer.alloc(128, 0x61);

function oneRequest(p: WasmPlugin): boolean {
  const req: HeaderList = [[":authority", "bench.local"], [":path", "/api/v1/items?id=7"], [":method", "GET"], [":scheme", "http"],
    ["user-agent", "bench/1"], ["x-request-id", "0f1e2d3c"], ["x-forwarded-proto", "http"], ["accept", "*/*"]];
  const resp: HeaderList = [[":status", "200"], ["content-type", "application/json"], ["content-length", "128"], ["server", "envoy"]];
  let local = false;
  const cb = {
    streamInfo: streamInfo(),
    continueDecoding() {}, continueEncoding() {}, resetStream() {},
    sendLocalReply() { local = true; },
    requestHeaders: () => req, responseHeaders: () => resp, requestTrailers: () => undefined, responseTrailers: () => undefined,
    addRequestTrailers: () => [], addResponseTrailers: () => [], requestBody: () => undefined, responseBody: () => undefined,
    setRequestBody() {}, setResponseBody() {},
  };
  const f = p.newHttpFilter(0, cb);
  f.decodeHeaders(req, true);
  f.encodeHeaders(resp, false);
  f.encodeData(BODY, true);
  f.log();
  f.onDestroy();
  return !local;
}

async function tryLoad(file: string, rootIds: string[]): Promise<{ plugin: WasmPlugin; rootId: string } | string> {
  const code = readFileSync(file);
  let last = "";
  for (const rootId of rootIds) {
    for (const cfg of ["{}", ""]) {
      try {
        return { plugin: await runtime.loadPlugin(pluginConfig(code, file, rootId, cfg), "http"), rootId };
      } catch (e) {
        last = (e as Error).message;
      }
    }
  }
  return last;
}

function measure(name: string, p: WasmPlugin) {
  for (let i = 0; i < WARMUP; i++) if (!oneRequest(p)) return `${name}: answered with a local reply during warm-up (config not understood?)`;
  const memWarm = p.memoryBytes(0);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) oneRequest(p);
  const ns = Number(process.hrtime.bigint() - t0) / REQUESTS;
  if (p.failed(0)) return `${name}: VM failed during the run`;
  return { name, ns, memWarm, memEnd: p.memoryBytes(0) };
}

const targets: Array<{ label: string; file: string; rootIds: string[] }> = [
  { label: "null", file: path.join(ROOT, "build", "fixtures", "null.wasm"), rootIds: [""] },
];
const distDir = path.join(ROOT, "dist");
const distFiles = existsSync(distDir) ? readdirSync(distDir).filter((f) => f.endsWith(".wasm")).sort() : [];
const filterNames = distFiles.map((f) => f.replace(/\.wasm$/, "")).filter((n) => n !== "suite");
for (const f of distFiles) {
  const name = f.replace(/\.wasm$/, "");
  if (name === "suite") for (const n of filterNames) targets.push({ label: `suite(${n})`, file: path.join(distDir, f), rootIds: [n] });
  else targets.push({ label: name, file: path.join(distDir, f), rootIds: [name] });
}

console.log(`requests per filter: ${REQUESTS} (after ${WARMUP} warm-up); path: decodeHeaders, encodeHeaders, encodeData(128 B), log, onDestroy`);
let floor = 0;
let failures = 0;
for (const t of targets) {
  if (!existsSync(t.file)) { console.log(`skip ${t.label}: ${path.relative(ROOT, t.file)} not built`); continue; }
  const loaded = await tryLoad(t.file, t.rootIds);
  if (typeof loaded === "string") {
    console.log(`skip ${t.label}: configuration unknown to this bench (load refused: ${loaded.split("\n")[0]})`);
    if (t.label === "null") failures++;
    continue;
  }
  const r = measure(t.label, loaded.plugin);
  if (typeof r === "string") { console.log(`skip ${r}`); continue; }
  if (t.label === "null") floor = r.ns;
  console.log(`${r.name.padEnd(24)} ${r.ns.toFixed(0).padStart(7)} ns/request  ratio ${(floor ? r.ns / floor : 1).toFixed(2)}x  ` +
    `memory after warm-up ${r.memWarm} B, at end ${r.memEnd} B (${r.memEnd === r.memWarm ? "flat" : "GREW " + (r.memEnd - r.memWarm) + " B"})`);
  await loaded.plugin.shutdown();
}
await runtime.shutdown();
if (logged) console.log(`(${logged} log lines from the filters were discarded)`);
process.exit(failures ? 1 : 0);
