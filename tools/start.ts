// `npm start`: the two-sidecar demo from envoy-configs/ on this machine (the build already ran).
//
//   npm start                 certs -> demo app -> server sidecar -> client sidecar, a little traffic
//                             through both, then stay up until Ctrl-C (SIGINT/SIGTERM: clean stop)
//   npm start -- --once       the same, but stop after the traffic (exit code = traffic checks)
//   npm start -- --ephemeral  OS-chosen ports instead of the files' (15000/15001/... 8080/...)
//   npm start -- --prepare    only write build/certs and build/demo/app.mjs (for docker-compose)
//   npm start -- --configs X  which pair of envoy-configs/ files the sidecars load:
//                               istio    (default) stats-{client,server}-sidecar.yaml: peer_metadata + istio_stats,
//                                        Istio's stats_tags; istio_requests_total on both admin ports
//                               mx       mx-{client,server}-sidecar.yaml: metadata exchange only
//                               fixtures {client,server}-sidecar.yaml: the add_header / null test modules
//                               rbac     stats-client-sidecar.yaml + rbac-server-sidecar.yaml: the istio chain with
//                                        dist/rbac.wasm (AuthorizationPolicy) in the server sidecar
//                               jwt      jwt-{client,server}-sidecar.yaml: peer_metadata + jwt_authn (Istio
//                                        RequestAuthentication, remote JWKS from a server started here) + istio_stats;
//                                        prints curl lines with a valid and an expired token
//
// If a fixed port is taken (another checkout's demo, say), the demo falls back to ephemeral ports.
import { build } from "esbuild";
import path from "node:path";
import { ROOT as CLI_ROOT } from "./paths";
import { generateCerts } from "../tests/certs/generate";
import { startSidecarDemo, type SidecarDemo } from "../tests/host/proxy/sidecars";
import { createStatsStore, createWasmRuntime } from "../tests/host/wasm/index";
import { grpcFrame, grpcUnframe, type DemoReport } from "../tests/demo/app";
import { httpGet as get, h2Request, tcpRoundTrip } from "../tests/demo/client";
import { DemoJwks } from "../tests/demo/jwt";

// The repository root; tests that import this module from another bundle location pass their own.
let ROOT = CLI_ROOT;
let CERTS = path.join(ROOT, "build", "certs");

/** Days the `--prepare` certificates stay valid: docker-compose mounts them long after the command ran. */
export const PREPARED_CERT_DAYS = 365;

async function prepare(): Promise<void> {
  generateCerts(CERTS, undefined, undefined, PREPARED_CERT_DAYS);
  await build({
    entryPoints: [path.join(ROOT, "tests", "demo", "main.ts")], outfile: path.join(ROOT, "build", "demo", "app.mjs"),
    bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "error",
  });
  console.log(`prepared: ${path.relative(ROOT, CERTS)}/ (SPIFFE certs, valid ${PREPARED_CERT_DAYS} days) and build/demo/app.mjs (demo app for docker-compose)`);
}

type Chain = "istio" | "mx" | "fixtures" | "rbac" | "jwt";
const CHAINS: Record<Chain, { client: string; server: string }> = {
  istio: { client: "stats-client-sidecar.yaml", server: "stats-server-sidecar.yaml" },
  mx: { client: "mx-client-sidecar.yaml", server: "mx-server-sidecar.yaml" },
  fixtures: { client: "client-sidecar.yaml", server: "server-sidecar.yaml" },
  rbac: { client: "stats-client-sidecar.yaml", server: "rbac-server-sidecar.yaml" },
  jwt: { client: "jwt-client-sidecar.yaml", server: "jwt-server-sidecar.yaml" },
};
let jwks: DemoJwks | undefined;

