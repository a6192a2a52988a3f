import { montMul8, montMul12 } from "./montfixed";

// Fixed-width unsigned big integers as little-endian u32 limbs (StaticArray<u32>), and Montgomery
// arithmetic modulo an odd modulus (FIOS form of CIOS: product and reduction in one pass, u64
// accumulators). Used by RSA (one exponentiation per verify) and by every curve's field and scalar
// arithmetic. Nothing here is constant-time: verification handles only public values.
//
// Every function trusts its limb counts; callers (rsa.ts, ec.ts, ed25519.ts) size all operands from
// the same Mont, so no index can run past an allocation.

/** Big-endian bytes -> `n` limbs. Returns null if the value does not fit in n limbs. */
export function limbsFromBytes(src: usize, len: i32, n: i32): StaticArray<u32> | null {
  // Skip leading zero bytes so a JWK "n" with a 0x00 sign byte still fits.
  let start = 0;
  while (start < len && load<u8>(src + start) == 0) start++;
  if (len - start > n * 4) return null;
  const out = new StaticArray<u32>(n);
  const o = changetype<usize>(out);
  for (let i = len - 1, k = 0; i >= start; i--, k++) {
    const limb = <usize>(k >> 2);
    store<u32>(o + (limb << 2), load<u32>(o + (limb << 2)) | (<u32>load<u8>(src + i) << ((k & 3) << 3)));
  }
  return out;
}

/** Writes the low `len` bytes of `a` big-endian to `dst` (higher limbs must be zero for a faithful copy). */
export function limbsToBytes(a: StaticArray<u32>, dst: usize, len: i32): void {
  const p = changetype<usize>(a);
  const n = a.length;
  for (let i = len - 1, k = 0; i >= 0; i--, k++) {
    const limb = k >> 2;
    store<u8>(dst + i, limb < n ? <u8>(load<u32>(p + (<usize>limb << 2)) >> ((k & 3) << 3)) : 0);
  }
}

/** Number of significant bits of `a` (0 for zero). */
export function bitLength(a: StaticArray<u32>): i32 {
  const p = changetype<usize>(a);
  for (let i = a.length - 1; i >= 0; i--) {
    const w = load<u32>(p + (<usize>i << 2));
    if (w != 0) return i * 32 + 32 - <i32>clz<u32>(w);
  }
  return 0;
}

export function isZero(a: StaticArray<u32>): bool {
  const p = changetype<usize>(a);
  let acc: u32 = 0;
  for (let i = 0; i < a.length; i++) acc |= load<u32>(p + (<usize>i << 2));
  return acc == 0;
}

/** -1, 0, 1 as a <, ==, > b; both n limbs. */
export function cmpRaw(a: usize, b: usize, n: i32): i32 {
  for (let i = n - 1; i >= 0; i--) {
    const x = load<u32>(a + (<usize>i << 2)), y = load<u32>(b + (<usize>i << 2));
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}
export function cmp(a: StaticArray<u32>, b: StaticArray<u32>): i32 {
  return cmpRaw(changetype<usize>(a), changetype<usize>(b), a.length);
}

/** out = a - b over n limbs; returns the borrow (1 if a < b). out may alias a or b. */
export function subRaw(out: usize, a: usize, b: usize, n: i32): u32 {
  let borrow: i64 = 0;
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    const d = <i64>load<u32>(a + off) - <i64>load<u32>(b + off) - borrow;
    store<u32>(out + off, <u32>d);
    borrow = (d >> 32) & 1;
  }
  return <u32>borrow;
}

/** out = a + b over n limbs; returns the carry. out may alias a or b. */
export function addRaw(out: usize, a: usize, b: usize, n: i32): u32 {
  let c: u64 = 0;
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    c += <u64>load<u32>(a + off) + <u64>load<u32>(b + off);
    store<u32>(out + off, <u32>c);
    c >>= 32;
  }
  return <u32>c;
}

export function copyLimbs(dst: StaticArray<u32>, src: StaticArray<u32>): void {
  memory.copy(changetype<usize>(dst), changetype<usize>(src), <usize>src.length << 2);
}

