// The project's command line: `npm run build|test|bench|start` all land here.
import { buildAll } from "./build";
import { runTests } from "./test";
import { runBench } from "./bench";

const commands: Record<string, (args: string[]) => Promise<number>> = {
  build: async () => ((await buildAll()) ? 0 : 1),
  test: runTests,
  bench: runBench,
  start: async (args) => {
    const ok = await buildAll();
    if (!ok) return 1;
    const start = await import("./start").catch(() => null);
    if (start === null) {
      console.error("npm start: the local demo arrives with the host (tests/host); only the build ran.");
      return 1;
    }
    return start.runDemo(args);
  },
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const fn = commands[cmd ?? ""];
  if (!fn) {
    console.error(`usage: tools/run.mjs <${Object.keys(commands).join("|")}> [args]`);
    return 2;
  }
  return fn(rest);
}