/** A little traffic through both sidecars; prints what happened and returns how many checks failed. */
async function sendTraffic(d: SidecarDemo, chain: Chain): Promise<number> {
  let failed = 0;
  const check = (ok: boolean, what: string) => {
    console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
    if (!ok) failed++;
  };
  const seen = (r: DemoReport, k: string) => r.headers.find(([n]) => n === k)?.[1];
  try {
    const r = await get(`${d.urls.http}/demo?via=http1`, { "x-demo": "1" });
    const rep = JSON.parse(r.body) as DemoReport;
    check(r.status === 200, `HTTP/1.1 GET ${d.urls.http}/demo -> ${r.status}`);
    if (chain === "fixtures") {
      check(String(r.headers["x-added-by"]) === "shared-abi, shared-abi", `x-added-by: ${r.headers["x-added-by"]} (add_header.wasm in both sidecars)`);
    } else {
      // The exchange headers cross the mTLS hop between the sidecars and are stripped on both ends.
      const leaked = rep.headers.filter(([n]) => n.startsWith("x-istio-peer") || n.startsWith("x-envoy-peer")).map(([n]) => n);
      check(leaked.length === 0 && !Object.keys(r.headers).some((n) => n.startsWith("x-istio-peer")),
        `peer-metadata headers stripped before the app and before the caller (app saw: ${leaked.join(", ") || "none"})`);
    }
    if (chain === "jwt" && jwks) {
      const ok = await get(`${d.urls.http}/hello`, { authorization: `Bearer ${jwks.validToken()}` });
      const okRep = JSON.parse(ok.body) as DemoReport;
      check(ok.status === 200 && seen(okRep, "x-jwt-sub") === "alice", `valid JWT -> ${ok.status}, app saw x-jwt-sub: ${seen(okRep, "x-jwt-sub")}`);
      const bad = await get(`${d.urls.http}/hello`, { authorization: `Bearer ${jwks.expiredToken()}` });
      check(bad.status === 401 && bad.body === "Jwt is expired", `expired JWT -> ${bad.status} ${JSON.stringify(bad.body)}, WWW-Authenticate: ${bad.headers["www-authenticate"]}`);
    }
    check(!!seen(rep, "x-request-id"), `demo app saw x-request-id ${seen(rep, "x-request-id")}, x-forwarded-proto ${seen(rep, "x-forwarded-proto")}`);
  } catch (e) { check(false, `HTTP/1.1: ${(e as Error).message}`); }
  if (chain === "rbac") {
    // envoy-configs/rbac-server-sidecar.yaml: ALLOW from the client sidecar's SPIFFE identity, DENY /admin*.
    try {
      const denied = await get(`${d.urls.http}/admin/users`);
      check(denied.status === 403 && denied.body === "RBAC: access denied", `denied:  curl -v ${d.urls.http}/admin/users -> ${denied.status} ${JSON.stringify(denied.body)}`);
      const allowed = await get(`${d.urls.http}/hello`);
      check(allowed.status === 200, `allowed: curl -v ${d.urls.http}/hello -> ${allowed.status} (principal spiffe://cluster.local/ns/default/sa/client)`);
    } catch (e) { check(false, `rbac: ${(e as Error).message}`); }
  }
  try {
    const r = await h2Request(d.urls.http, { ":method": "GET", ":path": "/demo?via=h2c" });
    check(r.status === 200 && (JSON.parse(r.body.toString()) as DemoReport).path === "/demo?via=h2c", `h2c GET -> ${r.status} (h2 over mTLS between the sidecars)`);
  } catch (e) { check(false, `h2c: ${(e as Error).message}`); }
  try {
    const r = await h2Request(d.urls.http, { ":method": "POST", ":path": "/demo.Echo/Echo", "content-type": "application/grpc", te: "trailers" }, grpcFrame(Buffer.from("hello")));
    const msg = grpcUnframe(r.body);
    check(r.trailers["grpc-status"] === "0" && !!msg, `gRPC /demo.Echo/Echo -> grpc-status ${r.trailers["grpc-status"]}`);
  } catch (e) { check(false, `gRPC: ${(e as Error).message}`); }
  try {
    const got = (await tcpRoundTrip(d.urls.tcp.port, "ping over tcp_proxy\n")).toString("latin1");
    check(got === "ping over tcp_proxy\n", `TCP 127.0.0.1:${d.urls.tcp.port} echoed ${JSON.stringify(got)}`);
  } catch (e) { check(false, `TCP: ${(e as Error).message}`); }
  d.client.flushStats();
  d.server.flushStats();
  try {
    const p = await get(`${d.urls.clientAdmin}/stats/prometheus`);
    check(p.status === 200 && /downstream_rq_total/.test(p.body), `client admin /stats/prometheus -> ${p.status}, ${p.body.split("\n").filter((l) => l && !l.startsWith("#")).length} samples`);
    if (chain === "istio" || chain === "rbac") {
      // Both reporters must know both peers: that is the metadata exchange feeding the stats filter.
      const q = await get(`${d.urls.serverAdmin}/stats/prometheus`);
      const series = (body: string, reporter: string) => body.split("\n").find((l) => l.startsWith("istio_requests_total{") &&
        l.includes(`reporter="${reporter}"`) && l.includes('source_workload="client"') && l.includes('destination_workload="server"') && l.includes('response_code="200"'));
      const src = series(p.body, "source");
      const dst = series(q.body, "destination");
      check(!!src, `client admin: ${src ?? 'no istio_requests_total{reporter="source",source_workload="client",destination_workload="server",response_code="200"}'}`.slice(0, 200));
      check(!!dst, `server admin: ${dst ?? 'no istio_requests_total{reporter="destination",source_workload="client",destination_workload="server",response_code="200"}'}`.slice(0, 200));
    }
  } catch (e) { check(false, `admin: ${(e as Error).message}`); }
  return failed;
}

