// The project's command line: `npm run build|test|bench|start` all land here.
import { buildAll } from "./build";
import { runTests } from "./test";
import { runBench } from "./bench";
import { runDemo } from "./start";

const commands: Record<string, (args: string[]) => Promise<number>> = {
  build: async () => ((await buildAll()) ? 0 : 1),
  test: runTests,
  bench: runBench,
  start: async (args) => ((await buildAll()) ? runDemo(args) : 1),
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
