// The proxy-wasm pairs format (spec v0.2.1 "Serialization"; cpp-host src/pairs_util.cc):
//   u32 count | count x (u32 key_len, u32 value_len) | count x (key 0x00 value 0x00), little-endian.
// Parsing follows cpp-host `PairsUtil::toPairs`: anything malformed or over the limits is an EMPTY
// list, never an error.
import type { HeaderList } from "../api";

export const MAX_PAIRS_BYTES = 1024 * 1024;
export const MAX_PAIRS = 1024;

const utf8 = new TextDecoder();

export function pairsSize(pairs: ReadonlyArray<readonly [string | Uint8Array, string | Uint8Array]>): number {
  let size = 4;
  for (const [k, v] of pairs) size += 8 + byteLen(k) + 1 + byteLen(v) + 1;
  return size;
}

function byteLen(s: string | Uint8Array): number {
  return typeof s === "string" ? Buffer.byteLength(s) : s.length;
}

/** Encodes pairs (strings as UTF-8). An empty list encodes as an empty buffer (cpp-host returns 0/0). */
export function encodePairs(pairs: ReadonlyArray<readonly [string | Uint8Array, string | Uint8Array]>): Uint8Array {
  if (pairs.length === 0) return new Uint8Array(0);
  const out = Buffer.allocUnsafe(pairsSize(pairs));
  out.writeUInt32LE(pairs.length, 0);
  let lp = 4;
  let dp = 4 + pairs.length * 8;
  for (const [k, v] of pairs) {
    const kl = typeof k === "string" ? out.write(k, dp, "utf8") : (out.set(k, dp), k.length);
    dp += kl;
    out[dp++] = 0;
    const vl = typeof v === "string" ? out.write(v, dp, "utf8") : (out.set(v, dp), v.length);
    dp += vl;
    out[dp++] = 0;
    out.writeUInt32LE(kl, lp);
    out.writeUInt32LE(vl, lp + 4);
    lp += 8;
  }
  return out;
}

/** Decodes raw pairs; malformed or oversized input gives []. */
export function decodePairsRaw(b: Uint8Array): Array<[Uint8Array, Uint8Array]> {
  if (b.length < 4 || b.length > MAX_PAIRS_BYTES) return [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = dv.getUint32(0, true);
  if (count === 0) return b.length === 4 ? [] : [];
  if (count > MAX_PAIRS) return [];
  let lp = 4;
  let dp = 4 + count * 8;
  if (dp > b.length) return [];
  const out: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < count; i++) {
    const kl = dv.getUint32(lp, true);
    const vl = dv.getUint32(lp + 4, true);
    lp += 8;
    if (dp + kl + 1 > b.length || b[dp + kl] !== 0) return [];
    const k = b.subarray(dp, dp + kl);
    dp += kl + 1;
    if (dp + vl + 1 > b.length || b[dp + vl] !== 0) return [];
    const v = b.subarray(dp, dp + vl);
    dp += vl + 1;
    out.push([k, v]);
  }
  if (dp !== b.length) return [];
  return out;
}

export function decodePairs(b: Uint8Array): HeaderList {
  return decodePairsRaw(b).map(([k, v]) => [utf8.decode(k), utf8.decode(v)]);
}
