// A second opinion on relative costs: every filter root of dist/*.wasm and the null fixture under
// proxy-wasm-cpp-host with WAMR's fast interpreter (the driver in tests/cpphost), one HTTP stream or
// TCP connection after another in Envoy's callback order. ns/stream is the driver's wall time per
// stream after a warm-up, including the driver's own header-map and property-table work; the ratio
// to the null module is the figure to compare with the V8 benches (absolute numbers are an
// interpreter's, not Envoy's V8/JIT).
import path from "node:path";
import { existsSync, readdirSync } from "node:fs";
import { generateKeyPairSync, sign } from "node:crypto";
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
/** One bench line: a root, its plugin configuration, what the streams carry, and how many. */
interface Line { rootId: string; kind: "http" | "network"; label?: string; configuration?: string; events?: ScenarioEvent[]; streams?: number; }

// The security filters run with a configuration that decides every stream (the bench streams arrive on
// the harness's default mTLS connection from spiffe://cluster.local/ns/default/sa/client).
const CLIENT = "spiffe://cluster.local/ns/default/sa/client";
const ENVOY_RBAC = JSON.stringify({ rules: { action: "ALLOW", policies: { "client-reads-api": {
  permissions: [{ and_rules: { rules: [{ header: { name: ":method", string_match: { exact: "GET" } } }, { url_path: { path: { prefix: "/api/" } } }] } }],
  principals: [{ authenticated: { principal_name: { exact: CLIENT } } }] } } } });
const ISTIO_RBAC = JSON.stringify({ authorization_policies: [
  { metadata: { name: "allow-client", namespace: "default" }, spec: { rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/client"] } }] }] } },
  { metadata: { name: "deny-admin", namespace: "default" }, spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }] } },
] });
const TCP_RBAC = JSON.stringify({ stat_prefix: "tcp.", rules: { action: "ALLOW", policies: { client: { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { exact: CLIENT } } }] } } } });
// jwt_authn: an RS256 key minted here, a token valid for an hour, the JWKS inline (local_jwks)
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ISS = "https://issuer.example.com";
const jwksInline = JSON.stringify({ keys: [{ ...rsa.publicKey.export({ format: "jwk" }), kid: "bench", alg: "RS256" }] });
const jwtHead = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "bench" })).toString("base64url");
const jwtBody = Buffer.from(JSON.stringify({ iss: ISS, sub: "alice", exp: Math.floor(Date.now() / 1000) + 3600 })).toString("base64url");
const TOKEN = `${jwtHead}.${jwtBody}.${sign("sha256", Buffer.from(`${jwtHead}.${jwtBody}`), rsa.privateKey).toString("base64url")}`;
const jwtConfig = (cache: boolean) => JSON.stringify({
  providers: { p1: { issuer: ISS, local_jwks: { inline_string: jwksInline }, ...(cache ? { jwt_cache_config: { jwt_cache_size: 100 } } : {}) } },
  rules: [{ match: { prefix: "/" }, requires: { provider_name: "p1" } }],
});
const WITH_TOKEN: ScenarioEvent[] = HTTP.map((e) => e.on === "request_headers" ? { ...e, headers: [...e.headers!, ["authorization", `Bearer ${TOKEN}`]] } : e);

const ROOTS: Record<string, Line[]> = {
  peer_metadata: [{ rootId: "peer_metadata", kind: "http" }, { rootId: "peer_metadata_tcp", kind: "network" }],
  istio_stats: [{ rootId: "istio_stats", kind: "http" }, { rootId: "istio_stats_tcp", kind: "network" }],
  rbac: [
    { rootId: "rbac", kind: "http", label: "rbac (Envoy RBAC, allowed)", configuration: ENVOY_RBAC },
    { rootId: "rbac", kind: "http", label: "rbac (Istio DENY+ALLOW, allowed)", configuration: ISTIO_RBAC },
    { rootId: "rbac_tcp", kind: "network", label: "rbac_tcp (Envoy RBAC, allowed)", configuration: TCP_RBAC },
  ],
  jwt_authn: [
    { rootId: "jwt_authn", kind: "http", label: "jwt_authn (RS256, jwt_cache hit)", configuration: jwtConfig(true), events: WITH_TOKEN },
    // every stream verifies the signature: ~1.6 ms each in the interpreter, so a twentieth of the streams
    { rootId: "jwt_authn", kind: "http", label: `jwt_authn (RS256 verified, ${Math.ceil(STREAMS / 20)} str.)`, configuration: jwtConfig(false), events: WITH_TOKEN, streams: Math.ceil(STREAMS / 20) },
  ],
};

async function measure(module: string, line: Line) {
  const { rootId, kind } = line;
  const n = line.streams ?? STREAMS;
  const r = await runCppHost(driver, { module, plugins: [{ name: rootId, rootId, kind, configuration: line.configuration }],
    streams: [{ kind: kind === "http" ? "http" : "tcp", repeat: n + WARMUP, warmup: WARMUP, events: line.events ?? (kind === "http" ? HTTP : TCP) }] });
  if (r.error) throw new Error(`${module} ${rootId}: ${r.error}`);
  if (r.streams[0].local_reply) throw new Error(`${module} ${line.label ?? rootId}: the bench stream was answered locally (${r.streams[0].local_reply.status} ${r.streams[0].local_reply.body})`);
  if (r.streams[0].actions.some((a) => a.startsWith("close"))) throw new Error(`${module} ${line.label ?? rootId}: the bench connection was closed`);
  return { ns: r.streams[0].ns_per_stream ?? 0, mem: r.memory };
}

const nullModule = path.join(ROOT, "build", "fixtures", "null.wasm");
const floor = { http: await measure(nullModule, { rootId: "null", kind: "http" }), network: await measure(nullModule, { rootId: "null", kind: "network" }) };
console.log(`cpp-host + WAMR fast interpreter, ${STREAMS} streams each after ${WARMUP} warm-up`);
console.log(`${"module / root_id".padEnd(52)} ${"ns/stream".padStart(10)} ${"ratio".padStart(7)}  linear memory`);
console.log(`${"null (http)".padEnd(52)} ${floor.http.ns.toFixed(0).padStart(10)} ${"1.0x".padStart(7)}  ${floor.http.mem.before} -> ${floor.http.mem.after}`);
console.log(`${"null (tcp)".padEnd(52)} ${floor.network.ns.toFixed(0).padStart(10)} ${"1.0x".padStart(7)}  ${floor.network.mem.before} -> ${floor.network.mem.after}`);
const dist = path.join(ROOT, "dist");
for (const f of existsSync(dist) ? readdirSync(dist).filter((x) => x.endsWith(".wasm") && x !== "suite.wasm").sort() : []) {
  const name = f.replace(/\.wasm$/, "");
  for (const line of ROOTS[name] ?? [{ rootId: name, kind: "http" } as Line]) {
    const m = await measure(path.join(dist, f), line);
    const base = line.kind === "http" ? floor.http : floor.network;
    console.log(`${`${f} ${line.label ?? line.rootId}`.padEnd(52)} ${m.ns.toFixed(0).padStart(10)} ${`${(m.ns / base.ns).toFixed(1)}x`.padStart(7)}  ${m.mem.before} -> ${m.mem.after}`);
  }
}
