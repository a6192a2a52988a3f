// `istio-wasm`: the user-facing command line (package.json `bin`; tools/istio-wasm.mjs bundles this file
// with esbuild and runs it). Commands: build, publish, pull, render, validate; `--help` on each.
//
// Exit codes: 0 success; 1 the operation failed (registry error, digest mismatch, configuration
// rejected by the module); 2 usage error (bad arguments, unknown or unbuilt filter, unreadable file).
import { Command, CommanderError, Option } from "commander";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./paths";
import { buildAll } from "./build";
import { buildImage, type Format } from "./oci/image";
import { RegistryClient, parseReference, formatReference, resolveCredentials, RegistryError, type Reference } from "./oci/registry";
import { FILTERS, filterInfo, modulePath, builtFilters, rootIds, UsageError } from "./deploy/filters";
import { render, readConfigFile } from "./deploy/render";
import { validate, configBytes } from "./deploy/validate";

const progress = (line: string) => process.stderr.write(line + "\n");

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

interface AuthOpts { username?: string; password?: string; insecure?: boolean }

function client(ref: Reference, o: AuthOpts): RegistryClient {
  const { creds, from } = resolveCredentials(ref.registry, { username: o.username, password: o.password });
  progress(`registry ${o.insecure ? "http" : "https"}://${ref.registry} (credentials: ${creds ? `${creds.username} from ${from}` : "none"})`);
  return new RegistryClient(ref.registry, { insecure: o.insecure, credentials: creds, log: progress });
}

const authOptions = (c: Command) => c
  .option("-u, --username <user>", "registry user (else $ISTIO_WASM_REGISTRY_USERNAME, else docker config.json)")
  .option("-p, --password <password>", "registry password or token (else $ISTIO_WASM_REGISTRY_PASSWORD)")
  .option("--insecure", "plain HTTP to the registry (a local or test registry)", false);

