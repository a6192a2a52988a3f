// RE2-syntax parser (re2/parse.cc with RE2's default options: Perl classes, \b, Perl extensions,
// Unicode groups, one-line ^ $, and classes that may match \n). Works on the UTF-8 bytes of the
// pattern; every error carries RE2's message, the text RE2 shows after it, and the 0-based byte
// position of the problem. Recursion is bounded by MAX_NESTING, so no pattern exhausts the stack.
import { Node, Kind, Assertion } from "./ast";
import { RuneSet, MAX_RUNE, perlGroup, posixGroup, unicodeGroup } from "./charclass";

// RE2's error texts (re2/regexp.cc CodeText).
export const ERR_BAD_ESCAPE = "invalid escape sequence";
export const ERR_BAD_CHAR_CLASS = "invalid character class";
export const ERR_BAD_CHAR_RANGE = "invalid character class range";
export const ERR_MISSING_BRACKET = "missing ]";
export const ERR_MISSING_PAREN = "missing )";
export const ERR_UNEXPECTED_PAREN = "unexpected )";
export const ERR_TRAILING_BACKSLASH = "trailing \\";
export const ERR_REPEAT_ARGUMENT = "no argument for repetition operator";
export const ERR_REPEAT_SIZE = "invalid repetition size";
export const ERR_REPEAT_OP = "bad repetition operator";
export const ERR_BAD_PERL_OP = "invalid perl operator";
export const ERR_BAD_UTF8 = "invalid UTF-8";
export const ERR_BAD_NAMED_CAPTURE = "invalid named capture group";
// Not RE2 codes: limits of this engine (see README "Differences from RE2").
export const ERR_TOO_LARGE = "pattern too large - compile failed";
export const ERR_ANY_BYTE = "\\C (any byte) is not supported";

/** RE2's maximum_repeat_count: {n,m} bounds and the product of nested counts. */
export const MAX_REPEAT: i32 = 1000;
/**
 * Deepest group nesting accepted. RE2 has no such limit; this engine recurses on groups, and
 * bounding the depth bounds its stack use. Any pattern near it is far beyond Envoy's default
 * program-size limit unless every group is non-capturing (README "Differences from RE2").
 */
export const MAX_NESTING: i32 = 250;
/** Longest pattern accepted, in bytes (its program would be far over Envoy's size limit anyway). */
export const MAX_PATTERN_BYTES: i32 = 32768;

const F_FOLD = 1, F_MULTILINE = 2, F_DOTNL = 4, F_UNGREEDY = 8;

export class ParseError {
  constructor(public code: string, public pos: i32, public arg: string) {}
  message(): string {
    return this.arg.length ? this.code + " at position " + this.pos.toString() + ": " + this.arg
      : this.code + " at position " + this.pos.toString();
  }
}

/**
 * Decodes one UTF-8 rune at p (n bytes available) as RE2 does: -1 for bytes that are not a rune
 * (overlong forms, above U+10FFFF, truncated sequences). Length in `decodedLen`.
 */
export let decodedLen: i32 = 0;
export function decodeRune(p: usize, n: i32): i32 {
  const b0 = <i32>load<u8>(p);
  if (b0 < 0x80) { decodedLen = 1; return b0; }
  decodedLen = 1;
  if (b0 < 0xc2) return -1;
  if (b0 < 0xe0) {
    if (n < 2) return -1;
    const b1 = <i32>load<u8>(p, 1);
    if ((b1 & 0xc0) != 0x80) return -1;
    decodedLen = 2;
    return ((b0 & 0x1f) << 6) | (b1 & 0x3f);
  }
  if (b0 < 0xf0) {
    if (n < 3) return -1;
    const b1 = <i32>load<u8>(p, 1), b2 = <i32>load<u8>(p, 2);
    if ((b1 & 0xc0) != 0x80 || (b2 & 0xc0) != 0x80) return -1;
    const r = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
    // Surrogate code points decode as runes: RE2's decoder (chartorune) accepts them, in patterns
    // and in text, and its classes hold them like any other code point.
    if (r < 0x800) return -1;
    decodedLen = 3;
    return r;
  }
  if (b0 < 0xf5) {
    if (n < 4) return -1;
    const b1 = <i32>load<u8>(p, 1), b2 = <i32>load<u8>(p, 2), b3 = <i32>load<u8>(p, 3);
    if ((b1 & 0xc0) != 0x80 || (b2 & 0xc0) != 0x80 || (b3 & 0xc0) != 0x80) return -1;
    const r = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
    if (r < 0x10000 || r > MAX_RUNE) return -1;
    decodedLen = 4;
    return r;
  }
  return -1;
}

