import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import type { Readable } from 'node:stream';
import { ValidationFailed } from './errors.ts';

/**
 * File uploads from HTML forms (`multipart/form-data`, RFC 7578) with the CSRF check done
 * **before** any byte of the file is stored.
 *
 * `@fastify/multipart` is registered in stream mode (app.ts): it parses nothing until a route asks.
 * An upload route's `preValidation` is `[readMultipartForm, app.csrfProtection]` (see
 * {@link uploadForm}): `readMultipartForm` reads the form's text fields up to the first file part
 * and puts them in `request.body` (so `_csrf` is where the CSRF check looks, as for URL-encoded
 * forms), and leaves the file part unread in `request.upload`. Only the handler, after the CSRF
 * check passed, streams it into the document store. A forged post is refused with 403 and its file
 * is never written anywhere (no temp file either).
 *
 * So an upload form puts `_csrf` and every other field **before** its `<input type="file">`:
 * browsers send the parts in document order. Fields after the file are not read.
 */

/** The file part of a multipart form, not yet read. */
export interface UploadedFile {
  /** Form field name of the file input. */
  field: string;
  /** Name the client gave the file (untrusted; metadata only). */
  filename: string;
  /** MIME type the client declared (untrusted; checked against the bytes by the document store). */
  declaredType: string;
  /** The bytes, as they arrive; busboy marks it `truncated` when the size limit cut it off. */
  stream: Readable;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The file part of a multipart form, set by {@link readMultipartForm}; null when none was sent. */
    upload: UploadedFile | null;
  }
}

/**
 * Limits for `@fastify/multipart`: one file of at most `maxBytes` (the limit is set one byte higher
 * so the document store sees the excess and refuses the file with a field error, rather than
 * storing a silently truncated file), at most 50 text fields of at most 100 kB each.
 */
export function multipartLimits(maxBytes: number) {
  return { fileSize: maxBytes + 1, files: 1, fields: 50, fieldSize: FIELD_BYTES, fieldNameSize: 100, parts: 52, headerPairs: 100 };
}

/** Largest text field of a multipart form, in bytes. */
const FIELD_BYTES = 100_000;

/**
 * `preValidation` hook of an upload route: for a multipart request, reads the text fields before
 * the first file part into `request.body` (field → string; a repeated field is refused as in
 * `parseForm`), and the file part into `request.upload` without reading it. A file input left
 * empty (no file name) counts as no file. Other content types (a URL-encoded post of the same form
 * without a file) pass through with `request.upload = null`.
 * @throws {ValidationFailed} `validation.repeated_field` or `validation.too_long` (a field over the limit).
 */
export async function readMultipartForm(request: FastifyRequest): Promise<void> {
  request.upload = null;
  if (!request.isMultipart()) return;
  const fields: Record<string, string> = Object.create(null);
  const repeated = new Set<string>();
  const tooLong = new Set<string>();
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (!part.filename) {
        // An empty file input: browsers send a part with no file name and no bytes.
        part.file.resume();
        continue;
      }
      request.upload = { field: part.fieldname, filename: part.filename, declaredType: part.mimetype, stream: part.file };
      break;
    }
    if (part.valueTruncated || part.fieldnameTruncated) tooLong.add(part.fieldname);
    if (Object.hasOwn(fields, part.fieldname)) repeated.add(part.fieldname);
    else fields[part.fieldname] = String(part.value ?? '');
  }
  const errors = [
    ...[...repeated].map((field) => ({ field, messageId: 'validation.repeated_field', values: { field } })),
    ...[...tooLong].map((field) => ({ field, messageId: 'validation.too_long', values: { max: FIELD_BYTES } })),
  ];
  if (errors.length) throw new ValidationFailed(errors);
  request.body = fields;
}

/** The `preValidation` of an upload route: read the fields (not the file), then check the CSRF token. */
export function uploadForm(app: FastifyInstance): preValidationHookHandler[] {
  return [readMultipartForm, app.csrfProtection];
}

/**
 * The uploaded file of field `field`, for a handler whose form requires one.
 * @throws {ValidationFailed} `documents.missing` on `field` when no file (or one of another field) was sent.
 */
export function requireUpload(request: FastifyRequest, field: string): UploadedFile {
  const upload = request.upload;
  if (!upload || upload.field !== field) {
    upload?.stream.resume();
    throw new ValidationFailed([{ field, messageId: 'documents.missing' }]);
  }
  return upload;
}
