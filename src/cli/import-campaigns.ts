import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { Db } from '../db/client.ts';
import { isLocale, translator, type Translator } from '../i18n/i18n.ts';
import type { Keyring } from '../lib/sealed.ts';
import type { CsvTable } from '../lib/csv-read.ts';
import {
  checkMapping,
  importSupporterRows,
  mappingWithOverrides,
  readSupporterCsv,
  SUPPORTER_FIELDS,
  SupporterFileError,
  type ColumnMapping,
  type ImportCounts,
  type ImportOutcome,
  type RowIssue,
} from '../modules/campaigns/supporters-import.ts';
import { createRunningImport, runStoredImport, MAX_CONSENT_BASIS } from '../modules/campaigns/supporters-import-jobs.ts';
import { importUkPetitionTallies, readUkPetition, UkPetitionFileError, type UkPetition } from '../modules/campaigns/tallies-import-uk.ts';

/**
 * The bodies of `solidaris import supporters FILE --campaign SLUG --consent-basis TEXT [--map
 * field=COLUMN …] [--dry-run]` and `solidaris import tallies --format uk-petition FILE --campaign
 * SLUG`. The operator is trusted (any campaign; the records name no account). Messages follow
 * the shell's language; the report goes to `out`, argument and file problems to `err`.
 */

type Stream = NodeJS.WritableStream;

/** Exit status: 0 done, 1 rows rejected or the file unusable, 2 a missing or wrong argument. */
export type ExitCode = 0 | 1 | 2;

/** Arguments of {@link runSupportersImport}. */
export interface SupportersImportArgs {
  file: string;
  campaign: string | undefined;
  consentBasis: string | undefined;
  /** `field=COLUMN` overrides of the guessed mapping (COLUMN: header name or 1-based number). */
  map?: string[];
  /** Check and report only; nothing is written. */
  dryRun?: boolean;
  db: Db;
  keyring: Keyring;
  locale?: string;
  out?: Stream;
  err?: Stream;
  /** Progress: a bar when `out` is a terminal, else a line per batch on `err`; false: none. */
  progress?: boolean;
  /** Rows per transaction (tests). */
  batchSize?: number;
}

const ENCODINGS: Record<CsvTable['encoding'], string> = { 'utf-8': 'supporters_io.encoding.utf8', 'utf-8-bom': 'supporters_io.encoding.utf8_bom', 'windows-1252': 'supporters_io.encoding.windows_1252' };
const DELIMITERS: Record<CsvTable['delimiter'], string> = { ',': 'supporters_io.delimiter.comma', ';': 'supporters_io.delimiter.semicolon', '\t': 'supporters_io.delimiter.tab' };

/** `email ← “E-Mail”, name ← “Name”, …` and the fields left out. */
function mappingLines(tr: Translator, header: string[], mapping: ColumnMapping): string[] {
  const mapped = SUPPORTER_FIELDS.filter((f) => mapping[f] !== undefined).map((f) => tr.t('supporters_io.cli.mapped', { field: f, column: header[mapping[f]!] || String(mapping[f]! + 1) }));
  const unmapped = SUPPORTER_FIELDS.filter((f) => mapping[f] === undefined);
  const lines = [tr.t('supporters_io.cli.columns', { columns: mapped.join(', ') })];
  if (unmapped.length) lines.push(tr.t('supporters_io.cli.unmapped', { fields: unmapped.join(', ') }));
  return lines;
}

/** One finding as a report line: `Line 12, e-mail: …`. */
export function issueLine(tr: Translator, i: Pick<RowIssue, 'line' | 'field' | 'messageId' | 'values'>): string {
  const message = tr.t(i.messageId, i.values);
  return i.field
    ? tr.t('supporters_io.report.line_field', { line: String(i.line), field: tr.t(`supporters_io.fields.${i.field}`), message })
    : tr.t('supporters_io.report.line', { line: String(i.line), message });
}

/** A progress display: cli-progress on a terminal, plain lines otherwise. */
function progressDisplay(tr: Translator, out: Stream, err: Stream, enabled: boolean) {
  const tty = enabled && (out as NodeJS.WriteStream).isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(c: ImportCounts) {
      if (!enabled) return;
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              stream: out,
              format: tr.t('supporters_io.cli.bar', { bar: '{bar}', percentage: '{percentage}', value: '{value}', total: '{total}' }),
              hideCursor: true,
              clearOnComplete: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(c.total, 0);
        }
        bar.update(c.processed);
      } else err.write(`${tr.t('supporters_io.cli.progress', { processed: c.processed, total: c.total, imported: c.imported })}\n`);
    },
    stop() {
      (bar as cliProgress.SingleBar | null)?.stop();
    },
  };
}