function isHex(c: i32): bool { return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66); }
function unhex(c: i32): i32 { return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10; }
function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }
function isAlnum(c: i32): bool { return isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a); }

export class Parser {
  private i: i32 = 0;
  private flags: i32 = 0;
  private depth: i32 = 0;
  err: ParseError | null = null;
  ncap: i32 = 0;

  constructor(private p: usize, private n: i32) {}

  parse(): Node | null {
    if (this.n > MAX_PATTERN_BYTES) return this.fail(ERR_TOO_LARGE, MAX_PATTERN_BYTES, 0, 0);
    const re = this.parseAlt();
    if (re === null) return null;
    if (this.i < this.n) {
      // Only a ')' stops parseAlt before the end.
      return this.fail(ERR_UNEXPECTED_PAREN, this.i, 0, this.n);
    }
    return re;
  }

  // ---- helpers ----

  private at(i: i32): i32 { return i < this.n ? <i32>load<u8>(this.p + <usize>i) : -1; }

  private text(a: i32, b: i32): string {
    if (b > this.n) b = this.n;
    if (a < 0) a = 0;
    if (b <= a) return "";
    // Error text: invalid bytes (RE2 shows them raw) become U+FFFD, one per byte.
    let out = "";
    let j = a;
    while (j < b) {
      const r = decodeRune(this.p + <usize>j, b - j);
      if (r < 0) { out += "\uFFFD"; j++; continue; }
      out += String.fromCodePoint(r);
      j += decodedLen;
    }
    return out;
  }

  private fail(code: string, pos: i32, a: i32, b: i32): Node | null {
    if (this.err === null) this.err = new ParseError(code, pos, this.text(a, b));
    return null;
  }

  /** Next rune at this.i (advancing), or -2 after recording invalid UTF-8. */
  private rune(): i32 {
    if (this.i >= this.n) return -2;
    const r = decodeRune(this.p + <usize>this.i, this.n - this.i);
    if (r < 0) { this.fail(ERR_BAD_UTF8, this.i, 0, 0); return -2; }
    this.i += decodedLen;
    return r;
  }

  private literal(r: i32): Node {
    const s = new RuneSet();
    s.addFolded(r, r, (this.flags & F_FOLD) != 0);
    return Node.cls(s.normalize().r);
  }

  // ---- grammar ----

  private parseAlt(): Node | null {
    const first = this.parseConcat();
    if (first === null) return null;
    if (this.at(this.i) != 0x7c) return first;
    const alts: Node[] = [first];
    while (this.at(this.i) == 0x7c) {
      this.i++;
      const c = this.parseConcat();
      if (c === null) return null;
      alts.push(c);
    }
    return Node.list(Kind.Alt, alts);
  }

