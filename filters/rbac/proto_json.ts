// Reading proto3 JSON configuration (Envoy's own filter config arrives this way): every field may be
// spelled in its proto name (`url_path`) or its lowerCamelCase JSON name (`urlPath`), as protobuf's
// JSON parser accepts both. Errors carry the full field path (`rules.policies["p"].permissions[0].header`).
import { JsonValue, JsonKind, jsonKindName, jsonQuote } from "../../shared/codec/json";

/** The first configuration error, shared by every reader of one document. */
export class ConfigErrors {
  ok: bool = true;
  field: string = "";
  why: string = "";
  fail(field: string, why: string): void {
    if (this.ok) { this.ok = false; this.field = field.length == 0 ? "(root)" : field; this.why = why; }
  }
}


/** Whether `key` is the lowerCamelCase JSON name of proto field `name` (no allocation: configure
 * time looks every field up under both spellings, thousands of times for large policy sets). */
export function isCamelOf(key: string, name: string): bool {
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

/** One JSON object of a proto message, with its path. */
export class Msg {
  constructor(public obj: JsonValue, public path: string, public errors: ConfigErrors) {}

  static of(v: JsonValue, path: string, errors: ConfigErrors): Msg | null {
    if (v.kind != JsonKind.Object) { errors.fail(path, "expected an object, got " + jsonKindName(v.kind)); return null; }
    return new Msg(v, path, errors);
  }

  get ok(): bool { return this.errors.ok; }

  field(name: string): string { return this.path.length == 0 ? name : this.path + "." + name; }

  fail(name: string, why: string): void { this.errors.fail(name.length == 0 ? this.path : this.field(name), why); }

  /** The member under its proto or JSON name (null when absent; JSON null counts as absent, as in proto3 JSON). */
  get(name: string): JsonValue | null {
    let v = this.obj.get(name);
    if (v === null && name.includes("_")) {
      const keys = this.obj.keys;
      for (let i = 0; i < keys.length; i++) if (isCamelOf(unchecked(keys[i]), name)) { v = unchecked(this.obj.items[i]); break; }
    }
    if (v !== null && v.kind == JsonKind.Null) return null;
    return v;
  }

  has(name: string): bool { return this.get(name) !== null; }

  /** Refuses members not in `allowed` (proto names); typos must not silently widen or narrow a policy. */
  only(allowed: Array<string>): bool {
    for (let i = 0; i < this.obj.keys.length; i++) {
      const k = unchecked(this.obj.keys[i]);
      let known = false;
      for (let j = 0; j < allowed.length; j++) {
        const a = unchecked(allowed[j]);
        if (k == a || isCamelOf(k, a)) { known = true; break; }
      }
      if (!known) { this.fail(k, "unknown field (expected one of: " + allowed.join(", ") + ")"); return false; }
    }
    return true;
  }

  /** Names of the members set among `names` (a proto oneof must have exactly one). */
  setAmong(names: Array<string>): Array<string> {
    const out = new Array<string>();
    for (let i = 0; i < names.length; i++) if (this.has(names[i])) out.push(names[i]);
    return out;
  }

  string(name: string, fallback: string): string {
    const v = this.get(name);
    if (v === null) return fallback;
    if (v.kind != JsonKind.String) { this.fail(name, "expected string, got " + jsonKindName(v.kind)); return fallback; }
    return v.str;
  }

  bool(name: string, fallback: bool): bool {
    const v = this.get(name);
    if (v === null) return fallback;
    if (v.kind != JsonKind.Bool) { this.fail(name, "expected boolean, got " + jsonKindName(v.kind)); return fallback; }
    return v.bool;
  }

  /** An integer (proto3 JSON also allows a decimal string for 64-bit types). */
  integer(name: string, fallback: i64, lo: i64, hi: i64): i64 {
    const v = this.get(name);
    if (v === null) return fallback;
    let n: f64 = 0;
    if (v.kind == JsonKind.Number) n = v.num;
    else if (v.kind == JsonKind.String && isDecimal(v.str)) n = parseFloat(v.str);
    else { this.fail(name, "expected an integer, got " + jsonKindName(v.kind)); return fallback; }
    if (Math.floor(n) != n || n < <f64>lo || n > <f64>hi) {
      this.fail(name, "expected an integer in [" + lo.toString() + ", " + hi.toString() + "]");
      return fallback;
    }
    return <i64>n;
  }

  number(name: string, fallback: f64): f64 {
    const v = this.get(name);
    if (v === null) return fallback;
    if (v.kind == JsonKind.Number) return v.num;
    this.fail(name, "expected a number, got " + jsonKindName(v.kind));
    return fallback;
  }

  msg(name: string): Msg | null {
    const v = this.get(name);
    if (v === null) return null;
    return Msg.of(v, this.field(name), this.errors);
  }

  array(name: string): JsonValue | null {
    const v = this.get(name);
    if (v === null) return null;
    if (v.kind != JsonKind.Array) { this.fail(name, "expected array, got " + jsonKindName(v.kind)); return null; }
    return v;
  }

  /** Element i of array member `name` as a message. */
  element(name: string, arr: JsonValue, i: i32): Msg | null {
    return Msg.of(arr.items[i], this.field(name) + "[" + i.toString() + "]", this.errors);
  }

  /** Map member value as a message (`policies["name"]`). */
  entry(name: string, map: JsonValue, i: i32): Msg | null {
    return Msg.of(map.items[i], this.field(name) + "[" + jsonQuote(map.keys[i]) + "]", this.errors);
  }

  stringList(name: string): Array<string> {
    const out = new Array<string>();
    const arr = this.array(name);
    if (arr === null) return out;
    for (let i = 0; i < arr.items.length; i++) {
      const e = arr.items[i];
      if (e.kind != JsonKind.String) { this.fail(name + "[" + i.toString() + "]", "expected string, got " + jsonKindName(e.kind)); return out; }
      out.push(e.str);
    }
    return out;
  }
}

function isDecimal(s: string): bool {
  const n = s.length;
  if (n == 0 || n > 20) return false;
  let i = s.charCodeAt(0) == 0x2d ? 1 : 0;
  if (i >= n) return false;
  for (; i < n; i++) { const c = s.charCodeAt(i); if (c < 0x30 || c > 0x39) return false; }
  return true;
}