/** `opts` lets tests run the demo from another bundle location with their own certificate directory. */
export async function runDemo(args: string[], where: { root?: string; certDir?: string } = {}): Promise<number> {
  ROOT = where.root ?? CLI_ROOT;
  CERTS = where.certDir ?? path.join(ROOT, "build", "certs");
  if (args.includes("--prepare")) {
    await prepare();
    return 0;
  }
  const at = args.indexOf("--configs");
  const chain = (at >= 0 ? args[at + 1] : "istio") as Chain;
  if (!CHAINS[chain]) {
    console.error(`npm start: --configs must be one of ${Object.keys(CHAINS).join(", ")} (got ${JSON.stringify(args[at + 1])})`);
    return 2;
  }
  let serverPorts: Record<number, number> | undefined;
  if (chain === "jwt") {
    jwks = new DemoJwks();
    const port = await jwks.start(args.includes("--ephemeral") ? 0 : 15200);
    serverPorts = { 15200: port };
  }
  const opts = {
    repoRoot: ROOT, certDir: CERTS, freshCerts: true, workers: 2,
    runtime: createWasmRuntime, stats: createStatsStore, configs: CHAINS[chain], serverPorts,
  };
  let demo: SidecarDemo;
  try {
    demo = await startSidecarDemo({ ...opts, ephemeral: args.includes("--ephemeral") });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
    console.log(`a fixed port is in use (${(e as Error).message}); using ephemeral ports instead`);
    demo = await startSidecarDemo({ ...opts, ephemeral: true });
  }
  const u = demo.urls;
  console.log([
    "",
    "istio-wasm-suite demo: caller -> client sidecar -> mTLS (SPIFFE) -> server sidecar -> demo app",
    `  client sidecar  http listener  ${u.http}            (try: curl -v ${u.http}/hello)`,
    `                  tcp listener   127.0.0.1:${u.tcp.port}  (echo through tcp_proxy)`,
    `                  admin          ${u.clientAdmin}/stats/prometheus   ${u.clientAdmin}/stats   ${u.clientAdmin}/ready`,
    `  server sidecar  admin          ${u.serverAdmin}/stats/prometheus   ${u.serverAdmin}/stats`,
    `  demo app        http 127.0.0.1:${demo.app.httpPort}  h2c 127.0.0.1:${demo.app.grpcPort}  tcp 127.0.0.1:${demo.app.tcpPort}`,
    `  configs         envoy-configs/${CHAINS[chain].client}, envoy-configs/${CHAINS[chain].server} (--configs ${chain}); certs in ${path.relative(ROOT, CERTS)}/`,
    ...(chain === "jwt" && jwks ? [
      `  JWKS server     http://127.0.0.1:${jwks.port}/jwks (jwksUri http://jwks.local:15200/jwks, cluster outbound|15200||jwks.local)`,
      `  valid token     curl -i -H 'Authorization: Bearer ${jwks.validToken()}' ${u.http}/hello`,
      `  expired token   curl -i -H 'Authorization: Bearer ${jwks.expiredToken()}' ${u.http}/hello`,
    ] : []),
    "",
    "sending a little traffic through both sidecars:",
  ].join("\n"));
  const failed = await sendTraffic(demo, chain);
  if (args.includes("--once")) {
    await demo.stop();
    await jwks?.stop();
    console.log(failed ? `${failed} check(s) failed` : "all checks passed; stopped (--once)");
    return failed ? 1 : 0;
  }
  console.log("\nup; press Ctrl-C to stop");
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      console.log(`\n${sig}: stopping`);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  await demo.stop();
  await jwks?.stop();
  console.log("stopped");
  return failed ? 1 : 0;
}