/** Bit i of a (0 beyond the top). */
@inline export function bit(a: StaticArray<u32>, i: i32): u32 {
  const limb = i >> 5;
  if (limb >= a.length) return 0;
  return (load<u32>(changetype<usize>(a) + (<usize>limb << 2)) >> (i & 31)) & 1;
}

/** A Montgomery context for m, or null unless m is odd and > 1 (the only moduli Montgomery supports). */
export function newMont(m: StaticArray<u32>): Mont | null {
  if (m.length == 0 || (unchecked(m[0]) & 1) == 0 || bitLength(m) < 2) return null;
  return new Mont(m);
}

/**
 * Montgomery context for an odd modulus m of n limbs, R = 2^(32n). Elements "in Montgomery form"
 * hold x·R mod m. Create once per key / curve and reuse: setup costs a few dozen multiplications.
 */
export class Mont {
  n: i32;
  m: StaticArray<u32>;
  m0inv: u32;            // -m^-1 mod 2^32
  r2: StaticArray<u32>;  // R^2 mod m
  one: StaticArray<u32>; // R mod m, i.e. 1 in Montgomery form
  private t: StaticArray<u32>; // n+2 limbs of scratch
  private w: StaticArray<u32>; // 2n+1 limbs of scratch (squaring)
  private u: StaticArray<u32>;

  /** m must be odd and > 1: use newMont() for untrusted moduli. */
  constructor(m: StaticArray<u32>) {
    const n = m.length;
    this.n = n;
    this.m = m;
    const m0 = unchecked(m[0]);
    let inv: u32 = 1;
    for (let i = 0; i < 5; i++) inv *= 2 - m0 * inv; // Newton: doubles the correct low bits each step
    this.m0inv = -inv;
    this.t = new StaticArray<u32>(n + 2);
    this.w = new StaticArray<u32>(2 * n + 1);
    this.u = new StaticArray<u32>(n);
    this.one = new StaticArray<u32>(n);
    this.r2 = new StaticArray<u32>(n);
    // R mod m: start from 2^(b-1) < m and double up to 2^(32n) with conditional subtraction.
    const b = bitLength(m);
    const x = this.one;
    x[(b - 1) >> 5] = <u32>1 << ((b - 1) & 31);
    for (let i = b - 1; i < 32 * n; i++) this.dbl(x);
    // R^2 mod m = Montgomery form of 2^(32n) = (Montgomery form of 2)^(32n).
    const two = new StaticArray<u32>(n);
    copyLimbs(two, x);
    this.dbl(two);
    const acc = this.r2;
    copyLimbs(acc, two);
    const e = 32 * n;
    const top = 31 - <i32>clz<u32>(<u32>e);
    for (let i = top - 1; i >= 0; i--) {
      this.mul(acc, acc, acc);
      if ((e >> i) & 1) this.mul(acc, acc, two);
    }
  }

  /** x = 2x mod m, for x < m. */
  private dbl(x: StaticArray<u32>): void {
    const p = changetype<usize>(x);
    const c = addRaw(p, p, p, this.n);
    if (c != 0 || cmpRaw(p, changetype<usize>(this.m), this.n) >= 0) subRaw(p, p, changetype<usize>(this.m), this.n);
  }

  /** out = a·b·R^-1 mod m. a, b < m (a < R suffices for a); out may alias either. */
  mul(out: StaticArray<u32>, a: StaticArray<u32>, b: StaticArray<u32>): void {
    this.mulRaw(changetype<usize>(out), changetype<usize>(a), changetype<usize>(b));
  }

  mulRaw(out: usize, a: usize, b: usize): void {
    const n = this.n;
    if (n == 8) { montMul8(out, a, b, changetype<usize>(this.m), <u64>this.m0inv); return; }
    if (n == 12) { montMul12(out, a, b, changetype<usize>(this.m), <u64>this.m0inv); return; }
    this.mulLoop(out, a, b);
  }

