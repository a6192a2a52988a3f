// Reading Envoy-style proto3 JSON configuration (a filter's typed config arrives as JSON text): the
// rules of protobuf's JSON parser (JsonStringToMessage, which Envoy uses) that a config author meets:
//  - every field under its proto name (`url_path`) or its lowerCamelCase json_name (`urlPath`), and
//    both at once is an error, as protobuf's parser refuses a field set twice;
//  - unknown fields are refused (Envoy rejects them; a typo must not silently widen or narrow a policy);
//  - JSON null means "field not set";
//  - 64-bit integers may be written as decimal strings ("500");
//  - google.protobuf.Duration as "5s" / "1.5s" or {"seconds": 5, "nanos": 0}.
// The first error wins and carries the full field path (`providers.p1.remote_jwks.http_uri.timeout`,
// `rules.policies["p"].permissions[0].header`), for the "<path>: <why>" configuration log line.
//
//   const err = new ConfigError();
//   const m = Msg.of(parseJson(text).value!, "", err);
//   if (m !== null && m.only(["rules", "stat_prefix"])) { const prefix = m.string("stat_prefix", ""); ... }
//   if (!err.ok) return configError(err.field, err.why);
import { JsonValue, JsonKind, jsonKindName, jsonQuote } from "./json";

/** The first configuration error of one document, shared by every Msg read from it. */
export class ConfigError {
  ok: bool = true;
  field: string = "";
  why: string = "";
  /** Records `why` against `field` ("" = the document root) unless an earlier error was recorded. */
  fail(field: string, why: string): void {
    if (this.ok) { this.ok = false; this.field = field.length == 0 ? "(root)" : field; this.why = why; }
  }
}

/**
 * Whether `key` names proto field `name`: the proto name itself or its lowerCamelCase JSON name
 * (`urlPath` of `url_path`). Allocation-free: configure time looks every field up under both
 * spellings, thousands of times for a large policy set.
 */
export function isFieldKey(key: string, name: string): bool {
  if (key == name) return true;
  let k = 0;
  let up = false;
  for (let i = 0; i < name.length; i++) {
    let c = <i32>name.charCodeAt(i);
    if (c == 0x5f) { up = true; continue; }
    if (up && c >= 0x61 && c <= 0x7a) c -= 0x20;
    up = false;
    if (k >= key.length || <i32>key.charCodeAt(k) != c) return false;
    k++;
  }
  return k == key.length;
}

/** One JSON object holding a proto message, with its path in the document. */
export class Msg {
  /** `obj` must be an object (use `of` for a value the document supplies). */
  constructor(public obj: JsonValue, public path: string, public errors: ConfigError) {}

  /** The message, or null (with the error recorded) when `v` is not an object. */
  static of(v: JsonValue, path: string, errors: ConfigError): Msg | null {
    if (v.kind != JsonKind.Object) { errors.fail(path, typeMismatch("an object", v)); return null; }
    return new Msg(v, path, errors);
  }

  /** No error so far in the whole document. */
  get ok(): bool { return this.errors.ok; }

  /** Full path of member `name`. */
  field(name: string): string { return this.path.length == 0 ? name : this.path + "." + name; }

  /** Records an error against member `name` ("" = this message itself). */
  fail(name: string, why: string): void { this.errors.fail(name.length == 0 ? this.path : this.field(name), why); }

  /** The member under its proto or JSON name; null when absent or JSON null (proto3: not set). */
  get(name: string): JsonValue | null {
    // One pass finds the member under either spelling and a second spelling.
    const keys = this.obj.keys;
    let at = -1;
    for (let i = 0, n = keys.length; i < n; i++) {
      const k = unchecked(keys[i]);
      if (!isFieldKey(k, name)) continue;
      if (at >= 0) {
        this.fail(name, "set twice (as " + unchecked(keys[at]) + " and " + k + ")");
        return null;
      }
      at = i;
    }
    if (at < 0) return null;
    const v = unchecked(this.obj.items[at]);
    return v.kind == JsonKind.Null ? null : v;
  }

