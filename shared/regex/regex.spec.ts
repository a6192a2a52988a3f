// shared/regex: RE2 syntax accepted and refused (RE2's error text, argument and the byte position),
// RE2::FullMatch / PartialMatch answers, and linear work counted in steps (never wall time).
// Expected answers follow RE2's documented syntax (github.com/google/re2/wiki/Syntax) and its tests;
// tests/regex/ adds RE2's own test data and a differential run against JS RegExp.
import { Regex, regexError, lastMatchSteps } from "./index";

function re(p: string): Regex {
  const r = Regex.compile(p);
  if (r === null) throw new Error("compile failed: " + p + ": " + regexError());
  return r;
}
function full(p: string, s: string): bool { return re(p).fullMatch(s); }
function partial(p: string, s: string): bool { return re(p).partialMatch(s); }
function refused(p: string): string {
  const r = Regex.compile(p);
  expect(r).toBeNull("should be refused: " + p);
  return regexError();
}
function fullBytes(r: Regex, s: string): bool {
  const b = String.UTF8.encode(s);
  return r.fullMatchBytes(changetype<usize>(b), b.byteLength);
}

describe("literals, classes, escapes", () => {
  it("matches literals and the full/partial distinction", () => {
    expect(full("abc", "abc")).toBe(true);
    expect(full("abc", "abcd")).toBe(false);
    expect(full("abc", "xabc")).toBe(false);
    expect(partial("abc", "xxabcd")).toBe(true);
    expect(partial("abc", "xxabd")).toBe(false);
    expect(full("", "")).toBe(true);
    expect(full("", "a")).toBe(false);
    expect(partial("", "a")).toBe(true);
    // re2_test.cc FullMatch/PartialMatch cases
    expect(full("h.*o", "hello")).toBe(true);
    expect(full("h.*o", "othello")).toBe(false);
    expect(full("h.*o", "hello!")).toBe(false);
    expect(partial("h.*o", "othello")).toBe(true);
    expect(full("[0-9a-f+.-]{5,}", "0abcd")).toBe(true);
    expect(full("[0-9a-f+.-]{5,}", "0abc")).toBe(false);
    expect(full("foo|bar|[A-Z]", "X")).toBe(true);
    expect(full("foo|bar|[A-Z]", "XY")).toBe(false);
    expect(full("fo|foo$", "foo")).toBe(true);
    expect(full("foo\\$", "foo$bar")).toBe(false);
    expect(partial("foo$", "foo\n")).toBe(false);
  });
  it("dot excludes \\n unless (?s); classes may match \\n", () => {
    expect(full(".", "\n")).toBe(false);
    expect(full("(?s).", "\n")).toBe(true);
    expect(full("(?s:.)x", "\nx")).toBe(true);
    expect(full("(?s:.).", "\n\n")).toBe(false);
    expect(full("[^a]", "\n")).toBe(true);
    expect(full("\\D", "\n")).toBe(true);
    expect(full(".", "é")).toBe(true);
    expect(full("..", "é")).toBe(false);
    expect(full(".", "😀")).toBe(true);
  });
  it("Perl, POSIX and Unicode classes are RE2's", () => {
    expect(full("\\d+", "0123456789")).toBe(true);
    expect(full("\\d", "٣")).toBe(false); // RE2's \d is ASCII
    expect(full("\\w+", "aZ_09")).toBe(true);
    expect(full("\\w", "é")).toBe(false);
    expect(full("\\s", "\x0B")).toBe(false); // RE2's \s has no \v
    expect(full("\\s+", " \t\n\f\r")).toBe(true);
    expect(full("[[:alpha:]]+", "abcXYZ")).toBe(true);
    expect(full("[[:^alpha:]]", "a")).toBe(false);
    expect(full("[[:^alpha:]]", "1")).toBe(true);
    expect(full("[[:word:][:punct:]]+", "a_!~")).toBe(true);
    expect(full("\\pL+", "héllo")).toBe(true);
    expect(full("\\pN", "٣")).toBe(true);
    expect(full("\\p{Lu}", "É")).toBe(true);
    expect(full("\\p{Lu}", "é")).toBe(false);
    expect(full("\\PL", "1")).toBe(true);
    expect(full("\\p{^L}", "a")).toBe(false);
    expect(full("\\p{Greek}+", "αβγ")).toBe(true);
    expect(full("\\p{Greek}+", "αβγa")).toBe(false);
    expect(full("\\p{Han}", "中")).toBe(true);
    expect(full("\\p{Any}", "😀")).toBe(true);
    expect(full("[\\p{Cyrillic}\\d]+", "Жж12")).toBe(true);
  });
  it("escapes", () => {
    expect(full("\\x41\\x{42}\\x{1F600}", "AB😀")).toBe(true);
    expect(full("\\101\\0", "A\0")).toBe(true);
    expect(full("\\t\\n\\r\\f\\v\\a", "\t\n\r\f\x0B\x07")).toBe(true);
    expect(full("\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\\\/\\-\\_", ".*+?()[]{}|^$\\/-_")).toBe(true);
    expect(full("\\Qa.b*\\E+", "a.b**")).toBe(true);
    expect(full("[\\]\\-a]+", "]-a")).toBe(true);
    expect(full("[]a]", "]")).toBe(true);
    expect(full("[a-]", "-")).toBe(true);
    expect(full("a{,2}", "a{,2}")).toBe(true); // not a repetition: literal text, as in RE2
    expect(full("x{", "x{")).toBe(true);
  });
});

