import type { Readable } from 'node:stream';
import type { Selectable } from 'kysely';
import { inTransaction, type Db, type Tx } from '../../db/client.ts';
import type { SupporterImportsTable } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import { NotFound, ValidationFailed, type FieldError } from '../../http/errors.ts';
import type { CsvTable } from '../../lib/csv-read.ts';
import { newId } from '../../lib/ids.ts';
import { DataKeyError, open, seal, SealError, type Keyring } from '../../lib/sealed.ts';
import { nowInstant } from '../../lib/time.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { getCampaignForCoordinator, type CampaignRecord } from './campaigns.access.ts';
import {
  checkMapping,
  guessMapping,
  importSupporterRows,
  readSupporterCsv,
  SupporterFileError,
  validateSupporterRow,
  type ColumnMapping,
  ImportInterrupted,
  type ImportCounts,
  type RowIssue,
} from './supporters-import.ts';
import { parseStoredIssues, parseStoredMapping, type StoredIssue } from './supporters-io.schemas.ts';

/** A stored import row as read. */
export type ImportRow = Selectable<SupporterImportsTable>;

/**
 * Supporter imports from the web UI, kept in `supporter_imports`: the uploaded file is stored
 * sealed (it holds e-mail addresses; aad `supporter_imports:<id>`) while a coordinator previews it
 * (status `preview`), then the import runs in the background of the server process (`running`),
 * recording its counts and findings with every batch in the batch's own transaction, and ends
 * `done` or `failed`; the sealed file is cleared either way. A run that the process did not finish
 * (a restart) continues after its last committed batch ({@link resumableImports}); each batch's
 * progress update is conditional on the progress it started from, so two processes can never
 * count one batch twice.
 */

/** Largest file accepted for an import, in bytes (about 70,000 supporters). */
export const SUPPORTER_FILE_MAX_BYTES = 5 * 1024 * 1024;
/** Findings kept with an import (the first ones by line); the counts always cover all rows. */
export const MAX_STORED_ISSUES = 1000;
/** Rows shown in the preview. */
export const PREVIEW_ROWS = 8;
/** Previews nobody started are deleted (with their sealed file) after this many hours. */
export const PREVIEW_HOURS = 24;
/** Longest consent basis (characters). */
export const MAX_CONSENT_BASIS = 500;

/** The associated data of `supporter_imports.file_sealed`: `supporter_imports:<id>`. */
export function importAad(id: string): string {
  return `supporter_imports:${id}`;
}

