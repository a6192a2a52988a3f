// End to end through both sidecars over mTLS with dist/rbac.wasm in the server sidecar
// (envoy-configs/rbac-server-sidecar.yaml, paired with stats-client-sidecar.yaml): real SPIFFE
// certificates from tests/certs, Istio AuthorizationPolicies ALLOW from
// spiffe://cluster.local/ns/default/sa/client and DENY on /admin*.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { rmSync } from "node:fs";
import { startSidecarDemo, type SidecarDemo } from "../host/proxy/sidecars";
import { createWasmRuntime, createStatsStore } from "../host/wasm/index";

const ROOT = process.cwd();
const CERTS = path.join(ROOT, "build", `certs-rbac-e2e-${process.pid}`);

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end();
  });
}

function tcp(host: string, port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let got = "";
    const timer = setTimeout(() => { sock.destroy(); reject(new Error("tcp timeout")); }, 5000);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(payload));
    sock.on("data", (d) => { got += d; if (got.length >= payload.length) sock.end(); });
    sock.on("close", () => { clearTimeout(timer); resolve(got); });
    sock.on("error", (e) => { clearTimeout(timer); reject(e); });
  });
}

describe("e2e: RBAC in the server sidecar over mTLS with SPIFFE principals", () => {
  let demo: SidecarDemo;
  before(async () => {
    demo = await startSidecarDemo({
      repoRoot: ROOT, certDir: CERTS, freshCerts: true, ephemeral: true, workers: 2,
      configs: { client: "stats-client-sidecar.yaml", server: "rbac-server-sidecar.yaml" },
      runtime: createWasmRuntime, stats: createStatsStore,
    });
  });
  after(async () => {
    await demo?.stop();
    rmSync(CERTS, { recursive: true, force: true });
  });

  it("the client sidecar's principal is allowed; /admin* is denied with Envoy's 403", async () => {
    const ok = await get(`${demo.urls.http}/hello`);
    assert.equal(ok.status, 200);
    const denied = await get(`${demo.urls.http}/admin/users`);
    assert.equal(denied.status, 403);
    assert.equal(denied.body, "RBAC: access denied");
    const stats = await get(`${demo.urls.serverAdmin}/stats`);
    assert.match(stats.body, /wasmcustom\.rbac\.denied: 1\b/);
    assert.match(stats.body, /wasmcustom\.rbac\.allowed: [1-9]/);
  });

  it("TCP through the mTLS chain: the client principal is allowed by the rbac_tcp root", async () => {
    const payload = "ping-" + "x".repeat(100);
    const echoed = await tcp(demo.urls.tcp.host, demo.urls.tcp.port, payload);
    const stats = await get(`${demo.urls.serverAdmin}/stats`);
    assert.equal(echoed, payload, stats.body.split("\n").filter((l) => l.includes("rbac") || l.includes("metadata_exchange")).join("\n"));
    assert.match(stats.body, /wasmcustom\.tcp\.rbac\.allowed: [1-9]/);
  });
});
