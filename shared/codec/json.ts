// The suite's one JSON parser, for plugin configuration (Envoy hands a filter its config as the
// text of a google.protobuf.StringValue). Strict RFC 8259: no comments, no trailing commas, no
// leading zeros, no lone surrogates, no duplicate object keys. It never aborts: every failure,
// including nesting too deep for the Wasm stack, comes back as a JsonResult with a position.
//
//   const r = parseJson(text);
//   if (!r.ok) return this.configError("configuration", r.error);   // "line 3 column 9: ..."
//   const f = new JsonFields(r.value!, "");
//   const size = f.integer("max_peer_cache_size", 500, 0, 1000000);
//   if (!f.ok) return this.configError(f.errorField, f.errorWhy);

export enum JsonKind { Null = 0, Bool = 1, Number = 2, String = 3, Array = 4, Object = 5 }

/** Deepest nesting accepted; deeper input is an error, not a stack overflow trap. */
export const JSON_MAX_DEPTH: i32 = 64;

// Scalars share these (never mutated: set/push give a value its own arrays first), so a large
// document costs one small object per scalar instead of three.
const NO_ITEMS = new Array<JsonValue>(0);
const NO_KEYS = new Array<string>(0);

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  /** Array elements, or object values (parallel to `keys`), in document order. Read-only for scalars. */
  items: Array<JsonValue> = NO_ITEMS;
  /** Object keys in document order. */
  keys: Array<string> = NO_KEYS;

  static null(): JsonValue { return new JsonValue(); }
  static fromBool(b: bool): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Bool; v.bool = b; return v; }
  static fromNumber(n: f64): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Number; v.num = n; return v; }
  static fromString(s: string): JsonValue { const v = new JsonValue(); v.kind = JsonKind.String; v.str = s; return v; }
  static array(): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Array; v.items = new Array<JsonValue>(); return v; }
  static object(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    v.items = new Array<JsonValue>();
    v.keys = new Array<string>();
    return v;
  }

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isBool(): bool { return this.kind == JsonKind.Bool; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }
  /** A number with no fractional part that an i64 holds exactly (|n| <= 2^53). */
  get isInteger(): bool {
    return this.kind == JsonKind.Number && Math.floor(this.num) == this.num && Math.abs(this.num) <= 9007199254740992.0;
  }

  /** Element count of an array or member count of an object; 0 otherwise. */
  get length(): i32 { return this.kind == JsonKind.Array || this.kind == JsonKind.Object ? this.items.length : 0; }

  /** Array element i, or null when out of range or not an array. */
  at(i: i32): JsonValue | null {
    if (this.kind != JsonKind.Array || i < 0 || i >= this.items.length) return null;
    return unchecked(this.items[i]);
  }

  /** Object member, or null when absent or not an object. (Keys are unique: the parser rejects duplicates.) */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    for (let i = 0, n = this.keys.length; i < n; i++) {
      if (unchecked(this.keys[i]) == key) return unchecked(this.items[i]);
    }
    return null;
  }

  has(key: string): bool { return this.get(key) !== null; }

  /** Member as a string, or `fallback` when absent or of another type. */
  getString(key: string, fallback: string = ""): string {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.String ? v.str : fallback;
  }

  getBool(key: string, fallback: bool = false): bool {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Bool ? v.bool : fallback;
  }

  getNumber(key: string, fallback: f64 = 0): f64 {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Number ? v.num : fallback;
  }

  /** Adds a member (builder use; does not check for duplicates). */
  set(key: string, value: JsonValue): JsonValue {
    if (this.keys === NO_KEYS) this.keys = new Array<string>();
    if (this.items === NO_ITEMS) this.items = new Array<JsonValue>();
    this.keys.push(key);
    this.items.push(value);
    return this;
  }

  push(value: JsonValue): JsonValue {
    if (this.items === NO_ITEMS) this.items = new Array<JsonValue>();
    this.items.push(value);
    return this;
  }

  /** Compact JSON text; object members in document order. */
  toString(): string {
    const parts = new Array<string>();
    writeJson(this, parts);
    return parts.join("");
  }
}

export function jsonKindName(k: JsonKind): string {
  switch (k) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "boolean";
    case JsonKind.Number: return "number";
    case JsonKind.String: return "string";
    case JsonKind.Array: return "array";
    default: return "object";
  }
}

