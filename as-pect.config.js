// as-pect runs AssemblyScript specs that live next to the code (`*.spec.ts`). Specs that touch
// shared/abi's host wrappers run against the small fake host in tests/unit/fake-host.js; it is
// NOT the Envoy-faithful host (tests/host/), only enough state to exercise the wrappers.
import { fakeHostImports } from "./tests/unit/fake-host.js";

export default {
  // tools/test.ts narrows the run (`npm test -- <word>`) through ASPECT_ENTRIES (comma-separated files);
  // as-pect would otherwise add command-line files to these globs instead of replacing them.
  entries: process.env.ASPECT_ENTRIES ? process.env.ASPECT_ENTRIES.split(",") : ["shared/**/*.spec.ts", "filters/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const fake = fakeHostImports();
    const result = instantiate(binary, createImports(fake.imports));
    result.then((r) => fake.bind(r.instance ?? r));
    return result;
  },
  outputBinary: false,
};
