// The record of what was downloaded (key, size, ETag, sha256, time), kept in
// <dataDir>/stimuli/.download/manifest.json, and the hashes that check a file
// against an S3 ETag.

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { acquireLock } from "./_lock.ts";

/** Folder of the download's bookkeeping inside `stimuli/`: locks and the manifest. */
export const STATE_DIR = ".download";

/** How a downloaded file's content was checked against the bucket. */
export type CheckedBy =
  /** MD5 of the file equals the plain ETag (single-part upload). */
  | "md5"
  /** MD5s of its parts equal the multipart ETag (part size found). */
  | "multipart-md5"
  /** Only the size: a multipart ETag whose part size is unknown, or no ETag. */
  | "size";

/** One downloaded file. */
export interface ManifestEntry {
  /** The bucket key, e.g. `stimuli/task-images_desc-segmentations.h5`. */
  key: string;
  size: number;
  /** The object's ETag without quotes, when the server gave one. */
  etag?: string;
  /** Hex SHA-256 of the file as written. */
  sha256: string;
  checkedBy: CheckedBy;
  /** The file's modification time when recorded, to notice later edits cheaply. */
  mtimeMs: number;
  /** ISO time of the download (or of the check that recorded it). */
  downloadedAt: string;
}

/** The manifest file's content. */
export interface Manifest {
  files: Record<string, ManifestEntry>;
  /** When the licence and citation notice was shown (it is shown once). */
  noticeShownAt?: string;
}

export function manifestPath(stimuliDir: string): string {
  return join(stimuliDir, STATE_DIR, "manifest.json");
}

/** The manifest, or an empty one when missing or unreadable (then nothing is trusted from it). */
export async function readManifest(stimuliDir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await Deno.readTextFile(manifestPath(stimuliDir));
  } catch (err) {
    if (
      err instanceof Deno.errors.NotFound ||
      err instanceof Deno.errors.NotADirectory
    ) return { files: {} };
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Manifest> | null;
    const files = parsed?.files;
    return {
      files: files && typeof files === "object" ? files : {},
      noticeShownAt: parsed?.noticeShownAt,
    };
  } catch {
    return { files: {} };
  }
}

