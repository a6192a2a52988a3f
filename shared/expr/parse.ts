// Parser for the suite's CEL subset. Grammar (precedence low to high, as CEL):
//
//   expr    := or ( "?" expr ":" expr )?
//   or      := and ( "||" and )*
//   and     := rel ( "&&" rel )*
//   rel     := add ( ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) add )*
//   add     := mul ( ( "+" | "-" ) mul )*
//   mul     := unary ( ( "*" | "/" | "%" ) unary )*
//   unary   := "!" unary | "-" unary | member
//   member  := primary ( "." METHOD "(" args ")" )*        METHOD: startsWith, endsWith, contains, size
//   primary := STRING | INT | "true" | "false" | "null" | "(" expr ")" | "has" "(" path ")"
//            | FUNC "(" args ")" | path                     FUNC: string, int, size
//   path    := IDENT ( "." IDENT | "[" STRING "]" | "[" INT "]" )*
//
// Anything else (other functions, macros, `in`, lists, maps, bytes/float literals) is refused
// with the column where it starts. The parser never aborts: recursion depth is bounded and every
// index is checked.
import { Node, NodeKind, Value, AttrRef, Func } from "./ast";

/** Deepest nesting accepted (parentheses, `!`, conditionals); deeper is an error, not a stack overflow. */
export const EXPR_MAX_DEPTH: i32 = 32;
/** Longest expression accepted, in UTF-16 units. */
export const EXPR_MAX_LENGTH: i32 = 4096;

/**
 * Binds attribute paths at compile time. Return "" to accept (after filling `ref.source`, `type`,
 * `path`, `field` as the evaluator's Attributes expects), or a reason to refuse.
 */
export abstract class Catalog {
  abstract bind(ref: AttrRef): string;
}

export class Compiled {
  ok: bool = false;
  root: Node | null = null;
  /** "column N: why" (1-based column in the source text). */
  error: string = "";
  /** 1-based column of the error, 0 when ok. */
  column: i32 = 0;
  /** Every attribute the expression reads. */
  attrs: Array<AttrRef> = new Array<AttrRef>();
  constructor(public source: string) {}
}

class Parser {
  pos: i32 = 0;
  depth: i32 = 0;
  failed: bool = false;
  errPos: i32 = 0;
  errWhy: string = "";
  attrs: Array<AttrRef> = new Array<AttrRef>();
  constructor(public src: string, public catalog: Catalog) {}

  fail(at: i32, why: string): Node | null {
    if (!this.failed) { this.failed = true; this.errPos = at; this.errWhy = why; }
    return null;
  }

  peek(): i32 { return this.pos < this.src.length ? this.src.charCodeAt(this.pos) : -1; }
  peekAt(k: i32): i32 { const p = this.pos + k; return p < this.src.length ? this.src.charCodeAt(p) : -1; }

