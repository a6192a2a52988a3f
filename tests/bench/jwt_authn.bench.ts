// jwt_authn (dist/jwt_authn.wasm) per request with the shared bench host (tests/bench/bench-host.ts).
//  1. cache hit: an RS256 token of ~800 bytes, jwt_cache_config on, local JWKS, Istio-like outputs
//     (payload_in_metadata, token removed): ns/request vs the null filter, the call floor (the same
//     recorded host calls replayed by tests/fixtures/call_floor with no logic), the filter's own work
//     above it, host calls per request, linear memory before/after.
//  2. cold verification through the filter (no token cache) for RS256 / ES256 / EdDSA vs node:crypto
//     verifying the same token in the same run.
import path from "node:path";
import { generateKeyPairSync, createSign, sign as edSign, verify, createPublicKey, type KeyObject } from "node:crypto";
import {
  instantiate, Stream, header as H, hasHeader as hk, callFloorConfig, describeCalls, dec,
  FIXTURES, DIST, REQUESTS, WARMUP, type HeaderMap as Headers, type HostCall, timeRequests, memoryNote,
} from "./bench-host";

const b64u = (b: Buffer | string) => Buffer.from(b).toString("base64url");
const ISS = "https://accounts.example.com";
const now = Math.floor(Date.now() / 1000);

interface Key { alg: string; priv: KeyObject; pub: KeyObject; jwk: Record<string, unknown>; }
function makeKey(alg: "RS256" | "ES256" | "EdDSA"): Key {
  const kp = alg === "RS256" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : alg === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
  return { alg, priv: kp.privateKey, pub: kp.publicKey, jwk: { ...kp.publicKey.export({ format: "jwk" }), kid: `k-${alg}`, alg } };
}
function mint(k: Key, claims: Record<string, unknown>): string {
  const input = `${b64u(JSON.stringify({ alg: k.alg, kid: `k-${k.alg}`, typ: "JWT" }))}.${b64u(JSON.stringify(claims))}`;
  const sig = k.alg === "RS256" ? createSign("sha256").update(input).sign(k.priv)
    : k.alg === "ES256" ? createSign("sha256").update(input).sign({ key: k.priv, dsaEncoding: "ieee-p1363" })
    : edSign(null, Buffer.from(input), k.priv);
  return `${input}.${b64u(sig)}`;
}
function nodeVerify(k: Key, token: string): boolean {
  const i = token.lastIndexOf(".");
  const input = Buffer.from(token.slice(0, i));
  const sig = Buffer.from(token.slice(i + 1), "base64url");
  if (k.alg === "EdDSA") return verify(null, input, k.pub, sig);
  return verify("sha256", input, k.alg === "ES256" ? { key: k.pub, dsaEncoding: "ieee-p1363" } : k.pub, sig);
}

function config(k: Key, cache: boolean): string {
  return JSON.stringify({
    providers: { p1: { issuer: ISS, audiences: ["api.example.com"], local_jwks: { inline_string: JSON.stringify({ keys: [k.jwk] }) },
      payload_in_metadata: "payload", normalize_payload_in_metadata: { space_delimited_claims: ["scope", "permission"] },
      ...(cache ? { jwt_cache_config: { jwt_cache_size: 100 } } : {}) } },
    rules: [{ match: { prefix: "/" }, requires: { requires_any: { requirements: [{ provider_name: "p1" }, { allow_missing: {} }] } } }],
  });
}

const REQUEST: Headers = [H(":method", "GET"), H(":path", "/api/v1/items?page=2"), H(":authority", "api.example.com"), H(":scheme", "http"),
  H("user-agent", "bench/1.0"), H("accept", "*/*"), H("x-request-id", "7f1c0c1e-5d4b-4c1a-9a57-3e7f2a9d1b11")];
const RESPONSE: Headers = [H(":status", "200"), H("content-type", "application/json")];
const stream = (token: string) => new Stream([...REQUEST, H("authorization", `Bearer ${token}`)], [...RESPONSE]);

const dist = path.join(DIST, "jwt_authn.wasm");
const nullWasm = path.join(FIXTURES, "null.wasm");
const callFloorWasm = path.join(FIXTURES, "call_floor.wasm");
let failed = false;
function check(cond: boolean, what: string) { if (!cond) { failed = true; console.error(`CHECK FAILED: ${what}`); } }

// A typical ~800-byte RS256 access token (claims of an OIDC provider).
const rs = makeKey("RS256");
const claims = { iss: ISS, sub: "user-8f14e45fceea167a5a36dedd4bea2543", aud: ["api.example.com", "https://accounts.example.com/userinfo"], azp: "web-client-1",
  exp: now + 86400, iat: now, nbf: now - 10, jti: "b3f1a2c4-5d6e-4f70-8192-a3b4c5d6e7f8", scope: "openid profile email items:read items:write",
  email: "someone@example.com", email_verified: true, name: "Some One", groups: ["dev", "ops"] };
