// The leaf matchers of Envoy's RBAC policies, compiled at configure time: StringMatcher,
// HeaderMatcher (every form, deprecated ones included), CIDR ranges, the uri_template path matcher,
// ValueMatcher/MetadataMatcher over Struct values. Each `parse*` reads proto3 JSON through `Msg`
// and records the first error with its field path; each `match` is plain code over plain values.
import { JsonValue, JsonKind } from "../../shared/codec/json";
import { Regex, regexError, ENVOY_MAX_PROGRAM_SIZE } from "../../shared/regex/index";
import { Msg } from "../../shared/codec/proto_json";

// ---------------------------------------------------------------------------------------------
// StringMatcher (envoy.type.matcher.v3.StringMatcher)

export enum StrKind { Exact = 0, Prefix = 1, Suffix = 2, Contains = 3, Regex = 4 }

/** ASCII lower case (absl::AsciiStrToLower: Envoy's ignore_case never folds non-ASCII). */
export function asciiLower(s: string): string {
  let needs = false;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c >= 0x41 && c <= 0x5a) { needs = true; break; } }
  if (!needs) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  }
  return out;
}

/** Whether s[at..at+p.length) equals p (already lower case) ignoring ASCII case. */
function regionEqualsFold(s: string, at: i32, p: string, fold: bool): bool {
  const n = p.length;
  if (at < 0 || at + n > s.length) return false;
  // Direct UTF-16 loads: this runs for every string matcher a request reaches.
  const sp = changetype<usize>(s) + (<usize>at << 1);
  const pp = changetype<usize>(p);
  if (!fold) return memory.compare(sp, pp, <usize>n << 1) == 0;
  for (let i = 0; i < n; i++) {
    let c = <i32>load<u16>(sp + (<usize>i << 1));
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != <i32>load<u16>(pp + (<usize>i << 1))) return false;
  }
  return true;
}

export class StringMatcher {
  kind: StrKind = StrKind.Exact;
  value: string = "";
  ignoreCase: bool = false;
  regex: Regex | null = null;

  static exact(v: string, ignoreCase: bool = false): StringMatcher { return StringMatcher.make(StrKind.Exact, v, ignoreCase); }
  static prefix(v: string, ignoreCase: bool = false): StringMatcher { return StringMatcher.make(StrKind.Prefix, v, ignoreCase); }
  static suffix(v: string, ignoreCase: bool = false): StringMatcher { return StringMatcher.make(StrKind.Suffix, v, ignoreCase); }
  static contains(v: string, ignoreCase: bool = false): StringMatcher { return StringMatcher.make(StrKind.Contains, v, ignoreCase); }
  static make(kind: StrKind, v: string, ignoreCase: bool): StringMatcher {
    const m = new StringMatcher();
    m.kind = kind;
    m.ignoreCase = ignoreCase;
    m.value = ignoreCase ? asciiLower(v) : v;
    return m;
  }
  /** null and the reason in regexError() when RE2 would refuse the pattern. */
  static regexOf(pattern: string): StringMatcher | null {
    const r = Regex.compile(pattern);
    if (r === null) return null;
    const m = new StringMatcher();
    m.kind = StrKind.Regex;
    m.value = pattern;
    m.regex = r;
    return m;
  }

  match(s: string): bool {
    const v = this.value;
    const f = this.ignoreCase;
    switch (this.kind) {
      case StrKind.Exact: return s.length == v.length && (f ? regionEqualsFold(s, 0, v, true) : s == v);
      case StrKind.Prefix: return regionEqualsFold(s, 0, v, f);
      case StrKind.Suffix: return regionEqualsFold(s, s.length - v.length, v, f);
      case StrKind.Contains: {
        if (!f) return s.includes(v);
        for (let i = 0; i + v.length <= s.length; i++) if (regionEqualsFold(s, i, v, true)) return true;
        return false;
      }
      default: return this.regex!.fullMatch(s);
    }
  }

