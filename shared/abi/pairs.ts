// The proxy-wasm "pairs" wire format for header maps (spec v0.2.1 "Serialization"):
//   u32 count | count x (u32 key_len, u32 value_len) | count x (key NUL value NUL), little-endian.
// One codec for the whole suite: header maps, http_call headers, local-response headers.

export class HeaderPair {
  constructor(public key: string, public value: string) {}
}

/** Serializes pairs for proxy_set_header_map_pairs / proxy_http_call / proxy_send_local_response. */
export function encodePairs(pairs: Array<HeaderPair>): ArrayBuffer {
  const n = pairs.length;
  const keys = new Array<ArrayBuffer>(n);
  const values = new Array<ArrayBuffer>(n);
  let size = 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const k = String.UTF8.encode(pairs[i].key);
    const v = String.UTF8.encode(pairs[i].value);
    keys[i] = k;
    values[i] = v;
    size += k.byteLength + v.byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, n);
  let lens = base + 4;
  let data = base + 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    const v = values[i];
    store<u32>(lens, k.byteLength);
    store<u32>(lens + 4, v.byteLength);
    lens += 8;
    memory.copy(data, changetype<usize>(k), k.byteLength);
    data += k.byteLength;
    store<u8>(data, 0);
    data += 1;
    memory.copy(data, changetype<usize>(v), v.byteLength);
    data += v.byteLength;
    store<u8>(data, 0);
    data += 1;
  }
  return out;
}

/**
 * Parses a pairs buffer the way cpp-host's PairsUtil does: anything malformed (short buffer, a length
 * that overruns, a missing NUL terminator, trailing bytes) decodes as an empty list rather than failing.
 */
export function decodePairs(buf: ArrayBuffer | null): Array<HeaderPair> {
  const out = new Array<HeaderPair>();
  if (buf === null) return out;
  const size = <usize>buf.byteLength;
  if (size < 4) return out;
  const base = changetype<usize>(buf);
  const n = <usize>load<u32>(base);
  // Each pair needs 8 bytes of lengths and 2 terminators; reject counts the buffer cannot hold
  // before multiplying, so a hostile count cannot overflow.
  if (n > (size - 4) / 10) return out;
  let lens = base + 4;
  let data = base + 4 + 8 * n;
  const end = base + size;
  for (let i: usize = 0; i < n; i++) {
    const kl = <usize>load<u32>(lens);
    const vl = <usize>load<u32>(lens + 4);
    lens += 8;
    if (kl > end - data || end - data - kl < 1) return new Array<HeaderPair>();
    const key = String.UTF8.decodeUnsafe(data, kl);
    data += kl;
    if (load<u8>(data) != 0) return new Array<HeaderPair>();
    data += 1;
    if (vl > end - data || end - data - vl < 1) return new Array<HeaderPair>();
    const value = String.UTF8.decodeUnsafe(data, vl);
    data += vl;
    if (load<u8>(data) != 0) return new Array<HeaderPair>();
    data += 1;
    out.push(new HeaderPair(key, value));
  }
  if (data != end) return new Array<HeaderPair>();
  return out;
}
