// Ed25519 signature verification (RFC 8032 §5.1.7), as JWS uses it (RFC 8037: alg "EdDSA",
// OKP key with crv "Ed25519", 32-byte x, 64-byte signature).
//
// Strictness, matching what Wycheproof expects and what BoringSSL/OpenSSL enforce:
//  - signature exactly 64 bytes, public key exactly 32 bytes;
//  - S < L (rejects the s + L·k malleability family);
//  - public key: canonical y < p, and x = 0 with the sign bit set rejected (RFC 8032 §5.1.3);
//  - R is checked by re-encoding [S]B - [k]A canonically and comparing all 32 bytes with the
//    signature's R, so a non-canonical or modified R (any bit, including the x sign) never matches.
// Beyond RFC 8032 (documented choice): public keys of small order (8·A = identity) are rejected.
// Such a key "verifies" a forged signature for any message with probability 1/8, and no honest key
// has small order, so refusing them costs nothing. The check equation is the cofactorless one
// ([S]B = R + [k]A), like BoringSSL's ED25519_verify that Envoy uses.
//
// Arithmetic: the shared Montgomery field code (8 x 32-bit limbs, unrolled) mod 2^255 - 19,
// extended twisted Edwards coordinates (RFC 8032 §5.1.4 formulas, complete for a = -1), Shamir's
// trick with 4-bit windows over a per-process table of B multiples and a per-verify table of -A.
import { HashAlg, hashRaw } from "./sha2";
import { Mont, limbsFromHex, isZero, copyLimbs, cmp } from "./bigint";

class Ext {
  x: StaticArray<u32> = new StaticArray<u32>(8);
  y: StaticArray<u32> = new StaticArray<u32>(8);
  z: StaticArray<u32> = new StaticArray<u32>(8);
  t: StaticArray<u32> = new StaticArray<u32>(8);
}

const F = new Mont(limbsFromHex("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed", 8));
const Lm = new Mont(limbsFromHex("1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed", 8));
const SQRT_EXP = limbsFromHex("0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd", 8); // (p-5)/8
const D = mont(limbsFromHex("52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3", 8));
const D2 = mont(limbsFromHex("2406d9dc56dffce7198e80f2eef3d13000e0149a8283b156ebd69b9426b2f159", 8));
const SQRT_M1 = mont(limbsFromHex("2b8324804fc1df0b2b4d00993dfbd7a72f431806ad2fe478c4ee1b274a0ea0b0", 8));

const ZERO = new StaticArray<u32>(8);
function mont(a: StaticArray<u32>): StaticArray<u32> { const o = new StaticArray<u32>(8); F.toMont(o, a); return o; }

const T: StaticArray<StaticArray<u32>> = new StaticArray<StaticArray<u32>>(10);
for (let i = 0; i < 10; i++) T[i] = new StaticArray<u32>(8);

/** o = p + q (complete addition). o may alias p or q. */
function add(o: Ext, p: Ext, q: Ext): void {
  const a = unchecked(T[0]), b = unchecked(T[1]), c = unchecked(T[2]), d = unchecked(T[3]), u = unchecked(T[4]);
  F.sub(a, p.y, p.x); F.sub(u, q.y, q.x); F.mul(a, a, u);
  F.add(b, p.y, p.x); F.add(u, q.y, q.x); F.mul(b, b, u);
  F.mul(c, p.t, D2); F.mul(c, c, q.t);
  F.mul(d, p.z, q.z); F.add(d, d, d);
  const e = u; F.sub(e, b, a);
  const f = p === o || q === o ? unchecked(T[5]) : o.z; // scratch when aliasing
  F.sub(f, d, c);
  const g = d; F.add(g, d, c);
  const h = b; F.add(h, b, a);
  F.mul(o.x, e, f);
  F.mul(o.y, g, h);
  F.mul(o.t, e, h);
  F.mul(o.z, f, g);
}

