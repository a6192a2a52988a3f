// Evaluates a compiled expression against one request's attributes. CEL semantics for the subset:
// reading an absent attribute is an error (so is a type mismatch in `==`, or a non-bool condition);
// `has()` turns absence into false; `&&`/`||` absorb an error when the other side decides the result.
// An error is returned as `null`; the caller decides the fallback (Istio's stats use "unknown").
import { Node, NodeKind, Value, ValueKind, AttrRef } from "./ast";

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
  }
  return null;
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
