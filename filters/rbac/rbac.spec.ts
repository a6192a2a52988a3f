// The decision logic with no host: configuration text in, engines out, StaticRequest in, verdict out.
// Expected values are Envoy's / Istio's documented behaviour (reference sections C and D).
import { parseRbacConfig } from "./config";
import { StaticRequest } from "./request";
import { Verdict } from "./engine";
import { PathTemplate, parseIp, parseSocketAddress, CidrRange, StringMatcher, asciiLower } from "./matchers";
import { lastMatchSteps } from "../../shared/regex/index";

function decide(config: string, r: StaticRequest): Verdict {
  const c = parseRbacConfig(config, !r.http);
  if (c.config === null) throw new Error(c.field + ": " + c.why);
  const stages = c.config!.stages;
  const v = new Verdict();
  for (let i = 0; i < stages.length; i++) {
    const e = stages[i].rules;
    if (e === null) continue;
    e.decide(r, v);
    if (!v.allowed) return v;
  }
  v.allowed = true;
  return v;
}

describe("attributes are read lazily", () => {
  it("a request reads only what the policies it reaches need", () => {
    // One DENY policy on :path: no connection, certificate or metadata reads.
    const cfg = '{"rules":{"action":"DENY","policies":{"p":{"permissions":[{"url_path":{"path":{"prefix":"/admin"}}}],"principals":[{"any":true}]}}}}';
    const r = new StaticRequest().header(":path", "/x");
    expect(decide(cfg, r).allowed).toBe(true);
    expect(r.reads).toBe(1);
  });
  it("AND stops at the first false operand; OR at the first true one", () => {
    const cfg = '{"rules":{"action":"ALLOW","policies":{"p":{"permissions":[{"and_rules":{"rules":[{"destination_port":1},{"requested_server_name":{"exact":"a"}}]}}],"principals":[{"any":true}]}}}}';
    const r = new StaticRequest();
    r.destPort = 2;
    expect(decide(cfg, r).allowed).toBe(false);
    expect(r.reads).toBe(1);
  });
});

describe("the configure-time url_path prefix precheck never changes a decision", () => {
  it("a permission without a path requirement keeps the policy open to every path", () => {
    const cfg = '{"rules":{"action":"ALLOW","policies":{"p":{"permissions":[{"url_path":{"path":{"prefix":"/x/"}}},{"header":{"name":":method","exact_match":"PUT"}}],"principals":[{"any":true}]}}}}';
    expect(decide(cfg, new StaticRequest().header(":path", "/y").header(":method", "PUT")).allowed).toBe(true);
    expect(decide(cfg, new StaticRequest().header(":path", "/y").header(":method", "GET")).allowed).toBe(false);
  });
  it("or of paths keeps their common prefix; not_rule adds none; ignore_case adds none", () => {
    const cfg = '{"rules":{"action":"ALLOW","policies":{"p":{"permissions":[{"and_rules":{"rules":[{"or_rules":{"rules":[{"url_path":{"path":{"exact":"/api/a"}}},{"url_path":{"path":{"prefix":"/api/b/"}}}]}},{"not_rule":{"url_path":{"path":{"exact":"/api/b/x"}}}}]}}],"principals":[{"any":true}]}}}}';
    expect(decide(cfg, new StaticRequest().header(":path", "/api/a?q")).allowed).toBe(true);
    expect(decide(cfg, new StaticRequest().header(":path", "/api/b/y")).allowed).toBe(true);
    expect(decide(cfg, new StaticRequest().header(":path", "/api/b/x")).allowed).toBe(false);
    expect(decide(cfg, new StaticRequest().header(":path", "/api/c")).allowed).toBe(false);
    const ic = '{"rules":{"action":"ALLOW","policies":{"p":{"permissions":[{"url_path":{"path":{"prefix":"/API/","ignore_case":true}}}],"principals":[{"any":true}]}}}}';
    expect(decide(ic, new StaticRequest().header(":path", "/api/x")).allowed).toBe(true);
  });
});

describe("Istio empty-policy corners (reference C.2)", () => {
  it("ALLOW spec {} denies, rules [{}] allows, DENY rules [{}] denies", () => {
    const nothing = '{"authorization_policies":[{"metadata":{"name":"a","namespace":"ns"},"spec":{}}]}';
    const all = '{"authorization_policies":[{"metadata":{"name":"a","namespace":"ns"},"spec":{"rules":[{}]}}]}';
    const deny = '{"authorization_policies":[{"metadata":{"name":"d","namespace":"ns"},"spec":{"action":"DENY","rules":[{}]}}]}';
    expect(decide(nothing, new StaticRequest()).allowed).toBe(false);
    expect(decide(all, new StaticRequest()).allowed).toBe(true);
    const v = decide(deny, new StaticRequest());
    expect(v.allowed).toBe(false);
    expect(v.policyId).toBe("ns[ns]-policy[d]-rule[0]");
  });
});

describe("matchers", () => {
  it("uri_template * and ** (Envoy's [pchar]+ and [pchar/]*)", () => {
    const t = new PathTemplate();
    expect(PathTemplate.parse("/a/*/c/**", t)).toBe("");
    expect(t.match("/a/b/c/")).toBe(true);
    expect(t.match("/a/b/c/d/e")).toBe(true);
    expect(t.match("/a//c/d")).toBe(false);
    expect(PathTemplate.parse("/a//b", new PathTemplate())).not.toBe("");
    expect(PathTemplate.parse("/**/a/*", new PathTemplate())).not.toBe("");
  });
  it("IP parsing and CIDR containment", () => {
    expect(parseIp("10.0.0.1").ok).toBe(true);
    expect(parseIp("10.0.0.256").ok).toBe(false);
    expect(parseIp("01.0.0.1").ok).toBe(false);
    expect(parseIp("::ffff:10.0.0.1").ok).toBe(true);
    expect(parseIp("2001:db8::1::2").ok).toBe(false);
    expect(parseSocketAddress("[2001:db8::1]:443").v6).toBe(true);
    const c = new CidrRange();
    c.ip = parseIp("2001:db8::");
    c.prefixLen = 32;
    expect(c.contains(parseIp("2001:db8:ffff::1"))).toBe(true);
    expect(c.contains(parseIp("2001:db9::1"))).toBe(false);
  });
  it("ignore_case folds ASCII only (absl::AsciiStrToLower)", () => {
    expect(StringMatcher.exact("ABC", true).match("abc")).toBe(true);
    expect(StringMatcher.exact("É", true).match("é")).toBe(false);
    expect(asciiLower("X-Header")).toBe("x-header");
  });
});

describe("inputs built to make a backtracking engine blow up stay linear", () => {
  it("(a+)+$ on 10,000 a's then b is refused quickly by the linear engine (no match)", () => {
    const m = StringMatcher.regexOf("(a+)+$");
    expect(m).not.toBeNull();
    const s = "a".repeat(10000) + "b";
    expect(m!.match(s)).toBe(false);
    const long = lastMatchSteps();
    // Linear: 10x the input costs at most ~10x the work (a backtracking engine grows exponentially).
    expect(m!.match("a".repeat(1000) + "b")).toBe(false);
    const short = lastMatchSteps();
    expect(long).toBeLessThanOrEqual(short * 11);
    expect(long).toBeLessThanOrEqual(<i64>m!.regex!.programSize() * 10001 * 4);
  });
});
