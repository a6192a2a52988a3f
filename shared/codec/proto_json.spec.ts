// The proto3 JSON rules these expectations come from are protobuf's JSON mapping
// (https://protobuf.dev/programming-guides/proto3/#json): parsers accept both the proto field name
// and the lowerCamelCase json_name; int64/uint64 are written as decimal strings; Duration is
// "<seconds>[.<up to 9 digits>]s" (e.g. "1.000340012s"); null means the field is not set; Envoy
// (JsonStringToMessage without ignore_unknown_fields) refuses unknown fields.
import { parseJson, JsonValue } from "./json";
import { Msg, ConfigError, isFieldKey, typeMismatch } from "./proto_json";

function msg(text: string, err: ConfigError): Msg {
  return new Msg(parseJson(text).value!, "", err);
}

function errorOf(err: ConfigError): string {
  return err.ok ? "<ok>" : err.field + ": " + err.why;
}

describe("proto_json: field names", () => {
  it("isFieldKey matches the proto name and its lowerCamel json_name, nothing else", () => {
    expect(isFieldKey("url_path", "url_path")).toBe(true);
    expect(isFieldKey("urlPath", "url_path")).toBe(true);
    expect(isFieldKey("notId", "not_id")).toBe(true);
    expect(isFieldKey("sourceIp", "source_ip")).toBe(true);
    expect(isFieldKey("name", "name")).toBe(true);
    expect(isFieldKey("urlpath", "url_path")).toBe(false);
    expect(isFieldKey("UrlPath", "url_path")).toBe(false);
    expect(isFieldKey("urlPathX", "url_path")).toBe(false);
    expect(isFieldKey("urlPat", "url_path")).toBe(false);
    expect(isFieldKey("", "url_path")).toBe(false);
    expect(isFieldKey("names", "name")).toBe(false);
  });
  it("reads a field under either spelling", () => {
    const e1 = new ConfigError();
    expect(msg("{\"stat_prefix\":\"a\"}", e1).string("stat_prefix", "")).toBe("a");
    const e2 = new ConfigError();
    expect(msg("{\"statPrefix\":\"b\"}", e2).string("stat_prefix", "")).toBe("b");
    const e3 = new ConfigError();
    const m = msg("{\"bypassCorsPreflight\":true,\"rules\":[]}", e3);
    expect(m.only(["bypass_cors_preflight", "rules"])).toBe(true);
    expect(m.bool("bypass_cors_preflight", false)).toBe(true);
    expect(errorOf(e3)).toBe("<ok>");
  });
  it("refuses a field set under both spellings", () => {
    const err = new ConfigError();
    const m = msg("{\"stat_prefix\":\"a\",\"statPrefix\":\"b\"}", err);
    expect(m.string("stat_prefix", "x")).toBe("x");
    expect(errorOf(err)).toBe("stat_prefix: set twice (as stat_prefix and statPrefix)");
    // Named in document order.
    const e2 = new ConfigError();
    expect(msg("{\"a\":{\"urlPath\":1,\"url_path\":2}}", e2).msg("a")!.has("url_path")).toBe(false);
    expect(errorOf(e2)).toBe("a.url_path: set twice (as urlPath and url_path)");
  });
  it("treats JSON null as not set", () => {
    const err = new ConfigError();
    const m = msg("{\"name\":null,\"max\":null}", err);
    expect(m.has("name")).toBe(false);
    expect(m.string("name", "dflt")).toBe("dflt");
    expect(m.integer("max", 7, 0, 10)).toBe(7);
    expect(errorOf(err)).toBe("<ok>");
  });
});