/** An import as the pages show it. */
export interface SupporterImportView {
  id: string;
  campaignId: string;
  filename: string;
  status: SupporterImportsTable['status'];
  mapping: ColumnMapping;
  consentBasis: string | null;
  counts: ImportCounts;
  /** Stored findings (at most {@link MAX_STORED_ISSUES}), line order; without the failure. */
  issues: StoredIssue[];
  /** Why a failed run failed (catalog id). */
  failure: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** The view of a stored import row. */
export function importView(row: ImportRow): SupporterImportView {
  const stored = parseStoredIssues(row.errors);
  const processed = Number(row.processed_rows);
  const imported = Number(row.imported);
  const duplicates = Number(row.duplicates);
  return {
    id: row.id,
    campaignId: row.campaign_id,
    filename: row.filename,
    status: row.status,
    mapping: parseStoredMapping(row.mapping),
    consentBasis: row.consent_basis,
    counts: { total: Number(row.total_rows), processed, imported, duplicates, rejected: processed - imported - duplicates },
    issues: stored.filter((i) => i.kind !== 'failure'),
    failure: stored.find((i) => i.kind === 'failure')?.messageId ?? null,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

/**
 * Reads an upload up to `max` bytes.
 * @returns the bytes, or null when the file is larger (the rest is drained, not kept).
 */
export async function readUpload(stream: Readable, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) {
      stream.resume();
      return null;
    }
    chunks.push(chunk as Buffer);
  }
  if ((stream as Readable & { truncated?: boolean }).truncated) return null;
  return Buffer.concat(chunks);
}

/** A file problem as the field error of the upload form's `file` field. */
function fileError(err: SupporterFileError): ValidationFailed {
  return new ValidationFailed([{ field: 'file', messageId: err.messageId, values: err.values }]);
}

/**
 * Stores an uploaded supporter CSV for preview: checks that it reads as CSV with a header and
 * rows, seals it, records the guessed mapping and `campaign.supporters_import_uploaded` in the
 * audit log of every issuing organization, and deletes the campaign's previews older than
 * {@link PREVIEW_HOURS} hours.
 * @returns the import's id.
 * @throws {NotFound}/{SignInRequired}/{Forbidden} (campaign coordinators only);
 *   {ValidationFailed} on `file` (`supporters_io.file.*`); {DataKeyError} without a data key.
 */
export async function createSupporterImport(db: Db, keyring: Keyring, viewer: Viewer | null, slug: string, file: { filename: string; bytes: Buffer }): Promise<string> {
  const campaign = await getCampaignForCoordinator(db, viewer, slug);
  let table: CsvTable;
  try {
    table = readSupporterCsv(file.bytes);
  } catch (err) {
    if (err instanceof SupporterFileError) throw fileError(err);
    throw err;
  }
  const id = newId();
  const now = nowInstant();
  const filename = (file.filename.normalize('NFC').replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '').trim() || 'supporters.csv').slice(0, 200);
  const sealed = seal(keyring, file.bytes.toString('base64'), importAad(id));
  await inTransaction(db, async (tx) => {
    const stale = new Date(Date.now() - PREVIEW_HOURS * 3_600_000).toISOString();
    await tx.deleteFrom('supporter_imports').where('campaign_id', '=', campaign.id).where('status', '=', 'preview').where('created_at', '<', stale).execute();
    await tx
      .insertInto('supporter_imports')
      .values({
        id,
        campaign_id: campaign.id,
        filename,
        file_sealed: sealed,
        mapping: JSON.stringify(guessMapping(table.header)),
        consent_basis: null,
        status: 'preview',
        total_rows: table.records.length,
        errors: null,
        created_by: viewer!.userId,
        created_at: now,
        finished_at: null,
      })
      .execute();
    for (const org of campaign.issuerIds)
      await recordAudit(tx, viewer, { organizationId: org, action: 'campaign.supporters_import_uploaded', subjectType: 'supporter_import', subjectId: id, details: { rows: table.records.length } });
  });
  return id;
}

/**
 * Stores an import that starts right away (the command line: the operator is trusted and names
 * the campaign, the mapping and the consent basis): the file sealed, status `running`, no
 * account; records `campaign.supporters_import_started` in the audit log of every issuing
 * organization. Run it with {@link runStoredImport}.
 * @returns the import's id. @throws {DataKeyError} without a data key.
 */
export async function createRunningImport(
  db: Db,
  keyring: Keyring,
  o: { campaignId: string; filename: string; bytes: Buffer; rows: number; mapping: ColumnMapping; consentBasis: string },
): Promise<string> {
  const id = newId();
  const sealed = seal(keyring, o.bytes.toString('base64'), importAad(id));
  await inTransaction(db, async (tx) => {
    const campaign = await tx.selectFrom('campaigns').select('organization_id').where('id', '=', o.campaignId).executeTakeFirstOrThrow();
    const issuers = await tx.selectFrom('campaign_organizations').select('organization_id').where('campaign_id', '=', o.campaignId).execute();
    await tx
      .insertInto('supporter_imports')
      .values({
        id,
        campaign_id: o.campaignId,
        filename: o.filename.slice(0, 200),
        file_sealed: sealed,
        mapping: JSON.stringify(o.mapping),
        consent_basis: o.consentBasis,
        status: 'running',
        total_rows: o.rows,
        errors: null,
        created_by: null,
        created_at: nowInstant(),
        finished_at: null,
      })
      .execute();
    for (const org of new Set([campaign.organization_id, ...issuers.map((r) => r.organization_id)]))
      await recordAudit(tx, null, { organizationId: org, action: 'campaign.supporters_import_started', subjectType: 'supporter_import', subjectId: id, details: { rows: o.rows, consentBasis: o.consentBasis } });
  });
  return id;
}