  private parseConcat(): Node | null {
    const items: Node[] = [];
    let lastRepeat = -1; // start of the previous repetition operator if it immediately precedes
    while (this.i < this.n) {
      const c = this.at(this.i);
      if (c == 0x7c || c == 0x29) break; // | )
      const start = this.i;
      let repeatStart = -1;
      if (c == 0x2a || c == 0x2b || c == 0x3f) { // * + ?
        this.i++;
        let greedy = (this.flags & F_UNGREEDY) == 0;
        if (this.at(this.i) == 0x3f) { this.i++; greedy = !greedy; }
        if (lastRepeat >= 0) return this.fail(ERR_REPEAT_OP, lastRepeat, lastRepeat, this.i);
        if (items.length == 0) return this.fail(ERR_REPEAT_ARGUMENT, start, start, this.i);
        const min = c == 0x2b ? 1 : 0, max = c == 0x3f ? 1 : -1;
        items[items.length - 1] = this.wrap(items[items.length - 1], min, max, greedy);
        repeatStart = start;
      } else if (c == 0x7b && this.tryRepetition()) { // {n,m}
        const min = this.repMin, max = this.repMax;
        let greedy = (this.flags & F_UNGREEDY) == 0;
        if (this.at(this.i) == 0x3f) { this.i++; greedy = !greedy; }
        if (lastRepeat >= 0) return this.fail(ERR_REPEAT_OP, lastRepeat, lastRepeat, this.i);
        if ((max != -1 && max < min) || min > MAX_REPEAT || max > MAX_REPEAT) return this.fail(ERR_REPEAT_SIZE, start, start, this.i);
        if (items.length == 0) return this.fail(ERR_REPEAT_ARGUMENT, start, start, this.i);
        const sub = items[items.length - 1];
        const re = Node.repeat(sub, min, max, greedy);
        if ((min >= 2 || max >= 2) && repeatBudget(re, MAX_REPEAT) == 0) return this.fail(ERR_REPEAT_SIZE, start, start, this.i);
        // Counts that divide nothing in RE2's budget ({0}, {1}, {0,1}, {1,}, {0,}) could otherwise be
        // stacked without limit through flag groups (a{1}(?i){1}(?i){1}...): x{1} is x, x{0} is
        // empty, and the others squash like ? + *.
        if (max == 1 && min == 1) items[items.length - 1] = sub;
        else if (max == 0) items[items.length - 1] = new Node(Kind.Empty);
        else if (min <= 1 && (max == 1 || max == -1)) items[items.length - 1] = this.wrap(sub, min, max, greedy);
        else items[items.length - 1] = re;
        repeatStart = start;
      } else if (c == 0x28) { // (
        if (this.at(this.i + 1) == 0x3f) {
          const r = this.parsePerlGroup(items);
          if (this.err !== null) return null;
          if (r !== null) items.push(r);
        } else {
          this.i++;
          this.ncap++;
          const g = this.parseGroupBody(start, true);
          if (g === null) return null;
          items.push(g);
        }
      } else if (c == 0x5b) { // [
        const cls = this.parseClass();
        if (cls === null) return null;
        items.push(cls);
      } else if (c == 0x5e) { // ^
        this.i++;
        items.push(Node.assertion((this.flags & F_MULTILINE) ? Assertion.BeginLine : Assertion.BeginText));
      } else if (c == 0x24) { // $
        this.i++;
        items.push(Node.assertion((this.flags & F_MULTILINE) ? Assertion.EndLine : Assertion.EndText));
      } else if (c == 0x2e) { // .
        this.i++;
        const s = new RuneSet();
        if (this.flags & F_DOTNL) s.add(0, MAX_RUNE);
        else { s.add(0, 0x09); s.add(0x0b, MAX_RUNE); }
        items.push(Node.cls(s.r));
      } else if (c == 0x5c) { // backslash
        if (!this.parseEscapeAtom(items)) return null;
      } else {
        const r = this.rune();
        if (r < 0) return null;
        items.push(this.literal(r));
      }
      lastRepeat = repeatStart;
    }
    if (items.length == 1) return items[0];
    if (items.length == 0) return new Node(Kind.Empty);
    return Node.list(Kind.Concat, items);
  }

  /** x*, x+, x? applied to x; stacked * + ? collapse as RE2's PushRepeatOp does (x** is x*). */
  private wrap(sub: Node, min: i32, max: i32, greedy: bool): Node {
    // Greediness does not change whether a match exists, so it does not stop the squashing; this
    // also keeps chains such as a*(?U)*(?-U)*... from nesting without bound.
    if (sub.kind == Kind.Repeat && sub.min <= 1 && (sub.max == -1 || sub.max == 1)) {
      if (sub.min == min && sub.max == max) return sub;
      sub.min = 0;
      sub.max = -1;
      return sub;
    }
    return Node.repeat(sub, min, max, greedy);
  }

  private repMin: i32 = 0;
  private repMax: i32 = 0;

