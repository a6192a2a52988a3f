// The ABI layer's public surface for filters: contexts, registration and host-call wrappers.
export * from "./context";
export * from "./host";
export * from "./pairs";
