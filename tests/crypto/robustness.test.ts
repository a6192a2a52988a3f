// No input traps the module. Random and adversarial lengths and contents go to every verifier; a
// trap would surface here as a thrown Error (abort -> proc_exit), and each answer must be a clean
// "invalid" (0) or "key rejected" (-1), never "valid".
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { CryptoWasm, Hash, Curve } from "./wasm";

const wasm = new CryptoWasm();
const rnd = (n: number) => new Uint8Array(crypto.randomBytes(n));
const LENGTHS = [0, 1, 2, 31, 32, 33, 47, 48, 63, 64, 65, 66, 67, 96, 127, 128, 131, 132, 133, 255, 256, 257, 384, 511, 512, 513, 1024];
const ff = (n: number) => new Uint8Array(n).fill(0xff);

test("RSA: any modulus/exponent/signature shape is refused or invalid, never a trap", () => {
  const e = new Uint8Array([1, 0, 1]);
  for (const nl of LENGTHS) for (const sl of [0, 1, nl - 1, nl, nl + 1].filter((x) => x >= 0)) {
    for (const n of [rnd(nl), ff(nl), new Uint8Array(nl)]) {
      for (const pss of [false, true]) {
        const r = wasm.rsa(Hash.SHA256, pss, n, e, rnd(10), rnd(sl));
        assert.ok(r === 0 || r === -1, `n ${nl} B, sig ${sl} B: ${r}`);
      }
    }
  }
  for (const ev of [new Uint8Array(0), new Uint8Array([1]), new Uint8Array([0, 0, 0, 0, 3]), rnd(300), ff(8)]) {
    const r = wasm.rsa(Hash.SHA512, false, ff(256), ev, rnd(5), rnd(256));
    assert.ok(r === 0 || r === -1);
  }
  // A legitimately sized modulus with signatures at and above n.
  const { publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const n = Uint8Array.from(Buffer.from((publicKey.export({ format: "jwk" }) as any).n, "base64url"));
  assert.equal(wasm.rsa(Hash.SHA256, false, n, e, rnd(3), n), 0, "s = n");
  assert.equal(wasm.rsa(Hash.SHA256, false, n, e, rnd(3), ff(256)), 0, "s > n");
  assert.equal(wasm.rsa(Hash.SHA256, true, n, e, rnd(3), new Uint8Array(256)), 0, "s = 0");
  const one = new Uint8Array(256); one[255] = 1;
  assert.equal(wasm.rsa(Hash.SHA256, false, n, e, rnd(3), one), 0, "s = 1");
  for (let i = 0; i < 20; i++) assert.equal(wasm.rsa(i & 1 ? Hash.SHA384 : Hash.SHA512, (i & 2) !== 0, n, e, rnd(i * 7), rnd(256)), 0);
});

test("ECDSA: any key/signature shape is refused or invalid", () => {
  for (const c of [Curve.P256, Curve.P384, Curve.P521]) {
    for (const xl of LENGTHS) {
      const r = wasm.ecdsa(c, rnd(xl), rnd(xl), rnd(4), rnd(xl * 2));
      assert.ok(r === 0 || r === -1, `curve ${c}, ${xl} B: ${r}`);
      assert.ok(wasm.ecdsa(c, ff(xl), ff(xl), rnd(4), ff(xl * 2)) <= 0);
    }
  }
  assert.equal(wasm.ecdsa(7 as Curve, rnd(32), rnd(32), rnd(1), rnd(64)), -1, "unknown curve id");
  // A valid key with random and extreme signatures of every length.
  for (const [crv, c] of [["P-256", Curve.P256], ["P-384", Curve.P384], ["P-521", Curve.P521]] as const) {
    const { publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: crv });
    const jwk = publicKey.export({ format: "jwk" }) as any;
    const x = Uint8Array.from(Buffer.from(jwk.x, "base64url")), y = Uint8Array.from(Buffer.from(jwk.y, "base64url"));
    for (const sl of LENGTHS) {
      assert.equal(wasm.ecdsa(c, x, y, rnd(9), rnd(sl)), 0, `${crv} sig ${sl} B`);
      assert.equal(wasm.ecdsa(c, x, y, rnd(9), ff(sl)), 0);
      assert.equal(wasm.ecdsa(c, x, y, rnd(9), new Uint8Array(sl)), 0);
    }
  }
});

test("Ed25519: any key/signature shape is refused or invalid", () => {
  for (const l of LENGTHS) {
    for (const pk of [rnd(l), ff(l), new Uint8Array(l)]) {
      const r = wasm.ed25519(pk, rnd(l), rnd(64));
      assert.ok(r === 0 || r === -1, `pk ${l} B: ${r}`);
    }
  }
  const { publicKey } = crypto.generateKeyPairSync("ed25519");
  const x = Uint8Array.from(Buffer.from((publicKey.export({ format: "jwk" }) as any).x, "base64url"));
  for (const sl of LENGTHS) {
    assert.equal(wasm.ed25519(x, rnd(3), rnd(sl)), 0);
    assert.equal(wasm.ed25519(x, rnd(3), ff(sl)), 0);
    assert.equal(wasm.ed25519(x, rnd(3), new Uint8Array(sl)), 0);
  }
  // Random 32-byte strings decode to a curve point about half the time: exercise both branches.
  let accepted = 0;
  for (let i = 0; i < 200; i++) { const r = wasm.ed25519(rnd(32), rnd(5), rnd(64)); assert.ok(r <= 0); if (r === 0) accepted++; }
  assert.ok(accepted > 40 && accepted < 160, `random keys accepted ${accepted}/200`);
});

test("HMAC and base64url: any shape, no trap", () => {
  for (const l of LENGTHS) for (const h of [Hash.SHA256, Hash.SHA384, Hash.SHA512]) {
    assert.equal(wasm.hmacVerify(h, rnd(l), rnd(l), rnd(l)), false);
  }
  for (const s of ["", "A", "AA", "AAA", "AB", "AAB", "A=", "====", "\u00ff\u00fe", "a.b", "-_", "+/", "AAAA\n"]) {
    const r = wasm.b64uDecode(s);
    assert.ok(r === null || r instanceof Uint8Array);
  }
  assert.deepEqual(wasm.b64uDecode("AB"), null, "non-canonical trailing bits");
  assert.deepEqual(Array.from(wasm.b64uDecode("AA")!), [0]);
});

test("memory stays bounded over many verifies", () => {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" }) as any;
  const x = Uint8Array.from(Buffer.from(jwk.x, "base64url")), y = Uint8Array.from(Buffer.from(jwk.y, "base64url"));
  const m = rnd(100);
  const sig = new Uint8Array(crypto.sign("sha256", m, { key: privateKey, dsaEncoding: "ieee-p1363" }));
  for (let i = 0; i < 50; i++) assert.equal(wasm.ecdsa(Curve.P256, x, y, m, sig), 1);
  const before = wasm.memoryBytes();
  for (let i = 0; i < 300; i++) assert.equal(wasm.ecdsa(Curve.P256, x, y, m, sig), 1);
  assert.equal(wasm.memoryBytes(), before, "linear memory grew during steady-state verifies");
});