describe("literal fast paths", () => {
  it("answers literal-only patterns by comparison, honouring \\A and \\z", () => {
    expect(full("/ns/foo", "/ns/foo")).toBe(true);
    expect(full("/ns/foo", "/ns/fo")).toBe(false);
    expect(partial("/ns/foo", "x/ns/foox")).toBe(true);
    expect(partial("^/ns/foo", "/ns/foox")).toBe(true);
    expect(partial("^/ns/foo", "x/ns/foo")).toBe(false);
    expect(partial("/ns/foo$", "x/ns/foo")).toBe(true);
    expect(partial("/ns/foo$", "/ns/foox")).toBe(false);
    expect(partial("^/ns/foo$", "/ns/foo")).toBe(true);
    expect(partial("(?:/ns)(/foo)", "a/ns/foo")).toBe(true);
    expect(full("héllo😀", "héllo😀")).toBe(true);
    expect(fullBytes(re("héllo😀"), "héllo😀")).toBe(true);
    expect(partial("(?i)/ns/foo", "/NS/FOO")).toBe(true); // folded text is not a literal
  });
  it("refuses inputs without the required literal, with the same answers as the automata", () => {
    const r = re(".*/ns/foo/.*");
    expect(r.fullMatch("spiffe://x/ns/bar/sa/y")).toBe(false);
    expect(r.fullMatch("spiffe://x/ns/foo/sa/y")).toBe(true);
    expect(r.fullMatch("spiffe://x/ns/foo/sa/\n")).toBe(false);
    expect(re("^/api/v[0-9]+/x").partialMatch("/api/v1/x")).toBe(true);
    expect(re("^/api/v[0-9]+/x").partialMatch("x/api/v1/x")).toBe(false);
    expect(re("a(bc)+d").fullMatch("abcbcd")).toBe(true);
    expect(re("a(bc)*d").fullMatch("ad")).toBe(true); // bc is repeated, so not required
  });
});

