// cpp-host's host functions never throw: whatever pointers, sizes and enum values a guest passes,
// they answer with a status code. A JS exception here would unwind through the guest and fail the
// VM, so every env/WASI import is called with hostile arguments from a live stream context.
import { test } from "node:test";
import assert from "node:assert/strict";
import { envFunctions, WASI } from "../wasm/link";
import { StreamCtx } from "../wasm/vm";
import { env, probe, FakeHttpCallbacks, requestHeaders } from "./harness";

// Deterministic xorshift so a failure reproduces.
let seed = 0x2545f491;
function rnd(): number {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return seed >>> 0;
}
const SPECIAL = [0, 1, 2, 3, 4, 7, 8, 9, 16, 1024, 65535, 65536, 0x7fffffff, -1, -2, -0x80000000, 0xfffffff0];

function arg(kind: string): number | bigint {
  const pick = rnd() % 4 === 0 ? SPECIAL[rnd() % SPECIAL.length] : (rnd() % 3 === 0 ? rnd() % 256 : (rnd() | 0));
  return kind === "i64" ? BigInt.asIntN(64, BigInt(pick) * BigInt(rnd() % 5 === 0 ? 1 << 20 : 1)) : pick | 0;
}

test("no host function throws on hostile arguments (pointers, sizes, enum values out of range)", async () => {
  const e = env(1);
  const p = await probe(e, "request_headers ret 1");
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  f.decodeHeaders(requestHeaders(), false); // paused: request headers stay available
  const vm = (p as any).slots[0].vm;
  const stream = [...vm.contexts.values()].find((c: unknown) => c instanceof StreamCtx) as StreamCtx;
  assert.ok(stream);
  const imports = vm.imports() as Record<string, Record<string, Function>>;
  const skip = new Set(["proc_exit"]);
  let calls = 0;
  // As cpp-host does while a callback runs: the stream is the current context.
  vm.current = stream;
  vm.depth = 1;
  try {
    for (const [name, sig] of Object.entries(envFunctions("0.2.1"))) {
      for (let i = 0; i < 300; i++) {
        const args = sig.params.map(arg);
        let r: unknown;
        assert.doesNotThrow(() => { r = imports.env[name](...args); }, `${name}(${args.join(", ")})`);
        if (sig.results.length) assert.equal(typeof r, "number", `${name} returns a status`);
        calls++;
      }
    }
    for (const [name, sig] of Object.entries(WASI)) {
      if (skip.has(name)) continue;
      for (let i = 0; i < 100; i++) {
        const args = sig.params.map(arg);
        assert.doesNotThrow(() => imports.wasi_unstable[name](...args), `${name}(${args.join(", ")})`);
        calls++;
      }
    }
  } finally {
    vm.depth = 0;
    vm.current = vm.vmCtx;
  }
  assert.equal(vm.failed, false);
  assert.ok(calls > 10000);
  await e.runtime.shutdown();
});