describe("proto_json: unknown fields and paths", () => {
  it("refuses an unknown field with its full path", () => {
    const err = new ConfigError();
    const root = msg("{\"rules\":{\"policies\":{\"p\":{\"permissions\":[{\"any\":true},{\"anyy\":true}]}}}}", err);
    const rules = root.msg("rules")!;
    const p = rules.entry("policies", rules.get("policies")!, 0);
    // entry() names the map value by its key, as rules.policies["p"].
    expect(p).not.toBeNull();
    const perms = p!.array("permissions")!;
    expect(p!.element("permissions", perms, 0)!.only(["any", "header"])).toBe(true);
    expect(p!.element("permissions", perms, 1)!.only(["any", "header"])).toBe(false);
    expect(errorOf(err)).toBe("rules.policies[\"p\"].permissions[1].anyy: unknown field (expected one of: any, header)");
  });
  it("accepts the lowerCamel spelling of an allowed field and refuses other spellings", () => {
    const e1 = new ConfigError();
    expect(msg("{\"urlPath\":{}}", e1).only(["url_path"])).toBe(true);
    const e2 = new ConfigError();
    expect(msg("{\"UrlPath\":{}}", e2).only(["url_path"])).toBe(false);
    expect(errorOf(e2)).toBe("UrlPath: unknown field (expected one of: url_path)");
  });
  it("an Empty message takes no fields", () => {
    const err = new ConfigError();
    const m = msg("{\"allow_missing\":{\"x\":1}}", err);
    expect(m.msg("allow_missing")!.only([])).toBe(false);
    expect(errorOf(err)).toBe("allow_missing.x: unknown field");
  });
  it("names the wrong type, and (root) for the document itself", () => {
    const e1 = new ConfigError();
    expect(Msg.of(parseJson("[]").value!, "", e1)).toBeNull();
    expect(errorOf(e1)).toBe("(root): expected an object, got array");
    const e2 = new ConfigError();
    const m = msg("{\"a\":{\"b\":[1]}}", e2);
    expect(m.msg("a")!.string("b", "")).toBe("");
    expect(errorOf(e2)).toBe("a.b: expected string, got array");
    const e3 = new ConfigError();
    const n = msg("{\"a\":\"x\",\"l\":[\"ok\",3]}", e3);
    expect(n.stringList("l").length).toBe(1);
    expect(errorOf(e3)).toBe("l[1]: expected string, got number");
    const e4 = new ConfigError();
    msg("{\"a\":5}", e4).msg("a");
    expect(errorOf(e4)).toBe("a: expected an object, got number");
    const e5 = new ConfigError();
    msg("{\"a\":5}", e5).array("a");
    expect(errorOf(e5)).toBe("a: expected an array, got number");
  });
  it("typeMismatch words a type error like the reader does", () => {
    expect(typeMismatch("string", JsonValue.fromBool(true))).toBe("expected string, got boolean");
  });
  it("keeps the first error", () => {
    const err = new ConfigError();
    const m = msg("{\"a\":1,\"b\":true,\"c\":\"x\"}", err);
    m.string("a", "");
    m.integer("b", 0, 0, 1);
    m.fail("c", "later problem");
    expect(errorOf(err)).toBe("a: expected string, got number");
    expect(m.ok).toBe(false);
  });
  it("fail(\"\") names the message itself", () => {
    const err = new ConfigError();
    const m = msg("{\"p\":{\"x\":1}}", err);
    m.msg("p")!.fail("", "one of remote_jwks, local_jwks is required");
    expect(errorOf(err)).toBe("p: one of remote_jwks, local_jwks is required");
  });
});

