// The per-request caches: the label-set hash (incremental per value, collisions confirmed by value)
// and the recent-event cache (standard labels and label sets reused for equal inputs).
import { Recorder } from "./recorder";
import { parseConfig } from "./config";
import { M, LabelPlan, LabelSet, hashValue, hashLabelValues } from "./metrics";
import { TAG_COUNT, Tag } from "./labels";
import { EventCache, EVENT_CACHE_SIZE } from "./event_cache";
import { RequestFacts, Role, fillStandardLabels } from "./request_labels";
import { PeerMetadata } from "../../shared/peer/peer";
import { Attributes, AttrRef, Value } from "../../shared/expr";

class UserAttrs extends Attributes {
  user: string = "";
  lookup(ref: AttrRef): Value | null {
    if (ref.text == "request.headers['x-user']") return this.user.length > 0 ? Value.str(this.user) : null;
    return null;
  }
}

/** A plan whose every label set hashes alike: resolve must tell them apart by value. */
class CollidingPlan extends LabelPlan {
  hashOf(values: Array<string>, n: i32): u64 { return 42; }
}

function plan3(p: LabelPlan): LabelPlan {
  p.names.push("reporter"); p.names.push("a"); p.names.push("b");
  for (let i = 0; i < 3; i++) { p.std.push(i); p.exprs.push(null); }
  p.finish();
  return p;
}

function vals(a: string, b: string): Array<string> {
  const v = new Array<string>();
  v.push("source"); v.push(a); v.push(b);
  return v;
}

function recorder(json: string): Recorder {
  const r = parseConfig(json);
  expect(r.ok).toBe(true);
  return new Recorder(r.config!);
}

function local(): PeerMetadata {
  const p = new PeerMetadata();
  p.workload = "productpage-v1"; p.namespace = "default"; p.canonicalService = "productpage"; p.cluster = "c1";
  return p;
}

function peer(): PeerMetadata {
  const p = new PeerMetadata();
  p.workload = "ratings-v1"; p.namespace = "default"; p.canonicalService = "ratings"; p.cluster = "c2";
  return p;
}

function facts(code: i64): RequestFacts {
  const f = new RequestFacts();
  f.protocol = "http"; f.responseCode = code; f.clusterName = "outbound|9080||ratings.default.svc.cluster.local";
  f.serviceHost = "ratings.default.svc.cluster.local"; f.serviceName = "ratings"; f.serviceNamespace = "default";
  f.peerPrincipal = "spiffe://cluster.local/ns/default/sa/ratings"; f.hostHeader = "ratings:9080";
  return f;
}

describe("istio_stats label-set hash", () => {
  it("the incremental hash equals the hash of the values, whichever strings changed", () => {
    const p = plan3(new LabelPlan());
    const v = vals("x", "y");
    expect(p.hashOf(v, 3)).toBe(hashLabelValues(v, 3));
    v[2] = "z";                                  // one value changed
    expect(p.hashOf(v, 3)).toBe(hashLabelValues(v, 3));
    const w = vals("x" + "", "y".repeat(1));     // equal text, other string objects
    expect(p.hashOf(w, 3)).toBe(hashLabelValues(vals("x", "y"), 3));
    // position matters, and a value boundary is part of the hash
    expect(hashLabelValues(vals("x", "y"), 3)).not.toBe(hashLabelValues(vals("y", "x"), 3));
    expect(hashLabelValues(vals("ab", "c"), 3)).not.toBe(hashLabelValues(vals("a", "bc"), 3));
    expect(hashValue("")).not.toBe(hashValue("a"));
  });

  it("colliding hashes: every label set is its own, found again by value", () => {
    const p = plan3(new CollidingPlan());
    const sets = new Array<LabelSet>();
    for (let i = 0; i < 20; i++) sets.push(p.resolve(vals("a" + i.toString(), "b"), 0, "source"));
    expect(p.size).toBe(20);
    for (let i = 0; i < 20; i++) for (let j = i + 1; j < 20; j++) expect(sets[i] === sets[j]).toBe(false);
    // hits go through the chain and compare values (new string objects each time)
    for (let i = 19; i >= 0; i--) expect(p.resolve(vals("a" + i.toString(), "b"), 0, "source") === sets[i]).toBe(true);
    expect(p.size).toBe(20);
    for (let i = 0; i < 20; i++) expect(sets[i].values[1]).toBe("a" + i.toString());
  });

  it("colliding hashes under the guard: bounded, then the overflow set; known sets still found", () => {
    const p = plan3(new CollidingPlan());
    const first = p.resolve(vals("u0", "b"), 5, "source");
    for (let i = 1; i < 100; i++) p.resolve(vals("u" + i.toString(), "b"), 5, "source");
    expect(p.size).toBe(5);
    const o = p.resolve(vals("u77", "b"), 5, "source");
    expect(o.overflow).toBe(true);
    expect(o.values[0]).toBe("source");
    expect(o.values[1]).toBe("overflow");
    expect(p.resolve(vals("u0", "b"), 5, "source") === first).toBe(true);
    expect(p.resolve(vals("u4", "b"), 5, "source").overflow).toBe(false);
    expect(p.resolve(vals("u5", "b"), 5, "source").overflow).toBe(true);
  });
});

