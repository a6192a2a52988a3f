// ECDSA verification on the NIST prime curves P-256, P-384 and P-521 (FIPS 186-5, SEC 1 §4.1.4),
// as JWS uses them (RFC 7518 §3.4): ES256 = P-256 + SHA-256, ES384 = P-384 + SHA-384,
// ES512 = P-521 + SHA-512, signature = r ‖ s, each exactly the byte length of the group order.
//
// Checks, each of which has broken a real verifier:
//  - signature length exactly 2·L (no DER, no trailing bytes, no short forms);
//  - 1 <= r, s <= n-1 (CVE-2022-21449 "psychic signatures" accepted r = s = 0);
//  - the public key is a point on the curve with coordinates < p (invalid-curve attacks); the
//    curves have cofactor 1, so on-curve means in the prime-order group;
//  - the sum u1·G + u2·Q must not be the point at infinity.
// High-s: accepted. ECDSA signatures are malleable ((r, s) and (r, n-s) both verify); JWS/RFC 7518
// does not require low-s, Wycheproof marks high-s vectors valid, and OpenSSL/BoringSSL (what Envoy
// uses) accept them. A JWT is not a transaction id, so malleability does not enable replay here.
//
// Arithmetic: Jacobian coordinates in Montgomery form (a = -3 doubling), Shamir's trick with 4-bit
// fixed windows: a per-curve table of G multiples (affine, built once) and a per-verify table of Q.
import { HashAlg, hashLen, hashRaw } from "./sha2";
import { Mont, limbsFromBytes, limbsFromHex, cmp, isZero, copyLimbs, addRaw, cmpRaw } from "./bigint";

export const enum CurveId { P256 = 0, P384 = 1, P521 = 2 }

class Point {
  x: StaticArray<u32>; y: StaticArray<u32>; z: StaticArray<u32>;
  constructor(n: i32) { this.x = new StaticArray<u32>(n); this.y = new StaticArray<u32>(n); this.z = new StaticArray<u32>(n); }
}

export class EcCurve {
  F: Mont;          // field, mod p
  N: Mont;          // scalars, mod n
  b: StaticArray<u32>; // Montgomery form
  byteLen: i32;     // field and order length in bytes (32, 48, 66)
  nBits: i32;
  hash: HashAlg;
  g: Array<Point>;  // 0..15 · G, affine (z = 1 in Montgomery form), index 0 unused
  private t: Array<StaticArray<u32>>;
  private q: Array<Point>;
  private acc: Point;

  constructor(p: string, n: string, b: string, gx: string, gy: string, limbs: i32, byteLen: i32, nBits: i32, hash: HashAlg) {
    const F = new Mont(limbsFromHex(p, limbs));
    this.F = F;
    this.N = new Mont(limbsFromHex(n, limbs));
    this.byteLen = byteLen;
    this.nBits = nBits;
    this.hash = hash;
    const bm = new StaticArray<u32>(limbs);
    F.toMont(bm, limbsFromHex(b, limbs));
    this.b = bm;
    const t = new Array<StaticArray<u32>>(10);
    for (let i = 0; i < 10; i++) t[i] = new StaticArray<u32>(limbs);
    this.t = t;
    const q = new Array<Point>(16);
    for (let i = 0; i < 16; i++) q[i] = new Point(limbs);
    this.q = q;
    this.acc = new Point(limbs);
    const g = new Array<Point>(16);
    for (let i = 0; i < 16; i++) g[i] = new Point(limbs);
    this.g = g;
    const g1 = this.g[1];
    this.F.toMont(g1.x, limbsFromHex(gx, limbs));
    this.F.toMont(g1.y, limbsFromHex(gy, limbs));
    copyLimbs(g1.z, this.F.one);
    this.dbl(this.g[2], g1);
    for (let i = 3; i < 16; i++) this.add(this.g[i], this.g[i - 1], g1, true);
    for (let i = 2; i < 16; i++) this.normalize(this.g[i]);
  }

  /** Jacobian -> affine in place (z = 1); p must not be infinity. */
  private normalize(p: Point): void {
    const F = this.F, zi = this.t[0], zi2 = this.t[1];
    F.invPrime(zi, p.z);
    F.mul(zi2, zi, zi);
    F.mul(p.x, p.x, zi2);
    F.mul(zi2, zi2, zi);
    F.mul(p.y, p.y, zi2);
    copyLimbs(p.z, F.one);
  }