describe("anchors and flags", () => {
  it("^ and $ are text anchors unless (?m)", () => {
    expect(partial("^b", "a\nb")).toBe(false);
    expect(partial("(?m)^b", "a\nb")).toBe(true);
    expect(partial("a$", "a\nb")).toBe(false);
    expect(partial("(?m)a$", "a\nb")).toBe(true);
    expect(partial("\\Aa", "ba")).toBe(false);
    expect(partial("a\\z", "ab")).toBe(false);
    expect(partial("(?m)a\\z", "a\n")).toBe(false);
    expect(full("^abc$", "abc")).toBe(true);
  });
  it("word boundaries are ASCII", () => {
    expect(partial("\\bfoo\\b", "a foo b")).toBe(true);
    expect(partial("\\bfoo\\b", "afoo")).toBe(false);
    expect(partial("\\Bfoo", "afoo")).toBe(true);
    expect(partial("\\bé", " é")).toBe(false);
    // RE2 searches byte positions, including those inside a multi-byte character, where \B holds
    // (checked against libre2: PartialMatch("KéK", "\\B") is true, PartialMatch("K", "\\B") false).
    expect(partial("\\B", "KéK")).toBe(true);
    expect(partial("\\B", "K")).toBe(false);
    expect(partial("\\B", "KK")).toBe(true);
  });
  it("(?i) folds case with Unicode simple folding, scoped to its group", () => {
    expect(full("(?i)hello", "HeLLo")).toBe(true);
    expect(full("(?i)k", "\u212A")).toBe(true);   // KELVIN SIGN folds to k
    expect(full("(?i)s", "\u017F")).toBe(true);   // LONG S folds to s
    expect(full("(?i)σ", "ς")).toBe(true);
    expect(full("(?i)é", "É")).toBe(true);
    expect(full("(?i)[a-c]+", "ABC")).toBe(true);
    expect(full("(?i)[^a]", "A")).toBe(false);
    expect(full("(?i)\\w", "\u212A")).toBe(true);
    expect(full("(?i:a)b", "Ab")).toBe(true);
    expect(full("(?i:a)b", "AB")).toBe(false);
    expect(full("a(?i)b|c", "aB")).toBe(true);
    expect(full("a(?i)b|c", "C")).toBe(true);       // the flag holds to the end of the group
    expect(full("(a(?i)b)c", "aBC")).toBe(false);
    expect(full("(?i)ı", "I")).toBe(false);         // dotless i has no simple fold to I
    expect(full("(?i-i)a", "A")).toBe(false);
  });
  it("groups, named groups, alternation, lazy and counted repetition", () => {
    expect(full("(?P<name>a+)(?<other>b)", "aab")).toBe(true);
    expect(full("(?:ab)+", "ababab")).toBe(true);
    expect(full("(a|ab)(c|bcd)(d*)", "abcd")).toBe(true);
    expect(full("a*?b+?c??", "aabbc")).toBe(true);
    expect(full("(?U)a+", "aaa")).toBe(true);
    expect(full("a{3}", "aaa")).toBe(true);
    expect(full("a{3}", "aa")).toBe(false);
    expect(full("a{2,}", "aaaaa")).toBe(true);
    expect(full("a{2,}", "a")).toBe(false);
    expect(full("a{0}b", "b")).toBe(true);
    expect(full("(ab){1,3}", "ababab")).toBe(true);
    expect(full("(ab){1,3}", "abababab")).toBe(false);
    expect(full("a{1000}", "a".repeat(1000))).toBe(true);
    expect(full("a{1000}", "a".repeat(999))).toBe(false);
    expect(full("(a*)*", "aaa")).toBe(true);
    expect(full("(a*)+b", "b")).toBe(true);
    expect(full("(|a)+b", "aab")).toBe(true);
    expect(full("(?:)", "")).toBe(true);
    expect(full("[^\\x00-\\x{10FFFF}]", "a")).toBe(false);
  });
  it("matches Istio's and Envoy's typical patterns", () => {
    expect(full(".*/ns/foo/.*", "spiffe://cluster.local/ns/foo/sa/bar")).toBe(true);
    expect(full(".*/ns/foo/.*", "spiffe://cluster.local/ns/fooo/sa/bar")).toBe(false);
    expect(full(".*/ns/foo/.*", "spiffe://cluster.local/ns/foo/sa/\nbar")).toBe(false);
    expect(full("^/api/v[0-9]+/users/[^/]+$", "/api/v12/users/alice")).toBe(true);
    expect(full("^/api/v[0-9]+/users/[^/]+$", "/api/v12/users/alice/x")).toBe(false);
    expect(full("(?i)(www\\.)?example\\.com(:[0-9]+)?", "WWW.Example.COM:8080")).toBe(true);
  });
});