  /** RE2 MaybeParseRepetition: {n}, {n,}, {n,m} without leading zeros; otherwise '{' is a literal. */
  private tryRepetition(): bool {
    let j = this.i + 1;
    const lo = this.parseInt(j);
    if (lo < 0) return false;
    j = this.intEnd;
    let hi = lo;
    if (this.at(j) == 0x2c) {
      j++;
      if (this.at(j) == 0x7d) hi = -1;
      else {
        hi = this.parseInt(j);
        if (hi < 0) return false;
        j = this.intEnd;
      }
    }
    if (this.at(j) != 0x7d) return false;
    this.i = j + 1;
    this.repMin = lo;
    this.repMax = hi;
    return true;
  }

  private intEnd: i32 = 0;
  private parseInt(j: i32): i32 {
    if (!isDigit(this.at(j))) return -1;
    if (this.at(j) == 0x30 && isDigit(this.at(j + 1))) return -1;
    let v = 0;
    while (isDigit(this.at(j))) {
      if (v >= 100000000) return -1;
      v = v * 10 + this.at(j) - 0x30;
      j++;
    }
    this.intEnd = j;
    return v;
  }

  /** After '(' (and any (?flags: or name): the group's alternation, then ')'. */
  private parseGroupBody(open: i32, capture: bool): Node | null {
    if (++this.depth > MAX_NESTING) return this.fail(ERR_TOO_LARGE, open, 0, 0);
    const saved = this.flags;
    const sub = this.parseAlt();
    if (sub === null) return null;
    if (this.at(this.i) != 0x29) return this.fail(ERR_MISSING_PAREN, open, 0, this.n);
    this.i++;
    this.flags = saved;
    this.depth--;
    return Node.group(sub, capture);
  }

  /**
   * "(?..." : look-around (refused), named groups, flag groups. Returns the group node, or null
   * with no error for a bare flag setting like (?i), or null with this.err set.
   */
  private parsePerlGroup(items: Node[]): Node | null {
    const s = this.i;
    const rest = this.n - s;
    const c2 = this.at(s + 2), c3 = this.at(s + 3);
    // Look-around is not supported (RE2 reports it as a bad Perl operator, naming (?= (?! (?<= (?<!).
    if ((rest > 3 && (c2 == 0x3d || c2 == 0x21)) || (rest > 4 && c2 == 0x3c && (c3 == 0x3d || c3 == 0x21))) {
      const len = c2 == 0x3c ? 4 : 3;
      return this.fail(ERR_BAD_PERL_OP, s, s, s + len);
    }
    // Named groups: (?P<name>re) and (?<name>re).
    if ((rest > 4 && c2 == 0x50 && c3 == 0x3c) || (rest > 3 && c2 == 0x3c)) {
      const begin = s + (c2 == 0x50 ? 4 : 3);
      let end = begin;
      while (end < this.n && this.at(end) != 0x3e) end++;
      if (end >= this.n) {
        if (!this.validUtf8(s, this.n)) return null;
        return this.fail(ERR_BAD_NAMED_CAPTURE, s, s, this.n);
      }
      if (!this.validUtf8(begin, end)) return null;
      if (!this.validCaptureName(begin, end)) return this.fail(ERR_BAD_NAMED_CAPTURE, s, s, end + 1);
      this.i = end + 1;
      this.ncap++;
      return this.parseGroupBody(s, true);
    }
    // Flags: (?i) (?-s) (?im-sU:re).
    this.i = s + 2;
    let negated = false, saw = false;
    let nf = this.flags;
    while (true) {
      if (this.i >= this.n) return this.fail(ERR_BAD_PERL_OP, s, s, this.i);
      const c = this.rune();
      if (c < 0) return null;
      let bit = 0;
      if (c == 0x69) bit = F_FOLD;
      else if (c == 0x6d) bit = F_MULTILINE;
      else if (c == 0x73) bit = F_DOTNL;
      else if (c == 0x55) bit = F_UNGREEDY;
      if (bit) {
        saw = true;
        nf = negated ? nf & ~bit : nf | bit;
        continue;
      }
      if (c == 0x2d) { // -
        if (negated) return this.fail(ERR_BAD_PERL_OP, s, s, this.i);
        negated = true;
        saw = false;
        continue;
      }
      if (c == 0x3a || c == 0x29) { // : )
        if (negated && !saw) return this.fail(ERR_BAD_PERL_OP, s, s, this.i);
        if (c == 0x29) { this.flags = nf; return null; }
        // (?flags:re): the flags hold inside the group only.
        const saved = this.flags;
        this.flags = nf;
        const g = this.parseGroupBody(s, false);
        if (g === null) return null;
        this.flags = saved;
        return g;
      }
      return this.fail(ERR_BAD_PERL_OP, s, s, this.i);
    }
  }