  /** The configuration it was built from, for logs. */
  describe(): string {
    const names = ["exact", "prefix", "suffix", "contains", "safe_regex"];
    return names[<i32>this.kind] + " \"" + this.value + "\"" + (this.ignoreCase ? " (ignore_case)" : "");
  }
}

const STRING_FIELDS: Array<string> = ["exact", "prefix", "suffix", "contains", "safe_regex", "ignore_case"];
const STRING_ONEOF: Array<string> = ["exact", "prefix", "suffix", "contains", "safe_regex"];

/** RegexMatcher {google_re2 (ignored, deprecated), regex}. */
export function parseRegex(m: Msg): StringMatcher | null {
  if (!m.only(["google_re2", "regex"])) return null;
  const g = m.msg("google_re2");
  if (g !== null) {
    // max_program_size is deprecated and ignored by Envoy (the runtime limits apply instead).
    if (!g.only(["max_program_size"])) return null;
  }
  if (!m.has("regex")) { m.fail("regex", "required"); return null; }
  const pattern = m.string("regex", "");
  if (!m.ok) return null;
  const r = StringMatcher.regexOf(pattern);
  if (r === null) { m.fail("regex", "invalid RE2 pattern: " + regexError()); return null; }
  // Envoy's default re2.max_program_size.error_level refuses larger programs at configure time.
  const tooBig = r.regex!.envoyProgramSizeError(ENVOY_MAX_PROGRAM_SIZE);
  if (tooBig.length > 0) { m.fail("regex", tooBig); return null; }
  return r;
}

export function parseStringMatcher(m: Msg): StringMatcher | null {
  if (!m.only(STRING_FIELDS)) return null;
  const set = m.setAmong(STRING_ONEOF);
  if (set.length != 1) {
    m.fail("", set.length == 0 ? "exactly one match pattern is required" : "only one of " + set.join(", ") + " may be set");
    return null;
  }
  const ic = m.bool("ignore_case", false);
  const k = set[0];
  if (k == "safe_regex") {
    const r = m.msg("safe_regex");
    return r === null ? null : parseRegex(r);
  }
  const v = m.string(k, "");
  if (!m.ok) return null;
  // Envoy's proto validation: prefix, suffix and contains need at least one character.
  if (k != "exact" && v.length == 0) { m.fail(k, "must not be empty"); return null; }
  const kind = k == "exact" ? StrKind.Exact : k == "prefix" ? StrKind.Prefix : k == "suffix" ? StrKind.Suffix : StrKind.Contains;
  return StringMatcher.make(kind, v, ic);
}

// ---------------------------------------------------------------------------------------------
// HeaderMatcher (envoy.config.route.v3.HeaderMatcher)

export enum HeaderKind { Value = 0, Regex = 1, Range = 2, Present = 3, Prefix = 4, Suffix = 5, Contains = 6, String = 7 }

export class HeaderMatcher {
  name: string = "";
  kind: HeaderKind = HeaderKind.Present;
  value: string = "";
  str: StringMatcher | null = null;
  rangeStart: i64 = 0;
  rangeEnd: i64 = 0;
  present: bool = true;
  invert: bool = false;
  missingAsEmpty: bool = false;

  /**
   * Envoy's HeaderUtility::matchHeaders. `values` are the header's values in order (null: absent).
   * Since CVE-2026-26308 Envoy tests each value of a repeated header on its own instead of only
   * their comma-joined form; this tests each value and the joined form (the joined form is what an
   * upstream that folds the header sees), and a header matches if any of them does.
   */
  matches(values: Array<string> | null): bool {
    if (values === null || values.length == 0) {
      if (!this.missingAsEmpty) {
        return this.invert ? (this.kind == HeaderKind.Present && this.present) : (this.kind == HeaderKind.Present && !this.present);
      }
      return this.matchOne("") != this.invert;
    }
    let m = false;
    for (let i = 0; i < values.length && !m; i++) m = this.matchOne(unchecked(values[i]));
    if (!m && values.length > 1) m = this.matchOne(values.join(","));
    return m != this.invert;
  }