const token = mint(rs, claims);

function vm(file: string, rootId: string, cfg: string, record = false) {
  return instantiate(file, { rootId, config: cfg, record, trapOnExit: true });
}
function run(file: string, rootId: string, cfg: string, n: number) {
  const v = vm(file, rootId, cfg);
  for (let i = 0; i < Math.min(WARMUP, n); i++) v.request(stream(token));
  const memWarm = v.memoryBytes();
  let last!: Stream;
  const { ns, wall } = timeRequests(0, n, () => { last = v.request(stream(token)); });
  return { ns, wall, memWarm, memEnd: v.memoryBytes(), last, vm: v };
}

const HIT = config(rs, true);
const rec = vm(dist, "jwt_authn", HIT, true);
for (let i = 0; i < 10; i++) rec.request(stream(token));
const calls: HostCall[] = rec.recordRequest(stream(token));
if (process.env.BENCH_SHOW_CALLS) for (const line of describeCalls(calls)) console.log("  " + line);
const floorCfg = callFloorConfig(calls);
const rounds = [0, 1, 2].map(() => ({
  nul: run(nullWasm, "null", "{}", REQUESTS),
  hit: run(dist, "jwt_authn", HIT, REQUESTS),
  floor: run(callFloorWasm, "call_floor", floorCfg, REQUESTS),
}));
type K = keyof (typeof rounds)[number];
const best = (k: K) => rounds.map((r) => r[k]).sort((a, b) => a.ns - b.ns)[0];
const nul = best("nul"), hit = best("hit"), floor = best("floor");
console.log(`jwt_authn cache hit, RS256 token of ${token.length} bytes, ${REQUESTS} requests after ${WARMUP} warm-up, best of 3 interleaved rounds (CPU ns/request; wall in brackets):`);
console.log(`  null            ${nul.ns.toFixed(1).padStart(9)} ns/request  [${nul.wall.toFixed(1)}]`);
console.log(`  jwt_authn hit   ${hit.ns.toFixed(1).padStart(9)} ns/request  [${hit.wall.toFixed(1)}]  ratio ${(hit.ns / nul.ns).toFixed(2)}x null`);
console.log(`  call floor (the same ${calls.length} host calls, no logic): ${floor.ns.toFixed(1)} ns/request = ${(floor.ns / nul.ns).toFixed(2)}x null; ` +
  `the filter's own work above its call floor: ${(hit.ns - floor.ns).toFixed(1)} ns/request (target <= 1000)`);
const counts = Object.entries(calls.reduce((m, c) => ({ ...m, [c.fn]: (m[c.fn] ?? 0) + 1 }), {} as Record<string, number>)).map(([fn, n]) => `${n} ${fn.replace("proxy_", "")}`).join(", ");
console.log(`  host calls per hit: ${calls.length} (${counts})`);
console.log(`  ${memoryNote(hit.memWarm, hit.memEnd)}`);
check(!hk(hit.last.request, "authorization"), "token removed on the hit path");
check(!!hit.last.stateValue("jwt_authn"), "hit path wrote wasm.jwt_authn");
check(hit.memEnd === hit.memWarm, "linear memory flat on the hit path");
check(hit.vm.metrics.size > 0 && [...hit.vm.metrics.values()].some((m) => m.name === "jwt_authn.jwt_cache_hit" && m.value > REQUESTS), "cache hits counted");

// 2. Cold verification through the filter vs node:crypto, same tokens, same run.
const COLD = Number(process.env.BENCH_COLD ?? 2000);
console.log(`cold verification through the filter (no token cache), ${COLD} requests each, vs node:crypto verify of the same token:`);
for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
  const k = alg === "RS256" ? rs : makeKey(alg);
  const t = mint(k, claims);
  const v = vm(dist, "jwt_authn", config(k, false));
  for (let i = 0; i < 50; i++) v.request(stream(t));
  let last!: Stream;
  const { ns } = timeRequests(0, COLD, () => { last = v.request(new Stream([...REQUEST, H("authorization", `Bearer ${t}`)], [...RESPONSE])); });
  check(!!last.stateValue("jwt_authn") && !hk(last.request, "authorization"), `${alg}: cold path verified`);
  let ok = true;
  const { ns: nodeNs } = timeRequests(0, COLD, () => { ok = nodeVerify(k, t) && ok; });
  check(ok, `${alg}: node:crypto verifies the token`);
  console.log(`  ${alg.padEnd(6)} filter ${(ns / 1000).toFixed(1).padStart(8)} us/request   node:crypto ${(nodeNs / 1000).toFixed(1).padStart(7)} us/verify   ratio ${(ns / nodeNs).toFixed(2)}x` +
    (alg === "RS256" ? (ns / nodeNs <= 5 ? "  (target <= 5x met)" : "  (TARGET <= 5x MISSED)") : ""));
}
void dec; void createPublicKey;
if (failed) process.exit(1);
