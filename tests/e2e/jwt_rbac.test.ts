// End to end: client sidecar -> mTLS -> server sidecar running metadata exchange -> JWT
// (dist/jwt_authn.wasm) -> RBAC (dist/rbac.wasm) -> stats, with a policy that needs both the mTLS
// principal and a JWT claim. The server bootstrap is envoy-configs/rbac-server-sidecar.yaml with the
// JWT filter added and the policy replaced; the JWKS is generated per run (node:crypto, RS256) and the
// tokens are minted with its private key, so nothing secret is committed.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { generateKeyPairSync, createSign } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { startSidecarDemo, type SidecarDemo } from "../host/proxy/sidecars";
import { createWasmRuntime, createStatsStore } from "../host/wasm/index";

const ROOT = process.cwd();
const RUN = path.join(ROOT, "build", `jwt-rbac-e2e-${process.pid}`);
const CERTS = path.join(RUN, "certs");
const ISSUER = "https://issuer.example";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...(publicKey.export({ format: "jwk" }) as Record<string, string>), kid: "k1", alg: "RS256", use: "sig" };
const b64 = (b: Buffer | string) => Buffer.from(b).toString("base64url");
function mint(claims: Record<string, unknown>): string {
  const head = b64(JSON.stringify({ alg: "RS256", kid: "k1", typ: "JWT" }));
  const body = b64(JSON.stringify({ iss: ISSUER, sub: "alice", exp: Math.floor(Date.now() / 1000) + 3600, ...claims }));
  const sig = createSign("RSA-SHA256").update(`${head}.${body}`).sign(privateKey);
  return `${head}.${body}.${b64(sig)}`;
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, timeout: 5000, headers }, (res) => {
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

/** rbac-server-sidecar.yaml with the JWT filter before RBAC and a principal AND claim policy. */
function serverBootstrap(): string {
  const src = readFileSync(path.join(ROOT, "envoy-configs", "rbac-server-sidecar.yaml"), "utf8");
  const jwtConfig = JSON.stringify({
    providers: { issuer: { issuer: ISSUER, local_jwks: { inline_string: JSON.stringify({ keys: [jwk] }) }, payload_in_metadata: "payload", forward: true } },
    rules: [{ match: { prefix: "/" }, requires: { requires_any: { requirements: [{ provider_name: "issuer" }, { allow_missing: {} }] } } }],
  });
  const policy = JSON.stringify({ authorization_policies: [{ metadata: { name: "client-admins", namespace: "default" }, spec: { rules: [{
    from: [{ source: { principals: ["cluster.local/ns/default/sa/client"], requestPrincipals: [`${ISSUER}/*`] } }],
    when: [{ key: "request.auth.claims[groups]", values: ["admins"] }],
  }] } }] });
  const jwtFilter = [
    "          - name: envoy.filters.http.wasm",
    "            typed_config:",
    '              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
    "              config:",
    "                name: istio.jwt",
    "                root_id: jwt_authn",
    "                vm_config:",
    "                  vm_id: jwt_authn",
    "                  runtime: envoy.wasm.runtime.v8",
    "                  code: { local: { filename: /etc/istio-wasm/dist/jwt_authn.wasm } }",
    "                configuration:",
    '                  "@type": type.googleapis.com/google.protobuf.StringValue',
    `                  value: '${jwtConfig}'`,
    "                failure_policy: FAIL_CLOSED",
    "",
  ].join("\n");
  const lines = src.split("\n");
  const at = lines.findIndex((l) => l.includes("root_id: rbac") && !l.includes("rbac_tcp"));
  // The filter entry starts 5 lines above `root_id: rbac` ("- name: envoy.filters.http.wasm").
  const start = at - 5;
  assert.match(lines[start], /- name: envoy\.filters\.http\.wasm/);
  const valueLine = lines.findIndex((l, i) => i > at && l.includes("value: '"));
  lines[valueLine] = lines[valueLine].replace(/value: '.*'/, `value: '${policy}'`);
  lines.splice(start, 0, jwtFilter.trimEnd());
  return lines.join("\n");
}

describe("e2e: mTLS principal AND JWT claim (metadata exchange -> JWT -> RBAC -> stats)", () => {
  let demo: SidecarDemo;
  before(async () => {
    mkdirSync(RUN, { recursive: true });
    writeFileSync(path.join(RUN, "server.yaml"), serverBootstrap());
    demo = await startSidecarDemo({
      repoRoot: ROOT, certDir: CERTS, freshCerts: true, ephemeral: true, workers: 1,
      configs: { client: "stats-client-sidecar.yaml", server: path.relative(path.join(ROOT, "envoy-configs"), path.join(RUN, "server.yaml")) },
      runtime: createWasmRuntime, stats: createStatsStore,
    });
  });
  after(async () => {
    await demo?.stop();
    rmSync(RUN, { recursive: true, force: true });
  });

  it("a verified token with groups [admins] from the client's SPIFFE identity is allowed", async () => {
    const r = await get(`${demo.urls.http}/hello`, { authorization: `Bearer ${mint({ groups: ["dev", "admins"] })}` });
    assert.equal(r.status, 200, r.body);
  });
  it("a verified token without the claim, or no token, is denied by RBAC (403)", async () => {
    const noClaim = await get(`${demo.urls.http}/hello`, { authorization: `Bearer ${mint({ groups: ["dev"] })}` });
    assert.equal(noClaim.status, 403);
    assert.equal(noClaim.body, "RBAC: access denied");
    const none = await get(`${demo.urls.http}/hello`);
    assert.equal(none.status, 403);
  });
  it("a token signed by another key is rejected by the JWT filter (401) before RBAC", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const head = b64(JSON.stringify({ alg: "RS256", kid: "k1" }));
    const body = b64(JSON.stringify({ iss: ISSUER, sub: "mallory", groups: ["admins"], exp: Math.floor(Date.now() / 1000) + 3600 }));
    const forged = `${head}.${body}.${b64(createSign("RSA-SHA256").update(`${head}.${body}`).sign(other))}`;
    const r = await get(`${demo.urls.http}/hello`, { authorization: `Bearer ${forged}` });
    assert.equal(r.status, 401);
  });
});