describe("bytes API", () => {
  it("answers like the string API and never matches invalid UTF-8 with a rune class", () => {
    const r = re("a.c");
    expect(fullBytes(r, "abc")).toBe(true);
    expect(fullBytes(r, "aéc")).toBe(true);
    const bad = new Uint8Array(3);
    bad[0] = 0x61; bad[1] = 0xff; bad[2] = 0x63;
    expect(r.fullMatchBytes(bad.dataStart, 3)).toBe(false);
    expect(re("a[^b]c").fullMatchBytes(bad.dataStart, 3)).toBe(false);
    expect(re("a").partialMatchBytes(bad.dataStart, 3)).toBe(true);
    expect(re("c").partialMatchBytes(bad.dataStart, 3)).toBe(true);
    const trunc = new Uint8Array(2);
    trunc[0] = 0xc3; trunc[1] = 0x61; // a lead byte cut short, then 'a'
    expect(re(".a").fullMatchBytes(trunc.dataStart, 2)).toBe(false);
    expect(re("a").partialMatchBytes(trunc.dataStart, 2)).toBe(true);
    expect(r.fullMatchBytes(0, 0)).toBe(false);
    expect(re("").fullMatchBytes(0, 0)).toBe(true);
    expect(re("").fullMatchBytes(0, -5)).toBe(true);
  });
  it("decodes as RE2 does: surrogates are runes, lax forms only for classes holding U+0080..U+10FFFF", () => {
    // RE2 (checked against libre2): "." and [^é] match ED A0 80 (U+D800); "." and [^a] match the
    // overlong E0 80 80 and F4 90 80 80 (above U+10FFFF), [^é] and \pL do not; lone bytes match nothing.
    const s = String.fromCharCode(0xd800);
    expect(re(".").fullMatch(s)).toBe(true);
    expect(re("[^é]").fullMatch(s)).toBe(true);
    const sur = new Uint8Array(3); sur[0] = 0xed; sur[1] = 0xa0; sur[2] = 0x80;
    expect(re(".").fullMatchBytes(sur.dataStart, 3)).toBe(true);
    expect(re("[^é]").fullMatchBytes(sur.dataStart, 3)).toBe(true);
    const over = new Uint8Array(3); over[0] = 0xe0; over[1] = 0x80; over[2] = 0x80;
    expect(re(".").fullMatchBytes(over.dataStart, 3)).toBe(true);
    expect(re("[^a]").fullMatchBytes(over.dataStart, 3)).toBe(true);
    expect(re("[^é]").fullMatchBytes(over.dataStart, 3)).toBe(false);
    expect(re("\\pL").fullMatchBytes(over.dataStart, 3)).toBe(false);
    const big = new Uint8Array(4); big[0] = 0xf4; big[1] = 0x90; big[2] = 0x80; big[3] = 0x80;
    expect(re("\\S").fullMatchBytes(big.dataStart, 4)).toBe(true);
    expect(re("...").fullMatchBytes(over.dataStart, 3)).toBe(false);
  });
});

