import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromBuffer } from 'file-type';
import { NotFound, ValidationFailed } from '../http/errors.ts';
import { newId } from './ids.ts';

/**
 * Stored files (receipts, documents) in a local directory (`DOCUMENTS_DIR`, default
 * `./data/documents`). The server chooses every path: `yyyy/mm/<uuid>` (UTC month of the upload,
 * a UUIDv7); a user-supplied name is only ever metadata. The content type is sniffed from the
 * bytes (`file-type`, magic numbers) and must be one of {@link DOCUMENT_TYPES}; the size limit is
 * enforced while the bytes arrive, and a refused or failed upload leaves no file behind.
 *
 * Files are written to `<dir>/.incoming/` first and renamed into place once complete (same file
 * system, so a reader never sees half a file). Directories are created with mode 0700, files 0600.
 */

/** The accepted types: canonical MIME type → other MIME types a client may declare for it. */
export const DOCUMENT_TYPES: Readonly<Record<string, readonly string[]>> = {
  'application/pdf': ['application/x-pdf', 'application/acrobat'],
  'image/jpeg': ['image/jpg', 'image/pjpeg'],
  'image/png': ['image/x-png'],
  'image/webp': [],
  // HEIC/HEIF photos (iPhone); `file-type` tells them by the ISO-BMFF `ftyp` brand.
  'image/heic': ['image/heif', 'image/heic-sequence', 'image/heif-sequence'],
};

/** Declared types that claim nothing (a browser that does not know the extension sends these). */
const UNSPECIFIC = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/unknown']);

/** `file-type` reads at most this much for its verdict (its `reasonableDetectionSizeInBytes`). */
const SNIFF_BYTES = 4100;

const STORAGE_KEY = /^\d{4}\/(0[1-9]|1[0-2])\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why a document was refused. */
export type DocumentRejection = 'empty' | 'too_large' | 'type_not_allowed' | 'type_mismatch';

/**
 * A refused upload: a 422 with one field error on the form's file field (message
 * `documents.<reason>`), so a form re-renders with the reason next to the file input.
 */
export class DocumentRejected extends ValidationFailed {
  readonly reason: DocumentRejection;
  constructor(reason: DocumentRejection, field: string, values?: Record<string, string | number>) {
    super([{ field, messageId: `documents.${reason}`, values }]);
    this.reason = reason;
  }
}

/** A storage key that is malformed or names no stored file (404, like any missing record). */
export class DocumentNotFound extends NotFound {}

/** What `put` stored. */
export interface StoredDocument {
  /** Path relative to the documents directory, `yyyy/mm/<uuid>`; keep it in the database. */
  storageKey: string;
  /** Bytes. */
  size: number;
  /** SHA-256 of the bytes, lower-case hex. */
  sha256: string;
  /** Sniffed type, canonical (a key of {@link DOCUMENT_TYPES}). */
  contentType: string;
  /** The client's file name reduced to a safe display name (no path, controls or direction marks; ≤ 200 characters). */
  filename: string;
}

export interface PutOptions {
  /** The name the client gave the file (metadata only). */
  filename: string;
  /** The MIME type the client declared (multipart `Content-Type`); must agree with the bytes unless unspecific. */
  declaredType?: string;
  /** Form field named in a refusal (default `file`). */
  field?: string;
}

export interface DocumentStore {
  /** Absolute directory. */
  readonly dir: string;
  /** Largest accepted file in bytes. */
  readonly maxBytes: number;
  /**
   * Stores one file read from `source` (a stream, e.g. a multipart file part, or a Buffer).
   * @throws {DocumentRejected} `empty`, `too_large` (more than `maxBytes`; detected while
   *   streaming, also when the source says it was truncated), `type_not_allowed` (the sniffed type
   *   is not in {@link DOCUMENT_TYPES} or unknown), `type_mismatch` (a specific declared type that
   *   the bytes contradict). Errors of the source stream (a client that went away) propagate.
   *   In every failure the partial file is removed.
   */
  put(source: Readable | Buffer | Uint8Array, o: PutOptions): Promise<StoredDocument>;
  /**
   * A stored file's bytes as a stream, and its size.
   * @throws {DocumentNotFound} for a malformed key or a missing file.
   */
  open(storageKey: string): Promise<{ stream: Readable; size: number }>;
  /** Deletes a stored file. @returns false when there was none. @throws {DocumentNotFound} for a malformed key. */
  remove(storageKey: string): Promise<boolean>;
}

/** The canonical type for a declared MIME type (parameters and case ignored); null when unknown or unspecific. */
function canonicalType(declared: string | undefined): string | null | 'unspecific' {
  const type = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  if (UNSPECIFIC.has(type)) return 'unspecific';
  for (const [canonical, aliases] of Object.entries(DOCUMENT_TYPES)) if (type === canonical || aliases.includes(type)) return canonical;
  return null;
}

