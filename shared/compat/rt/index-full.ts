// proxy-runtime 0.1.8 was written for AssemblyScript <= 0.17, whose reference-counting runtime
// exported __retain/__release from "rt/index-full". AS 0.27's incremental GC pins objects
// instead: a pinned object survives collection until it is unpinned, which is exactly the
// ownership hand-off `malloc`/`free` need (the host owns the buffer until the guest frees it).
// @ts-ignore: decorator
@inline export function __retain(ptr: usize): usize {
  return __pin(ptr);
}
// @ts-ignore: decorator
@inline export function __release(ptr: usize): void {
  __unpin(ptr);
}