describe("refusals: RE2's error, its argument and the byte position", () => {
  it("refuses backreferences and look-around", () => {
    expect(refused("(a)\\1")).toBe("invalid escape sequence at position 3: \\1");
    expect(refused("a(?=b)")).toBe("invalid perl operator at position 1: (?=");
    expect(refused("a(?!b)")).toBe("invalid perl operator at position 1: (?!");
    expect(refused("(?<=a)b")).toBe("invalid perl operator at position 0: (?<=");
    expect(refused("x(?<!a)b")).toBe("invalid perl operator at position 1: (?<!");
    expect(refused("(?P=name)")).toBe("invalid perl operator at position 0: (?P");
    expect(refused("(?>a)")).toBe("invalid perl operator at position 0: (?>");
  });
  it("refuses bad repetition", () => {
    expect(refused("a**")).toBe("bad repetition operator at position 1: **");
    expect(refused("a++")).toBe("bad repetition operator at position 1: ++");      // possessive
    expect(refused("a*+")).toBe("bad repetition operator at position 1: *+");
    expect(refused("a{2}*")).toBe("bad repetition operator at position 1: {2}*");
    expect(refused("a*?*")).toBe("bad repetition operator at position 1: *?*");
    expect(refused("*a")).toBe("no argument for repetition operator at position 0: *");
    expect(refused("a|+")).toBe("no argument for repetition operator at position 2: +");
    expect(refused("(?i)*")).toBe("no argument for repetition operator at position 4: *");
    expect(refused("({2})")).toBe("no argument for repetition operator at position 1: {2}");
    expect(refused("a{1001}")).toBe("invalid repetition size at position 1: {1001}");
    expect(refused("a{2,1}")).toBe("invalid repetition size at position 1: {2,1}");
    expect(refused("a{1000,1001}")).toBe("invalid repetition size at position 1: {1000,1001}");
    expect(refused("(a{100}){11}")).toBe("invalid repetition size at position 8: {11}");
    expect(refused("((a{10}){10}){11}")).toBe("invalid repetition size at position 13: {11}");
    expect(Regex.compile("((a{10}){10}){10}")).not.toBeNull();
  });
  it("refuses unbalanced groups and classes", () => {
    expect(refused("(abc")).toBe("missing ) at position 0: (abc");
    expect(refused("a(b(c)")).toBe("missing ) at position 1: a(b(c)");
    expect(refused("abc)")).toBe("unexpected ) at position 3: abc)");
    expect(refused("[abc")).toBe("missing ] at position 0: [abc");
    expect(refused("x[a-")).toBe("missing ] at position 1: [a-");
    expect(refused("[z-a]")).toBe("invalid character class range at position 1: z-a");
    expect(refused("[[:foo:]]")).toBe("invalid character class range at position 1: [:foo:]");
    expect(refused("\\p{Foo}")).toBe("invalid character class range at position 0: \\p{Foo}");
    expect(refused("\\pX")).toBe("invalid character class range at position 0: \\pX");
    expect(refused("\\p{Greek")).toBe("invalid character class range at position 0: \\p{Greek");
  });
  it("refuses bad escapes and flags", () => {
    expect(refused("ab\\")).toBe("trailing \\ at position 2");
    expect(refused("\\8")).toBe("invalid escape sequence at position 0: \\8");
    expect(refused("\\q")).toBe("invalid escape sequence at position 0: \\q");
    expect(refused("\\Z")).toBe("invalid escape sequence at position 0: \\Z");
    expect(refused("x\\x{110000}")).toBe("invalid escape sequence at position 1: \\x{110000");
    expect(refused("\\xZZ")).toBe("invalid escape sequence at position 0: \\xZZ");
    expect(refused("[\\b]")).toBe("invalid escape sequence at position 1: \\b");
    expect(refused("(?x)a")).toBe("invalid perl operator at position 0: (?x");
    expect(refused("(?i")).toBe("invalid perl operator at position 0: (?i");
    expect(refused("(?-)")).toBe("invalid perl operator at position 0: (?-)");
    expect(refused("(?i-)")).toBe("invalid perl operator at position 0: (?i-)");
    expect(refused("(?P<>a)")).toBe("invalid named capture group at position 0: (?P<>");
    expect(refused("(?<a b>x)")).toBe("invalid named capture group at position 0: (?<a b>");
    expect(refused("(?P<name")).toBe("invalid named capture group at position 0: (?P<name");
    expect(refused("a\\C")).toBe("\\C (any byte) is not supported at position 1: \\C");
  });
  it("refuses invalid UTF-8 in the pattern", () => {
    const b = new Uint8Array(3);
    b[0] = 0x61; b[1] = 0xc3; b[2] = 0x28;
    expect(Regex.compileUtf8(b.dataStart, 3)).toBeNull();
    expect(regexError()).toBe("invalid UTF-8 at position 1");
    const over = new Uint8Array(2); over[0] = 0xc0; over[1] = 0x80; // overlong NUL
    expect(Regex.compileUtf8(over.dataStart, 2)).toBeNull();
    expect(regexError()).toBe("invalid UTF-8 at position 0");
    // RE2 accepts a surrogate code point in a pattern (its decoder does not reject them).
    expect(re("a" + String.fromCharCode(0xdc00)).fullMatch("a" + String.fromCharCode(0xdc00))).toBe(true);
  });
  it("accepts what RE2 accepts that other engines refuse", () => {
    expect(Regex.compile("(?)")).not.toBeNull();
    expect(Regex.compile("^*$+")).not.toBeNull();
    expect(Regex.compile("a(?i)*")).not.toBeNull();
    expect(Regex.compile("(?P<中文>a)")).not.toBeNull();
    expect(Regex.compile("[a-b-c]")).not.toBeNull();
    expect(regexError()).toBe("");
  });
});

