import { Regex, regexError, lastMatchSteps } from "./index";

function full(p: string, s: string): bool {
  const re = Regex.compile(p);
  if (re === null) throw new Error("compile failed: " + p + ": " + regexError());
  return re.fullMatch(s);
}
function partial(p: string, s: string): bool {
  const re = Regex.compile(p);
  if (re === null) throw new Error("compile failed: " + p + ": " + regexError());
  return re.partialMatch(s);
}
function refuse(p: string): string {
  const re = Regex.compile(p);
  expect(re).toBeNull(p);
  return regexError();
}

describe("smoke", () => {
  it("matches", () => {
    expect(full("abc", "abc")).toBe(true);
    expect(full("abc", "abcd")).toBe(false);
    expect(partial("abc", "xxabcd")).toBe(true);
    expect(full(".*/ns/foo/.*", "spiffe://cluster.local/ns/foo/sa/bar")).toBe(true);
    expect(full(".*/ns/foo/.*", "spiffe://cluster.local/ns/fooo/sa/bar")).toBe(false);
    expect(full("(?i)hello", "HeLLo")).toBe(true);
    expect(full("a{2,3}", "aaa")).toBe(true);
    expect(full("a{2,3}", "aaaa")).toBe(false);
    expect(full("\\pL+", "héllo")).toBe(true);
    expect(full("\\p{Greek}+", "αβγ")).toBe(true);
    expect(full("\\p{Greek}+", "αβγa")).toBe(false);
    expect(refuse("\\1")).toBe("invalid escape sequence at position 0: \\1");
    expect(refuse("a(?=b)")).toBe("invalid perl operator at position 1: (?=");
    expect(refuse("a**")).toBe("bad repetition operator at position 1: **");
    expect(refuse("a{1001}")).toBe("invalid repetition size at position 1: {1001}");
    expect(refuse("(abc")).toBe("missing ) at position 0: (abc");
  });
  it("is linear", () => {
    const re = Regex.compile("(a+)+$")!;
    const s = "a".repeat(10000) + "b";
    expect(re.partialMatch(s)).toBe(false);
    log(lastMatchSteps());
  });
});
