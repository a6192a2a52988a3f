import { Recorder } from "./recorder";
import { parseConfig } from "./config";
import { M, METRIC_COUNT } from "./metrics";
import { TAG_COUNT, TAG_NAMES, Tag } from "./labels";
import { Attributes, AttrRef, Value } from "../../shared/expr";
import { getMetric } from "../../shared/abi/host";

class UserAttrs extends Attributes {
  user: string = "";
  lookup(ref: AttrRef): Value | null {
    if (ref.text == "request.headers['x-user']") return this.user.length > 0 ? Value.str(this.user) : null;
    return null;
  }
}

function recorder(json: string): Recorder {
  const r = parseConfig(json);
  if (!r.ok) trace(r.field + ": " + r.why);
  expect(r.ok).toBe(true);
  return new Recorder(r.config!);
}

function std(code: string): StaticArray<string> {
  const s = new StaticArray<string>(TAG_COUNT);
  for (let i = 0; i < TAG_COUNT; i++) s[i] = "v" + i.toString();
  s[Tag.reporter] = "source";
  s[Tag.response_code] = code;
  return s;
}

describe("istio_stats recorder", () => {
  it("defines one metric id per distinct label set and reuses it", () => {
    const rec = recorder("");
    const a = std("200");
    rec.begin();
    const id1 = rec.id(M.requests_total, a, null);
    expect(id1).toBeGreaterThan(0);
    rec.add(M.requests_total, 1, a, null);
    rec.begin();
    rec.add(M.requests_total, 1, std("200"), null); // equal values, different strings
    expect(rec.id(M.requests_total, std("200"), null)).toBe(id1);
    expect(getMetric(id1)).toBe(2);
    rec.begin();
    const id2 = rec.id(M.requests_total, std("404"), null);
    expect(id2).not.toBe(id1);
    expect(rec.seriesCount(M.requests_total)).toBe(2);
    // the 4 HTTP metrics share one plan; gRPC counters and TCP metrics have their own
    expect(rec.plans.length).toBe(3);
  });

  it("drops metrics, removes tags and appends custom dimensions in sorted order", () => {
    const rec = recorder("{\"metrics\":[{\"name\":\"requests_total\",\"dimensions\":{\"zeta\":\"'z'\",\"alpha\":\"request.headers['x-user']\",\"response_code\":\"'overridden'\"},\"tags_to_remove\":[\"response_flags\"]},{\"name\":\"tcp_sent_bytes_total\",\"drop\":true}]}");
    expect(rec.series[M.tcp_sent_bytes_total]).toBeNull();
    expect(rec.id(M.tcp_sent_bytes_total, std("0"), null)).toBe(0);
    const plan = rec.series[M.requests_total]!.plan;
    expect(plan.names.includes("response_flags")).toBe(false);
    expect(plan.names.length).toBe(26); // 25 - 1 removed + 2 added
    expect(plan.names[24]).toBe("alpha");
    expect(plan.names[25]).toBe("zeta");
    expect(plan.std[plan.names.indexOf("response_code")]).toBe(-1);
    // the other HTTP metrics keep the standard plan
    expect(rec.series[M.request_bytes]!.plan.names.length).toBe(25);
    const at = new UserAttrs();
    at.user = "alice";
    rec.begin();
    rec.id(M.requests_total, std("200"), at);
    const key = plan.encode(plan.last!);
    expect(key.includes("response_code=.=overridden;.;")).toBe(true);
    expect(key.endsWith("alpha=.=alice;.;zeta=.=z;.;")).toBe(true);
    at.user = "";
    rec.begin();
    rec.id(M.requests_total, std("200"), at);
    expect(plan.encode(plan.last!).includes("alpha=.=unknown;.;")).toBe(true); // failed expression -> unknown
  });

  it("cardinality guard: past the limit, new label sets go to one overflow series and are counted", () => {
    const rec = recorder("{\"max_series_per_metric\":3,\"metrics\":[{\"name\":\"requests_total\",\"dimensions\":{\"user\":\"request.headers['x-user']\"}}]}");
    const at = new UserAttrs();
    const ids = new Array<u32>();
    for (let i = 0; i < 50; i++) {
      at.user = "u" + i.toString();
      rec.begin();
      ids.push(rec.id(M.requests_total, std("200"), at));
    }
    expect(rec.seriesCount(M.requests_total)).toBe(3);
    expect(rec.overflowed(M.requests_total)).toBe(47);
    expect(ids[3]).not.toBe(ids[2]);
    for (let i = 4; i < 50; i++) expect(ids[i]).toBe(ids[3]);
    const s = rec.series[M.requests_total]!;
    expect(getMetric(s.overflowCounterId)).toBe(47); // istio_stats_overflow_total{metric="istio_requests_total"}
    // a known label set still maps to its own series
    at.user = "u1";
    rec.begin();
    expect(rec.id(M.requests_total, std("200"), at)).toBe(ids[1]);
    expect(rec.overflowed(M.requests_total)).toBe(47);
    for (let m = 0; m < METRIC_COUNT; m++) if (m != M.requests_total) expect(rec.overflowed(m)).toBe(0);
  });
});