  matchOne(v: string): bool {
    switch (this.kind) {
      case HeaderKind.Value: return this.value.length == 0 || v == this.value;
      case HeaderKind.Regex: return this.str!.match(v);
      case HeaderKind.Range: {
        const n = parseHeaderInt(v);
        return n.ok && n.value >= this.rangeStart && n.value < this.rangeEnd;
      }
      case HeaderKind.Present: return this.present;
      case HeaderKind.Prefix: return v.startsWith(this.value);
      case HeaderKind.Suffix: return v.endsWith(this.value);
      case HeaderKind.Contains: return v.includes(this.value);
      default: return this.str!.match(v);
    }
  }
}

class IntParse { ok: bool = false; value: i64 = 0; }

/** absl::SimpleAtoi: optional surrounding ASCII whitespace, optional sign, decimal digits, no overflow. */
function parseHeaderInt(s: string): IntParse {
  const r = new IntParse();
  let i = 0;
  let n = s.length;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  while (n > i && isSpace(s.charCodeAt(n - 1))) n--;
  let neg = false;
  if (i < n && (s.charCodeAt(i) == 0x2b || s.charCodeAt(i) == 0x2d)) { neg = s.charCodeAt(i) == 0x2d; i++; }
  if (i >= n) return r;
  let v: i64 = 0;
  for (; i < n; i++) {
    const c = <i32>s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return r;
    if (v > (i64.MAX_VALUE - 9) / 10) return r;
    v = v * 10 + (c - 0x30);
  }
  r.ok = true;
  r.value = neg ? -v : v;
  return r;
}

function isSpace(c: i32): bool { return c == 0x20 || (c >= 0x09 && c <= 0x0d); }

const HEADER_FIELDS: Array<string> = [
  "name", "exact_match", "safe_regex_match", "range_match", "present_match", "prefix_match", "suffix_match",
  "contains_match", "string_match", "invert_match", "treat_missing_header_as_empty",
];
const HEADER_ONEOF: Array<string> = [
  "exact_match", "safe_regex_match", "range_match", "present_match", "prefix_match", "suffix_match", "contains_match", "string_match",
];

/** Header names Envoy refuses in a matcher (proto validation: a valid header name, not empty). */
function validHeaderName(n: string): bool {
  if (n.length == 0) return false;
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x3a && i > 0) return false;
  }
  return true;
}

export function parseHeaderMatcher(m: Msg): HeaderMatcher | null {
  if (!m.only(HEADER_FIELDS)) return null;
  const h = new HeaderMatcher();
  h.name = asciiLower(m.string("name", ""));
  if (!validHeaderName(h.name)) { m.fail("name", "a valid header name is required"); return null; }
  h.invert = m.bool("invert_match", false);
  h.missingAsEmpty = m.bool("treat_missing_header_as_empty", false);
  const set = m.setAmong(HEADER_ONEOF);
  if (set.length > 1) { m.fail("", "only one of " + set.join(", ") + " may be set"); return null; }
  if (set.length == 0) { h.kind = HeaderKind.Present; h.present = true; return m.ok ? h : null; }
  const k = set[0];
  if (k == "exact_match") { h.kind = HeaderKind.Value; h.value = m.string(k, ""); }
  else if (k == "prefix_match" || k == "suffix_match" || k == "contains_match") {
    h.kind = k == "prefix_match" ? HeaderKind.Prefix : k == "suffix_match" ? HeaderKind.Suffix : HeaderKind.Contains;
    h.value = m.string(k, "");
    if (m.ok && h.value.length == 0) { m.fail(k, "must not be empty"); return null; }
  } else if (k == "present_match") { h.kind = HeaderKind.Present; h.present = m.bool(k, true); }
  else if (k == "safe_regex_match") {
    const r = m.msg(k);
    if (r === null) return null;
    h.kind = HeaderKind.Regex;
    h.str = parseRegex(r);
    if (h.str === null) return null;
  } else if (k == "range_match") {
    const r = m.msg(k);
    if (r === null || !r.only(["start", "end"])) return null;
    h.kind = HeaderKind.Range;
    h.rangeStart = r.integer("start", 0, i64.MIN_VALUE, i64.MAX_VALUE);
    h.rangeEnd = r.integer("end", 0, i64.MIN_VALUE, i64.MAX_VALUE);
    // Int64Range validation is not enforced by Envoy for headers; an empty range just never matches.
  } else {
    const s = m.msg(k);
    if (s === null) return null;
    h.kind = HeaderKind.String;
    h.str = parseStringMatcher(s);
    if (h.str === null) return null;
  }
  return m.ok ? h : null;
}