/** o = 2p. o may alias p. */
function dbl(o: Ext, p: Ext): void {
  const a = unchecked(T[0]), b = unchecked(T[1]), c = unchecked(T[2]), h = unchecked(T[3]), e = unchecked(T[4]), g = unchecked(T[5]), f = unchecked(T[6]);
  F.mul(a, p.x, p.x);
  F.mul(b, p.y, p.y);
  F.mul(c, p.z, p.z); F.add(c, c, c);
  F.add(h, a, b);
  F.add(e, p.x, p.y); F.mul(e, e, e); F.sub(e, h, e);
  F.sub(g, a, b);
  F.add(f, c, g);
  F.mul(o.x, e, f);
  F.mul(o.y, g, h);
  F.mul(o.t, e, h);
  F.mul(o.z, f, g);
}

function setIdentity(o: Ext): void {
  memory.fill(changetype<usize>(o.x), 0, 32);
  memory.fill(changetype<usize>(o.t), 0, 32);
  copyLimbs(o.y, F.one);
  copyLimbs(o.z, F.one);
}

/** 32 little-endian bytes -> 8 limbs (limbs are little-endian too: a straight copy). */
function le(src: usize): StaticArray<u32> {
  const o = new StaticArray<u32>(8);
  memory.copy(changetype<usize>(o), src, 32);
  return o;
}

/**
 * Decodes a point (RFC 8032 §5.1.3) into o; false if y >= p, x^2 has no root, or x = 0 with the
 * sign bit set.
 */
function decode(o: Ext, src: usize): bool {
  const y = le(src);
  const sign = unchecked(y[7]) >>> 31;
  unchecked(y[7] = y[7] & 0x7fffffff);
  if (cmp(y, F.m) >= 0) return false;
  F.toMont(o.y, y);
  const u = unchecked(T[0]), v = unchecked(T[1]), x = unchecked(T[2]), w = unchecked(T[3]), v3 = unchecked(T[4]);
  F.mul(u, o.y, o.y);
  F.mul(v, u, D);
  F.sub(u, u, F.one);              // u = y^2 - 1
  F.add(v, v, F.one);              // v = d y^2 + 1
  F.mul(v3, v, v); F.mul(v3, v3, v);        // v^3
  F.mul(w, v3, v3); F.mul(w, w, v);         // v^7
  F.mul(w, w, u);                            // u v^7
  F.pow(w, w, SQRT_EXP);                     // (u v^7)^((p-5)/8)
  F.mul(x, u, v3); F.mul(x, x, w);           // x = u v^3 (u v^7)^((p-5)/8)
  F.mul(w, x, x); F.mul(w, w, v);            // v x^2
  if (cmp(w, u) != 0) {
    F.sub(v3, ZERO, u);                      // -u
    if (cmp(w, v3) != 0) return false;
    F.mul(x, x, SQRT_M1);
  }
  const plain = unchecked(T[5]);
  F.fromMont(plain, x);
  if (isZero(plain) && sign == 1) return false;
  if ((unchecked(plain[0]) & 1) != sign) F.sub(x, ZERO, x);
  copyLimbs(o.x, x);
  copyLimbs(o.z, F.one);
  F.mul(o.t, o.x, o.y);
  return true;
}

/** Canonical encoding of p into 32 bytes at dst. */
function encode(dst: usize, p: Ext): void {
  const zi = unchecked(T[6]), x = unchecked(T[7]), y = unchecked(T[8]);
  F.invPrime(zi, p.z);
  F.mul(x, p.x, zi); F.fromMont(x, x);
  F.mul(y, p.y, zi); F.fromMont(y, y);
  memory.copy(dst, changetype<usize>(y), 32);
  store<u8>(dst + 31, load<u8>(dst + 31) | <u8>((unchecked(x[0]) & 1) << 7));
}

// 0..15 · B, index 0 unused.
const BT = new StaticArray<Ext>(16);
for (let i = 0; i < 16; i++) BT[i] = new Ext();
{
  const b1 = BT[1];
  F.toMont(b1.x, limbsFromHex("216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51a", 8));
  F.toMont(b1.y, limbsFromHex("6666666666666666666666666666666666666666666666666666666666666658", 8));
  copyLimbs(b1.z, F.one);
  F.mul(b1.t, b1.x, b1.y);
  dbl(BT[2], b1);
  for (let i = 3; i < 16; i++) add(BT[i], BT[i - 1], b1);
}
const AT = new StaticArray<Ext>(16);
for (let i = 0; i < 16; i++) AT[i] = new Ext();
const ACC = new Ext();