/** The stored file of an import, read as CSV. @throws {SealError}/{DataKeyError}; {SupporterFileError}. */
function storedTable(keyring: Keyring, row: ImportRow): CsvTable {
  return readSupporterCsv(Buffer.from(open(keyring, row.file_sealed!, importAad(row.id)), 'base64'));
}

/** An import of the campaign `slug` for one of its coordinators. @throws {NotFound} (also for an import of another campaign). */
export async function getSupporterImport(db: Db, viewer: Viewer | null, slug: string, id: string): Promise<{ campaign: CampaignRecord; row: ImportRow }> {
  const campaign = await getCampaignForCoordinator(db, viewer, slug);
  const row = await db.selectFrom('supporter_imports').selectAll().where('id', '=', id).where('campaign_id', '=', campaign.id).executeTakeFirst();
  if (!row) throw new NotFound();
  return { campaign, row };
}

/** The recent imports of a campaign, newest first (at most 20). */
export async function listSupporterImports(db: Db, campaignId: string): Promise<SupporterImportView[]> {
  const rows = await db.selectFrom('supporter_imports').selectAll().where('campaign_id', '=', campaignId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(20).execute();
  return rows.map(importView);
}

/** What the preview page shows about the file with a mapping. */
export interface ImportPreview {
  encoding: CsvTable['encoding'];
  delimiter: CsvTable['delimiter'];
  header: string[];
  /** The first {@link PREVIEW_ROWS} data rows with their line numbers. */
  rows: { line: number; cells: string[] }[];
  /** Rows that would be imported, rejected, or skipped as repeats within the file (before the check against existing supporters). */
  valid: number;
  rejected: number;
  repeated: number;
  /** Findings with this mapping, the first {@link MAX_STORED_ISSUES}. */
  issues: RowIssue[];
}

/**
 * The preview of an import's stored file under `mapping`: detected encoding and separator, the
 * first rows, and every row checked (errors and repeats within the file; existing supporters are
 * found when it runs).
 * @throws {SealError}/{DataKeyError} when the file cannot be opened.
 */
export function previewImport(keyring: Keyring, row: ImportRow, campaign: CampaignRecord, mapping: ColumnMapping): ImportPreview {
  const table = storedTable(keyring, row);
  const now = nowInstant();
  const seen = new Map<string, number>();
  const issues: RowIssue[] = [];
  let valid = 0;
  let rejected = 0;
  let repeated = 0;
  const usable = checkMapping(mapping, table.header).length === 0;
  for (const record of usable ? table.records : []) {
    const r = validateSupporterRow(record, mapping, { defaultLang: campaign.original_lang, now });
    if ('issues' in r) {
      rejected += 1;
      if (issues.length < MAX_STORED_ISSUES) issues.push(...r.issues);
    } else if (seen.has(r.key)) {
      repeated += 1;
      if (issues.length < MAX_STORED_ISSUES) issues.push({ line: record.line, field: 'email', messageId: 'supporters_io.row.duplicate_in_file', values: { line: seen.get(r.key)! }, kind: 'duplicate' });
    } else {
      seen.set(r.key, record.line);
      valid += 1;
    }
  }
  return {
    encoding: table.encoding,
    delimiter: table.delimiter,
    header: table.header,
    rows: table.records.slice(0, PREVIEW_ROWS),
    valid,
    rejected,
    repeated,
    issues: issues.slice(0, MAX_STORED_ISSUES),
  };
}

/** The preview form's input: the chosen mapping, the consent basis, and whether to start. */
export interface StartInput {
  mapping: ColumnMapping;
  consentBasis: unknown;
}

/**
 * Checks the preview form and saves the mapping and consent basis on an import in `preview`;
 * with `start`, also moves it to `running` (a conditional update, so a double submit starts it
 * once) and records `campaign.supporters_import_started` (with the stated basis) in the audit log
 * of every issuing organization. The caller then runs it ({@link runStoredImport}).
 * @returns whether this call started it.
 * @throws {NotFound}/{SignInRequired}/{Forbidden}; {ValidationFailed} on `map_<field>`
 *   (`supporters_io.map.*`) or `consentBasis` (required to start, one line, ≤ 500 characters);
 *   {Conflict}-free: an import that is no longer in preview is left as it is (returns false).
 */
export async function saveImportChoices(db: Db, keyring: Keyring, viewer: Viewer | null, slug: string, id: string, input: StartInput, o: { start: boolean }): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const { campaign, row } = await getSupporterImport(tx, viewer, slug, id);
    if (row.status !== 'preview') return false;
    const header = storedTable(keyring, row).header;
    const c = new FieldChecker();
    const consentBasis = c.line('consentBasis', input.consentBasis, { required: o.start, max: MAX_CONSENT_BASIS });
    const errors: FieldError[] = [...checkMapping(input.mapping, header), ...c.errors];
    if (errors.length && o.start) throw new ValidationFailed(errors);
    const mapping = JSON.stringify(input.mapping);
    if (!o.start) {
      await tx.updateTable('supporter_imports').set({ mapping, consent_basis: consentBasis }).where('id', '=', id).where('status', '=', 'preview').execute();
      if (errors.length) throw new ValidationFailed(errors);
      return false;
    }
    const started = await tx
      .updateTable('supporter_imports')
      .set({ mapping, consent_basis: consentBasis, status: 'running', processed_rows: 0, imported: 0, duplicates: 0, errors: null })
      .where('id', '=', id)
      .where('status', '=', 'preview')
      .executeTakeFirst();
    if (Number(started.numUpdatedRows) !== 1) return false;
    for (const org of campaign.issuerIds)
      await recordAudit(tx, viewer, { organizationId: org, action: 'campaign.supporters_import_started', subjectType: 'supporter_import', subjectId: id, details: { rows: Number(row.total_rows), consentBasis } });
    return true;
  });
}

