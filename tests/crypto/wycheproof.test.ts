// Every vector of every file in tests/testdata/wycheproof/ (Project Wycheproof's files, copied with
// their license; see the README there) through the compiled crypto fixture. A file this test does not know fails the run, so
// a newly dropped vector file cannot be silently skipped. Deliberate deviations are listed below.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { CryptoWasm, Hash, Curve, hex } from "./wasm";
import { verifyCompactJws } from "./jws";

const DIR = path.resolve(process.cwd(), "tests", "testdata", "wycheproof");
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
  JsonWebSignature(file, d, out) { runJws(file, d, out); },
  JsonWebKey(file, d, out) { runJws(file, d, out); },
};

/**
 * JWS-level vectors where our policy deliberately disagrees with Wycheproof, keyed by
 * `<file>#<tcId>`. Each needs a reason; an unlisted disagreement fails the test.
 */
const ALG_MISMATCH = "the JWK's alg differs from the token's (PS256 key / PS384 token; 'ES521' is not a JWS alg and the " +
  "token is ES512). We never use a key whose alg names another algorithm: that binding is what stops alg confusion, " +
  "and Envoy's jwt_verify_lib skips such keys too";
const SAME_AS_357 = "this vector is byte-for-byte identical to tcId 357 (ValidMac, expected valid): Wycheproof contradicts itself " +
  "and no verifier can satisfy both; we follow 357 (the token is canonical base64url and its MAC is right)";
const STRICT_B64 = "'?' is not a base64url character: RFC 7515 §2 allows none, and Envoy answers 'invalid Base64url'; " +
  "Wycheproof marks it valid only for decoders that skip unknown characters";
const JWS_DEVIATIONS: Record<string, string> = {
  "json_web_signature_test.json#346": ALG_MISMATCH,
  "json_web_signature_test.json#347": ALG_MISMATCH,
  "json_web_signature_test.json#350": ALG_MISMATCH,
  "json_web_signature_test.json#351": ALG_MISMATCH,
  "json_web_signature_test.json#367": SAME_AS_357,
  "json_web_signature_test.json#370": SAME_AS_357,
  "json_web_signature_test.json#372": STRICT_B64,
  "json_web_signature_test.json#373": STRICT_B64,
};

function runJws(file: string, d: any, out: Outcome) {
  if (file === "json_web_signature_test.json") {
    // Guard for SAME_AS_357: the contradiction is only a deviation while the vectors are identical.
    const all = d.testGroups.flatMap((g: any) => g.tests);
    const jws = (id: number) => all.find((t: any) => t.tcId === id)?.jws;
    assert.equal(jws(367), jws(357)); assert.equal(jws(370), jws(357));
  }
  for (const g of d.testGroups) {
    const keySet = g.public ?? g.private;
    for (const v of g.tests as Vec[]) {
      const r = verifyCompactJws(wasm, v.jws, keySet);
      const why = JWS_DEVIATIONS[`${file}#${v.tcId}`];
      out.checked++;
      const id = `${file} #${v.tcId} (${g.comment}/${v.comment})`;
      if (r.valid === (v.result === "valid")) {
        if (why) out.mismatches.push(`${id}: listed as a deviation but now agrees; remove it from JWS_DEVIATIONS`);
        continue;
      }
      if (why) out.deviations.push(`${id}: expected ${v.result}, we say ${r.valid ? "valid" : "invalid"} (${r.reason}): ${why}`);
      else out.mismatches.push(`${id}: expected ${v.result}, got ${r.valid ? "valid" : "invalid"} (${r.reason})`);
    }
  }
}

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
