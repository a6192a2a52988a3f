// Keys and signatures minted by node:crypto (OpenSSL) at test time, for every JWS algorithm:
// fresh keys and random messages must verify; one flipped bit anywhere in the message, the
// signature or the public key must not (a flipped key bit may also make the key itself invalid,
// which is fine: the answer must just never be "valid").
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { CryptoWasm, Hash, Curve, b64u } from "./wasm";

const wasm = new CryptoWasm();
const MESSAGES = Number(process.env.CRYPTO_MINT_MESSAGES ?? 3);
const FLIPS = Number(process.env.CRYPTO_MINT_FLIPS ?? 6);

const flip = (b: Uint8Array, bit: number) => { const c = b.slice(); c[bit >> 3] ^= 1 << (bit & 7); return c; };
const randomBit = (b: Uint8Array) => crypto.randomInt(b.length * 8);
const randomMsg = () => new Uint8Array(crypto.randomBytes(crypto.randomInt(0, 700)));

type Verify = (key: Uint8Array[], msg: Uint8Array, sig: Uint8Array) => number;

/** Mint MESSAGES signatures with `sign`; each verifies; FLIPS random single-bit flips of each part fail. */
function exercise(name: string, keyParts: Uint8Array[], sign: (m: Uint8Array) => Uint8Array, verify: Verify) {
  for (let i = 0; i < MESSAGES; i++) {
    const msg = randomMsg();
    const sig = sign(msg);
    assert.equal(verify(keyParts, msg, sig), 1, `${name}: fresh signature over ${msg.length} bytes must verify`);
    for (let f = 0; f < FLIPS; f++) {
      if (msg.length) { const b = randomBit(msg); assert.notEqual(verify(keyParts, flip(msg, b), sig), 1, `${name}: message bit ${b} flipped`); }
      const sb = randomBit(sig);
      assert.notEqual(verify(keyParts, msg, flip(sig, sb)), 1, `${name}: signature bit ${sb} flipped`);
      const part = crypto.randomInt(keyParts.length);
      const kb = randomBit(keyParts[part]);
      const k2 = keyParts.map((p, j) => (j === part ? flip(p, kb) : p));
      assert.notEqual(verify(k2, msg, sig), 1, `${name}: key part ${part} bit ${kb} flipped`);
    }
  }
}

const HASHES = [["sha256", Hash.SHA256, 32], ["sha384", Hash.SHA384, 48], ["sha512", Hash.SHA512, 64]] as const;

for (const [bits, [hname, h, hl]] of [[2048, HASHES[0]], [3072, HASHES[1]], [4096, HASHES[2]]] as const) {
  test(`RS${hl * 8} and PS${hl * 8} with a fresh ${bits}-bit key`, () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: bits });
    const jwk = publicKey.export({ format: "jwk" }) as any;
    const n = b64u(jwk.n), e = b64u(jwk.e);
    // Flipping a bit of e leaves {3, 65537}, so it only ever checks the key policy; flip n instead.
    exercise(`RS${hl * 8}`, [n], (m) => new Uint8Array(crypto.sign(hname, m, privateKey)),
      ([nn], m, s) => wasm.rsa(h, false, nn, e, m, s));
    exercise(`PS${hl * 8}`, [n], (m) => new Uint8Array(crypto.sign(hname, m, { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: hl })),
      ([nn], m, s) => wasm.rsa(h, true, nn, e, m, s));
    // Cross-checks: the wrong scheme, the wrong hash, another salt length.
    const m = randomMsg();
    assert.equal(wasm.rsa(h, true, n, e, m, new Uint8Array(crypto.sign(hname, m, privateKey))), 0, "PKCS#1 signature as PSS");
    const other = h === Hash.SHA256 ? Hash.SHA384 : Hash.SHA256;
    assert.equal(wasm.rsa(other, false, n, e, m, new Uint8Array(crypto.sign(hname, m, privateKey))), 0, "wrong hash");
    const salt0 = new Uint8Array(crypto.sign(hname, m, { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 }));
    assert.equal(wasm.rsa(h, true, n, e, m, salt0), 0, "PSS with salt length 0 (JWS requires hash length)");
  });
}

test("RSA key policy: e in {3, 65537}, 2048 <= bits <= 4096 by default", () => {
  const m = randomMsg();
  const mk = (modulusLength: number, publicExponent = 65537) => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength, publicExponent });
    const jwk = publicKey.export({ format: "jwk" }) as any;
    return { n: b64u(jwk.n), e: b64u(jwk.e), sig: new Uint8Array(crypto.sign("sha256", m, privateKey)) };
  };
  const e3 = mk(2048, 3);
  assert.equal(wasm.rsa(Hash.SHA256, false, e3.n, e3.e, m, e3.sig), 1, "e = 3 is accepted (as Envoy does)");
  const e17 = mk(2048, 17);
  assert.equal(wasm.rsa(Hash.SHA256, false, e17.n, e17.e, m, e17.sig), -1, "e = 17 is refused (Envoy accepts only 3 and 65537)");
  const small = mk(1024);
  assert.equal(wasm.rsa(Hash.SHA256, false, small.n, small.e, m, small.sig), -1, "1024-bit key refused by default");
  assert.equal(wasm.rsa(Hash.SHA256, false, small.n, small.e, m, small.sig, 1024), 1, "1024-bit key verifies when the caller lowers the floor");
  const padded = new Uint8Array(e3.n.length + 1); padded.set(e3.n, 1);
  assert.equal(wasm.rsa(Hash.SHA256, false, padded, e3.e, m, e3.sig), 1, "a leading zero byte on n is tolerated");
  const big = new Uint8Array(600); big[0] = 0x80; big[599] = 1;
  assert.equal(wasm.rsa(Hash.SHA256, false, big, e3.e, m, new Uint8Array(600)), -1, "4800-bit modulus refused");
  const even = e3.n.slice(); even[even.length - 1] &= 0xfe;
  assert.equal(wasm.rsa(Hash.SHA256, false, even, e3.e, m, e3.sig), -1, "even modulus refused");
});