// ---------------------------------------------------------------------------------------------
// IP addresses and CIDR ranges (envoy.config.core.v3.CidrRange)

/** An address as 16 bytes (IPv4 in the first 4) plus its family; `ok` false when unparsable. */
export class Ip {
  v6: bool = false;
  bytes: StaticArray<u8> = new StaticArray<u8>(16);
  ok: bool = false;
}

function hexVal(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function parseV4Into(s: string, start: i32, end: i32, out: StaticArray<u8>, at: i32): bool {
  let part = 0;
  let val = -1;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? <i32>s.charCodeAt(i) : 0x2e;
    if (c == 0x2e) {
      if (val < 0 || part > 3) return false;
      out[at + part] = <u8>val;
      part++;
      val = -1;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      // inet_pton: no leading zeros ("01" is refused), at most 255.
      if (digits > 0 && val == 0) return false;
      val = (val < 0 ? 0 : val) * 10 + (c - 0x30);
      digits++;
      if (val > 255) return false;
    } else return false;
  }
  return part == 4;
}

function parseV6(s: string, out: StaticArray<u8>): bool {
  const n = s.length;
  if (n < 2) return false;
  const words = new StaticArray<i32>(8);
  let count = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) == 0x3a) {
    if (s.charCodeAt(1) != 0x3a) return false;
    gap = 0;
    i = 2;
    if (i == n) { for (let k = 0; k < 16; k++) out[k] = 0; return true; }
  }
  while (i < n) {
    if (count >= 8) return false;
    // An embedded IPv4 tail.
    let j = i;
    let hasDot = false;
    while (j < n && s.charCodeAt(j) != 0x3a) { if (s.charCodeAt(j) == 0x2e) hasDot = true; j++; }
    if (hasDot) {
      if (j != n || count > 6) return false;
      const tail = new StaticArray<u8>(16);
      if (!parseV4Into(s, i, n, tail, 0)) return false;
      words[count++] = (<i32>tail[0] << 8) | tail[1];
      words[count++] = (<i32>tail[2] << 8) | tail[3];
      i = n;
      break;
    }
    if (j == i || j - i > 4) return false;
    let w = 0;
    for (let k = i; k < j; k++) { const h = hexVal(s.charCodeAt(k)); if (h < 0) return false; w = (w << 4) | h; }
    words[count++] = w;
    if (j == n) { i = n; break; }
    // j at ':'
    if (j + 1 < n && s.charCodeAt(j + 1) == 0x3a) {
      if (gap >= 0) return false;
      gap = count;
      i = j + 2;
      if (i == n) break;
    } else {
      if (j + 1 >= n) return false;
      i = j + 1;
    }
  }
  if (gap < 0 && count != 8) return false;
  if (gap >= 0 && count > 7) return false;
  const fill = 8 - count;
  let w = 0;
  for (let k = 0; k < count; k++) {
    if (k == gap) w += fill;
    out[w * 2] = <u8>(words[k] >> 8);
    out[w * 2 + 1] = <u8>(words[k] & 0xff);
    w++;
  }
  if (gap == count) w += fill;
  for (let k = 0; k < fill && gap >= 0; k++) { out[(gap + k) * 2] = 0; out[(gap + k) * 2 + 1] = 0; }
  return true;
}

