import { HeaderPair, encodePairs, decodePairs } from "./pairs";

function bytes(list: Array<u8>): ArrayBuffer {
  const b = new ArrayBuffer(list.length);
  for (let i = 0; i < list.length; i++) store<u8>(changetype<usize>(b) + i, list[i]);
  return b;
}

describe("pairs codec", () => {
  it("encodes the spec layout byte for byte", () => {
    const buf = encodePairs([new HeaderPair("a", "1"), new HeaderPair("b", "22")]);
    const expected: Array<u8> = [2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0x61, 0, 0x31, 0, 0x62, 0, 0x32, 0x32, 0];
    expect(buf.byteLength).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(load<u8>(changetype<usize>(buf) + i)).toBe(expected[i]);
  });

  it("round-trips UTF-8 keys and values", () => {
    const out = decodePairs(encodePairs([new HeaderPair(":path", "/é?x=1"), new HeaderPair("x-empty", "")]));
    expect(out.length).toBe(2);
    expect(out[0].key).toBe(":path");
    expect(out[0].value).toBe("/é?x=1");
    expect(out[1].value).toBe("");
  });

  it("decodes malformed input as empty, like cpp-host's PairsUtil", () => {
    // count says 1 but there is no room for the lengths
    expect(decodePairs(bytes([1, 0, 0, 0])).length).toBe(0);
    // key length overruns the buffer
    expect(decodePairs(bytes([1, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0x61, 0, 0])).length).toBe(0);
    // missing NUL after the key
    expect(decodePairs(bytes([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x61, 1, 0])).length).toBe(0);
    // trailing garbage
    expect(decodePairs(bytes([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x61, 0, 0, 9])).length).toBe(0);
    // a huge count cannot overflow the size check
    expect(decodePairs(bytes([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])).length).toBe(0);
    expect(decodePairs(bytes([0, 0])).length).toBe(0);
    expect(decodePairs(null).length).toBe(0);
  });
});
