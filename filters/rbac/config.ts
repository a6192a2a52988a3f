// Plugin configuration: which front end the JSON is for, compiled into the RBAC stages the filter
// runs in order. Plain code, no host calls: specs exercise every error message.
//   {"authorization_policies": [...], ...}      Istio AuthorizationPolicy (istio.ts)
//   {"rules": {...}, "shadow_rules": {...}, ...}  Envoy HTTP RBAC (rbac root) / network RBAC (rbac_tcp root)
import { parseJson, JsonValue, JsonKind } from "../../shared/codec/json";
import { Msg, ConfigError } from "../../shared/codec/proto_json";
import { RbacStage, parseHttpRbac, parseNetworkRbac } from "./envoy_config";
import { isIstioConfig, translateIstio } from "./istio";

export const HTTP_RBAC_TYPE = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC";
export const NETWORK_RBAC_TYPE = "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC";

export enum FrontEnd { Envoy = 0, Istio = 1 }

export class RbacConfig {
  frontEnd: FrontEnd = FrontEnd.Envoy;
  stages: Array<RbacStage> = new Array<RbacStage>();
  /** Translation notes istiod would log (skipped rules, unparsable dry-run annotations). */
  warnings: Array<string> = new Array<string>();
}

export class ConfigResult {
  constructor(public config: RbacConfig | null, public field: string, public why: string) {}
  get ok(): bool { return this.config !== null; }
}

/** Parses the plugin configuration for the HTTP (`forTCP` false) or network filter. */
export function parseRbacConfig(text: string, forTCP: bool): ConfigResult {
  if (text.trim().length == 0) return new ConfigResult(null, "(root)", "configuration is empty");
  const r = parseJson(text);
  if (!r.ok) return new ConfigResult(null, "(root)", "invalid JSON: " + r.error);
  const root = r.value!;
  const errors = new ConfigError();
  const m = Msg.of(root, "", errors);
  if (m === null) return new ConfigResult(null, errors.field, errors.why);
  const cfg = new RbacConfig();
  if (isIstioConfig(root)) {
    cfg.frontEnd = FrontEnd.Istio;
    const t = translateIstio(m, forTCP);
    if (t === null || !errors.ok) return new ConfigResult(null, errors.field, errors.why);
    cfg.stages = t.stages;
    // The generated Envoy JSON is not kept: a large live heap makes every incremental GC cycle longer.
    cfg.warnings = t.warnings;
    return new ConfigResult(cfg, "", "");
  }
  // Envoy's own config, optionally wrapped with its type URL (as in typed_config).
  let body = root;
  const type = root.get("@type");
  if (type !== null) {
    const want = forTCP ? NETWORK_RBAC_TYPE : HTTP_RBAC_TYPE;
    if (type.kind != JsonKind.String || type.str != want) return new ConfigResult(null, "@type", "expected " + want);
    body = JsonValue.object();
    for (let i = 0; i < root.keys.length; i++) if (root.keys[i] != "@type") body.set(root.keys[i], root.items[i]);
  }
  const bm = new Msg(body, "", errors);
  const stage = forTCP ? parseNetworkRbac(bm) : parseHttpRbac(bm);
  if (stage === null || !errors.ok) return new ConfigResult(null, errors.field, errors.why);
  if (forTCP && stage.statPrefix.length == 0) return new ConfigResult(null, "stat_prefix", "required (Envoy: string.min_len 1)");
  cfg.stages.push(stage);
  return new ConfigResult(cfg, "", "");
}
