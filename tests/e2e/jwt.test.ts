// JWT end to end: two sidecars from envoy-configs/jwt-{client,server}-sidecar.yaml (metadata exchange,
// jwt_authn from an Istio RequestAuthentication with a remote jwksUri, stats) and a real HTTP JWKS
// server on loopback. Cold fetch, cache, JWKS server down (cached keys keep serving; a cold proxy
// answers "Jwks remote fetch is failed"), server back (recovers without restart); gRPC mapping.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { rmSync } from "node:fs";
import { DemoJwks, DEMO_ISSUER } from "../demo/jwt";
import { startSidecarDemo, type SidecarDemo } from "../host/proxy/sidecars";
import { createWasmRuntime, createStatsStore } from "../host/wasm/index";
import { httpGet as get, h2Request } from "../demo/client";
import { grpcFrame } from "../demo/app";

const ROOT = process.cwd();
const ISS = DEMO_ISSUER;
const jwks = new DemoJwks();
const token = (claims: Record<string, unknown>) => jwks.token(claims);
const now = () => Math.floor(Date.now() / 1000);

async function demo(certs: string, jwksPort: number): Promise<SidecarDemo> {
  return startSidecarDemo({
    repoRoot: ROOT, certDir: certs, freshCerts: true, ephemeral: true, workers: 2, echoLogFrom: 4,
    runtime: createWasmRuntime, stats: createStatsStore,
    configs: { client: "jwt-client-sidecar.yaml", server: "jwt-server-sidecar.yaml" },
    serverPorts: { 15200: jwksPort },
  });
}

describe("jwt_authn e2e (real JWKS server, two sidecars)", () => {
  const CERTS = path.join(ROOT, "build", `certs-jwt-e2e-${process.pid}`);
  let d: SidecarDemo;
  let base = "";
  before(async () => {
    const port = await jwks.start(0);
    d = await demo(CERTS, port);
    base = d.urls.http;
  });
  after(async () => { await d?.stop(); await jwks.stop(); rmSync(CERTS, { recursive: true, force: true }); });

  it("no token passes (RequestAuthentication alone); valid token reaches the app with x-jwt-sub and without the token", async () => {
    const none = await get(`${base}/`);
    assert.equal(none.status, 200);
    const good = token({ iss: ISS, sub: "alice", aud: "server.default", exp: now() + 600 });
    const r = await get(`${base}/hello`, { authorization: `Bearer ${good}` });
    assert.equal(r.status, 200, r.body);
    const seen = JSON.parse(r.body);
    const h = (n: string) => (seen.headers as Array<[string, string]>).filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
    assert.deepEqual(h("x-jwt-sub"), ["alice"]);
    assert.deepEqual(h("authorization"), []);
    assert.equal(jwks.hits, 1, "one cold fetch");
    for (let i = 0; i < 5; i++) assert.equal((await get(`${base}/hello`, { authorization: `Bearer ${good}` })).status, 200);
    assert.equal(jwks.hits, 1, "cached: no further fetch across both workers");
  });

  it("expired 401 with Envoy's body and WWW-Authenticate; wrong audience 403", async () => {
    const exp = await get(`${base}/x`, { authorization: `Bearer ${token({ iss: ISS, aud: "server.default", exp: now() - 3600 })}` });
    assert.equal(exp.status, 401);
    assert.equal(exp.body, "Jwt is expired");
    assert.match(String(exp.headers["www-authenticate"]), /^Bearer realm="http:\/\/[^"]*\/x", error="invalid_token"$/);
    const aud = await get(`${base}/x`, { authorization: `Bearer ${token({ iss: ISS, aud: "other", exp: now() + 600 })}` });
    assert.equal(aud.status, 403);
    assert.equal(aud.body, "Audiences in Jwt are not allowed");
  });

  it("gRPC: a rejected call is a trailers-only 200 with grpc-status 16 (UNAUTHENTICATED)", async () => {
    const r = await h2Request(`${base}`, { ":method": "POST", ":path": "/demo.Echo/Echo", "content-type": "application/grpc", te: "trailers",
      authorization: `Bearer ${token({ iss: ISS, aud: "server.default", exp: now() - 3600 })}` }, grpcFrame(Buffer.from("hi")));
    assert.equal(r.status, 200);
    assert.equal(String(r.headers["grpc-status"] ?? r.trailers["grpc-status"]), "16");
  });

  it("JWKS server down: cached keys keep serving; a cold proxy answers 401 Jwks remote fetch is failed; server back: recovers", async () => {
    jwks.up = false;
    const good = token({ iss: ISS, sub: "bob", aud: "server.default", exp: now() + 600 });
    assert.equal((await get(`${base}/`, { authorization: `Bearer ${good}` })).status, 200, "warm proxy still verifies");
    const certs2 = `${CERTS}-cold`;
    const port2 = jwks.port;
    const cold = await demo(certs2, port2);
    try {
      const r = await get(`${cold.urls.http}/`, { authorization: `Bearer ${good}` });
      assert.equal(r.status, 401);
      assert.equal(r.body, "Jwks remote fetch is failed");
      jwks.up = true;
      const back = await get(`${cold.urls.http}/`, { authorization: `Bearer ${good}` });
      assert.equal(back.status, 200, back.body);
      const stats = (await get(`${cold.urls.serverAdmin}/stats`)).body;
      assert.match(stats, /wasmcustom\.jwt_authn\.demo\.jwks_fetch_failed: [1-9]/);
      assert.match(stats, /wasmcustom\.jwt_authn\.demo\.jwks_fetch_success: 1/);
    } finally {
      await cold.stop();
      rmSync(certs2, { recursive: true, force: true });
    }
  });
});
