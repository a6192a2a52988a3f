def gen(n):
    L=[]
    L.append(f'/** Montgomery product for {n} limbs (see Mont.mulRaw): out = a·b·2^-{32*n} mod m, fully reduced. */')
    L.append(f'export function montMul{n}(out: usize, a: usize, b: usize, m: usize, m0inv: u64): void {{')
    for j in range(n): L.append(f'  const a{j} = <u64>load<u32>(a, {4*j}); const m{j} = <u64>load<u32>(m, {4*j});')
    L.append('  let ' + ', '.join(f't{j}: u64 = 0' for j in range(n+1)) + ';')
    L.append('  let x: u64, y: u64, c1: u64, c2: u64, q: u64, bi: u64;')
    for i in range(n):
        L.append(f'  bi = <u64>load<u32>(b, {4*i});')
        L.append(f'  x = t0 + a0 * bi; c1 = x >> 32; x &= 0xffffffff;')
        L.append(f'  q = (x * m0inv) & 0xffffffff; c2 = (x + q * m0) >> 32;')
        for j in range(1,n):
            L.append(f'  x = t{j} + a{j} * bi + c1; c1 = x >> 32; y = (x & 0xffffffff) + q * m{j} + c2; c2 = y >> 32; t{j-1} = y & 0xffffffff;')
        L.append(f'  x = t{n} + c1 + c2; t{n-1} = x & 0xffffffff; t{n} = x >> 32;')
    # conditional subtraction
    L.append('  let br: u64 = 0, d: u64;')
    for j in range(n):
        L.append(f'  d = t{j} - m{j} - br; const d{j} = d & 0xffffffff; br = (d >> 63);')
    L.append(f'  if (t{n} != 0 || br == 0) {{')
    for j in range(n): L.append(f'    store<u32>(out, <u32>d{j}, {4*j});')
    L.append('  } else {')
    for j in range(n): L.append(f'    store<u32>(out, <u32>t{j}, {4*j});')
    L.append('  }')
    L.append('}')
    return '\n'.join(L)
hdr='''// Generated: Montgomery multiplication unrolled for the curve widths (8 limbs: P-256 and
// 2^255-19; 12: P-384), every limb and the accumulator in locals. Same FIOS algorithm as
// Mont.mulRaw; the loop form spends most of its time on linear-memory traffic at these sizes.
// (17 limbs for P-521 was measured slower unrolled: 52 live u64 locals spill; it keeps the loop.)
// Regenerate with `python3 shared/crypto/gen/montfixed.py > shared/crypto/montfixed.ts` rather than editing.
'''
print(hdr)
for n in (8,12): print(gen(n)); print()