/**
 * Deletes an import still in preview, with its sealed file (the coordinator changed their mind).
 * @returns false when it is no longer in preview (nothing changes).
 * @throws {NotFound}/{SignInRequired}/{Forbidden}.
 */
export async function discardSupporterImport(db: Db, viewer: Viewer | null, slug: string, id: string): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const { campaign } = await getSupporterImport(tx, viewer, slug, id);
    const r = await tx.deleteFrom('supporter_imports').where('id', '=', id).where('status', '=', 'preview').executeTakeFirst();
    if (Number(r.numDeletedRows) !== 1) return false;
    for (const org of campaign.issuerIds) await recordAudit(tx, viewer, { organizationId: org, action: 'campaign.supporters_import_discarded', subjectType: 'supporter_import', subjectId: id });
    return true;
  });
}

/** Thrown inside a batch when another run recorded progress first: that batch is rolled back and this run stops. */
class ImportSuperseded extends Error {}

/** The catalog id of why a run failed. */
function failureMessage(err: unknown): string {
  if (err instanceof DataKeyError) return 'supporters_io.failed.data_key';
  if (err instanceof SealError || err instanceof SupporterFileError) return 'supporters_io.failed.file';
  return 'supporters_io.failed.database';
}

/** The findings kept with an import: the first {@link MAX_STORED_ISSUES} in line order. */
function storedIssues(issues: readonly StoredIssue[]): string {
  return JSON.stringify(issues.slice(0, MAX_STORED_ISSUES));
}

/** The counts at the end of a run, in the audit log. */
function countDetails(c: ImportCounts) {
  return { rows: c.total, imported: c.imported, duplicates: c.duplicates, rejected: c.rejected };
}

/**
 * Runs (or continues) the import `id` in status `running`: opens its sealed file, imports the rows
 * after the last committed batch (`importSupporterRows`, batches of 500, progress and findings
 * recorded in each batch's transaction), then marks it `done`, clears the sealed file and records
 * `campaign.supporters_imported` with the counts. On an error the running batch is rolled back and
 * the import is marked `failed` with the reason (the batches before stay, counted), the sealed file
 * cleared, and `campaign.supporters_import_failed` recorded; the error is returned, not thrown.
 * @param o.onProgress called after each committed batch; o.shouldStop asked before each batch
 *   (true: stop there, leaving the import `running` to be continued by {@link resumableImports}).
 * @returns the final view, or null when the import is not running, another run took it over, or
 *   it was stopped.
 */
