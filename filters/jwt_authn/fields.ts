// Reading proto3-JSON objects the way protobuf's JSON parser does for Envoy config: every field under
// its snake_case name or its lowerCamel json_name, unknown fields refused, Durations as "5s" or
// {"seconds": 5, "nanos": 0}. Errors carry the full field path (`providers.p1.remote_jwks.http_uri`).
import { JsonValue, JsonKind, jsonKindName } from "../../shared/codec/json";

export class ConfigError {
  field: string = "";
  why: string = "";
  get failed(): bool { return this.field.length > 0 || this.why.length > 0; }
}

export function lowerCamel(snake: string): string {
  let out = "";
  let up = false;
  for (let i = 0; i < snake.length; i++) {
    const c = snake.charCodeAt(i);
    if (c == 0x5f) { up = true; continue; }
    out += up && c >= 0x61 && c <= 0x7a ? String.fromCharCode(c - 32) : String.fromCharCode(c);
    up = false;
  }
  return out;
}

export class Obj {
  constructor(public v: JsonValue, public path: string, public err: ConfigError) {
    if (v.kind != JsonKind.Object) this.failSelf("expected an object, got " + jsonKindName(v.kind));
  }

  get ok(): bool { return !this.err.failed; }

  field(name: string): string { return this.path.length == 0 ? name : this.path + "." + name; }

  failSelf(why: string): void {
    if (!this.err.failed) { this.err.field = this.path.length == 0 ? "(root)" : this.path; this.err.why = why; }
  }

  fail(name: string, why: string): void {
    if (!this.err.failed) { this.err.field = this.field(name); this.err.why = why; }
  }

  /** Refuses any member that is not one of `allowed` (snake_case; lowerCamel accepted too). */
  only(allowed: Array<string>): bool {
    if (this.v.kind != JsonKind.Object) return false;
    for (let i = 0; i < this.v.keys.length; i++) {
      const k = this.v.keys[i];
      let found = false;
      for (let j = 0; j < allowed.length; j++) {
        if (allowed[j] == k || lowerCamel(allowed[j]) == k) { found = true; break; }
      }
      if (!found) { this.fail(k, "unknown field"); return false; }
    }
    return true;
  }

  /** The member under either name (both present is an error, as protobuf's parser says). */
  get(name: string): JsonValue | null {
    if (this.v.kind != JsonKind.Object) return null;
    const a = this.v.get(name);
    const camel = lowerCamel(name);
    const b = camel != name ? this.v.get(camel) : null;
    if (a !== null && b !== null) { this.fail(name, "set twice (as " + name + " and " + camel + ")"); return null; }
    const r = a !== null ? a : b;
    // proto3 JSON: null means "default".
    if (r !== null && r.kind == JsonKind.Null) return null;
    return r;
  }

  has(name: string): bool { return this.get(name) !== null; }

  string(name: string, fallback: string = ""): string {
    const v = this.get(name);
    if (v === null) return fallback;
    if (v.kind != JsonKind.String) { this.fail(name, "expected string, got " + jsonKindName(v.kind)); return fallback; }
    return v.str;
  }

  bool(name: string, fallback: bool = false): bool {
    const v = this.get(name);
    if (v === null) return fallback;
    // google.protobuf.BoolValue is also written as {"value": true} by some tools.
    if (v.kind == JsonKind.Object) {
      const o = new Obj(v, this.field(name), this.err);
      o.only(["value"]);
      return o.bool("value", false);
    }
    if (v.kind != JsonKind.Bool) { this.fail(name, "expected boolean, got " + jsonKindName(v.kind)); return fallback; }
    return v.bool;
  }

  /** Unsigned integer (number or decimal string, proto3 JSON int64 form) in [lo, hi]. */
  integer(name: string, fallback: i64, lo: i64, hi: i64): i64 {
    const v = this.get(name);
    if (v === null) return fallback;
    let n: f64 = 0;
    if (v.kind == JsonKind.Number) n = v.num;
    else if (v.kind == JsonKind.String && v.str.length > 0 && v.str.length < 20 && isDigits(v.str)) n = parseFloat(v.str);
    else if (v.kind == JsonKind.Object) {
      const o = new Obj(v, this.field(name), this.err);
      o.only(["value"]);
      return o.integer("value", fallback, lo, hi);
    } else { this.fail(name, "expected an integer, got " + jsonKindName(v.kind)); return fallback; }
    if (Math.floor(n) != n || n < <f64>lo || n > <f64>hi) {
      this.fail(name, "expected an integer in [" + lo.toString() + ", " + hi.toString() + "]");
      return fallback;
    }
    return <i64>n;
  }

  obj(name: string): Obj | null {
    const v = this.get(name);
    if (v === null) return null;
    if (v.kind != JsonKind.Object) { this.fail(name, "expected an object, got " + jsonKindName(v.kind)); return null; }
    return new Obj(v, this.field(name), this.err);
  }

  array(name: string): JsonValue | null {
    const v = this.get(name);
    if (v === null) return null;
    if (v.kind != JsonKind.Array) { this.fail(name, "expected an array, got " + jsonKindName(v.kind)); return null; }
    return v;
  }

  element(name: string, arr: JsonValue, i: i32): Obj {
    return new Obj(arr.items[i], this.field(name) + "[" + i.toString() + "]", this.err);
  }

  strings(name: string): Array<string> {
    const out = new Array<string>();
    const a = this.array(name);
    if (a === null) return out;
    for (let i = 0; i < a.items.length; i++) {
      const e = a.items[i];
      if (e.kind != JsonKind.String) { this.fail(name + "[" + i.toString() + "]", "expected string, got " + jsonKindName(e.kind)); return out; }
      out.push(e.str);
    }
    return out;
  }

  /**
   * google.protobuf.Duration in milliseconds (rounded up to whole ms): "5s", "1.5s", "0.000001s", or
   * {"seconds": 5, "nanos": 0}. Returns `fallback` when absent, -1 after an error.
   */
  durationMs(name: string, fallback: i64): i64 {
    const v = this.get(name);
    if (v === null) return fallback;
    if (v.kind == JsonKind.String) {
      const s = v.str;
      if (!s.endsWith("s") || s.length < 2) { this.fail(name, "expected a duration like \"5s\", got \"" + s + "\""); return -1; }
      const num = s.substring(0, s.length - 1);
      let dot = num.indexOf(".");
      const whole = dot < 0 ? num : num.substring(0, dot);
      const frac = dot < 0 ? "" : num.substring(dot + 1);
      if (whole.length == 0 || !isDigits(whole) || whole.length > 12 || (dot >= 0 && (frac.length == 0 || frac.length > 9 || !isDigits(frac)))) {
        this.fail(name, "expected a duration like \"5s\", got \"" + s + "\"");
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
      const o = new Obj(v, this.field(name), this.err);
      o.only(["seconds", "nanos"]);
      const sec = o.integer("seconds", 0, 0, 315576000000);
      const nanos = o.integer("nanos", 0, 0, 999999999);
      if (!o.ok) return -1;
      return sec * 1000 + (nanos + 999999) / 1000000;
    }
    this.fail(name, "expected a duration (\"5s\" or {\"seconds\": 5}), got " + jsonKindName(v.kind));
    return -1;
  }
}

function isDigits(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return s.length > 0;
}
