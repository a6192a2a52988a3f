import { base64Encode, base64UrlEncode, base64Decode, base64UrlDecodeStrict } from "./base64";

function str(b: ArrayBuffer | null): string { return b === null ? "<null>" : String.UTF8.decode(b); }
function buf(s: string): ArrayBuffer { return String.UTF8.encode(s); }

describe("base64 (RFC 4648 test vectors)", () => {
  it("encodes std with padding", () => {
    expect(base64Encode(buf(""))).toBe("");
    expect(base64Encode(buf("f"))).toBe("Zg==");
    expect(base64Encode(buf("fo"))).toBe("Zm8=");
    expect(base64Encode(buf("foo"))).toBe("Zm9v");
    expect(base64Encode(buf("foob"))).toBe("Zm9vYg==");
    expect(base64Encode(buf("fooba"))).toBe("Zm9vYmE=");
    expect(base64Encode(buf("foobar"))).toBe("Zm9vYmFy");
  });
  it("decodes std padded and unpadded", () => {
    expect(str(base64Decode("Zm9vYg=="))).toBe("foob");
    expect(str(base64Decode("Zm9vYg"))).toBe("foob");
    expect(str(base64Decode("Zm9vYmE="))).toBe("fooba");
    expect(str(base64Decode("Zm9vYmE"))).toBe("fooba");
    expect(str(base64Decode(""))).toBe("");
  });
  it("rejects bad std input", () => {
    expect(base64Decode("Zm9v!")).toBeNull();
    expect(base64Decode("Z")).toBeNull();
    expect(base64Decode("Zm9vY")).toBeNull();
    expect(base64Decode("Zm=v")).toBeNull();
    expect(base64Decode("Zm9v-_")).toBeNull();
    expect(base64Decode("é===")).toBeNull();
  });
  it("url: encodes without padding and decodes strictly", () => {
    const bytes = new ArrayBuffer(3);
    store<u8>(changetype<usize>(bytes), 0xfb); store<u8>(changetype<usize>(bytes) + 1, 0xff); store<u8>(changetype<usize>(bytes) + 2, 0xbf);
    expect(base64UrlEncode(bytes)).toBe("-_-_");
    expect(base64UrlEncode(buf("fo"))).toBe("Zm8");
    expect(str(base64UrlDecodeStrict("Zm8"))).toBe("fo");
  });
  it("url strict: rejects padding, std alphabet, and non-canonical trailing bits", () => {
    expect(base64UrlDecodeStrict("Zm8=")).toBeNull();
    expect(base64UrlDecodeStrict("+/+/")).toBeNull();
    expect(base64UrlDecodeStrict("Zm9")).toBeNull();   // 'fo' is Zm8; Zm9 sets unused low bits
    expect(base64UrlDecodeStrict("Zh")).toBeNull();    // 'f' is Zg
    expect(str(base64UrlDecodeStrict("Zg"))).toBe("f");
    expect(base64UrlDecodeStrict("Zm9v Yg")).toBeNull();
  });
});