describe("proto_json: scalars and well-known types", () => {
  it("int64 as a decimal string or a number, range-checked", () => {
    const err = new ConfigError();
    const m = msg("{\"a\":\"300\",\"b\":42,\"c\":\"-5\",\"d\":\"1e3\"}", err);
    expect(m.integer("a", 0, 0, 1000)).toBe(300);
    expect(m.integer("b", 0, 0, 1000)).toBe(42);
    expect(m.integer("c", 0, -10, 10)).toBe(-5);
    expect(errorOf(err)).toBe("<ok>");
    expect(m.integer("d", 9, 0, 1000)).toBe(9);
    expect(errorOf(err)).toBe("d: expected an integer, got string");
    const e2 = new ConfigError();
    expect(msg("{\"n\":2.5}", e2).integer("n", 1, 0, 10)).toBe(1);
    expect(errorOf(e2)).toBe("n: expected an integer in [0, 10]");
    const e3 = new ConfigError();
    expect(msg("{\"n\":\"4294967296\"}", e3).integer("n", 1, 0, 4294967295)).toBe(1);
    expect(errorOf(e3)).toBe("n: expected an integer in [0, 4294967295]");
  });
  it("wrappers: the bare value, or the {\"value\": x} message form", () => {
    const err = new ConfigError();
    const m = msg("{\"a\":{\"value\":true},\"b\":false,\"c\":{\"value\":\"12\"},\"d\":7}", err);
    expect(m.boolValue("a", false)).toBe(true);
    expect(m.boolValue("b", true)).toBe(false);
    expect(m.integerValue("c", 0, 0, 100)).toBe(12);
    expect(m.integerValue("d", 0, 0, 100)).toBe(7);
    expect(m.boolValue("absent", true)).toBe(true);
    expect(errorOf(err)).toBe("<ok>");
    const e2 = new ConfigError();
    msg("{\"a\":{\"value\":true,\"extra\":1}}", e2).boolValue("a", false);
    expect(errorOf(e2)).toBe("a.extra: unknown field (expected one of: value)");
    // A plain proto bool has no message form.
    const e3 = new ConfigError();
    expect(msg("{\"a\":{\"value\":true}}", e3).bool("a", false)).toBe(false);
    expect(errorOf(e3)).toBe("a: expected boolean, got object");
  });
  it("Durations as strings, in milliseconds rounded up", () => {
    const err = new ConfigError();
    const m = msg("{\"a\":\"5s\",\"b\":\"1.5s\",\"c\":\"0.000001s\",\"d\":\"1.000340012s\",\"e\":\"0s\"}", err);
    expect(m.durationMs("a", 0)).toBe(5000);
    expect(m.durationMs("b", 0)).toBe(1500);
    expect(m.durationMs("c", 0)).toBe(1);
    expect(m.durationMs("d", 0)).toBe(1001);
    expect(m.durationMs("e", 9)).toBe(0);
    expect(m.durationMs("absent", 60000)).toBe(60000);
    expect(errorOf(err)).toBe("<ok>");
  });
  it("Durations as {seconds, nanos}", () => {
    const err = new ConfigError();
    const m = msg("{\"a\":{\"seconds\":5},\"b\":{\"seconds\":\"300\",\"nanos\":0},\"c\":{\"nanos\":500000000}}", err);
    expect(m.durationMs("a", 0)).toBe(5000);
    expect(m.durationMs("b", 0)).toBe(300000);
    expect(m.durationMs("c", 0)).toBe(500);
    expect(errorOf(err)).toBe("<ok>");
  });
  it("malformed Durations are errors naming the field", () => {
    // Negative Durations are valid protobuf but never a valid timeout or interval, so refused here.
    const bad = ["\"5\"", "\"s\"", "\"5m\"", "\"1.s\"", "\"-1s\"", "\"1.0000000001s\""];
    for (let i = 0; i < bad.length; i++) {
      const err = new ConfigError();
      expect(msg("{\"timeout\":" + bad[i] + "}", err).durationMs("timeout", 0)).toBe(-1);
      expect(err.field).toBe("timeout");
      expect(err.why).toBe("expected a duration like \"5s\", got " + bad[i]);
    }
    const e2 = new ConfigError();
    expect(msg("{\"timeout\":{\"seconds\":1,\"minutes\":2}}", e2).durationMs("timeout", 0)).toBe(-1);
    expect(errorOf(e2)).toBe("timeout.minutes: unknown field (expected one of: seconds, nanos)");
    const e3 = new ConfigError();
    expect(msg("{\"timeout\":5}", e3).durationMs("timeout", 0)).toBe(-1);
    expect(errorOf(e3)).toBe("timeout: expected a duration (\"5s\" or {\"seconds\": 5}), got number");
    const e4 = new ConfigError();
    expect(msg("{\"timeout\":{\"nanos\":1000000000}}", e4).durationMs("timeout", 0)).toBe(-1);
    expect(errorOf(e4)).toBe("timeout.nanos: expected an integer in [0, 999999999]");
  });
  it("oneof members set", () => {
    const err = new ConfigError();
    const m = msg("{\"prefix\":\"/a\",\"safeRegex\":{}}", err);
    expect(m.setAmong(["prefix", "path", "safe_regex"]).join(",")).toBe("prefix,safe_regex");
  });
  it("a map value that is not an object is refused at its path", () => {
    const err = new ConfigError();
    expect(Msg.of(JsonValue.fromNumber(3), "providers.p1", err)).toBeNull();
    expect(errorOf(err)).toBe("providers.p1: expected an object, got number");
  });
});
