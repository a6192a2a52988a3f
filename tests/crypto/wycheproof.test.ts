// Every vector of every file in ../shared/testdata/wycheproof/ (CI clones the repo with shared/
// beside it) through the compiled crypto fixture. A file this test does not know fails the run, so
// a newly dropped vector file cannot be silently skipped. Deliberate deviations are listed below.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { CryptoWasm, Hash, Curve, hex } from "./wasm";

const DIR = path.resolve(process.cwd(), "..", "shared", "testdata", "wycheproof");
const wasm = new CryptoWasm();

interface Vec { tcId: number; comment: string; flags: string[]; result: "valid" | "invalid" | "acceptable"; [k: string]: any }
interface Outcome { checked: number; mismatches: string[]; deviations: string[] }

const hashOf = (name: string): Hash => name === "SHA-256" ? Hash.SHA256 : name === "SHA-384" ? Hash.SHA384 : name === "SHA-512" ? Hash.SHA512 : (() => { throw new Error(`hash ${name}`); })();

/**
 * "acceptable" vectors: Wycheproof lets a verifier go either way. Each one we meet must be listed
 * here with the choice we made, so a change of behaviour is noticed.
 */
function acceptableChoice(file: string, v: Vec): { accept: boolean; why: string } | null {
  if (file.startsWith("rsa_signature_") && v.flags.includes("MissingNull"))
    return { accept: false, why: "PKCS#1 v1.5 DigestInfo without the NULL parameter: we compare the exact RFC 8017 encoding (as BoringSSL does), so it is rejected" };
  return null;
}

function judge(file: string, v: Vec, got: boolean, out: Outcome) {
  out.checked++;
  const id = `${file} #${v.tcId} (${v.comment || v.flags.join(",")})`;
  if (v.result === "acceptable") {
    const c = acceptableChoice(file, v);
    if (c === null) { out.mismatches.push(`${id}: "acceptable" vector with no documented choice (we said ${got})`); return; }
    if (c.accept !== got) out.mismatches.push(`${id}: documented choice ${c.accept} but got ${got}`);
    else out.deviations.push(`${id}: ${c.why}`);
    return;
  }
  if (got !== (v.result === "valid")) out.mismatches.push(`${id}: expected ${v.result}, got ${got ? "valid" : "invalid"}`);
}

const runners: Record<string, (file: string, d: any, out: Outcome) => void> = {
  MacTest(file, d, out) {
    const alg = file.includes("sha256") ? Hash.SHA256 : file.includes("sha384") ? Hash.SHA384 : Hash.SHA512;
    const full = alg === Hash.SHA256 ? 256 : alg === Hash.SHA384 ? 384 : 512;
    for (const g of d.testGroups) for (const v of g.tests as Vec[]) {
      const key = hex(v.key), msg = hex(v.msg), tag = hex(v.tag);
      if (Number(g.tagSize) !== full) {
        // Truncated-tag groups: JWS (RFC 7518 §3.2) forbids truncation, so our verifier must refuse
        // every one of them, valid or not; and the tag it computes must start with the valid ones.
        out.checked++;
        if (wasm.hmacVerify(alg, key, msg, tag)) out.mismatches.push(`${file} #${v.tcId}: truncated tag accepted`);
        const mine = wasm.hmac(alg, key, msg).subarray(0, tag.length);
        if ((v.result === "valid") !== Buffer.from(mine).equals(Buffer.from(tag))) out.mismatches.push(`${file} #${v.tcId}: computed tag prefix disagrees`);
        continue;
      }
      judge(file, v, wasm.hmacVerify(alg, key, msg, tag), out);
    }
  },
  RsassaPkcs1Verify(file, d, out) {
    for (const g of d.testGroups) {
      const n = hex(g.publicKey.modulus), e = hex(g.publicKey.publicExponent), h = hashOf(g.sha);
      for (const v of g.tests as Vec[]) {
        const r = wasm.rsa(h, false, n, e, hex(v.msg), hex(v.sig));
        if (r < 0) { out.checked++; out.mismatches.push(`${file} #${v.tcId}: key rejected`); continue; }
        judge(file, v, r === 1, out);
      }
    }
  },
  RsassaPssVerify(file, d, out) {
    for (const g of d.testGroups) {
      const n = hex(g.publicKey.modulus), e = hex(g.publicKey.publicExponent), h = hashOf(g.sha);
      if (g.mgf !== "MGF1" || g.mgfSha !== g.sha || Number(g.sLen) * 8 !== (h === Hash.SHA256 ? 256 : h === Hash.SHA384 ? 384 : 512))
        throw new Error(`${file}: group outside JWS PSS parameters; extend the test`);
      for (const v of g.tests as Vec[]) {
        const r = wasm.rsa(h, true, n, e, hex(v.msg), hex(v.sig));
        if (r < 0) { out.checked++; out.mismatches.push(`${file} #${v.tcId}: key rejected`); continue; }
        judge(file, v, r === 1, out);
      }
    }
  },
  EcdsaP1363Verify(file, d, out) {
    for (const g of d.testGroups) {
      const c = ({ secp256r1: Curve.P256, secp384r1: Curve.P384, secp521r1: Curve.P521 } as Record<string, Curve>)[g.publicKey.curve];
      const want = c === Curve.P256 ? "SHA-256" : c === Curve.P384 ? "SHA-384" : "SHA-512";
      if (c === undefined || g.sha !== want) throw new Error(`${file}: ${g.publicKey.curve}/${g.sha} is not a JWS pairing; extend the test`);
      const L = c === Curve.P256 ? 32 : c === Curve.P384 ? 48 : 66;
      const u = hex(g.publicKey.uncompressed);
      assert.equal(u.length, 1 + 2 * L);
      const x = u.subarray(1, 1 + L), y = u.subarray(1 + L);
      for (const v of g.tests as Vec[]) {
        const r = wasm.ecdsa(c, x, y, hex(v.msg), hex(v.sig));
        if (r < 0) { out.checked++; out.mismatches.push(`${file} #${v.tcId}: key rejected`); continue; }
        judge(file, v, r === 1, out);
      }
    }
  },
  EddsaVerify(file, d, out) {
    for (const g of d.testGroups) {
      const pk = hex(g.publicKey.pk);
      for (const v of g.tests as Vec[]) {
        const r = wasm.ed25519(pk, hex(v.msg), hex(v.sig));
        if (r < 0) { out.checked++; out.mismatches.push(`${file} #${v.tcId}: key rejected`); continue; }
        judge(file, v, r === 1, out);
      }
    }
  },
};

const files = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();
test("the Wycheproof folder is present and not empty", () => {
  assert.ok(files.length >= 10, `expected the vector files in ${DIR}, found ${files.length}`);
});

for (const file of files) {
  const d = JSON.parse(readFileSync(path.join(DIR, file), "utf8"));
  const type = d.testGroups[0]?.type as string;
  test(`wycheproof ${file} (${type})`, () => {
    const run = runners[type];
    assert.ok(run, `no runner for group type ${type} in ${file}`);
    const out: Outcome = { checked: 0, mismatches: [], deviations: [] };
    run(file, d, out);
    assert.equal(out.checked, d.numberOfTests, `${file}: ran ${out.checked} of ${d.numberOfTests} vectors`);
    assert.deepEqual(out.mismatches, [], `${file}: ${out.mismatches.length} vectors disagree`);
    if (out.deviations.length) console.log(`# ${file}: ${out.deviations.length} documented deviation(s)\n#   ` + out.deviations.join("\n#   "));
  });
}