  /** o = 2p (dbl-2001-b, a = -3). o may alias p. */
  dbl(o: Point, p: Point): void {
    if (isZero(p.z)) { if (o !== p) { copyLimbs(o.x, p.x); copyLimbs(o.y, p.y); copyLimbs(o.z, p.z); } return; }
    const F = this.F, t = this.t;
    const delta = t[0], gamma = t[1], beta = t[2], alpha = t[3], u = t[4], z3 = t[5], x3 = t[6], v = t[7];
    F.mul(delta, p.z, p.z);
    F.mul(gamma, p.y, p.y);
    F.mul(beta, p.x, gamma);
    F.sub(alpha, p.x, delta);
    F.add(u, p.x, delta);
    F.mul(alpha, alpha, u);
    F.add(u, alpha, alpha);
    F.add(alpha, u, alpha);           // alpha = 3(x - delta)(x + delta)
    F.add(z3, p.y, p.z);
    F.mul(z3, z3, z3);
    F.sub(z3, z3, gamma);
    F.sub(z3, z3, delta);             // z3 = (y + z)^2 - gamma - delta
    F.mul(x3, alpha, alpha);
    F.add(beta, beta, beta);
    F.add(beta, beta, beta);          // beta = 4 beta
    F.add(u, beta, beta);
    F.sub(x3, x3, u);                 // x3 = alpha^2 - 8 beta
    F.sub(v, beta, x3);
    F.mul(v, alpha, v);
    F.mul(gamma, gamma, gamma);
    F.add(gamma, gamma, gamma);
    F.add(gamma, gamma, gamma);
    F.add(gamma, gamma, gamma);       // 8 gamma^2
    F.sub(o.y, v, gamma);
    copyLimbs(o.x, x3);
    copyLimbs(o.z, z3);
  }

  /** o = p + q (add-1998-cmo-2); qAffine: q.z is 1 (saves 4 multiplications). o may alias p. */
  add(o: Point, p: Point, q: Point, qAffine: bool): void {
    if (isZero(q.z)) { if (o !== p) { copyLimbs(o.x, p.x); copyLimbs(o.y, p.y); copyLimbs(o.z, p.z); } return; }
    if (isZero(p.z)) { copyLimbs(o.x, q.x); copyLimbs(o.y, q.y); copyLimbs(o.z, q.z); return; }
    const F = this.F, t = this.t;
    const z1z1 = t[0], z2z2 = t[1], u1 = t[2], u2 = t[3], s1 = t[4], s2 = t[5], x3 = t[6], z3 = t[7];
    F.mul(z1z1, p.z, p.z);
    F.mul(u2, q.x, z1z1);
    F.mul(s2, q.y, p.z);
    F.mul(s2, s2, z1z1);
    if (qAffine) {
      copyLimbs(u1, p.x);
      copyLimbs(s1, p.y);
    } else {
      F.mul(z2z2, q.z, q.z);
      F.mul(u1, p.x, z2z2);
      F.mul(s1, p.y, q.z);
      F.mul(s1, s1, z2z2);
    }
    const h = u2, r = s2;
    F.sub(h, u2, u1);
    F.sub(r, s2, s1);
    if (isZero(h)) {
      if (isZero(r)) { this.dbl(o, p); return; }
      memory.fill(changetype<usize>(o.z), 0, <usize>this.F.n << 2); // p = -q
      return;
    }
    if (qAffine) F.mul(z3, p.z, h);
    else { F.mul(z3, p.z, q.z); F.mul(z3, z3, h); }
    const hh = z1z1, hhh = z2z2;
    F.mul(hh, h, h);
    F.mul(hhh, h, hh);
    F.mul(u1, u1, hh);                // v = u1 h^2
    F.mul(x3, r, r);
    F.sub(x3, x3, hhh);
    F.sub(x3, x3, u1);
    F.sub(x3, x3, u1);                // x3 = r^2 - h^3 - 2v
    F.sub(u1, u1, x3);
    F.mul(u1, r, u1);
    F.mul(s1, s1, hhh);
    F.sub(o.y, u1, s1);               // y3 = r(v - x3) - s1 h^3
    copyLimbs(o.x, x3);
    copyLimbs(o.z, z3);
  }

  /** Public key from big-endian x, y of exactly byteLen bytes; null if not a point on the curve. */
  parsePublicKey(x: ArrayBuffer, y: ArrayBuffer): EcPublicKey | null {
    if (x.byteLength != this.byteLen || y.byteLength != this.byteLen) return null;
    const F = this.F;
    const xl = limbsFromBytes(changetype<usize>(x), x.byteLength, F.n);
    const yl = limbsFromBytes(changetype<usize>(y), y.byteLength, F.n);
    if (xl === null || yl === null) return null;
    if (cmp(xl, F.m) >= 0 || cmp(yl, F.m) >= 0) return null;
    const k = new EcPublicKey(this, F.n);
    F.toMont(k.x, xl);
    F.toMont(k.y, yl);
    // y^2 == x^3 - 3x + b
    const lhs = this.t[0], rhs = this.t[1], u = this.t[2];
    F.mul(lhs, k.y, k.y);
    F.mul(rhs, k.x, k.x);
    F.mul(rhs, rhs, k.x);
    F.add(u, k.x, k.x);
    F.add(u, u, k.x);
    F.sub(rhs, rhs, u);
    F.add(rhs, rhs, this.b);
    if (cmp(lhs, rhs) != 0) return null;
    return k;
  }

