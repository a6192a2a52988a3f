import { parseJson, parseJsonDeferring, JsonArrayReader, JsonKind, JsonValue, JsonFields, jsonEscape, jsonQuote, jsonNumber } from "./json";

function err(text: string): string {
  const r = parseJson(text);
  return r.ok ? "<ok>" : r.error;
}

describe("json: values", () => {
  it("parses scalars", () => {
    expect(parseJson("null").value!.kind).toBe(JsonKind.Null);
    expect(parseJson(" true ").value!.bool).toBe(true);
    expect(parseJson("false").value!.kind).toBe(JsonKind.Bool);
    expect(parseJson("0").value!.num).toBe(0.0);
    expect(parseJson("-12.5e2").value!.num).toBe(-1250.0);
    expect(parseJson("1E-2").value!.num).toBe(0.01);
    expect(parseJson("\"hi\"").value!.str).toBe("hi");
  });
  it("parses nested objects and arrays in order", () => {
    const r = parseJson("{\"a\": [1, {\"b\": null}, \"x\"], \"c\": {}, \"d\": []}");
    expect(r.ok).toBe(true);
    const v = r.value!;
    expect(v.isObject).toBe(true);
    expect(v.keys.join(",")).toBe("a,c,d");
    const a = v.get("a")!;
    expect(a.length).toBe(3);
    expect(a.at(0)!.num).toBe(1.0);
    expect(a.at(1)!.get("b")!.isNull).toBe(true);
    expect(a.at(2)!.str).toBe("x");
    expect(a.at(3)).toBeNull();
    expect(a.at(-1)).toBeNull();
    expect(v.get("missing")).toBeNull();
    expect(v.get("c")!.length).toBe(0);
    expect(v.toString()).toBe("{\"a\":[1,{\"b\":null},\"x\"],\"c\":{},\"d\":[]}");
  });
  it("decodes escapes including surrogate pairs", () => {
    const v = parseJson("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00z\"").value!;
    expect(v.str).toBe("a\"b\\c/d\b\f\n\r\t\u00e9\u{1F600}z");
    expect(parseJson("\"\u{1F600}\"").value!.str).toBe("\u{1F600}");
  });
  it("typed getters fall back on absent or mistyped members", () => {
    const v = parseJson("{\"s\":\"x\",\"b\":true,\"n\":3}").value!;
    expect(v.getString("s", "d")).toBe("x");
    expect(v.getString("b", "d")).toBe("d");
    expect(v.getBool("b", false)).toBe(true);
    expect(v.getNumber("n", 0)).toBe(3.0);
    expect(v.getNumber("zz", 7)).toBe(7.0);
    expect(v.has("s")).toBe(true);
    expect(v.has("q")).toBe(false);
  });
});

describe("json: errors carry a position and never abort", () => {
  it("rejects malformed documents", () => {
    expect(err("")).toBe("line 1 column 1: unexpected end of input, expected a value");
    expect(err("{\"a\":1,}")).toBe("line 1 column 8: expected a string key in object");
    expect(err("[1,]")).toBe("line 1 column 4: unexpected character ']', expected a value");
    expect(err("{\n  \"a\": tru\n}")).toBe("line 2 column 8: unexpected character 't', expected a value");
    expect(err("01")).toBe("line 1 column 1: bad number (leading zero)");
    expect(err("1.")).toBe("line 1 column 1: bad number (digit expected after '.')");
    expect(err("1e")).toBe("line 1 column 1: bad number (digit expected in exponent)");
    expect(err("-")).toBe("line 1 column 1: bad number");
    expect(err("1e999")).toBe("line 1 column 1: number out of range");
    expect(err("\"abc")).toBe("line 1 column 1: unterminated string");
    expect(err("\"a\nb\"")).toBe("line 1 column 3: control character U+000A in string (escape it)");
    expect(err("\"\\x\"")).toBe("line 1 column 2: bad escape \\'x'");
    expect(err("\"\\u12g4\"")).toBe("line 1 column 2: bad \\u escape (expected 4 hex digits)");
    expect(err("\"\\ud83d\"")).toBe("line 1 column 2: unpaired surrogate \\u escape");
    expect(err("\"\\ude00\"")).toBe("line 1 column 2: unpaired surrogate \\u escape");
    expect(err("\"\\ud83d\\u0041\"")).toBe("line 1 column 2: unpaired surrogate \\u escape");
    expect(err("{\"a\":1,\"a\":2}")).toBe("line 1 column 8: duplicate key \"a\"");
    expect(err("{} x")).toBe("line 1 column 4: unexpected 'x' after the JSON value");
    expect(err("{\"a\" 1}")).toBe("line 1 column 6: expected ':' after object key");
    expect(err("[1 2]")).toBe("line 1 column 4: expected ',' or ']' in array");
    expect(err("truex")).toBe("line 1 column 1: unexpected character 't', expected a value");
    expect(err("/* c */ {}")).toBe("line 1 column 1: unexpected character '/', expected a value");
  });
  it("bounds nesting depth instead of overflowing the stack", () => {
    expect(err("[".repeat(100000))).toBe("line 1 column 66: nesting deeper than 64 levels");
    expect(parseJson("[".repeat(64) + "]".repeat(64)).ok).toBe(true);
  });
  it("survives every truncation of a valid document", () => {
    const doc = "{\"k\":[true,false,null,-1.5e3,\"s\\u00e9\\n\"],\"o\":{\"x\":{}}}";
    expect(parseJson(doc).ok).toBe(true);
    let failures = 0;
    for (let i = 0; i < doc.length; i++) {
      if (!parseJson(doc.substring(0, i)).ok) failures++;
    }
    expect(failures).toBe(doc.length);
  });
});