export function program(): Command {
  const p = new Command("istio-wasm")
    .description("Build, publish, pull, render and validate the suite's proxy-wasm filters")
    .showHelpAfterError()
    .exitOverride();
  p.configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  p.command("build")
    .description("compile every filter to dist/<name>.wasm (what `npm run build` does)")
    .action(async () => {
      if (!(await buildAll())) throw new RegistryError("build failed");
    });

  authOptions(p.command("publish")
    .description("push filters as OCI images (distribution API: blob upload, manifest PUT) and print each manifest digest")
    .argument("<ref>", "<registry>/<repository>:<tag>; with --all each filter goes to <registry>/<repository>/<filter>:<tag>")
    .option("-f, --filter <name>", `one filter (${Object.keys(FILTERS).join(", ")})`)
    .option("-a, --all", "every built filter in dist/", false)
    .addOption(new Option("--format <format>", "image layout: oci (Wasm artifact media types) or compat (one tar+gzip layer holding plugin.wasm)").choices(["oci", "compat"]).default("compat"))
    .option("--source <url>", "org.opencontainers.image.source annotation (default: git remote origin)")
    .option("--revision <rev>", "org.opencontainers.image.revision annotation (default: git HEAD)")
    .option("--dry-run", "build the images and print their digests without contacting a registry", false))
    .action(async (refText: string, o: AuthOpts & { filter?: string; all: boolean; format: Format; source?: string; revision?: string; dryRun: boolean }) => {
      if (!!o.filter === o.all) throw new UsageError("publish: give exactly one of --filter <name> or --all");
      const base = parseReference(refText);
      if (base.digest) throw new UsageError("publish: push to a tag, not a digest");
      const filters = o.all ? builtFilters(ROOT) : [filterInfo(o.filter!)];
      if (!filters.length) throw new UsageError("publish --all: no filter is built (run `npm run build`)");
      const source = o.source ?? git(["remote", "get-url", "origin"]);
      const revision = o.revision ?? git(["rev-parse", "HEAD"]);
      const c = o.dryRun ? undefined : client(base, o);
      for (const f of filters) {
        const ref: Reference = o.all ? { ...base, repository: `${base.repository}/${f.name.replace(/_/g, "-")}` } : base;
        const wasm = readFileSync(modulePath(ROOT, f.name));
        const img = buildImage({ wasm, format: o.format, filter: f.name, rootIds: rootIds(f), source, revision });
        progress(`${f.name}: ${o.format} image, ${wasm.length} byte module -> ${formatReference(ref)}`);
        const digest = c ? await c.push(ref, img) : img.manifestDigest;
        process.stdout.write(`${formatReference(ref)}@${digest}\n`);
      }
    });

  authOptions(p.command("pull")
    .description("fetch an image and extract the Wasm module as Istio's agent does (docker, compat and oci layouts; digests checked)")
    .argument("<ref>", "[oci://]<registry>/<repository>[:<tag>|@sha256:<hex>]")
    .option("-o, --output <file>", "where to write the module (default: <repository base name>.wasm)")
    .option("--sha256 <hex>", "expected manifest digest (WasmPlugin.sha256)"))
    .action(async (refText: string, o: AuthOpts & { output?: string; sha256?: string }) => {
      const ref = parseReference(refText);
      const r = await client(ref, o).pullModule(ref, o.sha256);
      const out = o.output ?? `${ref.repository.split("/").pop()}.wasm`;
      writeFileSync(out, r.wasm);
      progress(`${formatReference(ref)}: ${r.variant} image ${r.manifestDigest}, module ${r.wasm.length} bytes -> ${out}`);
      process.stdout.write(`${r.manifestDigest}\n`);
    });

  p.command("render")
    .description("write deployment YAML for a filter: Istio WasmPlugin (or EnvoyFilter) or an Envoy typed_config snippet")
    .addArgument(new Command().createArgument("<target>", "istio or envoy").choices(["istio", "envoy"]))
    .requiredOption("-f, --filter <name>", `filter (${Object.keys(FILTERS).join(", ")})`)
    .option("-c, --config <file>", "plugin configuration (JSON or YAML) -> pluginConfig / configuration")
    .option("-i, --image <ref>", "istio: oci://registry/repo:tag (or https://, file://); envoy: module path inside the proxy")
    .option("--sha256 <hex>", "manifest digest printed by publish (WasmPlugin.sha256)")
    .addOption(new Option("--kind <kind>", "istio: what to write").choices(["wasmplugin", "envoyfilter"]).default("wasmplugin"))
    .addOption(new Option("--mode <mode>", "traffic direction (WasmPlugin match.mode / EnvoyFilter context)").choices(["CLIENT", "SERVER", "CLIENT_AND_SERVER"]))
    .option("-n, --namespace <ns>", "metadata.namespace", "istio-system")
    .option("--name <name>", "metadata.name (default: the filter name, dashed, with -inbound/-outbound for --mode)")
    .option("--selector <label=value...>", "workload labels (selector.matchLabels / workloadSelector.labels)")
    .addOption(new Option("--pull-policy <policy>", "imagePullPolicy (default: IfNotPresent, Always for :latest)").choices(["IfNotPresent", "Always"]))
    .option("--pull-secret <name>", "imagePullSecret")
    .option("-o, --output <file>", "write to a file instead of stdout")
    .action((target: "istio" | "envoy", o: { filter: string; config?: string; image?: string; sha256?: string; kind: "wasmplugin" | "envoyfilter"; mode?: "CLIENT" | "SERVER" | "CLIENT_AND_SERVER"; namespace: string; name?: string; selector?: string[]; pullPolicy?: "IfNotPresent" | "Always"; pullSecret?: string; output?: string }) => {
      // A filter that is not built (or not written yet) has nothing to deploy.
      modulePath(ROOT, o.filter);
      const selector: Record<string, string> = {};
      for (const s of o.selector ?? []) {
        const i = s.indexOf("=");
        if (i <= 0) throw new UsageError(`--selector ${JSON.stringify(s)}: expected label=value`);
        selector[s.slice(0, i)] = s.slice(i + 1);
      }
      const argv = process.argv.slice(2).filter((_, i, a) => !(a[i] === "-o" || a[i] === "--output" || a[i - 1] === "-o" || a[i - 1] === "--output"));
      const text = render({
        target, filter: o.filter, kind: o.kind, config: o.config ? readConfigFile(o.config) : undefined, image: o.image, sha256: o.sha256,
        pullPolicy: o.pullPolicy, pullSecret: o.pullSecret, namespace: o.namespace, name: o.name, mode: o.mode, selector,
        commandLine: `istio-wasm ${argv.join(" ")}`,
      });
      if (o.output) {
        writeFileSync(o.output, text);
        progress(`render: wrote ${o.output}`);
      } else process.stdout.write(text);
    });

  p.command("validate")
    .description("configure a filter with a config file inside the Node proxy-wasm host; prints what the module logs (field paths)")
    .requiredOption("-f, --filter <name>", `filter (${Object.keys(FILTERS).join(", ")})`)
    .argument("<config>", "plugin configuration: .json (passed verbatim) or YAML (converted to JSON, as istiod does)")
    .action(async (file: string, o: { filter: string }) => {
      filterInfo(o.filter);
      const r = await validate(ROOT, o.filter, configBytes(file));
      for (const root of r.roots) {
        for (const l of root.logs) progress(`  ${l}`);
        process.stdout.write(`${root.ok ? "ok     " : "INVALID"} ${o.filter} root_id ${root.rootId} (${root.kind})${root.error ? `: ${root.error}` : ""}\n`);
      }
      if (!r.ok) throw new RegistryError(`${path.basename(file)}: rejected by ${o.filter}`);
    });
  return p;
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version exit 0; everything commander refuses is a usage error.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`istio-wasm: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`istio-wasm: ${(e as Error).message}\n`);
    return 1;
  }
}