  private validUtf8(a: i32, b: i32): bool {
    let j = a;
    while (j < b) {
      const r = decodeRune(this.p + <usize>j, b - j);
      if (r < 0) { this.fail(ERR_BAD_UTF8, j, 0, 0); return false; }
      j += decodedLen;
    }
    return true;
  }

  /** RE2 IsValidCaptureName: one or more runes from Lu Ll Lt Lm Lo Nl Mn Mc Nd Pc. */
  private validCaptureName(a: i32, b: i32): bool {
    if (a >= b) return false;
    let ascii = true;
    for (let j = a; j < b; j++) if (this.at(j) >= 0x80) ascii = false;
    if (ascii) {
      for (let j = a; j < b; j++) { const c = this.at(j); if (!isAlnum(c) && c != 0x5f) return false; }
      return true;
    }
    const ok = new RuneSet();
    const names = ["Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Mn", "Mc", "Nd", "Pc"];
    for (let k = 0; k < names.length; k++) unicodeGroup(names[k], ok);
    ok.normalize();
    let j = a;
    while (j < b) {
      const r = decodeRune(this.p + <usize>j, b - j);
      j += decodedLen;
      if (r < 0 || !setHas(ok.r, r)) return false;
    }
    return true;
  }

  /** A backslash outside a class: assertions, \Q..\E, groups, or an escaped rune. */
  private parseEscapeAtom(items: Node[]): bool {
    const s = this.i;
    const c = this.at(s + 1);
    if (c == 0x62 || c == 0x42) { // \b \B
      this.i += 2;
      items.push(Node.assertion(c == 0x62 ? Assertion.WordBoundary : Assertion.NoWordBoundary));
      return true;
    }
    if (c == 0x41) { this.i += 2; items.push(Node.assertion(Assertion.BeginText)); return true; } // \A
    if (c == 0x7a) { this.i += 2; items.push(Node.assertion(Assertion.EndText)); return true; }   // \z
    if (c == 0x43) { this.fail(ERR_ANY_BYTE, s, s, s + 2); return false; }                      // \C
    if (c == 0x51) { // \Q...\E: literal text
      this.i += 2;
      while (this.i < this.n) {
        if (this.at(this.i) == 0x5c && this.at(this.i + 1) == 0x45) { this.i += 2; break; }
        const r = this.rune();
        if (r < 0) return false;
        items.push(this.literal(r));
      }
      return true;
    }
    if (c == 0x70 || c == 0x50) { // \p \P
      const set = new RuneSet();
      if (!this.parseUnicodeGroup(set)) return false;
      items.push(Node.cls(set.r));
      return true;
    }
    const perl = new RuneSet();
    if (this.perlClass(perl)) {
      items.push(Node.cls(perl.r));
      return true;
    }
    const r = this.parseEscape();
    if (r < 0) return false;
    items.push(this.literal(r));
    return true;
  }

  /** \d \D \s \S \w \W at this.i into `out` (normalized, folded under (?i)); false if not one. */
  private perlClass(out: RuneSet): bool {
    if (this.at(this.i) != 0x5c) return false;
    const c = this.at(this.i + 1);
    const g = new RuneSet();
    if (c != 0x64 && c != 0x44 && c != 0x73 && c != 0x53 && c != 0x77 && c != 0x57) return false;
    perlGroup(c, g);
    this.i += 2;
    this.addGroup(out, g, c < 0x60);
    return true;
  }