describe("istio_stats recent-event cache", () => {
  it("hits only for equal inputs; every key field counts", () => {
    const c = new EventCache(2);
    const l = local();
    const pe = peer();
    const f = facts(200);
    expect(c.find(Role.Source, f, l, pe, false)).toBeNull();
    const e = c.claim(Role.Source, f, l, pe, false);
    expect(c.find(Role.Source, f, l, pe, false) === e).toBe(true);
    expect(c.find(Role.Source, facts(200), l, pe, false) === e).toBe(true); // equal strings, other objects
    expect(c.find(Role.Destination, f, l, pe, false)).toBeNull();
    expect(c.find(Role.Source, f, l, pe, true)).toBeNull();
    expect(c.find(Role.Source, f, l, peer(), false)).toBeNull();          // another peer object
    expect(c.find(Role.Source, f, l, null, false)).toBeNull();
    expect(c.find(Role.Source, f, local(), pe, false)).toBeNull();
    const changes = new Array<RequestFacts>();
    for (let i = 0; i < 13; i++) changes.push(facts(200));
    changes[0].responseCode = 404;
    changes[1].grpcStatus = 2;
    changes[2].protocol = "grpc";
    changes[3].responseFlags = "UH";
    changes[4].mtls = true;
    changes[5].peerPrincipal = "spiffe://x";
    changes[6].localPrincipal = "spiffe://y";
    changes[7].hostHeader = "other:80";
    changes[8].clusterName = "PassthroughCluster";
    changes[9].routeName = "allow_any";
    changes[10].serviceHost = "x.default.svc.cluster.local";
    changes[11].serviceName = "x";
    changes[12].serviceNamespace = "other";
    for (let i = 0; i < changes.length; i++) expect(c.find(Role.Source, changes[i], l, pe, false)).toBeNull();
  });

  it("keeps the last EVENT_CACHE_SIZE inputs and overwrites the oldest", () => {
    const c = new EventCache(1);
    const l = local();
    const pe = peer();
    for (let i = 0; i < EVENT_CACHE_SIZE + 2; i++) c.claim(Role.Source, facts(200 + i), l, pe, false);
    expect(c.find(Role.Source, facts(200), l, pe, false)).toBeNull();
    expect(c.find(Role.Source, facts(201), l, pe, false)).toBeNull();
    for (let i = 2; i < EVENT_CACHE_SIZE + 2; i++) expect(c.find(Role.Source, facts(200 + i), l, pe, false)).not.toBeNull();
    // an overwritten entry forgets its label sets
    const e = c.claim(Role.Source, facts(999), l, pe, false);
    expect(e.sets[0]).toBeNull();
  });

  it("cached events record into the same series as uncached ones", () => {
    const plain = recorder("");
    const cached = recorder("");
    const l = local();
    const pe = peer();
    const plainIds = new Array<u32>();
    const cachedIds = new Array<u32>();
    for (let round = 0; round < 3; round++) {
      for (let code = 200; code < 212; code++) {       // more codes than cache entries
        const f = facts(code);
        const std = new StaticArray<string>(TAG_COUNT);
        fillStandardLabels(std, Role.Source, f, l, pe, false);
        plain.begin();
        const a = plain.id(M.requests_total, std, null);
        let e = cached.events.find(Role.Source, f, l, pe, false);
        if (e === null) { e = cached.events.claim(Role.Source, f, l, pe, false); fillStandardLabels(e.std, Role.Source, f, l, pe, false); }
        cached.beginCached(e);
        const b = cached.id(M.requests_total, e.std, null);
        for (let t = 0; t < TAG_COUNT; t++) expect(e.std[t]).toBe(std[t]);
        expect(e.std[Tag.response_code]).toBe(code.toString());
        if (round == 0) { plainIds.push(a); cachedIds.push(b); }
        else { expect(a).toBe(plainIds[code - 200]); expect(b).toBe(cachedIds[code - 200]); }
        expect(cached.id(M.requests_total, e.std, null)).toBe(b);  // same event, same id
      }
    }
    for (let i = 0; i < 12; i++) for (let j = i + 1; j < 12; j++) expect(cachedIds[i]).not.toBe(cachedIds[j]);
    expect(cached.seriesCount(M.requests_total)).toBe(12);
    expect(plain.seriesCount(M.requests_total)).toBe(12);
    expect(cached.events.hits).toBe(0);                // 12 inputs in turn through 8 entries: all misses
    const e = cached.events.find(Role.Source, facts(211), l, pe, false);  // the latest ones are kept
    expect(e).not.toBeNull();
    cached.beginCached(e!);
    expect(cached.id(M.requests_total, e!.std, null)).toBe(cachedIds[11]);
    expect(cached.events.hits).toBe(1);
  });

  it("plans with expressions are resolved per event even when the standard labels are cached", () => {
    const rec = recorder("{\"max_series_per_metric\":2,\"metrics\":[{\"name\":\"requests_total\",\"dimensions\":{\"user\":\"request.headers['x-user']\"}}]}");
    const l = local();
    const pe = peer();
    const f = facts(200);
    const e = rec.events.claim(Role.Source, f, l, pe, false);
    fillStandardLabels(e.std, Role.Source, f, l, pe, false);
    const at = new UserAttrs();
    const ids = new Array<u32>();
    const users = ["alice", "bob", "carol", "alice", "dave"];
    for (let i = 0; i < users.length; i++) {
      at.user = users[i];
      rec.beginCached(rec.events.find(Role.Source, f, l, pe, false)!);
      ids.push(rec.id(M.requests_total, e.std, at));
      rec.id(M.request_bytes, e.std, at);
    }
    expect(ids[1]).not.toBe(ids[0]);
    expect(ids[3]).toBe(ids[0]);
    expect(ids[2]).toBe(ids[4]);                     // both past the guard: the overflow series
    expect(ids[2]).not.toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[1]);
    expect(rec.seriesCount(M.requests_total)).toBe(2);
    expect(rec.overflowed(M.requests_total)).toBe(2);
    expect(rec.seriesCount(M.request_bytes)).toBe(1);  // no expression: one series, resolved once
  });
});