export class JsonResult {
  /** Text span of the member left unparsed by parseJsonDeferring, or -1. */
  deferredStart: i32 = -1;
  deferredEnd: i32 = -1;
  constructor(
    public value: JsonValue | null,
    /** "" on success, else "line L column C: what was wrong". */
    public error: string,
    /** UTF-16 offset of the error in the input; -1 on success. */
    public pos: i32,
  ) {}
  get ok(): bool { return this.value !== null; }
}

class Parser {
  pos: i32 = 0;
  err: string = "";
  errPos: i32 = -1;
  /** Top-level member whose array value is left unparsed (see parseJsonDeferring). */
  deferKey: string = "";
  deferStart: i32 = -1;
  deferEnd: i32 = -1;
  constructor(public s: string) {}

  /**
   * Skips one array at pos without building it: brackets and strings (with escapes) are matched,
   * nothing else is checked. Whoever reads the span later parses it strictly.
   */
  skipArray(): bool {
    const s = this.s;
    const n = s.length;
    let depth = 0;
    let p = this.pos;
    while (p < n) {
      const c = s.charCodeAt(p);
      if (c == 0x22) {
        p++;
        while (p < n) {
          const d = s.charCodeAt(p);
          if (d == 0x5c) { p += 2; continue; }
          if (d == 0x22) break;
          p++;
        }
        if (p >= n) break;
      } else if (c == 0x5b || c == 0x7b) {
        depth++;
      } else if (c == 0x5d || c == 0x7d) {
        depth--;
        if (depth == 0) { this.pos = p + 1; return true; }
      }
      p++;
    }
    this.fail("unterminated array", this.pos);
    return false;
  }

  fail(msg: string, at: i32): JsonValue | null {
    if (this.errPos < 0) { this.err = msg; this.errPos = at; }
    return null;
  }

  peek(): i32 { return this.pos < this.s.length ? <i32>this.s.charCodeAt(this.pos) : -1; }

  ws(): void {
    const s = this.s;
    const n = s.length;
    let p = this.pos;
    while (p < n) {
      const c = s.charCodeAt(p);
      if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  value(depth: i32): JsonValue | null {
    if (depth > JSON_MAX_DEPTH) return this.fail("nesting deeper than " + JSON_MAX_DEPTH.toString() + " levels", this.pos);
    this.ws();
    const c = this.peek();
    if (c == -1) return this.fail("unexpected end of input, expected a value", this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      return s === null ? null : JsonValue.fromString(s);
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.word("true")) return JsonValue.fromBool(true);
    if (this.word("false")) return JsonValue.fromBool(false);
    if (this.word("null")) return JsonValue.null();
    return this.fail("unexpected character " + describe(c) + ", expected a value", this.pos);
  }

  word(w: string): bool {
    const n = w.length;
    if (this.pos + n > this.s.length) return false;
    for (let i = 0; i < n; i++) {
      if (this.s.charCodeAt(this.pos + i) != w.charCodeAt(i)) return false;
    }
    // "trueish" is not "true" followed by garbage the caller would report more confusingly.
    const next = this.pos + n < this.s.length ? <i32>this.s.charCodeAt(this.pos + n) : -1;
    if ((next >= 0x61 && next <= 0x7a) || (next >= 0x30 && next <= 0x39)) return false;
    this.pos += n;
    return true;
  }

  object(depth: i32): JsonValue | null {
    const obj = JsonValue.object();
    this.pos++; // {
    this.ws();
    if (this.peek() == 0x7d) { this.pos++; return obj; }
    while (true) {
      this.ws();
      if (this.peek() != 0x22) return this.fail("expected a string key in object", this.pos);
      const keyPos = this.pos;
      const key = this.string();
      if (key === null) return null;
      if (obj.get(key) !== null) return this.fail("duplicate key \"" + jsonEscape(key) + "\"", keyPos);
      this.ws();
      if (this.peek() != 0x3a) return this.fail("expected ':' after object key", this.pos);
      this.pos++;
      if (depth == 0 && this.deferKey.length > 0 && key == this.deferKey) {
        this.ws();
        if (this.peek() == 0x5b) {
          this.deferStart = this.pos;
          if (!this.skipArray()) return null;
          this.deferEnd = this.pos;
          obj.set(key, JsonValue.array());
          this.ws();
          const c0 = this.peek();
          if (c0 == 0x2c) { this.pos++; continue; }
          if (c0 == 0x7d) { this.pos++; return obj; }
          return this.fail("expected ',' or '}' in object", this.pos);
        }
      }
      const v = this.value(depth + 1);
      if (v === null) return null;
      obj.set(key, v);
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x7d) { this.pos++; return obj; }
      return this.fail("expected ',' or '}' in object", this.pos);
    }
    return null; // unreachable
  }

  array(depth: i32): JsonValue | null {
    const arr = JsonValue.array();
    this.pos++; // [
    this.ws();
    if (this.peek() == 0x5d) { this.pos++; return arr; }
    while (true) {
      const v = this.value(depth + 1);
      if (v === null) return null;
      arr.push(v);
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x5d) { this.pos++; return arr; }
      return this.fail("expected ',' or ']' in array", this.pos);
    }
    return null; // unreachable
  }

