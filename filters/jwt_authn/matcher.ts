// Envoy's matchers this filter's configuration uses: StringMatcher (subjects, header and query
// matchers), route HeaderMatcher / QueryParameterMatcher, and RouteMatch for `rules` (first match
// wins). Plain values: a RequestView in, bool out.
import { Regex, regexError } from "../../shared/regex/index";
import { Msg } from "../../shared/codec/proto_json";

/** What the decision logic sees of a request (built once per request by the stream context). */
export class RequestView {
  /** `:path` as received, query included. */
  path: string = "/";
  method: string = "GET";
  scheme: string = "http";
  host: string = "";
  /** Lower-case header names and their values, in order (repeats allowed). */
  names: Array<string> = new Array<string>();
  values: Array<string> = new Array<string>();

  add(name: string, value: string): RequestView { this.names.push(name.toLowerCase()); this.values.push(value); return this; }

  /** All values of a header joined with "," (Envoy's HeaderUtility::getAllOfHeaderAsString), or null. */
  header(name: string): string | null {
    let out: string | null = null;
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] == name) out = out === null ? this.values[i] : out! + "," + this.values[i];
    }
    return out;
  }

  /** Path without query and fragment. */
  get pathOnly(): string {
    let end = this.path.length;
    const q = this.path.indexOf("?");
    if (q >= 0) end = q;
    const h = this.path.indexOf("#");
    if (h >= 0 && h < end) end = h;
    return this.path.substring(0, end);
  }
}

export enum StringKind { Exact, Prefix, Suffix, Contains, Regex }

export class StringMatcher {
  kind: StringKind = StringKind.Exact;
  value: string = "";
  ignoreCase: bool = false;
  regex: Regex | null = null;

  match(s: string): bool {
    if (this.kind == StringKind.Regex) return this.regex!.fullMatch(s);
    const a = this.ignoreCase ? s.toLowerCase() : s;
    const v = this.value; // lower-cased at parse time when ignoreCase
    switch (this.kind) {
      case StringKind.Exact: return a == v;
      case StringKind.Prefix: return a.startsWith(v);
      case StringKind.Suffix: return a.endsWith(v);
      default: return a.includes(v);
    }
  }
}

/** `{"safe_regex": {"regex": "..."}}` (google_re2 is the only engine; its options are accepted). */
export function parseRegex(o: Msg, name: string): Regex | null {
  const r = o.msg(name);
  if (r === null) return null;
  r.only(["regex", "google_re2"]);
  const g = r.msg("google_re2");
  if (g !== null) { g.only(["max_program_size"]); g.integerValue("max_program_size", 0, 0, 0x7fffffff); }
  const pattern = r.string("regex", "");
  if (!r.ok) return null;
  const re = Regex.compile(pattern);
  if (re === null) r.fail("regex", "invalid regex \"" + pattern + "\": " + regexError());
  return re;
}

export function parseStringMatcher(o: Msg): StringMatcher | null {
  if (!o.only(["exact", "prefix", "suffix", "contains", "safe_regex", "ignore_case"])) return null;
  const m = new StringMatcher();
  m.ignoreCase = o.boolValue("ignore_case", false);
  let set = 0;
  if (o.has("exact")) { m.kind = StringKind.Exact; m.value = o.string("exact"); set++; }
  if (o.has("prefix")) { m.kind = StringKind.Prefix; m.value = o.string("prefix"); set++; if (m.value.length == 0) o.fail("prefix", "must not be empty"); }
  if (o.has("suffix")) { m.kind = StringKind.Suffix; m.value = o.string("suffix"); set++; if (m.value.length == 0) o.fail("suffix", "must not be empty"); }
  if (o.has("contains")) { m.kind = StringKind.Contains; m.value = o.string("contains"); set++; if (m.value.length == 0) o.fail("contains", "must not be empty"); }
  if (o.has("safe_regex")) { m.kind = StringKind.Regex; m.regex = parseRegex(o, "safe_regex"); set++; }
  if (set != 1) { o.fail("", "exactly one of exact, prefix, suffix, contains, safe_regex is required"); return null; }
  if (m.ignoreCase) m.value = m.value.toLowerCase();
  return o.ok ? m : null;
}

enum HeaderKind { String, Present, Range }

export class HeaderMatcher {
  name: string = "";
  kind: HeaderKind = HeaderKind.Present;
  string: StringMatcher | null = null;
  present: bool = true;
  rangeStart: i64 = 0;
  rangeEnd: i64 = 0;
  invert: bool = false;
  missingAsEmpty: bool = false;