/** A display name from a client-supplied file name: last path segment, NFC, no controls or bidi marks, ≤ 200 code points. */
export function safeFilename(name: string, fallbackExt: string): string {
  const base = String(name ?? '').split(/[/\\]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .trim()
    .replace(/^\.+/, '');
  const chars = [...clean];
  return chars.length ? chars.slice(0, 200).join('') : `document.${fallbackExt}`;
}

const EXTENSIONS: Record<string, string> = { 'application/pdf': 'pdf', 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/heic': 'heic' };

/**
 * A document store on the local directory `dir` (created on first write).
 * @param o.dir absolute directory (config `DOCUMENTS_DIR`).
 * @param o.maxBytes largest file in bytes (config `DOCUMENT_MAX_BYTES`, default 10 MiB).
 */
export function createDocumentStore(o: { dir: string; maxBytes: number }): DocumentStore {
  const { dir, maxBytes } = o;
  // The limit as shown to people: MB (2^20 bytes), three significant digits (10 MiB → 10).
  const maxMb = Number((maxBytes / 1_048_576).toPrecision(3));
  const pathOf = (storageKey: string): string => {
    if (typeof storageKey !== 'string' || !STORAGE_KEY.test(storageKey)) throw new DocumentNotFound();
    return join(dir, ...storageKey.split('/'));
  };

  async function put(source: Readable | Buffer | Uint8Array, p: PutOptions): Promise<StoredDocument> {
    const field = p.field ?? 'file';
    const declared = canonicalType(p.declaredType);
    const input = source instanceof Uint8Array ? Readable.from([source]) : source;
    const id = newId();
    const incoming = join(dir, '.incoming');
    await mkdir(incoming, { recursive: true, mode: 0o700 });
    const tmp = join(incoming, id);
    const hash = createHash('sha256');
    const sample: Buffer[] = [];
    let size = 0;
    let sampled = 0;
    let detected: string | null = null;

    /** The canonical type of the sample, or a rejection. */
    const check = async (): Promise<string> => {
      const bytes = Buffer.concat(sample);
      const found = (await fileTypeFromBuffer(bytes))?.mime;
      const canonical = found ? canonicalType(found) : null;
      if (!canonical || canonical === 'unspecific') throw new DocumentRejected('type_not_allowed', field);
      if (declared !== 'unspecific' && declared !== canonical) {
        throw new DocumentRejected('type_mismatch', field, { declared: (p.declaredType ?? '').split(';')[0]!.trim() || '?' });
      }
      return canonical;
    };

    try {
      await pipeline(
        input,
        async function* (chunks: AsyncIterable<Buffer | Uint8Array | string>) {
          for await (const raw of chunks) {
            const chunk = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
            size += chunk.length;
            if (size > maxBytes) throw new DocumentRejected('too_large', field, { max: maxMb });
            hash.update(chunk);
            if (sampled < SNIFF_BYTES) {
              const part = chunk.subarray(0, SNIFF_BYTES - sampled);
              sample.push(Buffer.from(part));
              sampled += part.length;
              // Refuse a wrong type as soon as the sample is complete, not after the whole upload.
              if (sampled === SNIFF_BYTES) detected = await check();
            }
            yield chunk;
          }
        },
        createWriteStream(tmp, { flags: 'wx', mode: 0o600 }),
      );
      // busboy ends a file part early (and marks it truncated) at its own size limit.
      if ((input as Readable & { truncated?: boolean }).truncated) throw new DocumentRejected('too_large', field, { max: maxMb });
      if (size === 0) throw new DocumentRejected('empty', field);
      detected ??= await check();
      const now = new Date();
      const storageKey = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${id}`;
      const target = pathOf(storageKey);
      await mkdir(join(target, '..'), { recursive: true, mode: 0o700 });
      await rename(tmp, target);
      return { storageKey, size, sha256: hash.digest('hex'), contentType: detected, filename: safeFilename(p.filename, EXTENSIONS[detected]!) };
    } catch (err) {
      await unlink(tmp).catch(() => {});
      // The client's stream may still be flowing after a refusal; stop reading it.
      if (input instanceof Readable && !input.destroyed) input.resume();
      throw err;
    }
  }

  async function openDocument(storageKey: string): Promise<{ stream: Readable; size: number }> {
    const path = pathOf(storageKey);
    let size: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new DocumentNotFound();
      size = s.size;
    } catch {
      throw new DocumentNotFound();
    }
    return { stream: createReadStream(path), size };
  }

  async function remove(storageKey: string): Promise<boolean> {
    const path = pathOf(storageKey);
    try {
      await unlink(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  return { dir, maxBytes, put, open: openDocument, remove };
}
