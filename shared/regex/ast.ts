// The parsed form of a pattern (RE2's Regexp tree, reduced to what a yes/no matcher needs:
// captures are kept only as groups, greediness is irrelevant to whether a match exists).

export const enum Kind {
  Empty = 0,    // matches the empty string
  NoMatch = 1,  // matches nothing (e.g. an empty class [^\x00-\x{10FFFF}])
  Class = 2,    // one rune from `ranges`
  Assert = 3,   // empty-width assertion `assert`
  Concat = 4,
  Alt = 5,
  Repeat = 6,   // sub{min,max}; max -1 = unbounded (* is {0,-1}, + is {1,-1}, ? is {0,1})
  Group = 7,    // (...) or (?:...): kept so program-size estimates see RE2's capture instructions
}

export const enum Assertion {
  BeginText = 1,   // \A, and ^ without (?m)
  EndText = 2,     // \z, and $ without (?m)
  BeginLine = 3,   // ^ with (?m)
  EndLine = 4,     // $ with (?m)
  WordBoundary = 5,
  NoWordBoundary = 6,
}

export class Node {
  kind: Kind;
  ranges: i32[] | null = null;   // Class: normalized [lo, hi] pairs
  subs: Node[] | null = null;    // Concat, Alt: children; Repeat, Group: one child
  min: i32 = 0;
  max: i32 = 0;
  assert: Assertion = 0;
  capture: bool = false;         // Group: a capturing group (RE2 emits two capture instructions)
  greedy: bool = true;

  constructor(kind: Kind) { this.kind = kind; }

  static cls(ranges: i32[]): Node {
    const n = new Node(ranges.length == 0 ? Kind.NoMatch : Kind.Class);
    n.ranges = ranges;
    return n;
  }
  static assertion(a: Assertion): Node {
    const n = new Node(Kind.Assert);
    n.assert = a;
    return n;
  }
  static list(kind: Kind, subs: Node[]): Node {
    const n = new Node(kind);
    n.subs = subs;
    return n;
  }
  static repeat(sub: Node, min: i32, max: i32, greedy: bool): Node {
    const n = new Node(Kind.Repeat);
    n.subs = [sub];
    n.min = min;
    n.max = max;
    n.greedy = greedy;
    return n;
  }
  static group(sub: Node, capture: bool): Node {
    const n = new Node(Kind.Group);
    n.subs = [sub];
    n.capture = capture;
    return n;
  }

  /** A single rune with no case variants (a plain literal character). */
  isLiteral(): bool {
    const r = this.ranges;
    return this.kind == Kind.Class && r !== null && r.length == 2 && r[0] == r[1];
  }
}
