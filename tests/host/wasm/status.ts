// proxy_status_t / WasmResult and the other ABI enums (proxy-wasm spec v0.2.1 "Types").
export const enum Status {
  Ok = 0, NotFound = 1, BadArgument = 2, SerializationFailure = 3, ParseFailure = 4, InvalidMemoryAccess = 6,
  Empty = 7, CasMismatch = 8, InternalFailure = 10, Unimplemented = 12,
}

export const enum MapType {
  RequestHeaders = 0, RequestTrailers = 1, ResponseHeaders = 2, ResponseTrailers = 3,
  GrpcInitialMetadata = 4, GrpcTrailingMetadata = 5, HttpCallResponseHeaders = 6, HttpCallResponseTrailers = 7,
}

export const enum BufferType {
  RequestBody = 0, ResponseBody = 1, DownstreamData = 2, UpstreamData = 3, HttpCallResponseBody = 4,
  GrpcReceiveBuffer = 5, VmConfiguration = 6, PluginConfiguration = 7, CallData = 8,
}

export const enum StreamType { Request = 0, Response = 1, Downstream = 2, Upstream = 3 }

/** WASI errno values cpp-host uses. */
export const enum Errno { Success = 0, Badf = 8, Fault = 21, Inval = 28, Noent = 44, Nosys = 52, Notsup = 58 }
