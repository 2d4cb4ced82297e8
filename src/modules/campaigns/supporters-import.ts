import { inTransaction, type Db, type Tx } from '../../db/client.ts';
import { readCsvTable, type CsvTable } from '../../lib/csv-read.ts';
import { unneutralize } from '../../lib/csv-safe.ts';
import { isLanguageTag, canonicalLanguageTag } from '../../lib/countries.ts';
import { supporterEmailKey } from '../../lib/email.ts';
import { hasBidiControls } from '../../lib/text.ts';
import type { Keyring } from '../../lib/sealed.ts';
import { supporterHashesAllKeys } from './supporter-keys.ts';
import { insertConfirmedSupporters, type NewSupporter } from './supporters.store.ts';
import { parseConsentedAt, parseYesNo, resolveCountry, SupporterFileError, type ColumnMapping, type SupporterField } from './supporters-import-fields.ts';

export {
  checkMapping,
  guessMapping,
  mappingWithOverrides,
  parseConsentedAt,
  parseYesNo,
  REQUIRED_FIELDS,
  resolveCountry,
  SUPPORTER_FIELDS,
  SupporterFileError,
  type ColumnMapping,
  type SupporterField,
} from './supporters-import-fields.ts';

/**
 * CSV import of supporters (the CLI `import supporters` and the web import share it): the file is
 * read with {@link readCsvTable} (UTF-8 with or without BOM — case B16 — or Windows-1252; `,`, `;`
 * or TAB), its columns are mapped to supporter fields (guessed from English and German header
 * names, including the ones our export writes; overridable), every row is validated with its line
 * number, repeats of an e-mail within the file and supporters the campaign has already are
 * counted as duplicates (not errors), and the valid rows are written in batches of
 * {@link BATCH_SIZE}, each one transaction through `insertConfirmedSupporters` (source `import`,
 * the stated consent basis, the import's id) together with the import's progress — so the counts
 * always match the rows, and a re-run imports nothing new.
 *
 * Cells our own export neutralized against spreadsheet formulas (a leading `'`, case B19) are read
 * back with `unneutralize`, and such a cell is taken literally (not trimmed), so an export
 * re-imported gives the original values.
 */

/** Rows written per transaction. */
export const BATCH_SIZE = 500;
/** Longest name, city or affiliation accepted (characters). */
export const MAX_TEXT = 200;

/**
 * Reads the bytes of a supporter CSV: {@link readCsvTable}, with the header cells un-neutralized.
 * @throws {SupporterFileError} `supporters_io.file.not_csv` (with `line`) for text csv-parse
 *   refuses, `supporters_io.file.empty` without a header, `supporters_io.file.no_rows` with a
 *   header and no data row.
 */
export function readSupporterCsv(bytes: Uint8Array): CsvTable {
  let table: CsvTable;
  try {
    table = readCsvTable(bytes);
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw new SupporterFileError('supporters_io.file.not_csv', { line: typeof line === 'number' ? line : 1 });
  }
  if (!table.header.some((h) => h !== '')) throw new SupporterFileError('supporters_io.file.empty');
  if (!table.records.length) throw new SupporterFileError('supporters_io.file.no_rows');
  return { ...table, header: table.header.map((h) => unneutralize(h).trim()) };
}

/** One finding about a row: an error (the row is not imported) or a duplicate (skipped, not an error). */
export interface RowIssue {
  /** Physical line of the file where the row starts (the header is line 1). */
  line: number;
  /** The field at fault; null for the row as a whole. */
  field: SupporterField | null;
  /** Catalog id; `values` never hold an e-mail address or a name (the report is stored unsealed). */
  messageId: string;
  values?: Record<string, string | number>;
  kind: 'error' | 'duplicate';
}

/** A free-text cell after un-neutralizing: taken literally when our export had marked it, else trimmed; NFC. */
function cellText(raw: string | undefined): string {
  const cell = raw ?? '';
  const restored = unneutralize(cell);
  return restored !== cell ? restored.normalize('NFC') : cell.normalize('NFC').trim();
}

/** Control characters other than TAB (which a spreadsheet cell may hold) and line breaks. */
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

/** Options of row validation. */
export interface RowOptions {
  /** BCP 47 tag for rows without a language (the campaign's original language). */
  defaultLang: string;
  /** Instant of the import (ISO 8601 UTC): consents without a time get it; later ones are refused. */
  now: string;
}

/**
 * Validates one data row under `mapping`.
 * @returns the supporter with its duplicate key (`supporterEmailKey`), or the row's errors
 *   (message ids `supporters_io.row.*`, never holding the address or the name).
 */
