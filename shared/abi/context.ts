// Root and stream contexts, and the registry that maps Envoy's root_id to a filter.
import { getPluginConfiguration, getVmConfiguration, LogLevel, logEnabled, log } from "./host";

export enum HeadersStatus { Continue = 0, StopIteration = 1, ContinueAndEndStream = 2, StopAllIterationAndBuffer = 3, StopAllIterationAndWatermark = 4 }
export enum DataStatus { Continue = 0, StopIterationAndBuffer = 1, StopIterationAndWatermark = 2, StopIterationNoBuffer = 3 }
export enum TrailersStatus { Continue = 0, StopIteration = 1 }
export enum NetworkStatus { Continue = 0, StopIteration = 1 }

/**
 * A stream context: one HTTP request/response or one TCP connection. Every callback defaults to
 * Continue, so a filter overrides only the ones that matter to it.
 */
export class Context {
  constructor(public readonly id: u32, public readonly root: RootContext) {}

  // HTTP
  onRequestHeaders(headerCount: u32, endOfStream: bool): HeadersStatus { return HeadersStatus.Continue; }
  onRequestBody(bodySize: u32, endOfStream: bool): DataStatus { return DataStatus.Continue; }
  onRequestTrailers(trailerCount: u32): TrailersStatus { return TrailersStatus.Continue; }
  onResponseHeaders(headerCount: u32, endOfStream: bool): HeadersStatus { return HeadersStatus.Continue; }
  onResponseBody(bodySize: u32, endOfStream: bool): DataStatus { return DataStatus.Continue; }
  onResponseTrailers(trailerCount: u32): TrailersStatus { return TrailersStatus.Continue; }

  // Network (TCP)
  onNewConnection(): NetworkStatus { return NetworkStatus.Continue; }
  onDownstreamData(dataSize: u32, endOfStream: bool): NetworkStatus { return NetworkStatus.Continue; }
  onUpstreamData(dataSize: u32, endOfStream: bool): NetworkStatus { return NetworkStatus.Continue; }
  onDownstreamConnectionClose(peerType: u32): void {}
  onUpstreamConnectionClose(peerType: u32): void {}

  // Both. Envoy order for HTTP: log, done, delete; for TCP: done, log, delete.
  onLog(): void {}
  onDone(): void {}
  onDelete(): void {}
}

/** One per plugin per VM (per Envoy worker). Holds configuration and creates stream contexts. */
export class RootContext {
  /** The root_id Envoy gave this plugin (Istio: WasmPlugin.pluginName). */
  rootId: string = "";
  constructor(public readonly id: u32) {}

  /** Called once per root context; return false to fail the plugin. */
  onVmStart(vmConfigurationSize: u32): bool { return true; }
  /** Called at load and on every reconfiguration. Return false (after logging the field) to reject. */
  onConfigure(configurationSize: u32): bool { return true; }
  /**
   * proxy_validate_configuration: is this configuration acceptable? Must have no side effects (no
   * metrics defined, no ticks set, no node read, nothing stored); a filter with a configuration
   * overrides it with its pure parser. The default accepts, as a filter without configuration does.
   */
  onValidateConfiguration(configurationSize: u32): bool { return true; }
  onTick(): void {}
  onQueueReady(queueId: u32): void {}
  onHttpCallResponse(token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {}
  /** Return false to delay deletion until `done()` is called. */
  onDone(): bool { return true; }
  onDelete(): void {}

  /** A new HTTP stream or TCP connection under this root. */
  createContext(id: u32): Context { return new Context(id, this); }

  /** Plugin configuration text; readable only inside onConfigure (Envoy's rule). */
  pluginConfiguration(size: u32): string { return getPluginConfiguration(size); }
  vmConfiguration(size: u32): string { return getVmConfiguration(size); }

  /** Logs a configuration error in a fixed shape: `<root_id>: invalid configuration: <field>: <why>`. */
  configError(field: string, why: string): bool {
    if (logEnabled(LogLevel.Error)) log(LogLevel.Error, this.rootId + ": invalid configuration: " + field + ": " + why);
    return false;
  }
}

export type RootFactory = (id: u32) => RootContext;

class Registration {
  constructor(public name: string, public factory: RootFactory) {}
}

const registrations = new Array<Registration>();
let singleFilter: bool = true;

/**
 * Registers a filter's root context under its root_id. In a single-filter module the FIRST
 * registration also answers any root_id Envoy/Istio gives (WasmPlugin.pluginName is user-chosen).
 * Call at module top level; it makes no host calls.
 */
export function registerRootContext(factory: RootFactory, name: string): void {
  registrations.push(new Registration(name, factory));
}

/** For multi-filter modules (suite.wasm): root_ids must then match a registered name exactly. */
export function requireExactRootIds(): void {
  singleFilter = false;
}

/** Finds the factory for a root_id, or null (the caller logs and fails the plugin). */
export function findRootFactory(rootId: string): RootFactory | null {
  for (let i = 0; i < registrations.length; i++) {
    if (registrations[i].name == rootId) return registrations[i].factory;
  }
  if (singleFilter && registrations.length > 0) return registrations[0].factory;
  return null;
}

export function registeredRootIds(): string {
  let s = "";
  for (let i = 0; i < registrations.length; i++) s += (i > 0 ? ", " : "") + registrations[i].name;
  return s;
}