  /** ECDSA verify of msg (hashed with this curve's JWS hash) against a JWS r ‖ s signature. */
  verify(key: EcPublicKey, msg: ArrayBuffer, sig: ArrayBuffer): bool {
    if (key.curve !== this) return false;
    const L = this.byteLen;
    if (sig.byteLength != 2 * L) return false;
    const F = this.F, N = this.N, n = F.n;
    const sp = changetype<usize>(sig);
    const r = limbsFromBytes(sp, L, n);
    const s = limbsFromBytes(sp + L, L, n);
    if (r === null || s === null) return false;
    if (isZero(r) || isZero(s) || cmp(r, N.m) >= 0 || cmp(s, N.m) >= 0) return false;
    const hl = hashLen(this.hash);
    const digest = new ArrayBuffer(hl);
    hashRaw(this.hash, changetype<usize>(msg), <usize>msg.byteLength, changetype<usize>(digest));
    // hash bits <= order bits for every JWS pairing, so e is the whole digest (no truncation).
    const e = limbsFromBytes(changetype<usize>(digest), hl, n);
    if (e === null) return false;
    const w = new StaticArray<u32>(n), u1 = new StaticArray<u32>(n), u2 = new StaticArray<u32>(n);
    N.toMont(w, s);
    N.invPrime(w, w);                 // s^-1 in Montgomery form
    N.mul(u1, e, w);                  // plain · Montgomery = plain: e·s^-1 mod n
    N.mul(u2, r, w);
    // Q table: 1..15 · Q (Jacobian).
    const q = this.q;
    copyLimbs(q[1].x, key.x); copyLimbs(q[1].y, key.y); copyLimbs(q[1].z, F.one);
    this.dbl(q[2], q[1]);
    for (let i = 3; i < 16; i++) this.add(q[i], q[i - 1], q[1], true);
    const acc = this.acc;
    memory.fill(changetype<usize>(acc.z), 0, <usize>n << 2);
    const windows = (this.nBits + 3) >> 2;
    const u1p = changetype<usize>(u1), u2p = changetype<usize>(u2);
    for (let i = windows - 1; i >= 0; i--) {
      this.dbl(acc, acc); this.dbl(acc, acc); this.dbl(acc, acc); this.dbl(acc, acc);
      const limb = <usize>(i >> 3) << 2, sh = <u32>((i & 7) << 2);
      const d1 = (load<u32>(u1p + limb) >> sh) & 15;
      const d2 = (load<u32>(u2p + limb) >> sh) & 15;
      if (d1 != 0) this.add(acc, acc, unchecked(this.g[d1]), true);
      if (d2 != 0) this.add(acc, acc, unchecked(q[d2]), d2 == 1);
    }
    if (isZero(acc.z)) return false;
    // x(acc) = X / Z^2 lies in [0, p); accept iff it is r or r + n (the latter only if < p).
    const z2 = this.t[8], cand = this.t[9];
    F.mul(z2, acc.z, acc.z);
    F.toMont(cand, r);
    F.mul(cand, cand, z2);
    if (cmp(cand, acc.x) == 0) return true;
    const rn = new StaticArray<u32>(n);
    const carry = addRaw(changetype<usize>(rn), changetype<usize>(r), changetype<usize>(N.m), n);
    if (carry != 0 || cmpRaw(changetype<usize>(rn), changetype<usize>(F.m), n) >= 0) return false;
    F.toMont(cand, rn);
    F.mul(cand, cand, z2);
    return cmp(cand, acc.x) == 0;
  }
}

export class EcPublicKey {
  x: StaticArray<u32>; y: StaticArray<u32>;
  constructor(public curve: EcCurve, n: i32) { this.x = new StaticArray<u32>(n); this.y = new StaticArray<u32>(n); }
}

let p256: EcCurve | null = null;
let p384: EcCurve | null = null;
let p521: EcCurve | null = null;

/** The curve (built on first use, then shared). */
export function curve(id: CurveId): EcCurve {
  if (id == CurveId.P256) {
    if (p256 === null) p256 = new EcCurve(
      "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
      "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
      "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
      "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
      "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5", 8, 32, 256, HashAlg.SHA256);
    return p256!;
  }
  if (id == CurveId.P384) {
    if (p384 === null) p384 = new EcCurve(
      "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
      "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
      "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
      "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7",
      "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f", 12, 48, 384, HashAlg.SHA384);
    return p384!;
  }
  if (p521 === null) p521 = new EcCurve(
    "1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
    "051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
    "0c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66",
    "11839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650", 17, 66, 521, HashAlg.SHA512);
  return p521!;
}