/**
 * Imports a supporter CSV into a campaign (see the module docs): prints the detected encoding and
 * separator and the mapping, imports with a progress display (or, with `dryRun`, only checks —
 * against the campaign's supporters too), then the counts and every rejected and duplicate row by
 * line.
 * @returns the exit status (1 when rows were rejected or the file cannot be read as CSV; 2 for a
 *   missing campaign or consent basis, an unknown campaign, an unreadable file or a bad `--map`)
 *   and the outcome when the rows were gone through.
 */
export async function runSupportersImport(args: SupportersImportArgs): Promise<{ exitCode: ExitCode; outcome: ImportOutcome | null }> {
  const tr = translator(isLocale(args.locale) ? args.locale : 'en');
  const out = args.out ?? process.stdout;
  const err = args.err ?? process.stderr;
  const write = (line: string) => out.write(`${line}\n`);
  const fail = (line: string, exitCode: ExitCode) => {
    err.write(`${line}\n`);
    return { exitCode, outcome: null };
  };
  if (!args.campaign) return fail(tr.t('supporters_io.cli.campaign_required'), 2);
  const consentBasis = (args.consentBasis ?? '').normalize('NFC').trim();
  if (!args.dryRun && !consentBasis) return fail(tr.t('supporters_io.cli.consent_basis_required'), 2);
  if (consentBasis.length > MAX_CONSENT_BASIS || /[\u0000-\u001f\u007f]/.test(consentBasis)) return fail(tr.t('supporters_io.cli.consent_basis_invalid', { max: MAX_CONSENT_BASIS }), 2);
  const campaign = await args.db.selectFrom('campaigns').select(['id', 'slug', 'original_lang']).where('slug', '=', args.campaign).executeTakeFirst();
  if (!campaign) return fail(tr.t('supporters_io.cli.unknown_campaign', { slug: args.campaign }), 2);
  const file = basename(args.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(args.file);
  } catch {
    return fail(tr.t('supporters_io.cli.unreadable', { file: args.file }), 2);
  }
  let table: CsvTable;
  let mapping: ColumnMapping;
  try {
    table = readSupporterCsv(bytes);
    mapping = mappingWithOverrides(table.header, args.map ?? []);
  } catch (e) {
    if (e instanceof SupporterFileError) return fail(tr.t(e.messageId, { file, ...e.values }), e.messageId.startsWith('supporters_io.map.') ? 2 : 1);
    throw e;
  }
  write(tr.t('supporters_io.cli.read', { file, encoding: tr.t(ENCODINGS[table.encoding]), delimiter: tr.t(DELIMITERS[table.delimiter]), rows: table.records.length }));
  for (const line of mappingLines(tr, table.header, mapping)) write(line);
  const mappingErrors = checkMapping(mapping, table.header);
  if (mappingErrors.length) {
    for (const e of mappingErrors) err.write(`${tr.t('supporters_io.cli.map_problem', { field: e.field.slice(4), message: tr.t(e.messageId, e.values) })}\n`);
    return { exitCode: 2, outcome: null };
  }

  const display = progressDisplay(tr, out, err, args.progress ?? true);
  let outcome: ImportOutcome;
  try {
    if (args.dryRun) {
      write(tr.t('supporters_io.cli.dry_run'));
      outcome = await importSupporterRows(args.db, args.keyring, {
        campaignId: campaign.id,
        table,
        mapping,
        consentBasis,
        importId: '',
        defaultLang: campaign.original_lang,
        now: new Date().toISOString(),
        batchSize: args.batchSize,
        dryRun: true,
        onProgress: (c) => display.update(c),
      });
    } else {
      const id = await createRunningImport(args.db, args.keyring, { campaignId: campaign.id, filename: file, bytes, rows: table.records.length, mapping, consentBasis });
      const run = await runStoredImport(args.db, args.keyring, id, { batchSize: args.batchSize, onProgress: (c) => display.update(c) });
      if (!run) throw new Error(`import ${id} was taken over by another process`);
      if (run.error) throw run.error;
      outcome = { ...run.view.counts, issues: run.view.issues as RowIssue[] };
    }
  } finally {
    display.stop();
  }
  write(tr.t(args.dryRun ? 'supporters_io.cli.summary_dry' : 'supporters_io.cli.summary', { ...outcome }));
  const errors = outcome.issues.filter((i) => i.kind === 'error');
  const duplicates = outcome.issues.filter((i) => i.kind === 'duplicate');
  if (errors.length) {
    write(tr.t('supporters_io.report.rejected_title'));
    for (const i of errors) write(`  ${issueLine(tr, i)}`);
  }
  if (duplicates.length) {
    write(tr.t('supporters_io.report.duplicates_title'));
    for (const i of duplicates) write(`  ${issueLine(tr, i)}`);
  }
  if (outcome.rejected + outcome.duplicates > outcome.issues.length) write(tr.t('supporters_io.report.more', { shown: outcome.issues.length, count: outcome.rejected + outcome.duplicates }));
  return { exitCode: outcome.rejected ? 1 : 0, outcome };
}