  /** Envoy HeaderUtility::matchHeaders for one matcher. */
  match(req: RequestView): bool {
    let v = req.header(this.name);
    if (v === null && this.missingAsEmpty) v = "";
    let r: bool;
    if (this.kind == HeaderKind.Present) {
      r = (v !== null) == this.present;
    } else if (v === null) {
      return false;
    } else if (this.kind == HeaderKind.Range) {
      const s = v!;
      let ok = s.length > 0 && s.length < 19;
      let n: i64 = 0;
      let i = 0;
      const neg = ok && s.charCodeAt(0) == 0x2d;
      if (neg) i = 1;
      if (i >= s.length) ok = false;
      for (; ok && i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x30 || c > 0x39) ok = false; else n = n * 10 + <i64>(c - 0x30);
      }
      if (neg) n = -n;
      r = ok && n >= this.rangeStart && n < this.rangeEnd;
    } else {
      r = this.string!.match(v!);
    }
    return r != this.invert;
  }
}

export function parseHeaderMatcher(o: Msg): HeaderMatcher | null {
  if (!o.only(["name", "exact_match", "safe_regex_match", "range_match", "present_match", "prefix_match", "suffix_match",
    "contains_match", "string_match", "invert_match", "treat_missing_header_as_empty"])) return null;
  const h = new HeaderMatcher();
  h.name = o.string("name").toLowerCase();
  if (h.name.length == 0) { o.fail("name", "is required"); return null; }
  h.invert = o.boolValue("invert_match", false);
  h.missingAsEmpty = o.boolValue("treat_missing_header_as_empty", false);
  let set = 0;
  const simple = (kind: StringKind, value: string): StringMatcher => { const m = new StringMatcher(); m.kind = kind; m.value = value; return m; };
  if (o.has("exact_match")) { h.kind = HeaderKind.String; h.string = simple(StringKind.Exact, o.string("exact_match")); set++; }
  if (o.has("prefix_match")) { h.kind = HeaderKind.String; h.string = simple(StringKind.Prefix, o.string("prefix_match")); set++; }
  if (o.has("suffix_match")) { h.kind = HeaderKind.String; h.string = simple(StringKind.Suffix, o.string("suffix_match")); set++; }
  if (o.has("contains_match")) { h.kind = HeaderKind.String; h.string = simple(StringKind.Contains, o.string("contains_match")); set++; }
  if (o.has("safe_regex_match")) {
    h.kind = HeaderKind.String;
    const m = new StringMatcher(); m.kind = StringKind.Regex; m.regex = parseRegex(o, "safe_regex_match");
    h.string = m; set++;
  }
  if (o.has("string_match")) {
    const so = o.msg("string_match");
    if (so !== null) { h.kind = HeaderKind.String; h.string = parseStringMatcher(so); }
    set++;
  }
  if (o.has("present_match")) { h.kind = HeaderKind.Present; h.present = o.boolValue("present_match", true); set++; }
  if (o.has("range_match")) {
    const r = o.msg("range_match");
    if (r !== null) {
      r.only(["start", "end"]);
      h.kind = HeaderKind.Range;
      h.rangeStart = r.integerValue("start", 0, -9007199254740992, 9007199254740992);
      h.rangeEnd = r.integerValue("end", 0, -9007199254740992, 9007199254740992);
    }
    set++;
  }
  // No specifier: Envoy treats the matcher as "header present".
  if (set > 1) { o.fail("", "at most one header match specifier may be set"); return null; }
  return o.ok ? h : null;
}

export class QueryMatcher {
  name: string = "";
  string: StringMatcher | null = null;

  match(req: RequestView): bool {
    const v = queryParam(req.path, this.name);
    if (v === null) return false;
    return this.string === null || this.string!.match(v!);
  }
}

export function parseQueryMatcher(o: Msg): QueryMatcher | null {
  if (!o.only(["name", "string_match", "present_match"])) return null;
  const q = new QueryMatcher();
  q.name = o.string("name");
  if (q.name.length == 0) { o.fail("name", "is required"); return null; }
  const so = o.msg("string_match");
  if (so !== null) q.string = parseStringMatcher(so);
  if (so !== null && o.has("present_match")) o.fail("", "at most one of string_match, present_match");
  return o.ok ? q : null;
}