  /** The generic loop form of mulRaw (any width; the unrolled widths are checked against it). */
  mulLoop(out: usize, a: usize, b: usize): void {
    const n = this.n;
    const t = changetype<usize>(this.t);
    const m = changetype<usize>(this.m);
    const m0inv = this.m0inv;
    memory.fill(t, 0, (<usize>n + 2) << 2);
    for (let i = 0; i < n; i++) {
      const bi = <u64>load<u32>(b + (<usize>i << 2));
      let x = <u64>load<u32>(t) + <u64>load<u32>(a) * bi;
      let c1 = x >> 32;
      const lo = <u32>x;
      const q = <u64>(lo * m0inv);
      let c2 = (<u64>lo + q * <u64>load<u32>(m)) >> 32;
      let tp = t + 4, ap2 = a + 4, mp = m + 4;
      const end = t + (<usize>n << 2), end2 = t + 4 + (<usize>((n - 1) & ~1) << 2);
      while (tp < end2) { // unrolled by 2
        x = <u64>load<u32>(tp) + <u64>load<u32>(ap2) * bi + c1; c1 = x >> 32;
        let y = (x & 0xffffffff) + q * <u64>load<u32>(mp) + c2; c2 = y >> 32;
        store<u32>(tp - 4, <u32>y);
        x = <u64>load<u32>(tp, 4) + <u64>load<u32>(ap2, 4) * bi + c1; c1 = x >> 32;
        y = (x & 0xffffffff) + q * <u64>load<u32>(mp, 4) + c2; c2 = y >> 32;
        store<u32>(tp, <u32>y);
        tp += 8; ap2 += 8; mp += 8;
      }
      while (tp < end) {
        x = <u64>load<u32>(tp) + <u64>load<u32>(ap2) * bi + c1; c1 = x >> 32;
        const y = (x & 0xffffffff) + q * <u64>load<u32>(mp) + c2; c2 = y >> 32;
        store<u32>(tp - 4, <u32>y);
        tp += 4; ap2 += 4; mp += 4;
      }
      const z = <u64>load<u32>(t + (<usize>n << 2)) + c1 + c2;
      store<u32>(t + ((<usize>n - 1) << 2), <u32>z);
      store<u32>(t + (<usize>n << 2), <u32>(z >> 32));
    }
    if (load<u32>(t + (<usize>n << 2)) != 0 || cmpRaw(t, m, n) >= 0) subRaw(out, t, m, n);
    else memory.copy(out, t, <usize>n << 2);
  }