  has(name: string): bool { return this.get(name) !== null; }

  /** Refuses the first member that is not one of `allowed` (proto names; their lowerCamel names too). */
  only(allowed: Array<string>): bool {
    const keys = this.obj.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = unchecked(keys[i]);
      let known = false;
      for (let j = 0; j < allowed.length; j++) {
        const a = unchecked(allowed[j]);
        if (isFieldKey(k, a)) { known = true; break; }
      }
      if (!known) {
        // google.protobuf.Empty (e.g. jwt_authn's allow_missing) has no fields to list.
        this.fail(k, allowed.length == 0 ? "unknown field" : "unknown field (expected one of: " + allowed.join(", ") + ")");
        return false;
      }
    }
    return true;
  }

  /** Names of the members set among `names` (a proto oneof must have at most one). */
  setAmong(names: Array<string>): Array<string> {
    const out = new Array<string>();
    for (let i = 0; i < names.length; i++) if (this.has(names[i])) out.push(names[i]);
    return out;
  }

  string(name: string, fallback: string = ""): string {
    const v = this.get(name);
    if (v === null) return fallback;
    if (v.kind != JsonKind.String) { this.fail(name, typeMismatch("string", v)); return fallback; }
    return v.str;
  }

  /** A proto `bool`. */
  bool(name: string, fallback: bool = false): bool {
    const v = this.get(name);
    if (v === null) return fallback;
    if (v.kind != JsonKind.Bool) { this.fail(name, typeMismatch("boolean", v)); return fallback; }
    return v.bool;
  }

  /** A google.protobuf.BoolValue: `true`, or the message form {"value": true} some tools write. */
  boolValue(name: string, fallback: bool = false): bool {
    const w = this.wrapper(name);
    return w !== null ? w.bool("value", false) : this.bool(name, fallback);
  }

  /** An integer in [lo, hi]: a JSON number or, as proto3 JSON writes 64-bit types, a decimal string. */
  integer(name: string, fallback: i64, lo: i64, hi: i64): i64 {
    const v = this.get(name);
    if (v === null) return fallback;
    let n: f64 = 0;
    if (v.kind == JsonKind.Number) n = v.num;
    else if (v.kind == JsonKind.String && isDecimal(v.str)) n = parseFloat(v.str);
    else { this.fail(name, typeMismatch("an integer", v)); return fallback; }
    if (Math.floor(n) != n || n < <f64>lo || n > <f64>hi) {
      this.fail(name, "expected an integer in [" + lo.toString() + ", " + hi.toString() + "]");
      return fallback;
    }
    return <i64>n;
  }

  /** A google.protobuf.(U)Int32Value/(U)Int64Value: as `integer`, or the message form {"value": n}. */
  integerValue(name: string, fallback: i64, lo: i64, hi: i64): i64 {
    const w = this.wrapper(name);
    return w !== null ? w.integer("value", fallback, lo, hi) : this.integer(name, fallback, lo, hi);
  }

  number(name: string, fallback: f64): f64 {
    const v = this.get(name);
    if (v === null) return fallback;
    if (v.kind == JsonKind.Number) return v.num;
    this.fail(name, typeMismatch("a number", v));
    return fallback;
  }

  /** A member message (null when absent, or not an object, which is recorded). */
  msg(name: string): Msg | null {
    const v = this.get(name);
    if (v === null) return null;
    return Msg.of(v, this.field(name), this.errors);
  }

  /** A member array (null when absent, or not an array, which is recorded). */
  array(name: string): JsonValue | null {
    const v = this.get(name);
    if (v === null) return null;
    if (v.kind != JsonKind.Array) { this.fail(name, typeMismatch("an array", v)); return null; }
    return v;
  }

  /** Element i of array member `name` (from `array(name)`) as a message: `name[i]`. */
  element(name: string, arr: JsonValue, i: i32): Msg | null {
    return Msg.of(arr.items[i], this.field(name) + "[" + i.toString() + "]", this.errors);
  }

  /** Value i of map member `name` as a message: `name["key"]`. */
  entry(name: string, map: JsonValue, i: i32): Msg | null {
    return Msg.of(map.items[i], this.field(name) + "[" + jsonQuote(map.keys[i]) + "]", this.errors);
  }

  /** A repeated string (empty when absent; an error for a non-array or a non-string element). */
  stringList(name: string): Array<string> {
    const out = new Array<string>();
    const arr = this.array(name);
    if (arr === null) return out;
    for (let i = 0; i < arr.items.length; i++) {
      const e = arr.items[i];
      if (e.kind != JsonKind.String) { this.fail(name + "[" + i.toString() + "]", typeMismatch("string", e)); return out; }
      out.push(e.str);
    }
    return out;
  }

  /**
   * A google.protobuf.Duration in milliseconds, rounded up to whole ms: "5s", "1.5s", "0.000001s", or
   * {"seconds": 5, "nanos": 0}. `fallback` when absent, -1 after an error.
   */
  durationMs(name: string, fallback: i64): i64 {
    const v = this.get(name);
    if (v === null) return fallback;
    if (v.kind == JsonKind.String) {
      const s = v.str;
      const bad = "expected a duration like \"5s\", got \"" + s + "\"";
      if (!s.endsWith("s") || s.length < 2) { this.fail(name, bad); return -1; }
      const num = s.substring(0, s.length - 1);
      const dot = num.indexOf(".");
      const whole = dot < 0 ? num : num.substring(0, dot);
      const frac = dot < 0 ? "" : num.substring(dot + 1);
      if (!isDigits(whole) || whole.length > 12 || (dot >= 0 && (frac.length > 9 || !isDigits(frac)))) {
        this.fail(name, bad);
        return -1;
      }
      let nanos: i64 = 0;
      if (frac.length > 0) {
        let f = frac;
        while (f.length < 9) f += "0";
        nanos = <i64>parseFloat(f);
      }
      return <i64>parseFloat(whole) * 1000 + (nanos + 999999) / 1000000;
    }
    if (v.kind == JsonKind.Object) {
      const o = new Msg(v, this.field(name), this.errors);
      o.only(["seconds", "nanos"]);
      const sec = o.integer("seconds", 0, 0, 315576000000);
      const nanos = o.integer("nanos", 0, 0, 999999999);
      if (!o.ok) return -1;
      return sec * 1000 + (nanos + 999999) / 1000000;
    }
    this.fail(name, "expected a duration (\"5s\" or {\"seconds\": 5}), got " + jsonKindName(v.kind));
    return -1;
  }

  /** Member `name` written as a wrapper message {"value": x}, or null when it is not an object. */
  private wrapper(name: string): Msg | null {
    const v = this.get(name);
    if (v === null || v.kind != JsonKind.Object) return null;
    const w = new Msg(v, this.field(name), this.errors);
    w.only(["value"]);
    return w;
  }
}

/** "expected <what>, got <JSON type>": the wording shared with JsonFields. */
export function typeMismatch(what: string, got: JsonValue): string {
  return "expected " + what + ", got " + jsonKindName(got.kind);
}

function isDigits(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return s.length > 0;
}

/** An optionally negative decimal integer of at most 20 characters (i64 range is checked by the caller). */
function isDecimal(s: string): bool {
  const n = s.length;
  if (n == 0 || n > 20) return false;
  let i = s.charCodeAt(0) == 0x2d ? 1 : 0;
  if (i >= n) return false;
  for (; i < n; i++) { const c = s.charCodeAt(i); if (c < 0x30 || c > 0x39) return false; }
  return true;
}