/** A bare address ("10.0.0.1", "2001:db8::1"). */
export function parseIp(s: string): Ip {
  const ip = new Ip();
  if (s.indexOf(":") >= 0) { ip.v6 = true; ip.ok = parseV6(s, ip.bytes); }
  else ip.ok = parseV4Into(s, 0, s.length, ip.bytes, 0);
  return ip;
}

/** Envoy's address text `ip:port` / `[ip6]:port` (source.address, destination.address). */
export function parseSocketAddress(s: string): Ip {
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) return new Ip();
    return parseIp(s.substring(1, close));
  }
  const colon = s.lastIndexOf(":");
  if (colon >= 0 && s.indexOf(":") == colon) return parseIp(s.substring(0, colon));
  return parseIp(s);
}

export class CidrRange {
  ip: Ip = new Ip();
  prefixLen: i32 = 0;

  contains(a: Ip): bool {
    if (!a.ok || a.v6 != this.ip.v6) return false;
    const full = this.prefixLen >> 3;
    for (let i = 0; i < full; i++) if (a.bytes[i] != this.ip.bytes[i]) return false;
    const rest = this.prefixLen & 7;
    if (rest == 0) return true;
    const shift: i32 = 8 - rest;
    const full8: i32 = 0xff;
    const mask = <u8>((full8 << shift) & 0xff);
    return (a.bytes[full] & mask) == (this.ip.bytes[full] & mask);
  }
}

export function parseCidr(m: Msg): CidrRange | null {
  if (!m.only(["address_prefix", "prefix_len"])) return null;
  const c = new CidrRange();
  const a = m.string("address_prefix", "");
  if (!m.ok) return null;
  c.ip = parseIp(a);
  if (!c.ip.ok) { m.fail("address_prefix", "not an IP address: \"" + a + "\""); return null; }
  const max: i64 = c.ip.v6 ? 128 : 32;
  c.prefixLen = <i32>m.integer("prefix_len", 0, 0, max);
  return m.ok ? c : null;
}

// ---------------------------------------------------------------------------------------------
// uri_template (envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig): Envoy turns
// the template into an RE2 pattern where `*` is `[pchar]+` and `**` is `[pchar/]*` (pchar from RFC
// 3986 minus `*`), literals as written; matched against the path without query and fragment.
// The same language is run here by a set-of-states simulation (linear in path length).

enum TplAtom { Char = 0, PathGlob = 1, TextGlob = 2 }

function isTplLiteral(c: i32): bool {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  // - . _ ~ % ! $ & ' ( ) + , ; : @ =
  return c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e || c == 0x25 || c == 0x21 || c == 0x24 || c == 0x26 ||
    c == 0x27 || c == 0x28 || c == 0x29 || c == 0x2b || c == 0x2c || c == 0x3b || c == 0x3a || c == 0x40 || c == 0x3d;
}

export class PathTemplate {
  kinds: Array<TplAtom> = new Array<TplAtom>();
  chars: Array<i32> = new Array<i32>();
  text: string = "";

  /** Parses a template; "" or the reason it is refused (Envoy's parsePathPatternSyntax rules for operators and literals). */
  static parse(t: string, out: PathTemplate): string {
    out.text = t;
    if (!t.startsWith("/")) return "a path template must start with '/'";
    let seenText = false;
    let prevSlash = false;
    for (let i = 0; i < t.length; i++) {
      const c = <i32>t.charCodeAt(i);
      if (c == 0x2a) {
        const dbl = i + 1 < t.length && t.charCodeAt(i + 1) == 0x2a;
        if (seenText) return "glob after text glob '**'";
        if (dbl) { out.kinds.push(TplAtom.TextGlob); out.chars.push(0); seenText = true; i++; }
        else { out.kinds.push(TplAtom.PathGlob); out.chars.push(0); }
        if (i + 1 < t.length && t.charCodeAt(i + 1) == 0x2a) return "invalid operator at column " + (i + 2).toString();
        prevSlash = false;
        continue;
      }
      if (c == 0x7b || c == 0x7d) return "named variables are not supported";
      if (c == 0x2f) {
        if (prevSlash) return "double slashes are not allowed";
        prevSlash = true;
      } else {
        if (!isTplLiteral(c)) return "invalid literal character '" + String.fromCharCode(c) + "'";
        prevSlash = false;
      }
      out.kinds.push(TplAtom.Char);
      out.chars.push(c);
    }
    return "";
  }