/** Arguments of {@link runUkTalliesImport}. */
export interface UkTalliesImportArgs {
  file: string;
  campaign: string | undefined;
  db: Db;
  locale?: string;
  out?: Stream;
  err?: Stream;
}

/**
 * Imports a UK Parliament petition file's signatures by country as tallies of a campaign and
 * prints the file's `signature_count`, the sum placed, each entry that cannot be placed with its
 * count, the difference, and what was written (a re-import writes nothing and says so).
 * @returns the exit status (1 for a file that is not a petition file — nothing written; 2 for a
 *   missing or unknown campaign or an unreadable file) and the petition read.
 */
export async function runUkTalliesImport(args: UkTalliesImportArgs): Promise<{ exitCode: ExitCode; petition: UkPetition | null }> {
  const tr = translator(isLocale(args.locale) ? args.locale : 'en');
  const write = (line: string) => (args.out ?? process.stdout).write(`${line}\n`);
  const fail = (line: string, exitCode: ExitCode) => {
    (args.err ?? process.stderr).write(`${line}\n`);
    return { exitCode, petition: null };
  };
  if (!args.campaign) return fail(tr.t('supporters_io.cli.campaign_required'), 2);
  const campaign = await args.db.selectFrom('campaigns').select(['id', 'slug']).where('slug', '=', args.campaign).executeTakeFirst();
  if (!campaign) return fail(tr.t('supporters_io.cli.unknown_campaign', { slug: args.campaign }), 2);
  const file = basename(args.file);
  let text: string;
  try {
    text = await readFile(args.file, 'utf8');
  } catch {
    return fail(tr.t('supporters_io.cli.unreadable', { file: args.file }), 2);
  }
  let petition: UkPetition;
  try {
    petition = readUkPetition(text);
  } catch (e) {
    if (e instanceof UkPetitionFileError) return fail(tr.t(e.messageId, { file, ...e.values }), 1);
    throw e;
  }
  const source = tr.t('supporters_io.uk.source', { id: petition.id, action: petition.action });
  const result = await importUkPetitionTallies(args.db, campaign.id, petition, { source: source.length > 200 ? `${source.slice(0, 199)}…` : source, enteredBy: null });
  write(tr.t('supporters_io.uk.petition', { id: petition.id, action: petition.action }));
  write(petition.closedOn ? tr.t('supporters_io.uk.closed', { date: tr.date(petition.closedOn) }) : tr.t('supporters_io.uk.open'));
  write(tr.t('supporters_io.uk.signature_count', { count: petition.signatureCount }));
  write(tr.t('supporters_io.uk.placed', { sum: petition.placedSum, countries: petition.placed.length }));
  if (petition.unplaceable.length) {
    write(tr.t('supporters_io.uk.unplaceable_title'));
    for (const e of petition.unplaceable) write(`  ${tr.t('supporters_io.uk.unplaceable', { code: e.code, name: e.name, count: e.count })}`);
  } else write(tr.t('supporters_io.uk.unplaceable_none'));
  write(tr.t('supporters_io.uk.difference', { difference: petition.difference }));
  write(result.inserted ? tr.t('supporters_io.uk.written', { inserted: result.inserted, present: result.alreadyPresent, slug: campaign.slug }) : tr.t('supporters_io.uk.nothing_new', { present: result.alreadyPresent, slug: campaign.slug }));
  for (const c of result.changed) write(`  ${tr.t('supporters_io.uk.changed', { code: c.code, stored: c.stored, file: c.file })}`);
  return { exitCode: 0, petition };
}