  hex4(at: i32): i32 {
    if (at + 4 > this.s.length) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>this.s.charCodeAt(at + i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  /** At a '"'; returns the decoded string and leaves pos after the closing quote, or null (error set). */
  string(): string | null {
    const s = this.s;
    const n = s.length;
    const start = this.pos;
    let p = start + 1;
    let runStart = p;
    let parts: Array<string> | null = null;
    while (true) {
      if (p >= n) { this.fail("unterminated string", start); return null; }
      const c = s.charCodeAt(p);
      if (c == 0x22) break;
      if (c < 0x20) { this.fail("control character " + describe(c) + " in string (escape it)", p); return null; }
      if (c >= 0xd800 && c <= 0xdfff) {
        // Raw surrogates come from a UTF-16 source; only a proper pair is a character.
        if (c <= 0xdbff && p + 1 < n && (<i32>s.charCodeAt(p + 1) & 0xfc00) == 0xdc00) { p += 2; continue; }
        this.fail("lone surrogate in string", p); return null;
      }
      if (c != 0x5c) { p++; continue; }
      // Escape: flush the plain run first.
      if (parts === null) parts = new Array<string>();
      if (p > runStart) parts.push(s.substring(runStart, p));
      if (p + 1 >= n) { this.fail("unterminated escape", p); return null; }
      const e = s.charCodeAt(p + 1);
      let out: i32 = -1;
      switch (e) {
        case 0x22: out = 0x22; break;
        case 0x5c: out = 0x5c; break;
        case 0x2f: out = 0x2f; break;
        case 0x62: out = 0x08; break;
        case 0x66: out = 0x0c; break;
        case 0x6e: out = 0x0a; break;
        case 0x72: out = 0x0d; break;
        case 0x74: out = 0x09; break;
        case 0x75: {
          const u = this.hex4(p + 2);
          if (u < 0) { this.fail("bad \\u escape (expected 4 hex digits)", p); return null; }
          if (u >= 0xd800 && u <= 0xdbff) {
            // A high surrogate must be followed by an escaped low surrogate.
            if (p + 11 < n && s.charCodeAt(p + 6) == 0x5c && s.charCodeAt(p + 7) == 0x75) {
              const lo = this.hex4(p + 8);
              if (lo >= 0xdc00 && lo <= 0xdfff) {
                parts.push(String.fromCharCode(u, lo));
                p += 12;
                runStart = p;
                continue;
              }
            }
            this.fail("unpaired surrogate \\u escape", p); return null;
          }
          if (u >= 0xdc00 && u <= 0xdfff) { this.fail("unpaired surrogate \\u escape", p); return null; }
          parts.push(String.fromCharCode(u));
          p += 6;
          runStart = p;
          continue;
        }
        default:
          this.fail("bad escape \\" + describe(e), p); return null;
      }
      parts.push(String.fromCharCode(out));
      p += 2;
      runStart = p;
    }
    this.pos = p + 1;
    if (parts === null) return s.substring(start + 1, p);
    if (p > runStart) parts.push(s.substring(runStart, p));
    return parts.join("");
  }

  number(): JsonValue | null {
    const s = this.s;
    const n = s.length;
    const start = this.pos;
    let p = start;
    if (p < n && s.charCodeAt(p) == 0x2d) p++;
    if (p >= n) return this.fail("bad number", start);
    let c = s.charCodeAt(p);
    if (c == 0x30) {
      p++;
      if (p < n && isDigit(s.charCodeAt(p))) return this.fail("bad number (leading zero)", start);
    } else if (isDigit(c)) {
      while (p < n && isDigit(s.charCodeAt(p))) p++;
    } else {
      return this.fail("bad number", start);
    }
    if (p < n && s.charCodeAt(p) == 0x2e) {
      p++;
      if (p >= n || !isDigit(s.charCodeAt(p))) return this.fail("bad number (digit expected after '.')", start);
      while (p < n && isDigit(s.charCodeAt(p))) p++;
    }
    if (p < n && (s.charCodeAt(p) | 0x20) == 0x65) {
      p++;
      if (p < n && (s.charCodeAt(p) == 0x2b || s.charCodeAt(p) == 0x2d)) p++;
      if (p >= n || !isDigit(s.charCodeAt(p))) return this.fail("bad number (digit expected in exponent)", start);
      while (p < n && isDigit(s.charCodeAt(p))) p++;
    }
    this.pos = p;
    const v = parseFloat(s.substring(start, p));
    if (!isFinite(v)) return this.fail("number out of range", start);
    return JsonValue.fromNumber(v);
  }
}

function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }

function describe(c: i32): string {
  if (c >= 0x21 && c < 0x7f) return "'" + String.fromCharCode(c) + "'";
  // Hex digits by hand: String#toUpperCase would link AssemblyScript's Unicode case tables (~13 KB).
  let h = "";
  for (let shift = c > 0xffff ? 20 : 12; shift >= 0; shift -= 4) h += "0123456789ABCDEF".charAt((c >> shift) & 15);
  return "U+" + (c > 0xffff && h.startsWith("0") ? h.substring(1) : h);
}

function lineColumn(s: string, pos: i32): string {
  let line = 1;
  let col = 1;
  const end = min(pos, s.length);
  for (let i = 0; i < end; i++) {
    if (s.charCodeAt(i) == 0x0a) { line++; col = 1; } else col++;
  }
  return "line " + line.toString() + " column " + col.toString();
}

/** Parses one JSON text (surrounding whitespace allowed). Never aborts. */
export function parseJson(text: string): JsonResult {
  return parseJsonDeferring(text, "");
}

/**
 * Like parseJson, but if the root is an object whose member `deferKey` is an array, that array is
 * not built: the member reads as an empty array and `deferredStart`/`deferredEnd` give its text
 * span, to be walked element by element with JsonArrayReader. For documents dominated by one big
 * list (a 100k-entry workload table) this keeps one element's tree alive at a time instead of all.
 */
export function parseJsonDeferring(text: string, deferKey: string): JsonResult {
  const p = new Parser(text);
  p.deferKey = deferKey;
  const v = p.value(0);
  if (v !== null) {
    p.ws();
    if (p.pos < text.length) p.fail("unexpected " + describe(p.peek()) + " after the JSON value", p.pos);
    else {
      const r = new JsonResult(v, "", -1);
      r.deferredStart = p.deferStart;
      r.deferredEnd = p.deferEnd;
      return r;
    }
  }
  return new JsonResult(null, lineColumn(text, p.errPos) + ": " + p.err, p.errPos);
}

/** Reads the elements of the array at text[start] ('[') one at a time, strictly. Never aborts. */
export class JsonArrayReader {
  private p: Parser;
  private first: bool = true;
  /** True after the closing ']' was read. */
  done: bool = false;
  /** "" or "line L column C: what was wrong". */
  error: string = "";
  /** Elements returned so far. */
  index: i32 = 0;

