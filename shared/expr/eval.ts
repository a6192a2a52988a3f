// Evaluates a compiled expression against one request's attributes. CEL semantics for the subset:
// reading an absent attribute is an error (so is a type mismatch in `==`, or a non-bool condition);
// `has()` turns absence into false; `&&`/`||` absorb an error when the other side decides the result.
// An error is returned as `null`; the caller decides the fallback (Istio's stats use "unknown").
import { Node, NodeKind, Value, ValueKind, AttrRef, Func } from "./ast";

/** Per-request attribute reader: the value of `ref`, or null when absent. */
export abstract class Attributes {
  abstract lookup(ref: AttrRef): Value | null;
}

export function evaluate(node: Node, attrs: Attributes): Value | null {
  switch (node.kind) {
    case NodeKind.Literal: return node.value;
    case NodeKind.Attr: return attrs.lookup(node.attr!);
    case NodeKind.Has: return Value.bool(attrs.lookup(node.attr!) !== null);
    case NodeKind.Not: {
      const v = evaluate(node.a!, attrs);
      if (v === null || v.kind != ValueKind.Bool) return null;
      return Value.bool(!v.b);
    }
    case NodeKind.And:
    case NodeKind.Or: {
      // The value that decides the result on its own: false for &&, true for ||.
      const decisive = node.kind == NodeKind.Or;
      const a = asBool(evaluate(node.a!, attrs));
      if (a == (decisive ? 1 : 0)) return Value.bool(decisive);
      const b = asBool(evaluate(node.b!, attrs));
      if (b == (decisive ? 1 : 0)) return Value.bool(decisive);
      if (a < 0 || b < 0) return null;
      return Value.bool(!decisive);
    }
    case NodeKind.Eq:
    case NodeKind.Ne: {
      const a = evaluate(node.a!, attrs);
      const b = evaluate(node.b!, attrs);
      if (a === null || b === null) return null;
      let eq: bool;
      if (a.kind == b.kind) eq = a.equals(b);
      else if (a.kind == ValueKind.Null || b.kind == ValueKind.Null) eq = false;
      else return null; // CEL: no matching overload for == on different types
      return Value.bool(node.kind == NodeKind.Eq ? eq : !eq);
    }
    case NodeKind.Cond: {
      const c = asBool(evaluate(node.a!, attrs));
      if (c < 0) return null;
      return evaluate(c == 1 ? node.b! : node.c!, attrs);
    }
    case NodeKind.Neg: {
      const v = evaluate(node.a!, attrs);
      if (v === null || v.kind != ValueKind.Int || v.i == i64.MIN_VALUE) return null;
      return Value.int(-v.i);
    }
    case NodeKind.Add:
    case NodeKind.Sub:
    case NodeKind.Mul:
    case NodeKind.Div:
    case NodeKind.Mod: {
      const a = evaluate(node.a!, attrs);
      if (a === null) return null;
      const b = evaluate(node.b!, attrs);
      if (b === null) return null;
      if (node.kind == NodeKind.Add && a.kind == ValueKind.String && b.kind == ValueKind.String) return Value.str(a.s + b.s);
      if (a.kind != ValueKind.Int || b.kind != ValueKind.Int) return null; // CEL: no matching overload
      return arithmetic(node.kind, a.i, b.i);
    }
    case NodeKind.Lt:
    case NodeKind.Le:
    case NodeKind.Gt:
    case NodeKind.Ge: {
      const a = evaluate(node.a!, attrs);
      if (a === null) return null;
      const b = evaluate(node.b!, attrs);
      if (b === null || a.kind != b.kind) return null;
      let cmp: i32 = 0;
      if (a.kind == ValueKind.Int) cmp = a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
      else if (a.kind == ValueKind.String) cmp = compareCodePoints(a.s, b.s);
      else if (a.kind == ValueKind.Bool) cmp = <i32>a.b - <i32>b.b;
      else return null;
      const k = node.kind;
      return Value.bool(k == NodeKind.Lt ? cmp < 0 : k == NodeKind.Le ? cmp <= 0 : k == NodeKind.Gt ? cmp > 0 : cmp >= 0);
    }
    case NodeKind.Call: return call(node, attrs);
  }
  return null;
}

/** Int arithmetic as CEL: overflow, division by zero and modulus by zero are errors. */
function arithmetic(kind: NodeKind, x: i64, y: i64): Value | null {
  if (kind == NodeKind.Add) {
    const r = x + y;
    if (((x ^ r) & (y ^ r)) < 0) return null;
    return Value.int(r);
  }
  if (kind == NodeKind.Sub) {
    const r = x - y;
    if (((x ^ y) & (x ^ r)) < 0) return null;
    return Value.int(r);
  }
  if (kind == NodeKind.Mul) {
    if (x == 0 || y == 0) return Value.int(0);
    if ((x == -1 && y == i64.MIN_VALUE) || (y == -1 && x == i64.MIN_VALUE)) return null;
    const r = x * y;
    if (r / y != x) return null;
    return Value.int(r);
  }
  if (y == 0 || (x == i64.MIN_VALUE && y == -1)) return null;
  return Value.int(kind == NodeKind.Div ? x / y : x % y);
}

/** Orders strings by Unicode code point, as CEL does (UTF-16 order differs only for astral characters). */
function compareCodePoints(a: string, b: string): i32 {
  const n = min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x != y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function call(node: Node, attrs: Attributes): Value | null {
  const a = evaluate(node.args[0], attrs);
  if (a === null) return null;
  switch (node.func) {
    case Func.String: return Value.str(a.toString());
    case Func.Int: {
      if (a.kind == ValueKind.Int) return a;
      if (a.kind != ValueKind.String) return null;
      return parseInt64(a.s);
    }
    case Func.Size: {
      if (a.kind != ValueKind.String) return null;
      // CEL size() of a string counts code points
      let n: i64 = 0;
      for (let i = 0; i < a.s.length; i++) { const c = a.s.charCodeAt(i); if (c < 0xdc00 || c > 0xdfff) n++; }
      return Value.int(n);
    }
    default: {
      const b = evaluate(node.args[1], attrs);
      if (b === null || a.kind != ValueKind.String || b.kind != ValueKind.String) return null;
      if (node.func == Func.StartsWith) return Value.bool(a.s.startsWith(b.s));
      if (node.func == Func.EndsWith) return Value.bool(a.s.endsWith(b.s));
      return Value.bool(a.s.includes(b.s));
    }
  }
}

/** CEL int(string): an optionally signed decimal that fits in 64 bits, else an error. */
function parseInt64(s: string): Value | null {
  let i = 0;
  let neg = false;
  if (s.length > 0 && (s.charCodeAt(0) == 0x2d || s.charCodeAt(0) == 0x2b)) { neg = s.charCodeAt(0) == 0x2d; i = 1; }
  if (i >= s.length) return null;
  let v: u64 = 0;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    if (v > (<u64>9223372036854775808 - <u64>d) / 10) return null;
    v = v * 10 + <u64>d;
  }
  if (!neg && v > <u64>i64.MAX_VALUE) return null;
  return Value.int(neg ? <i64>(0 - v) : <i64>v);
}

/** 1 true, 0 false, -1 error or not a bool. */
function asBool(v: Value | null): i32 {
  if (v === null || v.kind != ValueKind.Bool) return -1;
  return v.b ? 1 : 0;
}

/** The expression's value as a string (CEL string()), or null on error. */
export function evaluateString(node: Node, attrs: Attributes): string | null {
  const v = evaluate(node, attrs);
  return v === null ? null : v.toString();
}
