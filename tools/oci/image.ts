// Wasm OCI images in the two layouts Istio's agent pulls (istio/istio pkg/wasm/imagefetcher.go; the
// formats are solo-io/wasm spec/spec.md and spec/spec-compat.md):
//
//   compat: an ordinary OCI image. Config `application/vnd.oci.image.config.v1+json`, ONE layer
//           `application/vnd.oci.image.layer.v1.tar+gzip` whose tar holds `plugin.wasm`. Istio takes the
//           last layer, gunzips it and reads the first entry whose base name is plugin.wasm.
//   oci:    the Wasm artifact. Config `application/vnd.module.wasm.config.v1+json` ({type: envoy_proxy,
//           abiVersions, config.root_ids}); exactly two layers (Istio checks `len(layers) == 2`): that
//           runtime config and the raw module `application/vnd.module.wasm.content.layer.v1+wasm`.
//
// Everything is reproducible: no timestamps anywhere, tar entries with mtime 0 / uid 0 / fixed mode, a
// gzip member with a fixed header (MTIME 0, OS 255), and JSON written with a fixed key order. The same
// module and the same annotations give the same manifest bytes, hence the same digest.
import { createHash } from "node:crypto";
import { crc32, deflateRawSync, gunzipSync } from "node:zlib";

export const MT = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  wasmConfig: "application/vnd.module.wasm.config.v1+json",
  wasmLayer: "application/vnd.module.wasm.content.layer.v1+wasm",
} as const;

export type Format = "oci" | "compat";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface Blob { desc: Descriptor; data: Buffer; }

export interface Image {
  format: Format;
  /** The exact manifest bytes pushed; its sha256 is the digest WasmPlugin.sha256 must carry. */
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
  /** Config first, then layers (a blob listed twice is pushed once). */
  blobs: Blob[];
}

export interface ImageInput {
  wasm: Uint8Array;
  format: Format;
  /** Filter name (annotation io.istio-wasm-suite.filter and org.opencontainers.image.title). */
  filter: string;
  rootIds: string[];
  /** org.opencontainers.image.source, e.g. the repository URL (omitted when empty). */
  source?: string;
  /** org.opencontainers.image.revision, e.g. the git commit (omitted when empty). */
  revision?: string;
}

export const ANNOTATION = {
  source: "org.opencontainers.image.source",
  revision: "org.opencontainers.image.revision",
  title: "org.opencontainers.image.title",
  filter: "io.istio-wasm-suite.filter",
  rootIds: "io.istio-wasm-suite.root_ids",
  /** solo-io/wasm spec-compat.md: optional marker on OCI-typed compat images. */
  variant: "module.wasm.image/variant",
} as const;

export const sha256 = (b: Uint8Array): string => "sha256:" + createHash("sha256").update(b).digest("hex");

export function blob(mediaType: string, data: Buffer, annotations?: Record<string, string>): Blob {
  const desc: Descriptor = { mediaType, digest: sha256(data), size: data.length };
  if (annotations) desc.annotations = annotations;
  return { desc, data };
}

/** A POSIX ustar archive with one regular file, every variable field fixed. */
export function tarOne(name: string, content: Uint8Array): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s, off, Math.min(len, Buffer.byteLength(s)), "ascii");
  const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
  put(name, 0, 100);
  put(oct(0o644, 8), 100, 8);        // mode
  put(oct(0, 8), 108, 8);            // uid
  put(oct(0, 8), 116, 8);            // gid
  put(oct(content.length, 12), 124, 12);
  put(oct(0, 12), 136, 12);          // mtime: the epoch, so rebuilding gives the same bytes
  h.fill(0x20, 148, 156);            // checksum field counts as spaces while summing
  h[156] = 0x30;                     // typeflag '0': regular file
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  const pad = (512 - (content.length % 512)) % 512;
  return Buffer.concat([h, Buffer.from(content), Buffer.alloc(pad), Buffer.alloc(1024)]);
}

/**
 * gzip (RFC 1952) with a fixed header: no name, MTIME 0, XFL 2 (best compression), OS 255 (unknown),
 * so the bytes depend only on the input and zlib's deflate at level 9.
 */
export function gzipFixed(data: Uint8Array): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([header, deflateRawSync(data, { level: 9 }), trailer]);
}

/** The ABI marker the module exports (`proxy_abi_version_0_2_1` -> "v0.2.1"), read from its export section. */
export function abiVersions(wasm: Uint8Array): string[] {
  const text = Buffer.from(wasm).toString("latin1");
  const out: string[] = [];
  for (const m of text.matchAll(/proxy_abi_version_(\d+)_(\d+)_(\d+)/g)) out.push(`v${m[1]}.${m[2]}.${m[3]}`);
  return [...new Set(out)];
}

export function isWasm(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;
}

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

