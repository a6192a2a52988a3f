// The compiled form of an expression in the suite's CEL subset (see README.md in this folder).
// Parsing happens once, at configure time; a request only walks this tree.

export enum ValueKind { Null = 0, Bool = 1, Int = 2, String = 3 }

/** A CEL value of the supported kinds. Absent attributes are represented by `null` references. */
export class Value {
  kind: ValueKind = ValueKind.Null;
  b: bool = false;
  i: i64 = 0;
  s: string = "";

  static str(s: string): Value { const v = new Value(); v.kind = ValueKind.String; v.s = s; return v; }
  static int(i: i64): Value { const v = new Value(); v.kind = ValueKind.Int; v.i = i; return v; }
  static bool(b: bool): Value { const v = new Value(); v.kind = ValueKind.Bool; v.b = b; return v; }
  static nul(): Value { return new Value(); }

  /** CEL's string() conversion for the kinds we support. */
  toString(): string {
    switch (this.kind) {
      case ValueKind.String: return this.s;
      case ValueKind.Int: return this.i.toString();
      case ValueKind.Bool: return this.b ? "true" : "false";
      default: return "null";
    }
  }

  equals(o: Value): bool {
    if (this.kind != o.kind) return false;
    switch (this.kind) {
      case ValueKind.String: return this.s == o.s;
      case ValueKind.Int: return this.i == o.i;
      case ValueKind.Bool: return this.b == o.b;
      default: return true;
    }
  }
}

/**
 * An attribute reference such as `request.headers['x-user']`, bound at compile time by a Catalog.
 * `source`, `type` and `path` belong to the catalog (e.g. "read this Envoy property, decode as int");
 * the expression layer never interprets them.
 */
export class AttrRef {
  /** Segments after the root: `request.headers['x-user']` -> ["headers", "x-user"]. */
  segments: Array<string> = new Array<string>();
  /** Catalog-defined lookup route (property, peer, ...). */
  source: i32 = 0;
  /** Expected value kind when read. */
  type: ValueKind = ValueKind.String;
  /** Encoded property path when the catalog reads a host property; empty otherwise. */
  path: ArrayBuffer = new ArrayBuffer(0);
  /** Catalog-defined small integer (e.g. which peer field). */
  field: i32 = 0;
  constructor(public root: string, public text: string, public position: i32) {}
}

export enum NodeKind {
  Literal = 0, Attr = 1, Has = 2, Not = 3, And = 4, Or = 5, Eq = 6, Ne = 7, Cond = 8,
  // arithmetic (CEL: int + int, string + string; overflow and division by zero are errors)
  Add = 9, Sub = 10, Mul = 11, Div = 12, Mod = 13, Neg = 14,
  // ordering (CEL: int with int, string with string)
  Lt = 15, Le = 16, Gt = 17, Ge = 18,
  /** A function or method call: `name` with `args` (a method's receiver is args[0]). */
  Call = 19,
}

/** The functions a Call node may name (CEL standard functions in the supported subset). */
export enum Func { String = 0, Int = 1, Size = 2, StartsWith = 3, EndsWith = 4, Contains = 5 }

export class Node {
  kind: NodeKind;
  value: Value | null = null;
  attr: AttrRef | null = null;
  a: Node | null = null;
  b: Node | null = null;
  c: Node | null = null;
  /** Call nodes: which function, and its arguments (a method's receiver first). */
  func: Func = Func.String;
  args: Array<Node> = new Array<Node>();
  constructor(kind: NodeKind) { this.kind = kind; }
}