describe("json: writing", () => {
  it("escapes what JSON requires", () => {
    expect(jsonEscape("plain")).toBe("plain");
    expect(jsonEscape("a\"b\\c\n\t\u0001")).toBe("a\\\"b\\\\c\\n\\t\\u0001");
    expect(jsonQuote("\u{1F600}")).toBe("\"\u{1F600}\"");
    expect(jsonNumber(3)).toBe("3");
    expect(jsonNumber(-0.5)).toBe("-0.5");
  });
  it("round-trips escaped strings through the parser", () => {
    const s = "q\"\\/\b\f\n\r\t\u0000\u001f\u00e9\u{1F600}";
    expect(parseJson(jsonQuote(s)).value!.str).toBe(s);
  });
});

describe("json: JsonFields for config validation", () => {
  it("reads typed members with defaults", () => {
    const f = new JsonFields(parseJson("{\"name\":\"x\",\"size\":500,\"on\":true,\"s\":\"12\",\"labels\":[\"a\",\"b\"]}").value!, "");
    expect(f.string("name", "")).toBe("x");
    expect(f.string("absent", "dflt")).toBe("dflt");
    expect(f.integer("size", 1, 0, 1000)).toBe(500);
    expect(f.integer("s", 1, 0, 1000)).toBe(12);
    expect(f.bool("on", false)).toBe(true);
    expect(f.stringArray("labels")!.join("|")).toBe("a|b");
    expect(f.ok).toBe(true);
  });
  it("names the first bad field with its full path", () => {
    const root = new JsonFields(parseJson("{\"outer\":{\"list\":[{\"n\":1},{\"n\":\"x\"}]}}").value!, "");
    const outer = root.object("outer")!;
    const list = outer.array("list")!;
    for (let i = 0; i < list.length; i++) outer.element("list", list, i).integer("n", 0, 0, 10);
    expect(root.ok).toBe(false);
    expect(root.errorField).toBe("outer.list[1].n");
    expect(root.errorWhy).toBe("expected an integer, got string");
  });
  it("reports wrong types, ranges, unknown keys and non-objects", () => {
    let f = new JsonFields(parseJson("{\"size\":-1}").value!, "");
    f.integer("size", 0, 0, 10);
    expect(f.errorField).toBe("size");
    expect(f.errorWhy).toBe("expected an integer in [0, 10], got -1");
    f = new JsonFields(parseJson("{\"size\":1.5}").value!, "cfg");
    f.integer("size", 0, 0, 10);
    expect(f.errorField).toBe("cfg.size");
    f = new JsonFields(parseJson("{\"a\":1,\"typo\":2}").value!, "");
    f.onlyKeys(["a", "b"]);
    expect(f.errorField).toBe("typo");
    expect(f.errorWhy).toBe("unknown field (expected one of: a, b)");
    f = new JsonFields(parseJson("{\"l\":[\"a\",3]}").value!, "");
    expect(f.stringArray("l")).toBeNull();
    expect(f.errorField).toBe("l[1]");
    f = new JsonFields(parseJson("[]").value!, "");
    expect(f.ok).toBe(false);
    expect(f.errorField).toBe("(root)");
    expect(f.errorWhy).toBe("expected an object, got array");
    f = new JsonFields(parseJson("{\"s\":\"\"}").value!, "");
    f.nonEmptyString("s", "x");
    expect(f.errorWhy).toBe("must not be empty");
  });
  it("builds values programmatically", () => {
    const v = JsonValue.object().set("a", JsonValue.fromNumber(1)).set("b", JsonValue.array().push(JsonValue.fromBool(false)));
    expect(v.toString()).toBe("{\"a\":1,\"b\":[false]}");
  });
});

describe("json: deferred arrays for big lists", () => {
  it("leaves the named top-level array unbuilt and reports its span", () => {
    const text = "{\"a\": 1, \"big\": [ {\"x\": \"]}\\\"\"}, [2, [3]] ], \"z\": true}";
    const r = parseJsonDeferring(text, "big");
    expect(r.ok).toBe(true);
    expect(r.value!.get("big")!.length).toBe(0);
    expect(r.value!.getBool("z")).toBe(true);
    expect(text.substring(r.deferredStart, r.deferredEnd)).toBe("[ {\"x\": \"]}\\\"\"}, [2, [3]] ]");
    const reader = new JsonArrayReader(text, r.deferredStart);
    const first = reader.next()!;
    expect(first.getString("x")).toBe("]}\"");
    expect(reader.next()!.toString()).toBe("[2,[3]]");
    expect(reader.next()).toBeNull();
    expect(reader.done).toBe(true);
    expect(reader.error).toBe("");
    expect(reader.end).toBe(r.deferredEnd);
  });
  it("reports syntax errors inside the deferred array when it is read", () => {
    const text = "{\"big\": [1, tru, 3]}";
    const r = parseJsonDeferring(text, "big");
    expect(r.ok).toBe(true);
    const reader = new JsonArrayReader(text, r.deferredStart);
    expect(reader.next()!.num).toBe(1.0);
    expect(reader.next()).toBeNull();
    expect(reader.error).toBe("line 1 column 13: unexpected character 't', expected a value");
    expect(parseJsonDeferring("{\"big\": [1, \"x]}", "big").error).toBe("line 1 column 9: unterminated array");
    // Not an array: parsed normally.
    expect(parseJsonDeferring("{\"big\": {\"k\": 1}}", "big").value!.get("big")!.isObject).toBe(true);
  });
});