export function validateSupporterRow(
  record: { line: number; cells: string[] },
  mapping: ColumnMapping,
  o: RowOptions,
): { supporter: NewSupporter; key: string } | { issues: RowIssue[] } {
  const issues: RowIssue[] = [];
  const get = (field: SupporterField) => (mapping[field] === undefined ? '' : cellText(record.cells[mapping[field]!]));
  const fail = (field: SupporterField, messageId: string, values?: Record<string, string | number>) => {
    issues.push({ line: record.line, field, messageId, ...(values ? { values } : {}), kind: 'error' });
    return null;
  };
  /** A short quote of a non-personal cell for the report. */
  const quote = (v: string) => (v.length > 40 ? `${v.slice(0, 39)}…` : v);
  const text = (field: SupporterField, required: boolean) => {
    const v = get(field);
    if (!v) return required ? fail(field, 'supporters_io.row.required') : null;
    if (CONTROLS.test(v) || hasBidiControls(v)) return fail(field, 'supporters_io.row.characters');
    if (v.length > MAX_TEXT) return fail(field, 'supporters_io.row.too_long', { max: MAX_TEXT });
    return v;
  };

  const email = get('email');
  const key = email ? supporterEmailKey(email) : null;
  if (!email) fail('email', 'supporters_io.row.required');
  else if (!key || email.length > 254) fail('email', 'supporters_io.row.email');
  const name = text('name', true);
  const countryCell = get('country');
  const country = countryCell ? resolveCountry(countryCell) : null;
  if (!countryCell) fail('country', 'supporters_io.row.required');
  else if (!country) fail('country', 'supporters_io.row.country', { value: quote(countryCell) });
  const city = text('city', false);
  const affiliation = text('affiliation', false);
  const langCell = get('lang');
  let lang = o.defaultLang;
  if (langCell) {
    if (isLanguageTag(langCell) && langCell.length <= 35) lang = canonicalLanguageTag(langCell);
    else fail('lang', 'supporters_io.row.language', { value: quote(langCell) });
  }
  const flag = (field: 'listPublicly' | 'contactOk') => {
    const v = get(field);
    const b = parseYesNo(v);
    if (b === null) fail(field, 'supporters_io.row.yes_no', { value: quote(v) });
    return b ?? false;
  };
  const listPublicly = flag('listPublicly');
  const contactOk = flag('contactOk');
  const consentCell = get('consentedAt');
  let consentedAt = o.now;
  if (consentCell) {
    const at = parseConsentedAt(consentCell);
    if (!at) fail('consentedAt', 'supporters_io.row.date', { value: quote(consentCell) });
    else if (at > o.now) fail('consentedAt', 'supporters_io.row.date_future', { value: quote(consentCell) });
    else consentedAt = at;
  }
  if (issues.length) return { issues };
  return { supporter: { email, name: name!, country: country!, city, affiliation, lang, listPublicly, contactOk, consentedAt }, key: key! };
}

/** Counts of an import so far. */
export interface ImportCounts {
  /** Data rows of the file. */
  total: number;
  /** Rows looked at (written, skipped or rejected). */
  processed: number;
  imported: number;
  /** Repeats within the file and supporters the campaign had already. */
  duplicates: number;
  /** Rows with errors (not imported). */
  rejected: number;
}

/** Where an import resumes: the counts and findings stored after its last committed batch. */
export interface ImportResume {
  processed: number;
  imported: number;
  duplicates: number;
  issues: RowIssue[];
}

/** Arguments of {@link importSupporterRows}. */
export interface ImportRowsArgs extends RowOptions {
  campaignId: string;
  table: CsvTable;
  mapping: ColumnMapping;
  /** What the importer states about the supporters' consent (stored on each row). */
  consentBasis: string;
  /** The `supporter_imports` row (stored on each supporter). */
  importId: string;
  /** Rows per transaction (default {@link BATCH_SIZE}). */
  batchSize?: number;
  /** Continue an import after its last committed batch (the web import after a restart). */
  resume?: ImportResume;
  /**
   * Called inside each batch's transaction after the rows are written, with the counts and
   * findings so far: the caller records the progress there (so both commit or neither). A throw
   * rolls the batch back and ends the import.
   */
  commit?: (tx: Tx, counts: ImportCounts, issues: readonly RowIssue[]) => Promise<void>;
  /** Called after each committed batch (progress bar). */
  onProgress?: (counts: ImportCounts) => void;
  /** Only check: nothing is written; supporters the campaign has already are still found. */
  dryRun?: boolean;
  /** Asked before each batch; true ends the import there with {@link ImportInterrupted} (the server is stopping). */
  shouldStop?: () => boolean;
}

/** The import was stopped between two batches ({@link ImportRowsArgs.shouldStop}); the committed batches stay. */
export class ImportInterrupted extends Error {
  constructor() {
    super('supporter import interrupted');
    this.name = 'ImportInterrupted';
  }
}

