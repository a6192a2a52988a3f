// shared/regex match cost (build/fixtures/regex.wasm, run by Node's V8) against V8's own RegExp in
// the same process, on the patterns the RBAC and JWT filters meet: Istio's namespace principal
// regex, an API path route and a case-insensitive host. The Wasm loop runs inside the module
// (matchLoop) over one pinned input, so the figure is the engine's, not the JS-to-Wasm call's.
// Figures are the median of several timed batches, the two engines interleaved.
import { RegexWasm } from "../regex/wasm";

const wasm = new RegexWasm();
const x = wasm.exports;
const enc = new TextEncoder();

type Case = { name: string; re2: string; js: RegExp; input: string; full: boolean; expect: boolean };
const cases: Case[] = [
  { name: "Istio ns principal, match", re2: ".*/ns/foo/.*", js: /^(?:.*\/ns\/foo\/.*)$/su, input: "spiffe://cluster.local/ns/foo/sa/bar", full: true, expect: true },
  { name: "Istio ns principal, miss", re2: ".*/ns/foo/.*", js: /^(?:.*\/ns\/foo\/.*)$/su, input: "spiffe://cluster.local/ns/bar/sa/foo", full: true, expect: false },
  { name: "API path route", re2: "^/api/v[0-9]+/users/[^/]+$", js: /^\/api\/v[0-9]+\/users\/[^/]+$/u, input: "/api/v2/users/alice", full: true, expect: true },
  { name: "API path route, miss", re2: "^/api/v[0-9]+/users/[^/]+$", js: /^\/api\/v[0-9]+\/users\/[^/]+$/u, input: "/api/v2/users/alice/keys", full: true, expect: false },
  { name: "case-insensitive host", re2: "(?i)([a-z0-9-]+\\.)*example\\.com(:[0-9]+)?", js: /^(?:([a-z0-9-]+\.)*example\.com(:[0-9]+)?)$/iu, input: "API.Eu-West.Example.COM:8443", full: true, expect: true },
  { name: "partial, word in header", re2: "\\bbearer\\b", js: /\bbearer\b/u, input: "Authorization scheme is bearer for this one", full: false, expect: true },
];

function median(a: number[]): number { const s = [...a].sort((p, q) => p - q); return s[s.length >> 1]; }

const BATCH = 20000, ROUNDS = 15;
console.log(`regex: ns per match (median of ${ROUNDS} batches of ${BATCH})`);
console.log(`${"case".padEnd(28)} ${"wasm".padStart(9)} ${"V8 RegExp".padStart(10)} ${"ratio".padStart(6)}  steps  prog`);
for (const c of cases) {
  const h = wasm.compile(c.re2);
  if (typeof h !== "number") throw new Error(`${c.re2}: ${h}`);
  const bytes = enc.encode(c.input);
  const p = wasm.put(bytes);
  const mode = c.full ? 0 : 1;
  if ((x.matchLoop(h, mode, p, bytes.length, 1) === 1) !== c.expect) throw new Error(`${c.name}: wasm answer differs`);
  if (c.js.test(c.input) !== c.expect) throw new Error(`${c.name}: RegExp answer differs`);
  const steps = wasm.steps();
  const tw: number[] = [], tj: number[] = [];
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = process.hrtime.bigint();
    sink += x.matchLoop(h, mode, p, bytes.length, BATCH);
    let t1 = process.hrtime.bigint();
    tw.push(Number(t1 - t0) / BATCH);
    t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) if (c.js.test(c.input)) sink++;
    t1 = process.hrtime.bigint();
    tj.push(Number(t1 - t0) / BATCH);
  }
  wasm.free(p);
  const w = median(tw), j = median(tj);
  console.log(`${c.name.padEnd(28)} ${w.toFixed(0).padStart(7)} ns ${j.toFixed(0).padStart(8)} ns ${(w / j).toFixed(1).padStart(6)}  ${String(steps).padStart(5)}  ${String(wasm.programSize(h)).padStart(4)}${sink < 0 ? "" : ""}`);
}
console.log(`linear memory: ${wasm.memoryBytes()} bytes`);

// Memory of many compiled, warmed regexes (an RBAC configuration with a thousand policies).
{
  wasm.reset();
  const before = wasm.memoryBytes();
  const input = enc.encode("spiffe://cluster.local/ns/ns-500/sa/default");
  const p = wasm.put(input);
  let hits = 0;
  for (let i = 0; i < 1000; i++) {
    const h = wasm.compile(`.*/ns/ns-${i}/.*`);
    if (typeof h !== "number") throw new Error(String(h));
    hits += x.matchLoop(h, 0, p, input.length, 1);
    const g = wasm.compile(`^spiffe://cluster\\.local/ns/[^/]+/sa/sa-${i}$`) as number;
    hits += x.matchLoop(g, 0, p, input.length, 1);
  }
  wasm.free(p);
  x.collect();
  if (hits !== 1) throw new Error(`expected one match, got ${hits}`);
  const after = wasm.memoryBytes();
  // Page-granular: Wasm memory only grows, so this is the high-water mark (live regexes, allocator
  // overhead and compile-time garbage not yet reused), not the live size alone.
  console.log(`2,000 compiled and matched regexes: linear memory ${before} -> ${after} bytes (${((after - before) / 2000).toFixed(0)} bytes per regex, high-water)`);
}