// Bound: each input rune costs at most every instruction once in the closure plus one rune test
// each, plus the start thread; STEP_FACTOR covers both with room for the fixed per-position work.
const STEP_FACTOR: i64 = 3;
function stepsOf(pattern: string, input: string, fullMode: bool, nfaOnly: bool): i64 {
  const r = re(pattern);
  if (nfaOnly) r.disableDfa();
  if (fullMode) r.fullMatch(input); else r.partialMatch(input);
  const s = lastMatchSteps();
  const bound = STEP_FACTOR * <i64>r.instructionCount() * <i64>(input.length + 1);
  expect(s).toBeLessThanOrEqual(bound, pattern + ": " + s.toString() + " > " + bound.toString());
  return s;
}
function expectLinear(pattern: string, unit: string, tail: string): void {
  const n = 10000;
  // Both engines: the lazy DFA (default) and the NFA simulation it falls back to.
  for (let nfaOnly = 0; nfaOnly < 2; nfaOnly++) {
    const a = stepsOf(pattern, unit.repeat(n) + tail, false, nfaOnly == 1);
    const b = stepsOf(pattern, unit.repeat(2 * n) + tail, false, nfaOnly == 1);
    const ratio = <f64>b / <f64>a;
    expect(ratio).toBeGreaterThan(1.8, pattern);
    expect(ratio).toBeLessThan(2.2, pattern);
    stepsOf(pattern, unit.repeat(n) + tail, true, nfaOnly == 1);
  }
}
describe("linear time, counted in steps", () => {
  it("(a+)+$ on 10,000 a then b", () => {
    const r = re("(a+)+$");
    expect(r.partialMatch("a".repeat(10000) + "b")).toBe(false);
    expect(r.fullMatch("a".repeat(10000) + "b")).toBe(false);
    expect(r.partialMatch("a".repeat(10000))).toBe(true);
    expectLinear("(a+)+$", "a", "b");
  });
  it("(x+x+)+y, (a|aa)*b, nested quantifiers", () => {
    expect(re("(x+x+)+y").partialMatch("x".repeat(10000))).toBe(false);
    expectLinear("(x+x+)+y", "x", "");
    expect(re("(a|aa)*b").fullMatch("a".repeat(10000))).toBe(false);
    expectLinear("(a|aa)*b", "a", "c");
    expectLinear("((a*)*b*)*c", "ab", "");
    expectLinear("(.*a){20}b", "a", "");
    expectLinear("(?i)(\\w+\\s?)+$", "word ", "!");
    expectLinear("(a|b|ab)*(ba)+c", "ab", "");
  });
});
