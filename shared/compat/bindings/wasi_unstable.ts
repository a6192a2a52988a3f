// proxy-runtime 0.1.8 imports proc_exit from AS <= 0.17's "bindings/wasi_unstable". Envoy links
// every WASI function under both `wasi_unstable` and `wasi_snapshot_preview1`; keeping the old
// module name keeps the module's import list identical to what proxy-runtime users ship.
// In Envoy proc_exit RETURNS (it only logs); abort_proc_exit then reaches `unreachable`.
// @ts-ignore: decorator
@external("wasi_unstable", "proc_exit")
export declare function proc_exit(rval: u32): void;
