// What one RBAC stage reports, as Envoy's rbac_filter.cc does: counters
// (`rbac.<rules_stat_prefix>allowed|denied`, `rbac.<shadow_rules_stat_prefix>shadow_allowed|shadow_denied`,
// per policy with track_per_rule_stats; the network filter puts its stat_prefix in front), the
// effective policy id and engine result (Envoy's dynamic-metadata keys, written here as filter
// state because a Wasm filter cannot write dynamic metadata), the LOG action's access-log hint, and
// the debug line naming the deciding policy.
import { MetricType, defineMetric, bumpCounter, setProperty, log, LogLevel } from "../../shared/abi/host";
import { RbacStage } from "./envoy_config";
import { Engine, Action, Verdict } from "./engine";
import { RequestView } from "./request";

export const ON_DENY_BODY = String.UTF8.encode("RBAC: access denied");
const ALLOWED = String.UTF8.encode("allowed");
const DENIED = String.UTF8.encode("denied");
const TRUE = String.UTF8.encode("true");
const FALSE = String.UTF8.encode("false");
const HINT = String.UTF8.encode("envoy.common.access_log_hint");

/** Envoy's Filters::Common::RBAC::responseDetail. */
export function denyDetails(policyId: string): string {
  return "rbac_access_denied_matched_policy[" + (policyId.length == 0 ? "none" : policyId) + "]";
}

export class StageResult {
  allowed: bool = true;
  policyId: string = "";
}

function counter(name: string): u32 { return defineMetric(MetricType.Counter, name); }

export class StageOutputs {
  allowed: u32 = 0;
  denied: u32 = 0;
  shadowAllowed: u32 = 0;
  shadowDenied: u32 = 0;
  logged: u32 = 0;
  notLogged: u32 = 0;
  rulesBase: string = "";
  shadowBase: string = "";
  perPolicyNames: Array<string> = new Array<string>();
  perPolicyIds: Array<u32> = new Array<u32>();
  // Filter-state keys (Envoy's DynamicMetadataKeys, prefixed as Envoy prefixes them).
  kShadowId: ArrayBuffer = new ArrayBuffer(0);
  kShadowResult: ArrayBuffer = new ArrayBuffer(0);
  kEnforcedId: ArrayBuffer = new ArrayBuffer(0);
  kEnforcedResult: ArrayBuffer = new ArrayBuffer(0);

  constructor(public stage: RbacStage, forTCP: bool) {
    // Envoy: statPrefixJoin(prefix, "rbac.") + rules prefix; the HTTP filter's prefix is the HCM's
    // (`http.<stat_prefix>.`), which a Wasm filter cannot see: its counters start at `rbac.`.
    const base = (forTCP ? stage.statPrefix : "") + "rbac.";
    this.rulesBase = base + stage.rulesStatPrefix;
    this.shadowBase = base + stage.shadowStatPrefix;
    if (stage.rules !== null) {
      this.allowed = counter(this.rulesBase + "allowed");
      this.denied = counter(this.rulesBase + "denied");
      if (stage.rules!.action == Action.Log) {
        this.logged = counter(this.rulesBase + "logged");
        this.notLogged = counter(this.rulesBase + "not_logged");
      }
    }
    if (stage.shadow !== null) {
      this.shadowAllowed = counter(this.shadowBase + "shadow_allowed");
      this.shadowDenied = counter(this.shadowBase + "shadow_denied");
    }
    const ns = forTCP ? "envoy.filters.network.rbac." : "envoy.filters.http.rbac.";
    this.kShadowId = String.UTF8.encode(ns + stage.shadowStatPrefix + "shadow_effective_policy_id");
    this.kShadowResult = String.UTF8.encode(ns + stage.shadowStatPrefix + "shadow_engine_result");
    this.kEnforcedId = String.UTF8.encode(ns + stage.rulesStatPrefix + "enforced_effective_policy_id");
    this.kEnforcedResult = String.UTF8.encode(ns + stage.rulesStatPrefix + "enforced_engine_result");
  }

  policyCounter(base: string, name: string, suffix: string): void {
    const key = base + "policy." + name + "." + suffix;
    const at = this.perPolicyNames.indexOf(key);
    if (at >= 0) { bumpCounter(this.perPolicyIds[at]); return; }
    const id = counter(key);
    this.perPolicyNames.push(key);
    this.perPolicyIds.push(id);
    bumpCounter(id);
  }
}

/**
 * Runs one stage: shadow rules (never enforced), then the enforced rules. `result.allowed` is false
 * only when the enforced rules deny. `skipShadow` for CONTINUOUS re-checks of a connection.
 */
export function runStage(o: StageOutputs, r: RequestView, v: Verdict, result: StageResult, debug: bool, skipShadow: bool = false): void {
  const s = o.stage;
  result.allowed = true;
  result.policyId = "";
  const shadow = s.shadow;
  if (shadow !== null && !skipShadow) {
    shadow.decide(r, v);
    const id = v.policyId;
    if (v.allowed) {
      bumpCounter(o.shadowAllowed);
      if (id.length > 0 && s.trackPerRule) o.policyCounter(o.shadowBase, id, "shadow_allowed");
    } else {
      bumpCounter(o.shadowDenied);
      if (id.length > 0 && s.trackPerRule) o.policyCounter(o.shadowBase, id, "shadow_denied");
    }
    if (v.policy !== null) setProperty(o.kShadowId, v.policy!.nameBytes);
    setProperty(o.kShadowResult, v.allowed ? ALLOWED : DENIED);
    if (debug) log(LogLevel.Debug, "shadow " + (v.allowed ? "allowed" : "denied") + ", matched policy " + (id.length == 0 ? "none" : id));
  }
  const rules = s.rules;
  if (rules === null) return;
  rules.decide(r, v);
  const id = v.policyId;
  if (rules.action == Action.Log) {
    bumpCounter(v.logged ? o.logged : o.notLogged);
    setProperty(HINT, v.logged ? TRUE : FALSE);
  }
  if (v.policy !== null) setProperty(o.kEnforcedId, v.policy!.nameBytes);
  setProperty(o.kEnforcedResult, v.allowed ? ALLOWED : DENIED);
  if (v.allowed) {
    bumpCounter(o.allowed);
    if (id.length > 0 && s.trackPerRule) o.policyCounter(o.rulesBase, id, "allowed");
  } else {
    bumpCounter(o.denied);
    if (id.length > 0 && s.trackPerRule) o.policyCounter(o.rulesBase, id, "denied");
  }
  if (debug) log(LogLevel.Debug, "enforced " + (v.allowed ? "allowed" : "denied") + ", matched policy " + (id.length == 0 ? "none" : id));
  result.allowed = v.allowed;
  result.policyId = id;
}

export { Engine };