export function buildImage(inp: ImageInput): Image {
  if (!isWasm(inp.wasm)) throw new Error(`${inp.filter}: not a Wasm module (no \\0asm header)`);
  const annotations: Record<string, string> = {};
  if (inp.source) annotations[ANNOTATION.source] = inp.source;
  if (inp.revision) annotations[ANNOTATION.revision] = inp.revision;
  annotations[ANNOTATION.title] = inp.filter;
  annotations[ANNOTATION.filter] = inp.filter;
  annotations[ANNOTATION.rootIds] = inp.rootIds.join(",");
  let config: Blob;
  let layers: Blob[];
  if (inp.format === "compat") {
    const tar = tarOne("plugin.wasm", inp.wasm);
    const layer = blob(MT.ociLayerGzip, gzipFixed(tar));
    // image-spec config.md: rootfs.diff_ids are digests of the UNCOMPRESSED layers. No `created`
    // (it would change the digest on every build).
    config = blob(MT.ociConfig, json({
      architecture: "wasm", os: "wasip1",
      config: { Labels: { [ANNOTATION.filter]: inp.filter, [ANNOTATION.rootIds]: inp.rootIds.join(",") } },
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    }));
    layers = [layer];
    annotations[ANNOTATION.variant] = "compat";
  } else {
    config = blob(MT.wasmConfig, json({ type: "envoy_proxy", abiVersions: abiVersions(inp.wasm), config: { root_ids: inp.rootIds } }),
      { [ANNOTATION.title]: "runtime-config.json" });
    layers = [config, blob(MT.wasmLayer, Buffer.from(inp.wasm), { [ANNOTATION.title]: "plugin.wasm" })];
  }
  const manifestObj = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: config.desc.mediaType, digest: config.desc.digest, size: config.desc.size },
    layers: layers.map((l) => l.desc),
    annotations,
  };
  const manifest = json(manifestObj);
  const blobs: Blob[] = [];
  for (const b of [config, ...layers]) if (!blobs.some((x) => x.desc.digest === b.desc.digest)) blobs.push(b);
  return { format: inp.format, manifest, manifestDigest: sha256(manifest), mediaType: MT.ociManifest, blobs };
}

// ---------------------------------------------------------------------------------------------------
// Pull side: what Istio's agent does with a manifest and its blobs.

export interface ParsedManifest {
  mediaType: string;
  config?: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** Reads a tar (ustar / GNU) and returns the first regular file whose base name is `base`. */
export function tarFind(tar: Uint8Array, base: string): Buffer | null {
  const b = Buffer.from(tar);
  let off = 0;
  while (off + 512 <= b.length) {
    const h = b.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const str = (s: number, l: number) => { const f = h.subarray(s, s + l); const z = f.indexOf(0); return f.subarray(0, z < 0 ? l : z).toString("utf8"); };
    let name = str(0, 100);
    const prefix = str(345, 155);
    if (str(257, 5) === "ustar" && prefix) name = `${prefix}/${name}`;
    const size = parseInt(str(124, 12).trim() || "0", 8);
    const type = String.fromCharCode(h[156] || 0x30);
    const start = off + 512;
    if ((type === "0" || type === "\0") && name.split("/").pop() === base) return b.subarray(start, start + size);
    off = start + Math.ceil(size / 512) * 512;
  }
  return null;
}

/**
 * Picks the module out of an image the way istio/istio pkg/wasm/imagefetcher.go does: Docker schema 2 ->
 * last layer must be the Docker gzip type; otherwise compat (last layer OCI tar+gzip) and then the oci
 * variant (exactly two layers, the one with the Wasm content type read raw). Returns the layer to fetch
 * and how to turn its bytes into the module.
 */
export function selectModuleLayer(m: ParsedManifest): { layer: Descriptor; extract: (bytes: Buffer) => Buffer; variant: string } {
  const last = m.layers[m.layers.length - 1];
  const fromTarGz = (bytes: Buffer) => {
    let tar: Buffer;
    try { tar = gunzipSync(bytes); } catch (e) { throw new Error(`failed to parse layer as tar.gz: ${(e as Error).message}`); }
    const f = tarFind(tar, "plugin.wasm");
    if (!f) throw new Error("plugin.wasm not found in the archive");
    return f;
  };
  if (m.mediaType === MT.dockerManifest) {
    if (!last) throw new Error("number of layers must be greater than zero");
    if (last.mediaType !== MT.dockerLayerGzip) throw new Error(`invalid media type ${last.mediaType} (expect ${MT.dockerLayerGzip})`);
    return { layer: last, extract: fromTarGz, variant: "compat (docker)" };
  }
  const errs: string[] = [];
  if (!last) errs.push("could not parse as compat variant: number of layers must be greater than zero");
  else if (last.mediaType === MT.ociLayerGzip) return { layer: last, extract: fromTarGz, variant: "compat" };
  else errs.push(`could not parse as compat variant: invalid media type ${last.mediaType} (expect ${MT.ociLayerGzip})`);
  if (m.layers.length !== 2) errs.push(`could not parse as oci variant: number of layers must be 2 but got ${m.layers.length}`);
  else {
    const l = m.layers.find((x) => x.mediaType === MT.wasmLayer);
    if (l) return { layer: l, extract: (b) => b, variant: "oci" };
    errs.push(`could not parse as oci variant: could not find the layer of type ${MT.wasmLayer}`);
  }
  throw new Error(`the given image is in invalid format as an OCI image: ${errs.join("; ")}`);
}