  match(path: string): bool {
    const n = this.kinds.length;
    let cur = new StaticArray<bool>(n + 1);
    let next = new StaticArray<bool>(n + 1);
    this.closure(cur, 0);
    for (let p = 0; p < path.length; p++) {
      const c = <i32>path.charCodeAt(p);
      for (let k = 0; k <= n; k++) next[k] = false;
      let any = false;
      for (let k = 0; k < n; k++) {
        if (!cur[k]) continue;
        const a = this.kinds[k];
        if (a == TplAtom.Char) {
          if (this.chars[k] == c) { this.closure(next, k + 1); any = true; }
        } else if (a == TplAtom.PathGlob) {
          // `[pchar]+`: consume one and either stay or move on.
          if (isTplLiteral(c)) { next[k] = true; this.closure(next, k + 1); any = true; }
        } else if (isTplLiteral(c) || c == 0x2f) {
          this.closure(next, k);
          any = true;
        }
      }
      if (!any) return false;
      const t = cur; cur = next; next = t;
    }
    return cur[n];
  }

  /** Marks state k reachable, following the empty transitions (`**` may match nothing). */
  private closure(set: StaticArray<bool>, k: i32): void {
    while (k <= this.kinds.length) {
      set[k] = true;
      if (k < this.kinds.length && this.kinds[k] == TplAtom.TextGlob) { k++; continue; }
      break;
    }
  }
}

/** Envoy's PathUtil::removeQueryAndFragment. */
export function stripQueryAndFragment(path: string): string {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c == 0x3f || c == 0x23) return path.substring(0, i);
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// ValueMatcher / MetadataMatcher (envoy.type.matcher.v3.{value,metadata}.proto) over Struct values.

export enum ValueKind { Null = 0, Double = 1, Str = 2, Bool = 3, Present = 4, List = 5, Or = 6 }

export class ValueMatcher {
  kind: ValueKind = ValueKind.Present;
  str: StringMatcher | null = null;
  boolValue: bool = false;
  presentValue: bool = true;
  dExact: bool = false;
  dValue: f64 = 0;
  dStart: f64 = 0;
  dEnd: f64 = 0;
  inner: Array<ValueMatcher> = new Array<ValueMatcher>();

  /** `v` null = the path did not resolve (Envoy: a Value with no kind set). */
  match(v: JsonValue | null): bool {
    switch (this.kind) {
      case ValueKind.Null: return v !== null && v.kind == JsonKind.Null;
      case ValueKind.Double:
        if (v === null || v.kind != JsonKind.Number) return false;
        return this.dExact ? v.num == this.dValue : v.num >= this.dStart && v.num < this.dEnd;
      case ValueKind.Str: return v !== null && v.kind == JsonKind.String && this.str!.match(v.str);
      case ValueKind.Bool: return v !== null && v.kind == JsonKind.Bool && v.bool == this.boolValue;
      // Envoy: present_match true matches any value whose kind is set; false matches an unset one.
      case ValueKind.Present: return this.presentValue ? v !== null : v === null;
      case ValueKind.List: {
        if (v === null || v.kind != JsonKind.Array) return false;
        for (let i = 0; i < v.items.length; i++) if (this.inner[0].match(v.items[i])) return true;
        return false;
      }
      default: {
        for (let i = 0; i < this.inner.length; i++) if (this.inner[i].match(v)) return true;
        return false;
      }
    }
  }
}

