// `npm start`'s entry point, run the way CI can: --once (send the traffic, check it, stop) on
// ephemeral ports so it never collides with a demo someone left running.
import { it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { rmSync } from "node:fs";
import { runDemo } from "../../tools/start";

const CERTS = path.join(process.cwd(), "build", `certs-start-${process.pid}`);

it("runDemo --once --ephemeral brings the two-sidecar demo up, passes its traffic checks and stops", async () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.join(" ")); };
  let code: number;
  try {
    code = await runDemo(["--once", "--ephemeral"], { root: process.cwd(), certDir: CERTS });
  } finally {
    console.log = log;
    rmSync(CERTS, { recursive: true, force: true });
  }
  const out = lines.join("\n");
  assert.equal(code, 0, out);
  assert.match(out, /ok {3}HTTP\/1\.1 GET http:\/\/127\.0\.0\.1:\d+\/demo -> 200/);
  assert.match(out, /ok {3}gRPC \/demo\.Echo\/Echo -> grpc-status 0/);
  assert.match(out, /ok {3}TCP 127\.0\.0\.1:\d+ echoed/);
  assert.match(out, /admin {10}http:\/\/127\.0\.0\.1:\d+\/stats\/prometheus/);
  assert.doesNotMatch(out, /FAIL/);
});
