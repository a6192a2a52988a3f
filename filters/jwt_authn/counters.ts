// Envoy's jwt_authn counters (stats.h: allowed, denied, cors_preflight_bypassed, jwks_fetch_success,
// jwks_fetch_failed, jwt_cache_hit, jwt_cache_miss) under `jwt_authn.[<stat_prefix>.]`, plus this
// suite's denial counters per provider (`provider.<name>.denied`) and per reason (`denied.<reason>`)
// so an operator can see why requests fail (envoyproxy/envoy#15405 asks for this upstream).
// Wasm metrics appear in Envoy as `wasmcustom.<name>`.
import { defineMetric, bumpCounter, MetricType } from "../../shared/abi/host";
import { Status, statusCounterName } from "./status";

const REASONS = ["jwt_missing", "jwt_not_yet_valid", "jwt_expired", "jwt_unknown_issuer", "jwt_audience_not_allowed",
  "jwt_verification_fails", "jwks_no_valid_keys", "jwks_kid_alg_mismatch", "jwks_fetch_failed", "jwt_signature_wrong_length",
  "jwt_malformed", "origin_authentication_failed", "other"];

export class Counters {
  allowed: u32 = 0;
  denied: u32 = 0;
  corsBypassed: u32 = 0;
  fetchSuccess: u32 = 0;
  fetchFailed: u32 = 0;
  cacheHit: u32 = 0;
  cacheMiss: u32 = 0;
  reasons: Array<u32> = new Array<u32>();
  providers: Array<u32> = new Array<u32>();

  constructor(prefix: string, providerNames: Array<string>) {
    const base = "jwt_authn." + (prefix.length > 0 ? prefix + "." : "");
    this.allowed = defineMetric(MetricType.Counter, base + "allowed");
    this.denied = defineMetric(MetricType.Counter, base + "denied");
    this.corsBypassed = defineMetric(MetricType.Counter, base + "cors_preflight_bypassed");
    this.fetchSuccess = defineMetric(MetricType.Counter, base + "jwks_fetch_success");
    this.fetchFailed = defineMetric(MetricType.Counter, base + "jwks_fetch_failed");
    this.cacheHit = defineMetric(MetricType.Counter, base + "jwt_cache_hit");
    this.cacheMiss = defineMetric(MetricType.Counter, base + "jwt_cache_miss");
    for (let i = 0; i < REASONS.length; i++) this.reasons.push(defineMetric(MetricType.Counter, base + "denied." + REASONS[i]));
    for (let i = 0; i < providerNames.length; i++) this.providers.push(defineMetric(MetricType.Counter, base + "provider." + providerNames[i] + ".denied"));
  }

  deny(s: Status, provider: i32, legacy: bool): void {
    bumpCounter(this.denied, 1);
    const name = legacy ? "origin_authentication_failed" : statusCounterName(s);
    const i = REASONS.indexOf(name);
    bumpCounter(this.reasons[i >= 0 ? i : REASONS.length - 1], 1);
    if (provider >= 0 && provider < this.providers.length) bumpCounter(this.providers[provider], 1);
  }
}

