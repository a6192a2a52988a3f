import { compile, Compiled, evaluate, evaluateString, Attributes, AttrRef, Value, ValueKind, EnvoyCatalog, Catalog, SOURCE_PROPERTY, EXPR_MAX_DEPTH } from "./index";

// Request attributes keyed by the path text as written ("request.headers['x-user']").
class TestAttrs extends Attributes {
  keys: Array<string> = new Array<string>();
  vals: Array<Value> = new Array<Value>();
  set(k: string, v: Value): TestAttrs { this.keys.push(k); this.vals.push(v); return this; }
  lookup(ref: AttrRef): Value | null {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == ref.text) return this.vals[i];
    return null;
  }
}

// A filter-defined root, as istio_stats binds upstream_peer.
class PeerCatalog extends Catalog {
  bind(ref: AttrRef): string {
    if (ref.root != "upstream_peer") return "unknown attribute '" + ref.text + "'";
    ref.source = 100;
    return "";
  }
}

function ok(src: string): Compiled {
  const c = compile(src, new EnvoyCatalog(new PeerCatalog()));
  if (!c.ok) trace("unexpected compile error: " + c.error);
  expect(c.ok).toBe(true);
  return c;
}

function evalStr(src: string, a: TestAttrs): string | null {
  return evaluateString(ok(src).root!, a);
}

describe("expr: compile", () => {
  it("binds Envoy attribute paths to property paths with their types", () => {
    const c = ok("request.headers['x-user']");
    expect(c.attrs.length).toBe(1);
    const r = c.attrs[0];
    expect(r.source).toBe(SOURCE_PROPERTY);
    expect(r.type).toBe(ValueKind.String);
    expect(r.path.byteLength).toBe(7 + 1 + 7 + 1 + 6);
    expect(ok("response.code").attrs[0].type).toBe(ValueKind.Int);
    expect(ok("connection.mtls").attrs[0].type).toBe(ValueKind.Bool);
    expect(ok("node.metadata['CLUSTER_ID']").attrs[0].segments.length).toBe(2);
    expect(ok("request.url_path").attrs[0].text).toBe("request.url_path");
  });

  it("hands unknown roots to the next catalog", () => {
    const c = ok("upstream_peer.labels['app']");
    expect(c.attrs[0].source).toBe(100);
    expect(c.attrs[0].segments[0]).toBe("labels");
    expect(c.attrs[0].segments[1]).toBe("app");
  });

  it("reports unsupported syntax with its column", () => {
    const cat = new EnvoyCatalog();
    let c = compile("request.size in [1]", cat);
    expect(c.ok).toBe(false);
    expect(c.column).toBe(14);
    expect(c.error).toBe("column 14: unexpected 'i' (unsupported operator or trailing text)");
    c = compile("matches(request.path)", cat);
    expect(c.column).toBe(1);
    expect(c.error).toBe("column 1: unsupported function 'matches' (supported: has, string, int, size)");
    c = compile("request.path.matches('x')", cat);
    expect(c.error).toBe("column 14: unsupported method 'matches' (supported: startsWith, endsWith, contains, size)");
    c = compile("string(request.path, 1)", cat);
    expect(c.ok).toBe(false);
    c = compile("request.headers['x", cat);
    expect(c.error).toBe("column 17: unterminated string literal");
    c = compile("has(request.path) ? 'a'", cat);
    expect(c.error).toBe("column 24: expected ':' of the conditional operator");
    c = compile("bogus.field", cat);
    expect(c.column).toBe(1);
    expect(c.error.startsWith("column 1: unknown attribute 'bogus.field'")).toBe(true);
    c = compile("request.nope", cat);
    expect(c.error).toBe("column 1: unknown attribute 'request.nope'");
    c = compile("request.headers", cat);
    expect(c.error).toBe("column 1: 'request.headers' is a map; index it, e.g. request.headers['key']");
    c = compile("  1.5", cat);
    expect(c.error).toBe("column 3: only decimal integer literals are supported");
    c = compile("", cat);
    expect(c.error).toBe("column 1: unexpected end of expression");
    c = compile("[1]", cat);
    expect(c.error).toBe("column 1: unexpected character '['");
  });

  it("refuses nesting deeper than the limit instead of overflowing the stack", () => {
    let deep = "";
    for (let i = 0; i < 200; i++) deep += "(";
    deep += "'x'";
    for (let i = 0; i < 200; i++) deep += ")";
    const c = compile(deep, new EnvoyCatalog());
    expect(c.ok).toBe(false);
    expect(c.error.includes("nested deeper than " + EXPR_MAX_DEPTH.toString())).toBe(true);
    let nots = "";
    for (let i = 0; i < 5000; i++) nots += "!";
    expect(compile(nots + "true", new EnvoyCatalog()).ok).toBe(false);
  });

  it("never aborts on arbitrary bytes", () => {
    const junk = ["'", "\"\\q\"", "(", ")", "?:", "a[", "a[1", "a.", "has(", "has()", "has('x')", "!=", "==1", "-", "-x",
      "\u0000", "é", "request.headers[request.path]", "true ? : 1", "99999999999999999999", "a.b.c[0]['x'].d"];
    for (let i = 0; i < junk.length; i++) {
      const c = compile(junk[i], new EnvoyCatalog());
      expect(c.ok).toBe(false);
      expect(c.error.startsWith("column ")).toBe(true);
    }
  });
});