  /**
   * out = a²·R^-1 mod m: the full square first (each cross product once, then doubled), then a
   * separate Montgomery reduction: about 1.5 n² limb products instead of 2 n².
   */
  sqr(out: StaticArray<u32>, a: StaticArray<u32>): void {
    const n = this.n;
    if (n == 8 || n == 12) { this.mulRaw(changetype<usize>(out), changetype<usize>(a), changetype<usize>(a)); return; }
    const T = changetype<usize>(this.w);
    const ap = changetype<usize>(a);
    const m = changetype<usize>(this.m);
    memory.fill(T, 0, (<usize>(2 * n + 1)) << 2);
    for (let i = 0; i < n - 1; i++) {
      const ai = <u64>load<u32>(ap + (<usize>i << 2));
      let rc: u64 = 0;
      let rp = T + (<usize>(2 * i + 1) << 2), xp = ap + (<usize>(i + 1) << 2);
      const cnt = n - 1 - i;
      const xend = xp + (<usize>cnt << 2), xend4 = xp + (<usize>(cnt & ~3) << 2);
      while (xp < xend4) {
        rc += <u64>load<u32>(rp) + ai * <u64>load<u32>(xp); store<u32>(rp, <u32>rc); rc >>= 32;
        rc += <u64>load<u32>(rp, 4) + ai * <u64>load<u32>(xp, 4); store<u32>(rp, <u32>rc, 4); rc >>= 32;
        rc += <u64>load<u32>(rp, 8) + ai * <u64>load<u32>(xp, 8); store<u32>(rp, <u32>rc, 8); rc >>= 32;
        rc += <u64>load<u32>(rp, 12) + ai * <u64>load<u32>(xp, 12); store<u32>(rp, <u32>rc, 12); rc >>= 32;
        rp += 16; xp += 16;
      }
      while (xp < xend) {
        rc += <u64>load<u32>(rp) + ai * <u64>load<u32>(xp); store<u32>(rp, <u32>rc); rc >>= 32;
        rp += 4; xp += 4;
      }
      store<u32>(T + (<usize>(i + n) << 2), <u32>rc);
    }
    // Double the cross products and add the squares on the diagonal.
    let c: u64 = 0;
    let prevTop: u32 = 0;
    for (let i = 0; i < n; i++) {
      const di = <u64>load<u32>(ap + (<usize>i << 2));
      const sq = di * di;
      const p0 = T + (<usize>(2 * i) << 2), p1 = p0 + 4;
      const lo = load<u32>(p0), hi = load<u32>(p1);
      const dlo = (lo << 1) | prevTop;
      const dhi = (hi << 1) | (lo >> 31);
      prevTop = hi >> 31;
      c += <u64>dlo + (sq & 0xffffffff);
      store<u32>(p0, <u32>c);
      c >>= 32;
      c += <u64>dhi + (sq >> 32);
      store<u32>(p1, <u32>c);
      c >>= 32;
    }
    // Montgomery reduction of the 2n-limb square.
    const m0inv = this.m0inv;
    let carry2: u64 = 0;
    for (let i = 0; i < n; i++) {
      const base = T + (<usize>i << 2);
      // Keep the product 32-bit: inside a <u64>(...) cast, load<u32> would be widened first.
      const t0 = load<u32>(base);
      const q = <u64>(t0 * m0inv);
      let cc: u64 = 0;
      let qp = base, mp = m;
      const end = base + (<usize>n << 2), end4 = base + (<usize>(n & ~3) << 2);
      while (qp < end4) { // unrolled by 4: the loop overhead is a third of the work at RSA sizes
        cc += <u64>load<u32>(qp) + q * <u64>load<u32>(mp); store<u32>(qp, <u32>cc); cc >>= 32;
        cc += <u64>load<u32>(qp, 4) + q * <u64>load<u32>(mp, 4); store<u32>(qp, <u32>cc, 4); cc >>= 32;
        cc += <u64>load<u32>(qp, 8) + q * <u64>load<u32>(mp, 8); store<u32>(qp, <u32>cc, 8); cc >>= 32;
        cc += <u64>load<u32>(qp, 12) + q * <u64>load<u32>(mp, 12); store<u32>(qp, <u32>cc, 12); cc >>= 32;
        qp += 16; mp += 16;
      }
      while (qp < end) {
        cc += <u64>load<u32>(qp) + q * <u64>load<u32>(mp); store<u32>(qp, <u32>cc); cc >>= 32;
        qp += 4; mp += 4;
      }
      const topp = base + (<usize>n << 2);
      const sum = <u64>load<u32>(topp) + cc + carry2;
      store<u32>(topp, <u32>sum);
      carry2 = sum >> 32;
    }
    const r = T + (<usize>n << 2);
    if (carry2 != 0 || cmpRaw(r, m, n) >= 0) subRaw(changetype<usize>(out), r, m, n);
    else memory.copy(changetype<usize>(out), r, <usize>n << 2);
  }

  /** Normal -> Montgomery form (a < R; the result is reduced mod m). */
  toMont(out: StaticArray<u32>, a: StaticArray<u32>): void { this.mul(out, a, this.r2); }

  /** Montgomery -> normal form. */
  fromMont(out: StaticArray<u32>, a: StaticArray<u32>): void {
    const u = this.u;
    memory.fill(changetype<usize>(u), 0, <usize>this.n << 2);
    unchecked(u[0] = 1);
    this.mul(out, a, u);
  }

