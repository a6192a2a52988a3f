// Montgomery arithmetic cross-checks: the dedicated squaring must equal mul(a, a), the unrolled
// widths (8, 12, 17 limbs) must equal the generic loop, and to/from Montgomery form must round-trip.
import { Mont, limbsFromHex, cmp, copyLimbs } from "./bigint";

let seed: u32 = 0x12345678;
function next(): u32 { seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5; return seed; }

function check(mod: StaticArray<u32>, rounds: i32): i32 {
  const M = new Mont(mod);
  const n = M.n;
  let bad = 0;
  const a = new StaticArray<u32>(n), x = new StaticArray<u32>(n), y = new StaticArray<u32>(n), z = new StaticArray<u32>(n);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) a[i] = next();
    if (r == 0) for (let i = 0; i < n; i++) a[i] = 0xffffffff; // extreme value
    a[n - 1] = a[n - 1] >> 1;                                // keep a < R
    M.toMont(x, a);                                          // x < m
    M.mul(y, x, x);
    copyLimbs(z, x);
    M.sqr(z, z);
    if (cmp(y, z) != 0) bad++;
    M.mulLoop(changetype<usize>(z), changetype<usize>(x), changetype<usize>(y));
    M.mul(a, x, y);
    if (cmp(a, z) != 0) bad++;                               // unrolled widths == loop form
    for (let i = 0; i < n; i++) a[i] = next();
    a[n - 1] = a[n - 1] >> 1;
    M.toMont(x, a);
    M.fromMont(z, x);
    M.reduce(y, a);
    if (cmp(y, z) != 0) bad++;
    // Windowed pow against repeated multiplication: x^(2^70 + 37) with a 71-bit exponent.
    const e = new StaticArray<u32>(3);
    e[0] = 37; e[2] = 64;
    M.pow(y, x, e);
    copyLimbs(z, M.one);
    const xx = new StaticArray<u32>(n);
    copyLimbs(xx, x);
    for (let i = 0; i < 70; i++) M.mul(xx, xx, xx);   // x^(2^70)
    M.mul(z, z, xx);
    for (let i = 0; i < 37; i++) M.mul(z, z, x);
    if (cmp(y, z) != 0) bad++;
  }
  return bad;
}

describe("Mont", () => {
  it("sqr == mul(a, a) and Montgomery round-trips for P-256, P-521, 2^255-19 and an RSA-size modulus", () => {
    expect(check(limbsFromHex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 8), 50)).toBe(0);
    expect(check(limbsFromHex("1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 17), 50)).toBe(0);
    expect(check(limbsFromHex("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed", 8), 50)).toBe(0);
    expect(check(limbsFromHex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff", 12), 50)).toBe(0);
    // odd 2048-bit value: 0xc5 repeated, last byte odd
    let h = "";
    for (let i = 0; i < 255; i++) h += "c5";
    h += "c7";
    expect(check(limbsFromHex(h, 64), 10)).toBe(0);
    expect(check(limbsFromHex("9d" + h + "3b", 65), 10)).toBe(0); // 65 limbs: the unrolled loops' remainders
  });
});