  constructor(public text: string, start: i32) {
    this.p = new Parser(text);
    this.p.pos = start;
    this.p.ws();
    if (this.p.peek() != 0x5b) this.setError("expected '['", this.p.pos);
    else this.p.pos++;
  }

  private setError(msg: string, at: i32): void {
    if (this.error.length == 0) this.error = lineColumn(this.text, at) + ": " + msg;
    this.done = true;
  }

  /** The next element, or null at the end (check `error`). */
  next(): JsonValue | null {
    if (this.done) return null;
    const p = this.p;
    p.ws();
    if (p.peek() == 0x5d) { p.pos++; this.done = true; return null; }
    if (!this.first) {
      if (p.peek() != 0x2c) { this.setError("expected ',' or ']' in array", p.pos); return null; }
      p.pos++;
    }
    this.first = false;
    const v = p.value(1);
    if (v === null) { this.setError(p.err, p.errPos); return null; }
    this.index++;
    return v;
  }

  /** Position after the closing ']' (valid once done without error). */
  get end(): i32 { return this.p.pos; }
}

// ---------------------------------------------------------------------------------------------
// Writing

const HEX = "0123456789abcdef";

/** Escapes a string for the inside of a JSON string literal (no surrounding quotes). */
export function jsonEscape(s: string): string {
  const n = s.length;
  let clean = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x22 || c == 0x5c || (c >= 0xd800 && c <= 0xdfff)) { clean = false; break; }
  }
  if (clean) return s;
  const parts = new Array<string>();
  let run = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let rep: string | null = null;
    if (c == 0x22) rep = "\\\"";
    else if (c == 0x5c) rep = "\\\\";
    else if (c == 0x0a) rep = "\\n";
    else if (c == 0x0d) rep = "\\r";
    else if (c == 0x09) rep = "\\t";
    else if (c == 0x08) rep = "\\b";
    else if (c == 0x0c) rep = "\\f";
    else if (c < 0x20) rep = "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (<i32>s.charCodeAt(i + 1) & 0xfc00) == 0xdc00) { i++; continue; }
    else if (c >= 0xd800 && c <= 0xdfff) rep = "\\u" + c.toString(16); // lone surrogate: keep it visible, valid JSON
    if (rep !== null) {
      if (i > run) parts.push(s.substring(run, i));
      parts.push(rep);
      run = i + 1;
    }
  }
  if (n > run) parts.push(s.substring(run, n));
  return parts.join("");
}