  /** Adds group g (raw ranges) or its complement to out, folding first as RE2's AddUGroup does. */
  private addGroup(out: RuneSet, g: RuneSet, negate: bool): void {
    const f = new RuneSet();
    const fold = (this.flags & F_FOLD) != 0;
    for (let k = 0; k < g.r.length; k += 2) f.addFolded(g.r[k], g.r[k + 1], fold);
    f.normalize();
    if (negate) f.negate();
    out.addSet(f);
    out.normalize();
  }

  /** \pN, \p{Name}, \p{^Name}, \PN at this.i. */
  private parseUnicodeGroup(out: RuneSet): bool {
    const s = this.i;
    let negate = this.at(s + 1) == 0x50;
    this.i += 2;
    if (this.i >= this.n) { this.fail(ERR_BAD_CHAR_RANGE, s, s, this.n); return false; }
    let a = this.i;
    // RE2 carries on past an invalid rune here with an empty name: "\p" + bad byte is reported as
    // an invalid class range naming "\p" (re2/parse.cc ParseUnicodeGroup).
    if (decodeRune(this.p + <usize>this.i, this.n - this.i) < 0) { this.fail(ERR_BAD_CHAR_RANGE, s, s, s + 2); return false; }
    const c = this.rune();
    if (c < 0) return false;
    let b = this.i;
    if (c == 0x7b) {
      let end = this.i;
      while (end < this.n && this.at(end) != 0x7d) end++;
      if (end >= this.n) {
        if (!this.validUtf8(s, this.n)) return false;
        this.fail(ERR_BAD_CHAR_RANGE, s, s, this.n);
        return false;
      }
      a = this.i;
      b = end;
      this.i = end + 1;
      if (!this.validUtf8(a, b)) return false;
    }
    if (a < b && this.at(a) == 0x5e) { negate = !negate; a++; }
    const g = new RuneSet();
    if (!unicodeGroup(this.text(a, b), g)) { this.fail(ERR_BAD_CHAR_RANGE, s, s, this.i); return false; }
    g.normalize();
    this.addGroup(out, g, negate);
    return true;
  }

  /** RE2 ParseEscape: the rune of an escape at this.i, or -1 with the error recorded. */
  private parseEscape(): i32 {
    const s = this.i;
    if (s + 1 >= this.n) { this.fail(ERR_TRAILING_BACKSLASH, s, 0, 0); return -1; }
    this.i++;
    let c = this.rune();
    if (c < 0) return -1;
    if (c < 0x80 && !isAlnum(c)) return c; // escaped punctuation is itself (RE2 allows \_ too)
    switch (c) {
      case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: case 0x36: case 0x37: {
        // \1-\7 alone are backreferences (unsupported); followed by an octal digit, octal.
        const d = this.at(this.i);
        if (d < 0x30 || d > 0x37) break;
      }
      // fallthrough
      case 0x30: {
        let code = c - 0x30;
        let d = this.at(this.i);
        if (d >= 0x30 && d <= 0x37) {
          code = code * 8 + d - 0x30;
          this.i++;
          d = this.at(this.i);
          if (d >= 0x30 && d <= 0x37) { code = code * 8 + d - 0x30; this.i++; }
        }
        return code;
      }
      case 0x78: { // \x41, \x{10FFFF}
        if (this.i >= this.n) break;
        c = this.rune();
        if (c < 0) return -1;
        if (c == 0x7b) {
          // RE2 reads the rune after "\x{" without checking for the end: "\x{" at the very end of
          // the pattern is reported as invalid UTF-8 (re2/parse.cc ParseEscape).
          if (this.i >= this.n) { this.fail(ERR_BAD_UTF8, this.i, 0, 0); return -1; }
          c = this.rune();
          if (c < 0) return -1;
          let nhex = 0, code = 0;
          let bad = false;
          while (isHex(c)) {
            nhex++;
            code = code * 16 + unhex(c);
            if (code > MAX_RUNE || this.i >= this.n) { bad = true; break; }
            c = this.rune();
            if (c < 0) return -1;
          }
          if (bad || c != 0x7d || nhex == 0) break;
          return code;
        }
        if (this.i >= this.n) break;
        const c1 = this.rune();
        if (c1 < 0) return -1;
        if (!isHex(c) || !isHex(c1)) break;
        return unhex(c) * 16 + unhex(c1);
      }
      case 0x6e: return 0x0a; // \n
      case 0x72: return 0x0d; // \r
      case 0x74: return 0x09; // \t
      case 0x61: return 0x07; // \a
      case 0x66: return 0x0c; // \f
      case 0x76: return 0x0b; // \v
    }
    this.fail(ERR_BAD_ESCAPE, s, s, this.i);
    return -1;
  }