describe("expr: evaluate", () => {
  it("reads attributes, literals and the conditional operator", () => {
    const a = new TestAttrs().set("request.headers['x-user']", Value.str("alice")).set("response.code", Value.int(404));
    expect(evalStr("request.headers['x-user']", a)).toBe("alice");
    expect(evalStr("response.code", a)).toBe("404");
    expect(evalStr("'lit'", a)).toBe("lit");
    expect(evalStr("\"dq\\\"\"", a)).toBe("dq\"");
    expect(evalStr("has(request.headers['x-user']) ? request.headers['x-user'] : 'anonymous'", a)).toBe("alice");
    expect(evalStr("has(request.headers['x-other']) ? request.headers['x-other'] : 'anonymous'", a)).toBe("anonymous");
    expect(evalStr("response.code == 404 ? 'not_found' : 'other'", a)).toBe("not_found");
    expect(evalStr("response.code != 404 ? 'x' : response.code == 200 ? 'ok' : 'nested'", a)).toBe("nested");
    expect(evalStr("!has(request.url_path) && response.code == 404", a)).toBe("true");
    expect(evalStr("true || request.url_path == 'x'", a)).toBe("true");
    expect(evalStr("-3", a)).toBe("-3");
  });

  it("returns an error (null) for absent attributes and type mismatches", () => {
    const a = new TestAttrs().set("response.code", Value.int(200));
    expect(evalStr("request.headers['x-user']", a)).toBeNull();
    expect(evalStr("response.code == '200'", a)).toBeNull();
    expect(evalStr("request.url_path ? 'a' : 'b'", a)).toBeNull();
    expect(evalStr("request.url_path == 'x' && false", a)).toBe("false");
    expect(evalStr("request.url_path == 'x' || true", a)).toBe("true");
    expect(evalStr("request.url_path == 'x' || false", a)).toBeNull();
    expect(evalStr("response.code == null", a)).toBe("false");
  });

  it("evaluates peer attributes through the same reader", () => {
    const a = new TestAttrs().set("upstream_peer.labels['app']", Value.str("ratings"));
    expect(evalStr("upstream_peer.labels['app']", a)).toBe("ratings");
    const v = evaluate(ok("has(upstream_peer.labels['version'])").root!, a);
    expect(v!.kind).toBe(ValueKind.Bool);
    expect(v!.b).toBe(false);
  });
});

