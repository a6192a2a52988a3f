// Counters this filter emits. Envoy exposes Wasm metrics as `wasmcustom.<name>`; Prometheus output
// strips that namespace without adding `envoy_`, so `metadata_exchange.header_not_found` appears as
// `metadata_exchange_header_not_found`. Defined once per root context (Envoy deduplicates by name
// across VMs); incremented only off the hot path (misses, rejections, TCP events).
import { defineMetric, bumpCounter, MetricType } from "../../shared/abi/host";
import { Reject, REJECT_COUNT, rejectName } from "./header_value";

export class HttpCounters {
  rejected: StaticArray<u32> = new StaticArray<u32>(REJECT_COUNT);
  cacheMiss: u32 = 0;
  cacheEvicted: u32 = 0;
  discoveryHit: u32 = 0;
  notFound: u32 = 0;
  fetchOk: u32 = 0;
  fetchFailed: u32 = 0;
  workloads: u32 = 0;

  constructor() {
    for (let i = 1; i < REJECT_COUNT; i++) this.rejected[i] = defineMetric(MetricType.Counter, "peer_metadata.rejected." + rejectName(<Reject>i));
    this.cacheMiss = defineMetric(MetricType.Counter, "peer_metadata.cache_miss");
    this.cacheEvicted = defineMetric(MetricType.Counter, "peer_metadata.cache_evicted");
    this.discoveryHit = defineMetric(MetricType.Counter, "peer_metadata.workload_discovery_hit");
    this.notFound = defineMetric(MetricType.Counter, "peer_metadata.peer_not_found");
    this.fetchOk = defineMetric(MetricType.Counter, "peer_metadata.workload_fetch_ok");
    this.fetchFailed = defineMetric(MetricType.Counter, "peer_metadata.workload_fetch_failed");
    this.workloads = defineMetric(MetricType.Gauge, "peer_metadata.workloads");
  }

  reject(r: Reject): void {
    if (r != Reject.None) bumpCounter(this.rejected[r], 1);
  }
}

/** Istio's metadata_exchange.* counters (native TCP MX filter), plus this suite's own rejections. */
export class TcpCounters {
  initialHeaderNotFound: u32 = 0;
  headerNotFound: u32 = 0;
  metadataAdded: u32 = 0;
  frameTooLarge: u32 = 0;
  discoveryHit: u32 = 0;
  frameTimeout: u32 = 0;

  constructor() {
    this.frameTimeout = defineMetric(MetricType.Counter, "metadata_exchange.frame_timeout");
    this.initialHeaderNotFound = defineMetric(MetricType.Counter, "metadata_exchange.initial_header_not_found");
    this.headerNotFound = defineMetric(MetricType.Counter, "metadata_exchange.header_not_found");
    this.metadataAdded = defineMetric(MetricType.Counter, "metadata_exchange.metadata_added");
    this.frameTooLarge = defineMetric(MetricType.Counter, "metadata_exchange.frame_too_large");
    this.discoveryHit = defineMetric(MetricType.Counter, "metadata_exchange.workload_discovery_hit");
  }

  reject(r: Reject): void {
    if (r == Reject.BadMagic) bumpCounter(this.initialHeaderNotFound, 1);
    else if (r == Reject.FrameTooLarge) { bumpCounter(this.frameTooLarge, 1); bumpCounter(this.headerNotFound, 1); }
    else if (r != Reject.None) bumpCounter(this.headerNotFound, 1);
  }
}

