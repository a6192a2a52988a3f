#!/usr/bin/env node
// `istio-wasm` (package.json bin): bundles the TypeScript CLI (tools/istio-wasm.ts) with esbuild, as
// tools/run.mjs does for the npm scripts, then runs it. `npx istio-wasm --help` lists the commands.
import { runBundled } from "./launch.mjs";

await runBundled("istio-wasm");