  skipSpace(): void {
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) this.pos++; else break;
    }
  }

  /** Consumes `tok` (after spaces) if present. */
  eat(tok: string): bool {
    this.skipSpace();
    const n = tok.length;
    if (this.pos + n > this.src.length) return false;
    for (let i = 0; i < n; i++) if (this.src.charCodeAt(this.pos + i) != tok.charCodeAt(i)) return false;
    this.pos += n;
    return true;
  }

  expr(): Node | null {
    if (++this.depth > EXPR_MAX_DEPTH) return this.fail(this.pos, "expression nested deeper than " + EXPR_MAX_DEPTH.toString());
    const cond = this.or();
    if (cond === null) return null;
    this.skipSpace();
    if (this.peek() == 0x3f /* ? */) {
      this.pos++;
      const a = this.expr();
      if (a === null) return null;
      this.skipSpace();
      if (this.peek() != 0x3a /* : */) return this.fail(this.pos, "expected ':' of the conditional operator");
      this.pos++;
      const b = this.expr();
      if (b === null) return null;
      const n = new Node(NodeKind.Cond);
      n.a = cond; n.b = a; n.c = b;
      this.depth--;
      return n;
    }
    this.depth--;
    return cond;
  }

  // Each binary operator adds a level to the tree the evaluator walks recursively, so chains count
  // against the same depth bound as parentheses (a 500-long chain would otherwise be fine to parse
  // and overflow the stack at request time).
  or(): Node | null {
    const depth = this.depth;
    let left = this.and();
    while (left !== null && this.eat("||")) {
      if (++this.depth > EXPR_MAX_DEPTH) return this.fail(this.pos - 2, "expression nested deeper than " + EXPR_MAX_DEPTH.toString());
      const right = this.and();
      if (right === null) return null;
      const n = new Node(NodeKind.Or); n.a = left; n.b = right; left = n;
    }
    this.depth = depth;
    return left;
  }

  and(): Node | null {
    const depth = this.depth;
    let left = this.rel();
    while (left !== null && this.eat("&&")) {
      if (++this.depth > EXPR_MAX_DEPTH) return this.fail(this.pos - 2, "expression nested deeper than " + EXPR_MAX_DEPTH.toString());
      const right = this.rel();
      if (right === null) return null;
      const n = new Node(NodeKind.And); n.a = left; n.b = right; left = n;
    }
    this.depth = depth;
    return left;
  }

  /** The relational operator at the cursor (consumed), or Literal when there is none. */
  relOp(): NodeKind {
    if (this.eat("==")) return NodeKind.Eq;
    if (this.eat("!=")) return NodeKind.Ne;
    if (this.eat("<=")) return NodeKind.Le;
    if (this.eat(">=")) return NodeKind.Ge;
    if (this.eat("<")) return NodeKind.Lt;
    if (this.eat(">")) return NodeKind.Gt;
    return NodeKind.Literal;
  }

  rel(): Node | null {
    const depth = this.depth;
    let left = this.add();
    while (left !== null) {
      const at = this.pos;
      const kind = this.relOp();
      if (kind == NodeKind.Literal) break;
      if (++this.depth > EXPR_MAX_DEPTH) return this.fail(at, "expression nested deeper than " + EXPR_MAX_DEPTH.toString());
      const right = this.add();
      if (right === null) return null;
      const n = new Node(kind); n.a = left; n.b = right; left = n;
    }
    this.depth = depth;
    return left;
  }

  add(): Node | null {
    const depth = this.depth;
    let left = this.mul();
    while (left !== null) {
      this.skipSpace();
      const c = this.peek();
      let kind = NodeKind.Literal;
      if (c == 0x2b /* + */) kind = NodeKind.Add;
      else if (c == 0x2d /* - */) kind = NodeKind.Sub;
      else break;
      const at = this.pos;
      this.pos++;
      if (++this.depth > EXPR_MAX_DEPTH) return this.fail(at, "expression nested deeper than " + EXPR_MAX_DEPTH.toString());
      const right = this.mul();
      if (right === null) return null;
      const n = new Node(kind); n.a = left; n.b = right; left = n;
    }
    this.depth = depth;
    return left;
  }

  mul(): Node | null {
    const depth = this.depth;
    let left = this.unary();
    while (left !== null) {
      this.skipSpace();
      const c = this.peek();
      let kind = NodeKind.Literal;
      if (c == 0x2a /* * */) kind = NodeKind.Mul;
      else if (c == 0x2f /* / */) kind = NodeKind.Div;
      else if (c == 0x25 /* % */) kind = NodeKind.Mod;
      else break;
      const at = this.pos;
      this.pos++;
      if (++this.depth > EXPR_MAX_DEPTH) return this.fail(at, "expression nested deeper than " + EXPR_MAX_DEPTH.toString());
      const right = this.unary();
      if (right === null) return null;
      const n = new Node(kind); n.a = left; n.b = right; left = n;
    }
    this.depth = depth;
    return left;
  }

  unary(): Node | null {
    this.skipSpace();
    const c = this.peek();
    const neg = c == 0x2d /* - */ && !isDigit(this.peekAt(1));
    if ((c == 0x21 /* ! */ && this.peekAt(1) != 0x3d) || neg) {
      this.pos++;
      if (++this.depth > EXPR_MAX_DEPTH) return this.fail(this.pos, "expression nested deeper than " + EXPR_MAX_DEPTH.toString());
      const inner = this.unary();
      this.depth--;
      if (inner === null) return null;
      const n = new Node(neg ? NodeKind.Neg : NodeKind.Not); n.a = inner;
      return n;
    }
    return this.member();
  }

  /** A primary followed by method calls (`x.startsWith('a')`, `x.size()`). */
  member(): Node | null {
    const depth = this.depth;
    let left = this.primary();
    while (left !== null) {
      this.skipSpace();
      if (this.peek() != 0x2e /* . */) break;
      const at = this.pos;
      this.pos++;
      this.skipSpace();
      if (!isIdentStart(this.peek())) return this.fail(this.pos, "expected a method name after '.'");
      const name = this.ident();
      const f = methodOf(name);
      if (f < 0) return this.fail(at + 1, "unsupported method '" + name + "' (supported: startsWith, endsWith, contains, size)");
      if (++this.depth > EXPR_MAX_DEPTH) return this.fail(at, "expression nested deeper than " + EXPR_MAX_DEPTH.toString());
      const n = new Node(NodeKind.Call);
      n.func = <Func>f;
      n.args.push(left);
      if (!this.callArgs(n, f == Func.Size ? 0 : 1, name)) return null;
      left = n;
    }
    this.depth = depth;
    return left;
  }

  /** `( args )` after a function or method name: exactly `count` expressions. */
  callArgs(n: Node, count: i32, name: string): bool {
    this.skipSpace();
    if (this.peek() != 0x28 /* ( */) { this.fail(this.pos, "expected '(' after " + name); return false; }
    this.pos++;
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        this.skipSpace();
        if (this.peek() != 0x2c /* , */) { this.fail(this.pos, name + "() takes " + count.toString() + " argument(s)"); return false; }
        this.pos++;
      }
      const a = this.expr();
      if (a === null) return false;
      n.args.push(a);
    }
    this.skipSpace();
    if (this.peek() != 0x29 /* ) */) { this.fail(this.pos, "expected ')' closing " + name + "("); return false; }
    this.pos++;
    return true;
  }

  primary(): Node | null {
    this.skipSpace();
    const start = this.pos;
    const c = this.peek();
    if (c == -1) return this.fail(start, "unexpected end of expression");
    if (c == 0x27 || c == 0x22) {
      const s = this.stringLiteral();
      if (s === null) return null;
      const n = new Node(NodeKind.Literal); n.value = Value.str(s);
      return n;
    }
    if (isDigit(c) || (c == 0x2d /* - */ && isDigit(this.peekAt(1)))) {
      const v = this.intLiteral();
      if (v === null) return null;
      const n = new Node(NodeKind.Literal); n.value = v;
      return n;
    }
    if (c == 0x28 /* ( */) {
      this.pos++;
      const inner = this.expr();
      if (inner === null) return null;
      this.skipSpace();
      if (this.peek() != 0x29) return this.fail(this.pos, "expected ')'");
      this.pos++;
      return inner;
    }
    if (!isIdentStart(c)) return this.fail(start, "unexpected character '" + String.fromCharCode(c) + "'");
    const id = this.ident();
    if (id == "true" || id == "false") {
      const n = new Node(NodeKind.Literal); n.value = Value.bool(id == "true");
      return n;
    }
    if (id == "null") {
      const n = new Node(NodeKind.Literal); n.value = Value.nul();
      return n;
    }
    this.skipSpace();
    if (this.peek() == 0x28 /* ( */) {
      const f = functionOf(id);
      if (f >= 0) {
        const n = new Node(NodeKind.Call);
        n.func = <Func>f;
        if (!this.callArgs(n, 1, id)) return null;
        return n;
      }
      if (id != "has") return this.fail(start, "unsupported function '" + id + "' (supported: has, string, int, size)");
      this.pos++;
      this.skipSpace();
      const pstart = this.pos;
      if (!isIdentStart(this.peek())) return this.fail(pstart, "has() takes an attribute path");
      const ref = this.path(pstart, this.ident());
      if (ref === null) return null;
      this.skipSpace();
      if (this.peek() != 0x29) return this.fail(this.pos, "expected ')' closing has(");
      this.pos++;
      const n = new Node(NodeKind.Has); n.attr = ref;
      return n;
    }
    const ref = this.path(start, id);
    if (ref === null) return null;
    const n = new Node(NodeKind.Attr); n.attr = ref;
    return n;
  }

  /** The rest of a path whose root identifier was just read. */
  path(start: i32, root: string): AttrRef | null {
    const segments = new Array<string>();
    while (true) {
      this.skipSpace();
      const c = this.peek();
      if (c == 0x2e /* . */) {
        const dot = this.pos;
        this.pos++;
        this.skipSpace();
        if (!isIdentStart(this.peek())) { this.fail(this.pos, "expected a field name after '.'"); return null; }
        const field = this.ident();
        this.skipSpace();
        // `.name(` is a method call on the path read so far (member() parses it)
        if (this.peek() == 0x28 /* ( */) { this.pos = dot; break; }
        segments.push(field);
      } else if (c == 0x5b /* [ */) {
        this.pos++;
        this.skipSpace();
        const k = this.peek();
        if (k == 0x27 || k == 0x22) {
          const s = this.stringLiteral();
          if (s === null) return null;
          segments.push(s);
        } else if (isDigit(k)) {
          const v = this.intLiteral();
          if (v === null) return null;
          segments.push(v.i.toString());
        } else { this.fail(this.pos, "expected a string or integer index"); return null; }
        this.skipSpace();
        if (this.peek() != 0x5d) { this.fail(this.pos, "expected ']'"); return null; }
        this.pos++;
      } else break;
    }
    const ref = new AttrRef(root, this.src.substring(start, this.pos).trim(), start + 1);
    ref.segments = segments;
    const why = this.catalog.bind(ref);
    if (why.length > 0) { this.fail(start, why); return null; }
    this.attrs.push(ref);
    return ref;
  }

  ident(): string {
    const start = this.pos;
    while (this.pos < this.src.length && isIdentPart(this.src.charCodeAt(this.pos))) this.pos++;
    return this.src.substring(start, this.pos);
  }

  stringLiteral(): string | null {
    const quote = this.peek();
    const start = this.pos;
    this.pos++;
    let out = "";
    let from = this.pos;
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      if (c == quote) {
        out += this.src.substring(from, this.pos);
        this.pos++;
        return out;
      }
      if (c == 0x5c /* \ */) {
        out += this.src.substring(from, this.pos);
        const e = this.peekAt(1);
        if (e == 0x5c || e == 0x27 || e == 0x22) out += String.fromCharCode(e);
        else if (e == 0x6e) out += "\n";
        else if (e == 0x74) out += "\t";
        else { this.fail(this.pos, "unsupported escape sequence"); return null; }
        this.pos += 2;
        from = this.pos;
        continue;
      }
      if (c == 0x0a) break;
      this.pos++;
    }
    this.fail(start, "unterminated string literal");
    return null;
  }

  intLiteral(): Value | null {
    const start = this.pos;
    let neg = false;
    if (this.peek() == 0x2d) { neg = true; this.pos++; }
    let v: i64 = 0;
    let digits = 0;
    while (isDigit(this.peek())) {
      const d = <i64>(this.peek() - 0x30);
      if (v > (i64.MAX_VALUE - d) / 10) { this.fail(start, "integer literal out of range"); return null; }
      v = v * 10 + d;
      this.pos++;
      digits++;
    }
    if (this.peek() == 0x2e || isIdentStart(this.peek())) { this.fail(start, "only decimal integer literals are supported"); return null; }
    return Value.int(neg ? -v : v);
  }
}