  /** out = a + b mod m (a, b < m). */
  add(out: StaticArray<u32>, a: StaticArray<u32>, b: StaticArray<u32>): void {
    const o = changetype<usize>(out), m = changetype<usize>(this.m);
    const c = addRaw(o, changetype<usize>(a), changetype<usize>(b), this.n);
    if (c != 0 || cmpRaw(o, m, this.n) >= 0) subRaw(o, o, m, this.n);
  }

  /** out = a - b mod m (a, b < m). */
  sub(out: StaticArray<u32>, a: StaticArray<u32>, b: StaticArray<u32>): void {
    const o = changetype<usize>(out);
    if (subRaw(o, changetype<usize>(a), changetype<usize>(b), this.n) != 0) addRaw(o, o, changetype<usize>(this.m), this.n);
  }

  /** out = base^e (Montgomery form in and out); e is a plain big integer. out may alias base. */
  pow(out: StaticArray<u32>, base: StaticArray<u32>, e: StaticArray<u32>): void {
    const bits = bitLength(e);
    const acc = new StaticArray<u32>(this.n);
    copyLimbs(acc, this.one);
    if (bits <= 64) {
      // Short exponents (RSA's 3 and 65537): plain square-and-multiply.
      const b = new StaticArray<u32>(this.n);
      copyLimbs(b, base);
      for (let i = bits - 1; i >= 0; i--) {
        this.sqr(acc, acc);
        if (bit(e, i)) this.mul(acc, acc, b);
      }
      copyLimbs(out, acc);
      return;
    }
    // Long exponents (Fermat inversion, square roots): fixed 4-bit windows, one multiplication per
    // window instead of one per set bit.
    const tbl = new StaticArray<StaticArray<u32>>(16);
    for (let i = 0; i < 16; i++) tbl[i] = new StaticArray<u32>(this.n);
    copyLimbs(unchecked(tbl[0]), this.one);
    copyLimbs(unchecked(tbl[1]), base);
    for (let i = 2; i < 16; i++) this.mul(unchecked(tbl[i]), unchecked(tbl[i - 1]), unchecked(tbl[1]));
    for (let w = (bits + 3) >> 2; w > 0; w--) {
      const lowBit = (w - 1) << 2;
      this.sqr(acc, acc); this.sqr(acc, acc); this.sqr(acc, acc); this.sqr(acc, acc);
      const d = (bit(e, lowBit + 3) << 3) | (bit(e, lowBit + 2) << 2) | (bit(e, lowBit + 1) << 1) | bit(e, lowBit);
      if (d != 0) this.mul(acc, acc, unchecked(tbl[d]));
    }
    copyLimbs(out, acc);
  }

  /** out = a^-1 (Montgomery form) by Fermat, a^(m-2); m must be prime. a = 0 gives 0. */
  invPrime(out: StaticArray<u32>, a: StaticArray<u32>): void {
    const e = new StaticArray<u32>(this.n);
    const two = new StaticArray<u32>(this.n);
    two[0] = 2;
    subRaw(changetype<usize>(e), changetype<usize>(this.m), changetype<usize>(two), this.n);
    this.pow(out, a, e);
  }

  /** Reduces a plain integer x < R modulo m (normal form in and out). */
  reduce(out: StaticArray<u32>, x: StaticArray<u32>): void {
    this.mul(out, x, this.r2); // x·R mod m
    this.fromMont(out, out);
  }
}

/** Trusted hex constant (curve parameters) -> n limbs. */
export function limbsFromHex(s: string, n: i32): StaticArray<u32> {
  const out = new StaticArray<u32>(n);
  const o = changetype<usize>(out);
  for (let i = s.length - 1, k = 0; i >= 0 && (k >> 3) < n; i--, k++) {
    const c = s.charCodeAt(i);
    const v = <u32>(c <= 57 ? c - 48 : (c | 32) - 87);
    const limb = <usize>(k >> 3);
    store<u32>(o + (limb << 2), load<u32>(o + (limb << 2)) | (v << ((k & 7) << 2)));
  }
  return out;
}