/** Read-modify-write the manifest under its own lock, replacing the file atomically. */
export async function updateManifest(
  stimuliDir: string,
  change: (m: Manifest) => void,
  signal?: AbortSignal,
): Promise<void> {
  const path = manifestPath(stimuliDir);
  await Deno.mkdir(join(stimuliDir, STATE_DIR), { recursive: true });
  using _lock = await acquireLock(`${path}.lock`, {
    signal,
    timeoutMs: 60_000,
    what: "another process updating the download manifest",
  });
  const manifest = await readManifest(stimuliDir);
  change(manifest);
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(tmp, JSON.stringify(manifest, null, 2) + "\n");
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Hashes of one file. */
export interface FileHashes {
  size: number;
  sha256: string;
  md5: string;
  /**
   * Multipart ETags (`<md5 of part md5s>-<parts>`), one per part size tried:
   * the sizes of {@link PART_SIZES} that give the asked number of parts for
   * this file's size (for one part: the MD5 of the whole file's MD5).
   */
  multipart: string[];
  /** The part sizes behind `multipart`, in bytes, in the same order (`[size]` for one part). */
  partSizes: number[];
}

const MIB = 1024 * 1024;
/** Part sizes of common uploaders (aws cli and boto3 8 MiB, others 5-512 MiB). */
export const PART_SIZES: readonly number[] = [
  5,
  8,
  10,
  15,
  16,
  25,
  32,
  50,
  64,
  100,
  128,
  256,
  512,
].map((n) => n * MIB);

/** The number of parts of a multipart ETag (`…-N`), or undefined for a plain one. */
export function multipartCount(etag: string | undefined): number | undefined {
  const m = etag?.match(/^[0-9a-f]{32}-(\d+)$/i);
  return m ? Number(m[1]) : undefined;
}

export function isPlainMd5(etag: string | undefined): boolean {
  return etag !== undefined && /^[0-9a-f]{32}$/i.test(etag);
}

/** The part sizes of {@link PART_SIZES} that cut `size` bytes into `parts` parts. */
export function candidatePartSizes(size: number, parts: number): number[] {
  // One part is one part whatever the part size: its digest is the file's MD5.
  if (parts === 1) return [];
  return PART_SIZES.filter((ps) => Math.max(1, Math.ceil(size / ps)) === parts);
}

/**
 * SHA-256 and MD5 of the file in one pass, plus the multipart ETags for
 * every common part size that gives `parts` parts. Every byte of the file is
 * read, so a hole in a resumed `.part` counts as much as a new byte.
 */
export async function hashFile(
  path: string,
  parts?: number,
  signal?: AbortSignal,
): Promise<FileHashes> {
  using file = await Deno.open(path);
  const size = (await file.stat()).size;
  const sha = createHash("sha256");
  const md5 = createHash("md5");
  const candidates = parts === undefined
    ? []
    : candidatePartSizes(size, parts).map((partSize) => ({
      partSize,
      digests: [] as Uint8Array[],
      current: createHash("md5"),
      filled: 0,
    }));
  const buf = new Uint8Array(MIB);
  for (;;) {
    signal?.throwIfAborted();
    const n = await file.read(buf);
    if (n === null) break;
    const chunk = buf.subarray(0, n);
    sha.update(chunk);
    md5.update(chunk);
    for (const c of candidates) {
      let off = 0;
      while (off < n) {
        const take = Math.min(n - off, c.partSize - c.filled);
        c.current.update(chunk.subarray(off, off + take));
        c.filled += take;
        off += take;
        if (c.filled === c.partSize) {
          c.digests.push(c.current.digest());
          c.current = createHash("md5");
          c.filled = 0;
        }
      }
    }
  }
  const multipart = candidates.map((c) => {
    if (c.filled > 0 || c.digests.length === 0) {
      c.digests.push(c.current.digest());
    }
    const all = createHash("md5");
    for (const d of c.digests) all.update(d);
    return `${all.digest("hex")}-${c.digests.length}`;
  });
  const partSizes = candidates.map((c) => c.partSize);
  const md5Bytes = md5.digest();
  if (parts === 1) {
    multipart.push(`${createHash("md5").update(md5Bytes).digest("hex")}-1`);
    partSizes.push(size);
  }
  return {
    size,
    sha256: sha.digest("hex"),
    md5: Buffer.from(md5Bytes).toString("hex"),
    multipart,
    partSizes,
  };
}

/** The outcome of checking a file's hashes against an ETag. */
export interface EtagCheck {
  /** `false` when a digest the ETag allows was computed and none matches. */
  ok: boolean;
  checkedBy: CheckedBy;
  /** What could not be checked, for the user (undefined when everything was). */
  unchecked?: string;
  /** For `ok: false`: what was compared, e.g. "for part sizes of 8 MiB". */
  mismatch?: string;
}

/**
 * Compare a file's hashes with its object's ETag, as far as the ETag allows.
 * A multipart ETag is refused unless one of the part sizes tried gives it;
 * only when no part size of {@link PART_SIZES} fits its part count and the
 * file's size is the file accepted on its size alone, and that is said.
 */
export function checkEtag(
  hashes: FileHashes,
  etag: string | undefined,
): EtagCheck {
  if (etag === undefined) {
    return {
      ok: true,
      checkedBy: "size",
      unchecked: "the server gave no ETag, so only the size was checked",
    };
  }
  if (isPlainMd5(etag)) {
    const ok = hashes.md5 === etag.toLowerCase();
    return ok
      ? { ok, checkedBy: "md5" }
      : { ok, checkedBy: "md5", mismatch: `MD5 ${hashes.md5}` };
  }
  const parts = multipartCount(etag);
  if (parts !== undefined) {
    if (hashes.multipart.includes(etag.toLowerCase())) {
      return { ok: true, checkedBy: "multipart-md5" };
    }
    if (hashes.partSizes.length > 0) {
      return {
        ok: false,
        checkedBy: "multipart-md5",
        mismatch: parts === 1
          ? "one part: the MD5 of the whole file"
          : `for part sizes of ${hashes.partSizes.map(mib).join(", ")}`,
      };
    }
    return {
      ok: true,
      checkedBy: "size",
      unchecked:
        `its ETag is a multipart ETag (${parts} parts) and no common part size (${
          PART_SIZES.map(mib).join(", ")
        }) cuts ${hashes.size} bytes into ${parts} parts, so only the size was checked (the sha256 is recorded for later checks)`,
    };
  }
  return {
    ok: true,
    checkedBy: "size",
    unchecked:
      `its ETag "${etag}" is not an MD5, so only the size was checked (the sha256 is recorded for later checks)`,
  };
}

function mib(bytes: number): string {
  return `${bytes / MIB} MiB`;
}