/** A parsed Ed25519 public key: the point -A, ready for [S]B + [k](-A). */
export class Ed25519PublicKey {
  negA: Ext = new Ext();
  bytes: ArrayBuffer = new ArrayBuffer(32);
}

/** Parses a 32-byte Ed25519 public key (JWK OKP "x"); null if non-canonical, off-curve or small-order. */
export function parseEd25519PublicKey(pk: ArrayBuffer): Ed25519PublicKey | null {
  if (pk.byteLength != 32) return null;
  const k = new Ed25519PublicKey();
  const a = k.negA;
  if (!decode(a, changetype<usize>(pk))) return null;
  // Small order: 8A is the identity (x = 0, y = z).
  dbl(ACC, a); dbl(ACC, ACC); dbl(ACC, ACC);
  if (isZero(ACC.x) && cmp(ACC.y, ACC.z) == 0) return null;
  F.sub(a.x, ZERO, a.x);
  F.sub(a.t, ZERO, a.t);
  memory.copy(changetype<usize>(k.bytes), changetype<usize>(pk), 32);
  return k;
}

/** Ed25519 verify (RFC 8032 §5.1.7). */
export function ed25519Verify(key: Ed25519PublicKey, msg: ArrayBuffer, sig: ArrayBuffer): bool {
  if (sig.byteLength != 64) return false;
  const sp = changetype<usize>(sig);
  const s = le(sp + 32);
  if (cmp(s, Lm.m) >= 0) return false;
  // k = SHA-512(R || A || M) mod L
  const mlen = msg.byteLength;
  const buf = new ArrayBuffer(64 + mlen);
  const bp = changetype<usize>(buf);
  memory.copy(bp, sp, 32);
  memory.copy(bp + 32, changetype<usize>(key.bytes), 32);
  memory.copy(bp + 64, changetype<usize>(msg), <usize>mlen);
  const h = new ArrayBuffer(64);
  const hp = changetype<usize>(h);
  hashRaw(HashAlg.SHA512, bp, <usize>(64 + mlen), hp);
  const lo = le(hp), hi = le(hp + 32);
  Lm.mul(hi, hi, Lm.r2);           // hi · 2^256 mod L
  Lm.reduce(lo, lo);               // lo mod L
  const k = new StaticArray<u32>(8);
  Lm.add(k, hi, lo);
  // R' = [S]B + [k](-A)
  const at = AT;
  copyLimbs(at[1].x, key.negA.x); copyLimbs(at[1].y, key.negA.y); copyLimbs(at[1].z, key.negA.z); copyLimbs(at[1].t, key.negA.t);
  dbl(at[2], at[1]);
  for (let i = 3; i < 16; i++) add(at[i], at[i - 1], at[1]);
  const acc = ACC;
  setIdentity(acc);
  const sP = changetype<usize>(s), kP = changetype<usize>(k);
  for (let i = 63; i >= 0; i--) {
    dbl(acc, acc); dbl(acc, acc); dbl(acc, acc); dbl(acc, acc);
    const limb = <usize>(i >> 3) << 2, sh = <u32>((i & 7) << 2);
    const d1 = (load<u32>(sP + limb) >> sh) & 15;
    const d2 = (load<u32>(kP + limb) >> sh) & 15;
    if (d1 != 0) add(acc, acc, unchecked(BT[d1]));
    if (d2 != 0) add(acc, acc, unchecked(at[d2]));
  }
  const enc = new ArrayBuffer(32);
  const ep = changetype<usize>(enc);
  encode(ep, acc);
  let diff: u32 = 0;
  for (let i = 0; i < 32; i++) diff |= <u32>(load<u8>(ep + i) ^ load<u8>(sp + i));
  return diff == 0;
}