/** A global function's Func, or -1. */
function functionOf(name: string): i32 {
  if (name == "string") return Func.String;
  if (name == "int") return Func.Int;
  if (name == "size") return Func.Size;
  return -1;
}

/** A method's Func, or -1. */
function methodOf(name: string): i32 {
  if (name == "startsWith") return Func.StartsWith;
  if (name == "endsWith") return Func.EndsWith;
  if (name == "contains") return Func.Contains;
  if (name == "size") return Func.Size;
  return -1;
}

// @ts-ignore: decorator
@inline function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }
// @ts-ignore: decorator
@inline function isIdentStart(c: i32): bool { return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x5f; }
// @ts-ignore: decorator
@inline function isIdentPart(c: i32): bool { return isIdentStart(c) || isDigit(c); }

/** Compiles `source`; on failure `error` is "column N: why". Never aborts. */
export function compile(source: string, catalog: Catalog): Compiled {
  const out = new Compiled(source);
  if (source.length > EXPR_MAX_LENGTH) {
    out.column = 1;
    out.error = "column 1: expression longer than " + EXPR_MAX_LENGTH.toString() + " characters";
    return out;
  }
  const p = new Parser(source, catalog);
  const root = p.expr();
  if (root !== null && !p.failed) {
    p.skipSpace();
    if (p.pos < source.length) p.fail(p.pos, "unexpected '" + source.charAt(p.pos) + "' (unsupported operator or trailing text)");
  }
  if (p.failed || root === null) {
    out.column = p.errPos + 1;
    out.error = "column " + out.column.toString() + ": " + p.errWhy;
    return out;
  }
  out.ok = true;
  out.root = root;
  out.attrs = p.attrs;
  return out;
}
