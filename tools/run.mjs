#!/usr/bin/env node
// Entry for every npm script: bundles the TypeScript CLI (tools/cli.ts) with esbuild, then runs it.
import { runBundled } from "./launch.mjs";

await runBundled("cli");
