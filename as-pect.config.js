// as-pect runs AssemblyScript specs that live next to the code (`*.spec.ts`). Their host calls go
// to the test host's own wasm layer (tests/host/wasm, through tests/unit/spec-host.ts, bundled
// here with esbuild), so the specs and the conformance tests exercise ONE implementation of each
// host behaviour. Each spec file gets a fresh VM state.
import { buildSync } from "esbuild";
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.join(root, "build", `spec-host-${process.pid}.mjs`);
buildSync({
  entryPoints: [path.join(root, "tests", "unit", "spec-host.ts")], outfile, bundle: true, platform: "node",
  format: "esm", target: "node20", packages: "external", logLevel: "error",
});
const { specHostImports } = await import(pathToFileURL(outfile).href);
rmSync(outfile, { force: true });

export default {
  // tools/test.ts narrows the run (`npm test -- <word>`) through ASPECT_ENTRIES (comma-separated files);
  // as-pect would otherwise add command-line files to these globs instead of replacing them.
  entries: process.env.ASPECT_ENTRIES ? process.env.ASPECT_ENTRIES.split(",") : ["shared/**/*.spec.ts", "filters/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const host = specHostImports();
    const result = instantiate(binary, createImports(host.imports));
    result.then((r) => host.bind(r.instance ?? r));
    return result;
  },
  outputBinary: false,
};
