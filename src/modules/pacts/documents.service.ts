import type { Readable } from 'node:stream';
import { inTransaction, type Db, type Tx } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { PactDocumentsTable } from '../../db/schema.ts';
import { Forbidden, NotFound, SignInRequired } from '../../http/errors.ts';
import type { DocumentStore } from '../../lib/document-store.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { getPact, isPactCoordinator, type PactRecord } from './pacts.service.ts';

/**
 * Documents of a pact (receipts of disbursements): the bytes in the document store
 * (lib/document-store.ts, a local directory outside the database), one `pact_documents` row per
 * file with its sniffed type, size and SHA-256. Only the pact's coordinators add or read them;
 * for everyone else a document does not exist (404), so its id reveals nothing.
 */

/** A file to store, as it arrives (a multipart part or a Buffer). */
export interface IncomingDocument {
  source: Readable | Buffer | Uint8Array;
  /** The name the client gave it (untrusted; kept, reduced to a safe display name, as metadata). */
  filename: string;
  /** The MIME type the client declared (untrusted; must agree with the bytes unless unspecific). */
  declaredType?: string;
}

/**
 * Stores a document of a pact the viewer coordinates and, in one transaction, records its row,
 * writes `pact.document_uploaded` to the pact owner's audit log and runs `then(tx, documentId)`
 * (e.g. the disbursement proposal that names the receipt). When anything in that transaction
 * fails, the row is rolled back and the stored file removed again, so nothing is half-written.
 * @param o.field form field named in a refusal (default `file`).
 * @returns the document's id and what `then` returned.
 * @throws {SignInRequired}; {Forbidden} not a coordinator of `pact`; {DocumentRejected} (422 on
 *   `field`: empty, too large, type not allowed or not matching); whatever `then` throws.
 */
export async function addPactDocument<T = void>(
  db: Db,
  store: DocumentStore,
  viewer: Viewer | null,
  pact: PactRecord,
  file: IncomingDocument,
  o: { field?: string; then?: (tx: Tx, documentId: string) => Promise<T> } = {},
): Promise<{ documentId: string; result: T }> {
  if (!viewer) throw new SignInRequired();
  if (!isPactCoordinator(viewer, pact)) throw new Forbidden();
  const stored = await store.put(file.source, { filename: file.filename, declaredType: file.declaredType, field: o.field });
  const documentId = newId();
  try {
    const result = await inTransaction(db, async (tx) => {
      await tx
        .insertInto('pact_documents')
        .values({
          id: documentId,
          pact_id: pact.id,
          storage_key: stored.storageKey,
          filename: stored.filename,
          content_type: stored.contentType,
          size_bytes: stored.size,
          sha256: stored.sha256,
          uploaded_by: viewer.userId,
          uploaded_at: nowInstant(),
        })
        .execute();
      await recordAudit(tx, viewer, {
        organizationId: pact.organization_id,
        action: 'pact.document_uploaded',
        subjectType: 'pact',
        subjectId: pact.id,
        details: { document: documentId, contentType: stored.contentType, size: stored.size },
      });
      return o.then ? o.then(tx, documentId) : (undefined as T);
    });
    return { documentId, result };
  } catch (err) {
    await store.remove(stored.storageKey).catch(() => {});
    throw err;
  }
}

/** A document's row as the pages and the API name it (no storage path). */
export interface PactDocumentView {
  id: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  uploadedAt: string;
}

/** Rows of documents of a pact by id (for lists that link receipts); coordinators' pages only. */
export async function pactDocuments(db: Db, pactId: string, ids: string[]): Promise<Map<string, PactDocumentView>> {
  const wanted = [...new Set(ids)];
  if (!wanted.length) return new Map();
  const rows = await db.selectFrom('pact_documents').select(['id', 'filename', 'content_type', 'size_bytes', 'sha256', 'uploaded_at']).where('pact_id', '=', pactId).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, { id: r.id, filename: r.filename, contentType: r.content_type, sizeBytes: Number(r.size_bytes), sha256: r.sha256, uploadedAt: r.uploaded_at }]));
}

/**
 * Opens a document of a pact for download: only for the pact's coordinators. Anyone else —
 * anonymous, a member, someone who cannot see the pact — gets the same 404 as for a document
 * that does not exist.
 * @returns the row and the bytes as a stream (with their size).
 * @throws {NotFound}.
 */
export async function openPactDocument(
  db: Db,
  store: DocumentStore,
  viewer: Viewer | null,
  slug: string,
  documentId: string,
): Promise<{ document: PactDocumentsTable; stream: Readable; size: number }> {
  const pact = await getPact(db, viewer, slug);
  if (!isPactCoordinator(viewer, pact)) throw new NotFound();
  const document = await db.selectFrom('pact_documents').selectAll().where('pact_id', '=', pact.id).where('id', '=', documentId).executeTakeFirst();
  if (!document) throw new NotFound();
  const { stream, size } = await store.open(document.storage_key);
  return { document: { ...document, size_bytes: Number(document.size_bytes) }, stream, size };
}

/** The path of a document's download (coordinators only). */
export function documentPath(slug: string, documentId: string): string {
  return `/pacts/${slug}/documents/${documentId}`;
}