for (const [alg, crv, c, hname, L] of [["ES256", "P-256", Curve.P256, "sha256", 32], ["ES384", "P-384", Curve.P384, "sha384", 48], ["ES512", "P-521", Curve.P521, "sha512", 66]] as const) {
  test(`${alg} with fresh ${crv} keys`, () => {
    for (let k = 0; k < 2; k++) {
      const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: crv });
      const jwk = publicKey.export({ format: "jwk" }) as any;
      const x = b64u(jwk.x), y = b64u(jwk.y);
      assert.equal(x.length, L);
      exercise(alg, [x, y], (m) => new Uint8Array(crypto.sign(hname, m, { key: privateKey, dsaEncoding: "ieee-p1363" })),
        ([xx, yy], m, s) => wasm.ecdsa(c, xx, yy, m, s));
      // DER-encoded signatures (what OpenSSL emits by default) are not JWS signatures.
      const m = randomMsg();
      const der = new Uint8Array(crypto.sign(hname, m, privateKey));
      assert.equal(wasm.ecdsa(c, x, y, m, der), 0, "DER signature");
      // High-s: (r, n - s) is the other valid signature; documented as accepted.
      const sig = new Uint8Array(crypto.sign(hname, m, { key: privateKey, dsaEncoding: "ieee-p1363" }));
      const n = BigInt("0x" + { "P-256": "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", "P-384": "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973", "P-521": "1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409" }[crv]);
      const s = BigInt("0x" + Buffer.from(sig.subarray(L)).toString("hex"));
      const ns = Buffer.from((n - s).toString(16).padStart(2 * L, "0"), "hex");
      const mall = new Uint8Array(2 * L); mall.set(sig.subarray(0, L)); mall.set(ns, L);
      assert.equal(wasm.ecdsa(c, x, y, m, mall), 1, "(r, n - s) verifies: high-s accepted, as OpenSSL does");
      assert.ok(crypto.verify(hname, m, { key: publicKey, dsaEncoding: "ieee-p1363" }, mall), "and OpenSSL agrees");
      // r = s = 0 (psychic signature) and r = n.
      assert.equal(wasm.ecdsa(c, x, y, m, new Uint8Array(2 * L)), 0, "r = s = 0");
      const rn = new Uint8Array(2 * L); rn.set(Buffer.from(n.toString(16).padStart(2 * L, "0"), "hex")); rn.set(sig.subarray(L), L);
      assert.equal(wasm.ecdsa(c, x, y, m, rn), 0, "r = n");
    }
  });
}

test("EdDSA (Ed25519) with fresh keys", () => {
  for (let k = 0; k < 3; k++) {
    const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
    const x = b64u((publicKey.export({ format: "jwk" }) as any).x);
    exercise("EdDSA", [x], (m) => new Uint8Array(crypto.sign(null, m, privateKey)), ([xx], m, s) => wasm.ed25519(xx, m, s));
  }
});

test("Ed25519 small-order and non-canonical public keys are refused", () => {
  const sig = new Uint8Array(64);
  const identity = new Uint8Array(32); identity[0] = 1;                  // y = 1: the neutral element
  assert.equal(wasm.ed25519(identity, new Uint8Array(0), sig), -1);
  const order2 = new Uint8Array(32).fill(0xff); order2[0] = 0xec; order2[31] = 0x7f; // y = -1 (order 2)
  assert.equal(wasm.ed25519(order2, new Uint8Array(0), sig), -1);
  const nonCanon = new Uint8Array(32).fill(0xff); nonCanon[0] = 0xee; nonCanon[31] = 0x7f; // y = p + 1 >= p
  assert.equal(wasm.ed25519(nonCanon, new Uint8Array(0), sig), -1);
});

for (const [hname, h, hl] of HASHES) {
  test(`HS${hl * 8} with fresh keys`, () => {
    for (const klen of [hl, 1, 200]) {
      const key = new Uint8Array(crypto.randomBytes(klen));
      exercise(`HS${hl * 8}/${klen}B key`, [key], (m) => new Uint8Array(crypto.createHmac(hname, key).update(m).digest()),
        ([kk], m, s) => (wasm.hmacVerify(h, kk, m, s) ? 1 : 0));
    }
  });
}

test("SHA-256/384/512 agree with node:crypto on random lengths around block boundaries", () => {
  for (const len of [0, 1, 55, 56, 63, 64, 65, 111, 112, 119, 127, 128, 129, 1000, 4097]) {
    const d = new Uint8Array(crypto.randomBytes(len));
    for (const [hname, h] of HASHES) {
      assert.equal(Buffer.from(wasm.digest(h, d)).toString("hex"), crypto.createHash(hname).update(d).digest("hex"), `${hname} of ${len} bytes`);
    }
  }
});
