// What publish, render and validate need to know about each filter: its root ids (HTTP first, then the
// network one), where Istio should put it and how it fails. One row per filter; a filter whose module
// is not built yet (dist/<name>.wasm missing) is refused by every command with a clear message.
//
// Phases (istio/api extensions/v1alpha1/wasm.proto PluginPhase): AUTHN = before Istio's authentication
// filters, AUTHZ = after authentication and before authorization, STATS = after authorization and before
// stats; within a phase a higher `priority` runs first. Istio's own chain puts metadata exchange first
// (istio.metadata_exchange precedes authn, authz and stats in the sidecar's HTTP filter chain), so
// peer_metadata goes in AUTHN with the highest priority, ahead of jwt_authn; rbac (Envoy's RBAC, which
// Istio inserts as its authorization filter) goes in AUTHZ; istio_stats in STATS.
// failStrategy: the security filters fail closed (FAIL_CLOSE, Istio's default: "not recommended [to
// fail open] for the authentication or the authorization plugins"); telemetry fails open.
import { existsSync } from "node:fs";
import path from "node:path";

export type Phase = "AUTHN" | "AUTHZ" | "STATS";
export type FailStrategy = "FAIL_CLOSE" | "FAIL_OPEN";

export interface FilterInfo {
  name: string;
  httpRootId: string;
  tcpRootId?: string;
  phase: Phase;
  priority: number;
  failStrategy: FailStrategy;
  summary: string;
}

export const FILTERS: Record<string, FilterInfo> = {
  peer_metadata: { name: "peer_metadata", httpRootId: "peer_metadata", tcpRootId: "peer_metadata_tcp", phase: "AUTHN", priority: 1000, failStrategy: "FAIL_OPEN", summary: "Istio metadata exchange" },
  jwt_authn: { name: "jwt_authn", httpRootId: "jwt_authn", phase: "AUTHN", priority: 100, failStrategy: "FAIL_CLOSE", summary: "JWT authentication (RequestAuthentication / Envoy jwt_authn)" },
  rbac: { name: "rbac", httpRootId: "rbac", phase: "AUTHZ", priority: 100, failStrategy: "FAIL_CLOSE", summary: "authorization (AuthorizationPolicy / Envoy RBAC)" },
  istio_stats: { name: "istio_stats", httpRootId: "istio_stats", tcpRootId: "istio_stats_tcp", phase: "STATS", priority: 10, failStrategy: "FAIL_OPEN", summary: "Istio standard metrics" },
};

export const rootIds = (f: FilterInfo) => [f.httpRootId, ...(f.tcpRootId ? [f.tcpRootId] : [])];

export class UsageError extends Error {}

/** The table row for `name`; throws a UsageError naming the known filters otherwise. */
export function filterInfo(name: string): FilterInfo {
  const f = FILTERS[name];
  if (!f) throw new UsageError(`unknown filter ${JSON.stringify(name)}; known: ${Object.keys(FILTERS).join(", ")}`);
  return f;
}

/** dist/<name>.wasm, which must exist (built by `build`). */
export function modulePath(root: string, name: string): string {
  filterInfo(name);
  const p = path.join(root, "dist", `${name}.wasm`);
  if (!existsSync(p)) throw new UsageError(`filter ${name}: ${path.relative(root, p)} does not exist (not built, or the filter is not written yet); run \`npm run build\` first`);
  return p;
}

/** Filters whose module is built. */
export function builtFilters(root: string): FilterInfo[] {
  return Object.values(FILTERS).filter((f) => existsSync(path.join(root, "dist", `${f.name}.wasm`)));
}
