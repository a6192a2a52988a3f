import { TAG_COUNT, TAG_NAMES, NAME_ORDER, Tag, TagSet, tagInSet, tagIndex, sanitizeValue, encodeField, orUnknown, revisionOrLatest, flagsOrDash, securityPolicy } from "./labels";

describe("istio_stats labels", () => {
  it("lists Istio's 25 standard labels in the native (Prometheus) order", () => {
    expect(TAG_COUNT).toBe(25);
    const expected = "reporter,source_workload,source_canonical_service,source_canonical_revision,source_workload_namespace," +
      "source_principal,source_app,source_version,source_cluster,destination_workload,destination_workload_namespace," +
      "destination_principal,destination_app,destination_version,destination_service,destination_canonical_service," +
      "destination_canonical_revision,destination_service_name,destination_service_namespace,destination_cluster," +
      "request_protocol,response_code,grpc_response_status,response_flags,connection_security_policy";
    let got = "";
    for (let i = 0; i < TAG_COUNT; i++) got += (i > 0 ? "," : "") + TAG_NAMES[i];
    expect(got).toBe(expected);
  });

  it("encodes the stat name in the Wasm plugin's STD_ISTIO_DIMENSIONS order, each tag once", () => {
    let got = "";
    const seen = new Array<bool>(TAG_COUNT);
    for (let i = 0; i < TAG_COUNT; i++) {
      got += (i > 0 ? "," : "") + TAG_NAMES[NAME_ORDER[i]];
      expect(seen[NAME_ORDER[i]]).toBe(false);
      seen[NAME_ORDER[i]] = true;
    }
    expect(got).toBe("reporter,source_workload,source_workload_namespace,source_principal,source_app,source_version," +
      "source_canonical_service,source_canonical_revision,source_cluster,destination_workload,destination_workload_namespace," +
      "destination_principal,destination_app,destination_version,destination_service,destination_service_name," +
      "destination_service_namespace,destination_canonical_service,destination_canonical_revision,destination_cluster," +
      "request_protocol,response_flags,connection_security_policy,response_code,grpc_response_status");
  });

  it("gives HTTP all 25 labels, TCP 23, gRPC message counters the 20 peer labels", () => {
    let http = 0, tcp = 0, peer = 0;
    for (let t = 0; t < TAG_COUNT; t++) {
      if (tagInSet(TagSet.Http, t)) http++;
      if (tagInSet(TagSet.Tcp, t)) tcp++;
      if (tagInSet(TagSet.Peer, t)) peer++;
    }
    expect(http).toBe(25);
    expect(tcp).toBe(23);
    expect(peer).toBe(20);
    expect(tagInSet(TagSet.Tcp, Tag.response_code)).toBe(false);
    expect(tagInSet(TagSet.Tcp, Tag.grpc_response_status)).toBe(false);
    expect(tagInSet(TagSet.Tcp, Tag.connection_security_policy)).toBe(true);
    expect(tagInSet(TagSet.Peer, Tag.request_protocol)).toBe(false);
    expect(tagIndex("destination_cluster")).toBe(19);
    expect(tagIndex("nope")).toBe(-1);
  });

  it("applies Istio's fallbacks", () => {
    expect(orUnknown("")).toBe("unknown");
    expect(orUnknown("ratings-v1")).toBe("ratings-v1");
    expect(revisionOrLatest("")).toBe("latest");
    expect(revisionOrLatest("v2")).toBe("v2");
    expect(flagsOrDash("")).toBe("-");
    expect(flagsOrDash("UH,UF")).toBe("UH,UF");
    expect(securityPolicy(false, true)).toBe("unknown");
    expect(securityPolicy(true, true)).toBe("mutual_tls");
    expect(securityPolicy(true, false)).toBe("none");
  });

  it("writes tag=.=value;.; and keeps separators out of values", () => {
    expect(encodeField("reporter", "source")).toBe("reporter=.=source;.;");
    expect(encodeField("grpc_response_status", "")).toBe("grpc_response_status=.=;.;");
    expect(sanitizeValue("reviews.default.svc.cluster.local")).toBe("reviews.default.svc.cluster.local");
    expect(sanitizeValue("spiffe://cluster.local/ns/default/sa/x")).toBe("spiffe://cluster.local/ns/default/sa/x");
    // a client-controlled value trying to forge another label
    expect(sanitizeValue("x;.;source_app=.=evil")).toBe("x;_;source_app=_=evil");
    expect(sanitizeValue(".hidden")).toBe("_hidden");
    expect(sanitizeValue(";.;.;")).toBe(";_;_;");
    const v = sanitizeValue("a=.=b;.;c;..;=..=");
    expect(v.includes("=.=")).toBe(false);
    expect(v.includes(";.;")).toBe(false);
  });
});