  /** [...] at this.i. */
  private parseClass(): Node | null {
    const start = this.i;
    this.i++;
    let negated = false;
    if (this.at(this.i) == 0x5e) { negated = true; this.i++; }
    const set = new RuneSet();
    const fold = (this.flags & F_FOLD) != 0;
    let first = true;
    while (this.i < this.n && (this.at(this.i) != 0x5d || first)) {
      first = false;
      const c = this.at(this.i);
      // [:alpha:] and [:^alpha:]
      if (c == 0x5b && this.at(this.i + 1) == 0x3a && this.n - this.i > 2) {
        let q = this.i + 2;
        while (q <= this.n - 2 && !(this.at(q) == 0x3a && this.at(q + 1) == 0x5d)) q++;
        if (q <= this.n - 2) {
          const nameEnd = q + 2;
          let a = this.i + 2;
          let neg = false;
          if (this.at(a) == 0x5e) { neg = true; a++; }
          const g = new RuneSet();
          if (!posixGroup(this.text(a, q), g)) return this.fail(ERR_BAD_CHAR_RANGE, this.i, this.i, nameEnd);
          this.i = nameEnd;
          this.addGroup(set, g, neg);
          continue;
        }
      }
      if (c == 0x5c && this.n - this.i > 2 && (this.at(this.i + 1) == 0x70 || this.at(this.i + 1) == 0x50)) {
        if (!this.parseUnicodeGroup(set)) return null;
        continue;
      }
      if (this.perlClass(set)) continue;
      const rs = this.i;
      const lo = this.classChar(start);
      if (lo < 0) return null;
      let hi = lo;
      if (this.at(this.i) == 0x2d && this.i + 1 < this.n && this.at(this.i + 1) != 0x5d) {
        this.i++;
        hi = this.classChar(start);
        if (hi < 0) return null;
        if (hi < lo) return this.fail(ERR_BAD_CHAR_RANGE, rs, rs, this.i);
      }
      set.addFolded(lo, hi, fold);
    }
    if (this.i >= this.n) return this.fail(ERR_MISSING_BRACKET, start, start, this.n);
    this.i++;
    set.normalize();
    if (negated) set.negate();
    return Node.cls(set.r);
  }

  private classChar(classStart: i32): i32 {
    if (this.i >= this.n) { this.fail(ERR_MISSING_BRACKET, classStart, classStart, this.n); return -1; }
    if (this.at(this.i) == 0x5c) return this.parseEscape();
    const r = this.rune();
    return r < 0 ? -1 : r;
  }
}

/** Binary search in normalized ranges. */
export function setHas(r: i32[], c: i32): bool {
  let lo = 0, hi = (r.length >> 1) - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (c < unchecked(r[2 * m])) hi = m - 1;
    else if (c > unchecked(r[2 * m + 1])) lo = m + 1;
    else return true;
  }
  return false;
}

/**
 * RE2's RepetitionWalker: 1000 divided by every enclosing counted maximum (or minimum when
 * unbounded) down to each leaf; 0 anywhere means more than 1000 copies of something.
 */
function repeatBudget(re: Node, budget: i32): i32 {
  let arg = budget;
  if (re.kind == Kind.Repeat) {
    let m = re.max;
    if (m < 0) m = re.min;
    if (m > 0) arg /= m;
  }
  let least = arg;
  const subs = re.subs;
  if (subs !== null) {
    for (let k = 0; k < subs.length; k++) {
      const v = repeatBudget(subs[k], arg);
      if (v < least) least = v;
    }
  }
  return least;
}