export function parseValueMatcher(m: Msg, depth: i32 = 0): ValueMatcher | null {
  if (depth > 16) { m.fail("", "value matchers nested too deeply"); return null; }
  const names = ["null_match", "double_match", "string_match", "bool_match", "present_match", "list_match", "or_match"];
  if (!m.only(names)) return null;
  const set = m.setAmong(names);
  if (set.length != 1) { m.fail("", "exactly one of " + names.join(", ") + " is required"); return null; }
  const k = set[0];
  const vm = new ValueMatcher();
  if (k == "null_match") { vm.kind = ValueKind.Null; }
  else if (k == "bool_match") { vm.kind = ValueKind.Bool; vm.boolValue = m.bool(k, false); }
  else if (k == "present_match") { vm.kind = ValueKind.Present; vm.presentValue = m.bool(k, false); }
  else if (k == "string_match") {
    const s = m.msg(k);
    if (s === null) return null;
    vm.kind = ValueKind.Str;
    vm.str = parseStringMatcher(s);
    if (vm.str === null) return null;
  } else if (k == "double_match") {
    const d = m.msg(k);
    if (d === null || !d.only(["range", "exact"])) return null;
    vm.kind = ValueKind.Double;
    if (d.has("exact")) { vm.dExact = true; vm.dValue = d.number("exact", 0); }
    else {
      const r = d.msg("range");
      if (r === null) { d.fail("", "one of range, exact is required"); return null; }
      if (!r.only(["start", "end"])) return null;
      vm.dStart = r.number("start", 0);
      vm.dEnd = r.number("end", 0);
    }
  } else if (k == "list_match") {
    const l = m.msg(k);
    if (l === null || !l.only(["one_of"])) return null;
    const o = l.msg("one_of");
    if (o === null) { l.fail("one_of", "required"); return null; }
    const inner = parseValueMatcher(o, depth + 1);
    if (inner === null) return null;
    vm.kind = ValueKind.List;
    vm.inner.push(inner);
  } else {
    const o = m.msg(k);
    if (o === null || !o.only(["value_matchers"])) return null;
    const arr = o.array("value_matchers");
    if (arr === null || arr.items.length < 2) { o.fail("value_matchers", "at least two matchers are required"); return null; }
    vm.kind = ValueKind.Or;
    for (let i = 0; i < arr.items.length; i++) {
      const e = o.element("value_matchers", arr, i);
      if (e === null) return null;
      const inner = parseValueMatcher(e, depth + 1);
      if (inner === null) return null;
      vm.inner.push(inner);
    }
  }
  return m.ok ? vm : null;
}

/** MetadataMatcher {filter, path[{key}], value, invert}. */
export class MetadataMatcher {
  filter: string = "";
  path: Array<string> = new Array<string>();
  value: ValueMatcher = new ValueMatcher();
  invert: bool = false;

  /** `ns` is the filter's Struct (null when the namespace is absent). */
  match(ns: JsonValue | null): bool {
    let v: JsonValue | null = ns;
    for (let i = 0; i < this.path.length && v !== null; i++) {
      v = v.kind == JsonKind.Object ? v.get(this.path[i]) : null;
    }
    return this.value.match(v) != this.invert;
  }
}

export function parseMetadataMatcher(m: Msg): MetadataMatcher | null {
  if (!m.only(["filter", "path", "value", "invert"])) return null;
  const mm = new MetadataMatcher();
  mm.filter = m.string("filter", "");
  if (m.ok && mm.filter.length == 0) { m.fail("filter", "must not be empty"); return null; }
  const arr = m.array("path");
  if (arr === null || arr.items.length == 0) { m.fail("path", "at least one path segment is required"); return null; }
  for (let i = 0; i < arr.items.length; i++) {
    const seg = m.element("path", arr, i);
    if (seg === null || !seg.only(["key"])) return null;
    const key = seg.string("key", "");
    if (seg.ok && key.length == 0) { seg.fail("key", "must not be empty"); return null; }
    mm.path.push(key);
  }
  const v = m.msg("value");
  if (v === null) { m.fail("value", "required"); return null; }
  const vm = parseValueMatcher(v);
  if (vm === null) return null;
  mm.value = vm;
  mm.invert = m.bool("invert", false);
  return m.ok ? mm : null;
}