/** The result of an import: the counts and every finding, by line. */
export interface ImportOutcome extends ImportCounts {
  issues: RowIssue[];
}

/** Indexes (into `emails`) of addresses the campaign has a supporter for already, under any data key. */
async function existingIndexes(db: Db, keyring: Keyring, campaignId: string, emails: string[]): Promise<number[]> {
  const hashes = emails.map((e) => supporterHashesAllKeys(keyring, e).map((h) => h.emailHash));
  const all = hashes.flat();
  const found = new Set<string>();
  for (let i = 0; i < all.length; i += 500) {
    const rows = await db.selectFrom('supporters').select('email_hash').where('campaign_id', '=', campaignId).where('email_hash', 'in', all.slice(i, i + 500)).execute();
    for (const r of rows) found.add(r.email_hash);
  }
  return hashes.flatMap((hs, i) => (hs.some((h) => found.has(h)) ? [i] : []));
}

/**
 * Imports the rows of `table` into the campaign: validates each row, skips repeats of an e-mail
 * key within the file (the first is kept) and supporters the campaign has already, and writes the
 * rest in batches of `batchSize` file rows, each batch one transaction (`insertConfirmedSupporters`
 * with source `import`, plus `commit`). A batch that fails rolls back and the error propagates:
 * the batches before it stay, counted.
 * @returns the counts and the findings in line order.
 * @throws {ImportInterrupted} when `shouldStop` said so; {DataKeyError} without a data key;
 *   database errors.
 */
export async function importSupporterRows(db: Db, keyring: Keyring, args: ImportRowsArgs): Promise<ImportOutcome> {
  const records = args.table.records;
  const size = args.batchSize ?? BATCH_SIZE;
  const resume = args.resume;
  const counts: ImportCounts = {
    total: records.length,
    processed: resume?.processed ?? 0,
    imported: resume?.imported ?? 0,
    duplicates: resume?.duplicates ?? 0,
    rejected: 0,
  };
  const issues: RowIssue[] = [...(resume?.issues ?? [])];
  counts.rejected = counts.processed - counts.imported - counts.duplicates;
  const seen = new Map<string, number>();
  const rowOptions = { defaultLang: args.defaultLang, now: args.now };
  for (let start = 0; start < records.length; start += size) {
    const chunk = records.slice(start, start + size);
    const fresh: RowIssue[] = [];
    const valid: { line: number; supporter: NewSupporter }[] = [];
    let rejected = 0;
    let duplicates = 0;
    chunk.forEach((record, i) => {
      const done = start + i < counts.processed;
      const r = validateSupporterRow(record, args.mapping, rowOptions);
      if ('issues' in r) {
        if (!done) {
          fresh.push(...r.issues);
          rejected += 1;
        }
        return;
      }
      const first = seen.get(r.key);
      if (first !== undefined) {
        if (!done) {
          fresh.push({ line: record.line, field: 'email', messageId: 'supporters_io.row.duplicate_in_file', values: { line: first }, kind: 'duplicate' });
          duplicates += 1;
        }
        return;
      }
      seen.set(r.key, record.line);
      if (!done) valid.push({ line: record.line, supporter: r.supporter });
    });
    const end = start + chunk.length;
    if (end <= counts.processed) continue;
    if (args.shouldStop?.()) throw new ImportInterrupted();
    const write = async (tx: Db) => {
      const existing = args.dryRun
        ? await existingIndexes(tx, keyring, args.campaignId, valid.map((v) => v.supporter.email))
        : (await insertConfirmedSupporters(tx, keyring, args.campaignId, valid.map((v) => v.supporter), { source: 'import', consentBasis: args.consentBasis, importId: args.importId, now: args.now })).duplicateIndexes;
      for (const i of existing) fresh.push({ line: valid[i]!.line, field: 'email', messageId: 'supporters_io.row.duplicate_existing', kind: 'duplicate' });
      fresh.sort((a, b) => a.line - b.line);
      const next: ImportCounts = {
        total: records.length,
        processed: end,
        imported: counts.imported + valid.length - existing.length,
        duplicates: counts.duplicates + duplicates + existing.length,
        rejected: counts.rejected + rejected,
      };
      if (args.commit && !args.dryRun) await args.commit(tx as Tx, next, [...issues, ...fresh]);
      return next;
    };
    const next = args.dryRun || !valid.length && !args.commit ? await write(db) : await inTransaction(db, write);
    Object.assign(counts, next);
    issues.push(...fresh);
    args.onProgress?.({ ...counts });
    // Let the server answer other requests between batches: with the synchronous SQLite driver
    // every query resolves at once, and a whole import would otherwise run without giving up
    // the event loop.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { ...counts, issues };
}