describe("expr: operators Istio's documented expressions use", () => {
  // Istio's own stats test config (istio/proxy testdata/stats/client_config_customized.yaml.tmpl)
  // concatenates strings: "'_' + xds.node.metadata['WORKLOAD_NAME']", and
  // xds.route_name + "," + xds.cluster_name + "," + ...
  it("+ concatenates strings and adds integers; mixing kinds is an error", () => {
    const a = new TestAttrs().set("xds.node.metadata['WORKLOAD_NAME']", Value.str("productpage-v1"))
      .set("xds.route_name", Value.str("client_route")).set("xds.cluster_name", Value.str("server-outbound-cluster"))
      .set("response.code", Value.int(200)).set("request.size", Value.int(7));
    expect(evalStr("'_' + xds.node.metadata['WORKLOAD_NAME']", a)).toBe("_productpage-v1");
    expect(evalStr("xds.route_name + \",\" + xds.cluster_name + ',' + 'server'", a)).toBe("client_route,server-outbound-cluster,server");
    expect(evalStr("response.code + 1", a)).toBe("201");
    expect(evalStr("response.code - request.size * 2", a)).toBe("186");
    expect(evalStr("(response.code - 1) / 100", a)).toBe("1");
    expect(evalStr("response.code % 7", a)).toBe("4");
    expect(evalStr("-response.code", a)).toBe("-200");
    expect(evalStr("'a' + response.code", a)).toBeNull();
    expect(evalStr("'a' + string(response.code)", a)).toBe("a200");
    expect(evalStr("response.code / 0", a)).toBeNull();
    expect(evalStr("9223372036854775807 + 1", a)).toBeNull();
    expect(evalStr("int('42') + 1", a)).toBe("43");
    expect(evalStr("int('4x')", a)).toBeNull();
  });

  it("orders integers and strings, and calls the string functions", () => {
    const a = new TestAttrs().set("response.code", Value.int(503)).set("request.url_path", Value.str("/api/v1/x"));
    expect(evalStr("response.code >= 500 ? '5xx' : 'other'", a)).toBe("5xx");
    expect(evalStr("response.code < 500", a)).toBe("false");
    expect(evalStr("response.code <= 503 && response.code > 502", a)).toBe("true");
    expect(evalStr("'abc' < 'abd'", a)).toBe("true");
    expect(evalStr("response.code < '5'", a)).toBeNull();
    expect(evalStr("request.url_path.startsWith('/api')", a)).toBe("true");
    expect(evalStr("request.url_path.endsWith('/x') && request.url_path.contains('v1')", a)).toBe("true");
    expect(evalStr("size(request.url_path)", a)).toBe("9");
    expect(evalStr("request.url_path.size() == 9", a)).toBe("true");
    expect(evalStr("('x' + 'y').startsWith('x')", a)).toBe("true");
  });
});

describe("expr: fuzz", () => {
  it("compiles and evaluates 3000 random expressions over the grammar's alphabet without aborting", () => {
    const alphabet = "request.headers['x-user']response.code has() ? : == != && || ! 'a' \"b\" 0 -1 [ ] ( ) . upstream_peer.labels \\ \n + - * / % < <= > >= string( size( .startsWith( , ";
    let seed: u32 = 12345;
    let compiled = 0;
    const attrs = new TestAttrs().set("response.code", Value.int(200)).set("request.headers['x-user']", Value.str("u"));
    for (let i = 0; i < 3000; i++) {
      let src = "";
      const len = <i32>(i % 40) + 1;
      for (let k = 0; k < len; k++) {
        seed = seed * 1103515245 + 12345;
        const pick = <i32>((seed >> 8) % <u32>alphabet.length);
        // mostly whole tokens: take a run of up to 6 characters
        src += alphabet.substring(pick, pick + <i32>((seed >> 4) % 6) + 1);
      }
      const c = compile(src, new EnvoyCatalog(new PeerCatalog()));
      if (c.ok) {
        compiled++;
        evaluate(c.root!, attrs);
      } else {
        expect(c.column).toBeGreaterThan(0);
        expect(c.column).toBeLessThanOrEqual(src.length + 1);
      }
    }
    expect(compiled).toBeGreaterThan(0);
  });

  it("long &&/|| chains count against the depth bound (the evaluator recurses per operator)", () => {
    let src = "true";
    for (let i = 0; i < 500; i++) src += "&&true";
    const c = compile(src, new EnvoyCatalog());
    expect(c.ok).toBe(false);
    expect(c.error).toBe("column " + (4 + (EXPR_MAX_DEPTH - 1) * 6 + 1).toString() + ": expression nested deeper than " + EXPR_MAX_DEPTH.toString());
    src = "false";
    for (let i = 0; i < 20; i++) src += " || (true && false)";
    const d = compile(src, new EnvoyCatalog());
    expect(d.ok).toBe(true);
    expect(evaluate(d.root!, new TestAttrs())!.b).toBe(false);
    // the deepest accepted tree still evaluates
    let deep = "response.code == 200";
    for (let i = 0; i < 14; i++) deep = "(true && " + deep + ")";
    const e = compile(deep, new EnvoyCatalog());
    expect(e.ok).toBe(true);
    expect(evaluate(e.root!, new TestAttrs().set("response.code", Value.int(200)))!.b).toBe(true);
  });
});