function hexVal(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Percent-decoding of a query component (`+` stays `+`, as Envoy's PercentEncoding::decode). */
export function percentDecode(s: string): string {
  if (s.indexOf("%") < 0) return s;
  const src = String.UTF8.encode(s);
  const n = src.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  const p = changetype<usize>(src);
  for (let i = 0; i < n; i++) {
    const c = <i32>load<u8>(p + <usize>i);
    if (c == 0x25 && i + 2 < n) {
      const h = hexVal(<i32>load<u8>(p + <usize>i + 1)), l = hexVal(<i32>load<u8>(p + <usize>i + 2));
      if (h >= 0 && l >= 0) { out[o++] = <u8>(h * 16 + l); i += 2; continue; }
    }
    out[o++] = <u8>c;
  }
  return String.UTF8.decodeUnsafe(out.dataStart, <usize>o);
}

/** First value of query parameter `name` (URL-decoded), or null. Envoy's Utility::QueryParams. */
export function queryParam(path: string, name: string): string | null {
  const q = path.indexOf("?");
  if (q < 0) return null;
  let end = path.indexOf("#", q);
  if (end < 0) end = path.length;
  let i = q + 1;
  while (i <= end) {
    let amp = path.indexOf("&", i);
    if (amp < 0 || amp > end) amp = end;
    const part = path.substring(i, amp);
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.substring(0, eq);
    if (k.length > 0 && percentDecode(k) == name) return eq < 0 ? "" : percentDecode(part.substring(eq + 1));
    i = amp + 1;
  }
  return null;
}

enum PathKind { Prefix, Path, Regex, SeparatedPrefix }

export class RouteMatch {
  kind: PathKind = PathKind.Prefix;
  value: string = "";
  regex: Regex | null = null;
  caseSensitive: bool = true;
  headers: Array<HeaderMatcher> = new Array<HeaderMatcher>();
  query: Array<QueryMatcher> = new Array<QueryMatcher>();
  grpc: bool = false;

  /**
   * Envoy RouteEntryImplBase::matchRoute: `prefix` compares the whole :path (query included);
   * `path`, `safe_regex` and `path_separated_prefix` compare the path without query and fragment.
   */
  match(req: RequestView): bool {
    let ok: bool;
    if (this.kind == PathKind.Prefix) {
      ok = this.caseSensitive ? req.path.startsWith(this.value) : req.path.toLowerCase().startsWith(this.value);
    } else if (this.kind == PathKind.Regex) {
      ok = this.regex!.fullMatch(req.pathOnly);
    } else {
      const p = this.caseSensitive ? req.pathOnly : req.pathOnly.toLowerCase();
      if (this.kind == PathKind.Path) ok = p == this.value;
      else ok = p == this.value || (p.startsWith(this.value) && p.charCodeAt(this.value.length) == 0x2f);
    }
    if (!ok) return false;
    if (this.grpc) {
      const ct = req.header("content-type");
      if (ct === null || !ct!.startsWith("application/grpc")) return false;
    }
    for (let i = 0; i < this.headers.length; i++) if (!this.headers[i].match(req)) return false;
    for (let i = 0; i < this.query.length; i++) if (!this.query[i].match(req)) return false;
    return true;
  }
}

export function parseRouteMatch(o: Msg): RouteMatch | null {
  // Envoy RouteMatch fields a filter-level matcher can evaluate; the rest are refused by name.
  const unsupported = ["connect_matcher", "path_match_policy", "runtime_fraction", "tls_context", "dynamic_metadata", "filter_state", "cookies"];
  for (let i = 0; i < unsupported.length; i++) {
    if (o.has(unsupported[i])) { o.fail(unsupported[i], "not supported by this filter"); return null; }
  }
  if (!o.only(["prefix", "path", "safe_regex", "path_separated_prefix", "case_sensitive", "headers", "query_parameters", "grpc"])) return null;
  const m = new RouteMatch();
  m.caseSensitive = o.boolValue("case_sensitive", true);
  let set = 0;
  if (o.has("prefix")) { m.kind = PathKind.Prefix; m.value = o.string("prefix"); set++; }
  if (o.has("path")) { m.kind = PathKind.Path; m.value = o.string("path"); set++; }
  if (o.has("safe_regex")) { m.kind = PathKind.Regex; m.regex = parseRegex(o, "safe_regex"); set++; }
  if (o.has("path_separated_prefix")) {
    m.kind = PathKind.SeparatedPrefix; m.value = o.string("path_separated_prefix"); set++;
    // Envoy's validation: starts with '/', no '?', '#', and no trailing '/'.
    const v = m.value;
    if (!v.startsWith("/") || v.includes("?") || v.includes("#") || (v.length > 1 && v.endsWith("/"))) {
      o.fail("path_separated_prefix", "must start with '/', not end with '/' and contain no '?' or '#'");
    }
  }
  if (set != 1) { o.fail("", "exactly one of prefix, path, safe_regex, path_separated_prefix is required"); return null; }
  if (!m.caseSensitive) m.value = m.value.toLowerCase();
  if (o.has("grpc")) { const g = o.msg("grpc"); if (g !== null) g.only([]); m.grpc = true; }
  const hs = o.array("headers");
  if (hs !== null) for (let i = 0; i < hs.items.length; i++) {
    const hEl = o.element("headers", hs, i);
    if (hEl === null) return null;
    const h = parseHeaderMatcher(hEl);
    if (h === null) return null;
    m.headers.push(h);
  }
  const qs = o.array("query_parameters");
  if (qs !== null) for (let i = 0; i < qs.items.length; i++) {
    const qEl = o.element("query_parameters", qs, i);
    if (qEl === null) return null;
    const q = parseQueryMatcher(qEl);
    if (q === null) return null;
    m.query.push(q);
  }
  return o.ok ? m : null;
}
