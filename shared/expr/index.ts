// The suite's CEL subset: compile once at configure time, evaluate per request.
export * from "./ast";
export * from "./parse";
export * from "./eval";
export * from "./envoy";
