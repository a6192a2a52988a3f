// Test PKI for the two sidecars, made with the openssl CLI at test/demo time (never committed):
// one CA and one workload certificate per service account, each carrying the Istio SPIFFE
// identity as its only URI SAN (spiffe://cluster.local/ns/<ns>/sa/<sa>), usable for both client
// and server auth as Istio workload certificates are. EC P-256 keys keep generation fast.
//
// Layout written into `dir` (envoy-configs reference it as /etc/istio-wasm/build/certs/...):
//   root-cert.pem, root-key.pem, <sa>-cert-chain.pem, <sa>-key.pem
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export const DEFAULT_SERVICE_ACCOUNTS = ["client", "server"];

export function spiffeId(sa: string, ns = "default", trustDomain = "cluster.local"): string {
  return `spiffe://${trustDomain}/ns/${ns}/sa/${sa}`;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString() || err.message}`);
  }
}

/**
 * Generates the CA and workload certificates into `dir` (replacing what was there), valid for `days`
 * (7 for tests; `npm start -- --prepare` makes 365-day ones for docker-compose). Writes into a
 * temporary sibling first and renames, so a concurrent reader never sees half a PKI.
 */
export function generateCerts(dir: string, serviceAccounts = DEFAULT_SERVICE_ACCOUNTS, ns = "default", days = 7): void {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    writeFileSync(path.join(tmp, "ca.cnf"), [
      "[req]", "distinguished_name=dn", "[dn]", "[v3_ca]",
      "basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash", "",
    ].join("\n"));
    openssl(["req", "-x509", ...ec, "-keyout", "root-key.pem", "-out", "root-cert.pem", "-days", String(days),
      "-subj", "/O=cluster.local/CN=istio-wasm-suite test CA", "-config", "ca.cnf", "-extensions", "v3_ca"], tmp);
    for (const sa of serviceAccounts) {
      writeFileSync(path.join(tmp, `${sa}.ext`), [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth,clientAuth",
        `subjectAltName=critical,URI:${spiffeId(sa, ns)}`, "",
      ].join("\n"));
      openssl(["req", "-new", ...ec, "-keyout", `${sa}-key.pem`, "-out", `${sa}.csr`, "-subj", `/O=cluster.local`, "-config", "ca.cnf"], tmp);
      openssl(["x509", "-req", "-in", `${sa}.csr`, "-CA", "root-cert.pem", "-CAkey", "root-key.pem", "-CAcreateserial",
        "-days", String(days), "-out", `${sa}-cert-chain.pem`, "-extfile", `${sa}.ext`], tmp);
      // Envoy in docker-compose runs as another user; these are throwaway test keys.
      chmodSync(path.join(tmp, `${sa}-key.pem`), 0o644);
    }
    // Another run may replace the same directory at the same moment: retry the swap a few times.
    for (let attempt = 0; ; attempt++) {
      try {
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
        break;
      } catch (e) {
        if (attempt >= 5) throw e;
      }
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Generates only when the directory lacks any expected file. */
export function ensureCerts(dir: string, serviceAccounts = DEFAULT_SERVICE_ACCOUNTS): void {
  const need = ["root-cert.pem", ...serviceAccounts.flatMap((sa) => [`${sa}-cert-chain.pem`, `${sa}-key.pem`])];
  if (need.every((f) => existsSync(path.join(dir, f)))) return;
  generateCerts(dir, serviceAccounts);
}