/** A JSON string literal: `"` + jsonEscape(s) + `"`. */
export function jsonQuote(s: string): string {
  return "\"" + jsonEscape(s) + "\"";
}

/** Shortest text for a JSON number; integers print without ".0". Non-finite numbers print as null. */
export function jsonNumber(n: f64): string {
  if (!isFinite(n)) return "null";
  if (Math.floor(n) == n && Math.abs(n) < 1e15) return (<i64>n).toString();
  return n.toString();
}

function writeJson(v: JsonValue, out: Array<string>): void {
  switch (v.kind) {
    case JsonKind.Null: out.push("null"); break;
    case JsonKind.Bool: out.push(v.bool ? "true" : "false"); break;
    case JsonKind.Number: out.push(jsonNumber(v.num)); break;
    case JsonKind.String: out.push(jsonQuote(v.str)); break;
    case JsonKind.Array: {
      out.push("[");
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.push(",");
        writeJson(unchecked(v.items[i]), out);
      }
      out.push("]");
      break;
    }
    default: {
      out.push("{");
      for (let i = 0; i < v.items.length; i++) {
        if (i > 0) out.push(",");
        out.push(jsonQuote(unchecked(v.keys[i])));
        out.push(":");
        writeJson(unchecked(v.items[i]), out);
      }
      out.push("}");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration validation

/**
 * Reads typed members of one JSON object and remembers the FIRST problem with its full field path
 * (e.g. `downstream_discovery[1].workload_discovery.refresh_ms`), for RootContext.configError.
 * Missing members yield the fallback; present members of the wrong type are errors (a config that
 * says `"max_peer_cache_size": "500"` is a mistake worth naming, not a default).
 */
export class JsonFields {
  ok: bool = true;
  errorField: string = "";
  errorWhy: string = "";
  private sink: JsonFields | null = null;

  /** `obj` must be an object; a non-object records an error at `path` immediately. */
  constructor(public obj: JsonValue, public path: string, errorSink: JsonFields | null = null) {
    this.sink = errorSink;
    if (obj.kind != JsonKind.Object) this.fail("", "expected an object, got " + jsonKindName(obj.kind));
  }

  /** Full path of a member of this object. */
  field(key: string): string {
    return this.path.length == 0 ? key : this.path + "." + key;
  }

  /** Records an error (first one wins) against `key` ("" = this object itself). */
  fail(key: string, why: string): void {
    const target = this.sink !== null ? this.sink! : this;
    if (target.ok) {
      target.ok = false;
      target.errorField = key.length == 0 ? (this.path.length == 0 ? "(root)" : this.path) : this.field(key);
      target.errorWhy = why;
    }
    this.ok = false;
  }

  private typed(key: string, kind: JsonKind): JsonValue | null {
    const v = this.obj.get(key);
    if (v === null) return null;
    if (v.kind != kind) {
      this.fail(key, "expected " + jsonKindName(kind) + ", got " + jsonKindName(v.kind));
      return null;
    }
    return v;
  }

  has(key: string): bool { return this.obj.get(key) !== null; }

  string(key: string, fallback: string): string {
    const v = this.typed(key, JsonKind.String);
    return v === null ? fallback : v.str;
  }

  /** A string that must not be empty when present. */
  nonEmptyString(key: string, fallback: string): string {
    const v = this.typed(key, JsonKind.String);
    if (v === null) return fallback;
    if (v.str.length == 0) { this.fail(key, "must not be empty"); return fallback; }
    return v.str;
  }

  bool(key: string, fallback: bool): bool {
    const v = this.typed(key, JsonKind.Bool);
    return v === null ? fallback : v.bool;
  }

  /**
   * A protobuf `bool` field as Envoy's JSON conversion reads it: true/false, or the strings
   * "true"/"false" (how YAML-quoted values in Istio's own configs arrive).
   */
  protoBool(key: string, fallback: bool): bool {
    const v = this.obj.get(key);
    if (v !== null && v.kind == JsonKind.String) {
      if (v.str == "true") return true;
      if (v.str == "false") return false;
      this.fail(key, "expected a bool (true, false, \"true\" or \"false\"), got \"" + v.str + "\"");
      return fallback;
    }
    return this.bool(key, fallback);
  }

  number(key: string, fallback: f64): f64 {
    const v = this.typed(key, JsonKind.Number);
    return v === null ? fallback : v.num;
  }

  /** An integer in [lo, hi]. Also accepts a decimal string ("500"), as protobuf's JSON mapping does for int64. */
  integer(key: string, fallback: i64, lo: i64, hi: i64): i64 {
    const v = this.obj.get(key);
    if (v === null) return fallback;
    let n: f64 = 0;
    if (v.kind == JsonKind.Number) n = v.num;
    else if (v.kind == JsonKind.String && isDecimal(v.str)) n = parseFloat(v.str);
    else { this.fail(key, "expected an integer, got " + jsonKindName(v.kind)); return fallback; }
    if (Math.floor(n) != n || n < <f64>lo || n > <f64>hi) {
      this.fail(key, "expected an integer in [" + lo.toString() + ", " + hi.toString() + "], got " + jsonNumber(n));
      return fallback;
    }
    return <i64>n;
  }

  /** A member object, as a JsonFields that reports into the same error (null when absent). */
  object(key: string): JsonFields | null {
    const v = this.typed(key, JsonKind.Object);
    if (v === null) return null;
    return new JsonFields(v, this.field(key), this.sink !== null ? this.sink : this);
  }

  /** A member array (null when absent or of another type, the latter recorded). */
  array(key: string): JsonValue | null {
    return this.typed(key, JsonKind.Array);
  }

  /** Element i of an array member, as JsonFields (records an error if it is not an object). */
  element(key: string, arr: JsonValue, i: i32): JsonFields {
    return new JsonFields(arr.items[i], this.field(key) + "[" + i.toString() + "]", this.sink !== null ? this.sink : this);
  }

  /** An array of strings (null when absent; an error for a non-array or a non-string element). */
  stringArray(key: string): Array<string> | null {
    const v = this.typed(key, JsonKind.Array);
    if (v === null) return null;
    const out = new Array<string>();
    for (let i = 0; i < v.items.length; i++) {
      const e = unchecked(v.items[i]);
      if (e.kind != JsonKind.String) {
        this.fail(key + "[" + i.toString() + "]", "expected string, got " + jsonKindName(e.kind));
        return null;
      }
      out.push(e.str);
    }
    return out;
  }

  /** Records an error for the first member not in `allowed` (typos should not silently default). */
  onlyKeys(allowed: Array<string>): bool {
    for (let i = 0; i < this.obj.keys.length; i++) {
      const k = unchecked(this.obj.keys[i]);
      if (!allowed.includes(k)) {
        this.fail(k, "unknown field (expected one of: " + allowed.join(", ") + ")");
        return false;
      }
    }
    return true;
  }
}

function isDecimal(s: string): bool {
  const n = s.length;
  if (n == 0 || n > 20) return false;
  let i = s.charCodeAt(0) == 0x2d ? 1 : 0;
  if (i >= n) return false;
  for (; i < n; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}