export async function runStoredImport(
  db: Db,
  keyring: Keyring,
  id: string,
  o: { onProgress?: (c: ImportCounts) => void; batchSize?: number; shouldStop?: () => boolean } = {},
): Promise<{ view: SupporterImportView; error: unknown } | null> {
  const row = await db.selectFrom('supporter_imports').selectAll().where('id', '=', id).where('status', '=', 'running').executeTakeFirst();
  if (!row) return null;
  const campaign = await db.selectFrom('campaigns').select(['id', 'organization_id', 'original_lang']).where('id', '=', row.campaign_id).executeTakeFirstOrThrow();
  const issuers = await db.selectFrom('campaign_organizations').select('organization_id').where('campaign_id', '=', campaign.id).execute();
  // The audit log of every issuing organization, the owner first (as campaigns.access.ts orders them).
  const orgs = [...new Set([campaign.organization_id, ...issuers.map((r) => r.organization_id)])];
  const before = importView(row);
  let progress = before.counts.processed;
  const finish = async (tx: Tx, status: 'done' | 'failed', issues: string | null, details: Record<string, unknown>, action: 'campaign.supporters_imported' | 'campaign.supporters_import_failed') => {
    const r = await tx
      .updateTable('supporter_imports')
      .set({ status, file_sealed: null, finished_at: nowInstant(), ...(issues === null ? {} : { errors: issues }) })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('processed_rows', '=', progress)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new ImportSuperseded();
    for (const org of orgs) await recordAudit(tx, null, { organizationId: org, actorUserId: row.created_by ?? undefined, action, subjectType: 'supporter_import', subjectId: id, details });
  };
  let issues: StoredIssue[] = before.issues;
  let pending: readonly StoredIssue[] = issues;
  try {
    const table = storedTable(keyring, row);
    const outcome = await importSupporterRows(db, keyring, {
      campaignId: campaign.id,
      table,
      mapping: before.mapping,
      consentBasis: row.consent_basis ?? '',
      importId: id,
      defaultLang: campaign.original_lang,
      now: nowInstant(),
      batchSize: o.batchSize,
      shouldStop: o.shouldStop,
      resume: { processed: before.counts.processed, imported: before.counts.imported, duplicates: before.counts.duplicates, issues: before.issues as RowIssue[] },
      commit: async (tx, c, all) => {
        const r = await tx
          .updateTable('supporter_imports')
          .set({ processed_rows: c.processed, imported: c.imported, duplicates: c.duplicates, total_rows: c.total, errors: storedIssues(all) })
          .where('id', '=', id)
          .where('status', '=', 'running')
          .where('processed_rows', '=', progress)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new ImportSuperseded();
        pending = all;
      },
      onProgress: (c) => {
        // Called once the batch has committed: its counts and findings are now the stored ones.
        progress = c.processed;
        issues = [...pending];
        o.onProgress?.(c);
      },
    });
    await inTransaction(db, (tx) => finish(tx, 'done', null, countDetails(outcome), 'campaign.supporters_imported'));
  } catch (err) {
    // Taken over by another run, or stopped with the server: it stays `running`, to be continued.
    if (err instanceof ImportSuperseded || err instanceof ImportInterrupted) return null;
    const failure: StoredIssue = { line: 0, field: null, messageId: failureMessage(err), kind: 'failure' };
    try {
      await inTransaction(db, (tx) => finish(tx, 'failed', storedIssues([failure, ...issues]), { processed: progress }, 'campaign.supporters_import_failed'));
    } catch (inner) {
      if (inner instanceof ImportSuperseded) return null;
      throw inner;
    }
    const after = await db.selectFrom('supporter_imports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { view: importView(after), error: err };
  }
  const after = await db.selectFrom('supporter_imports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return { view: importView(after), error: null };
}

/** Ids of imports in `running` (to continue after a restart), oldest first. */
export async function resumableImports(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('supporter_imports').select('id').where('status', '=', 'running').orderBy('created_at').execute();
  return rows.map((r) => r.id);
}
