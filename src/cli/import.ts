import { open, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { Db } from '../db/client.ts';
import { isLocale, translator } from '../i18n/i18n.ts';
import { ImportFileError, importFmcs, type ImportReport } from '../modules/struggles/struggles.import-fmcs.ts';
import { importEcbRates, RatesFileError, type EcbImportReport } from '../modules/rates/rates.service.ts';
import { importOpenCollective, OcImportFileError, type OcImportReport } from '../modules/pacts/import-opencollective.ts';
import { PactClosed } from '../modules/pacts/ledger.service.ts';
import { formatMoney } from '../lib/money.ts';

export { ImportFileError, type ImportReport, type RejectedRow } from '../modules/struggles/struggles.import-fmcs.ts';

/** Arguments of `solidaris import <kind> --format <format> <file>`. */
export interface ImportArgs {
  kind: 'struggles';
  format: 'fmcs';
  /** Path of the file (UTF-8 CSV). */
  file: string;
  db: Db;
  /** UI locale of the messages (en, de); default en. Imported titles are always English. */
  locale?: string;
  /** Where the summary and the rejected rows go; default stdout. */
  out?: NodeJS.WritableStream;
  /**
   * Show progress (default true): a progress bar when `out` is a terminal, otherwise a running
   * count every 100 rows on stderr. `false`: nothing.
   */
  progress?: boolean;
}

/**
 * The body of `solidaris import struggles --format fmcs FILE`: reads the file, imports it
 * (`importFmcs`), shows progress and writes a translated summary with every rejected row
 * (`Line 12: …`) to `out`. Rejected rows do not make it fail.
 * @returns the report (counts and rejected rows with line numbers).
 * @throws {ImportFileError} unreadable or empty file, or not an FMCS file; its `message` is translated.
 */
export async function runImport(args: ImportArgs): Promise<ImportReport> {
  const tr = translator(isLocale(args.locale) ? args.locale : 'en');
  const out = args.out ?? process.stdout;
  const write = (line: string) => out.write(`${line}\n`);
  const file = basename(args.file);
  let data: Buffer;
  try {
    data = await readFile(args.file);
  } catch {
    throw new ImportFileError('import.file.unreadable', { file: args.file }, tr.t('import.file.unreadable', { file: args.file }));
  }

  const showProgress = args.progress ?? true;
  const tty = showProgress && (out as NodeJS.WriteStream).isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let started = false;
  const onProgress = (done: number, total: number) => {
    if (!showProgress) return;
    if (!started) {
      started = true;
      write(tr.t('import.summary.start', { total, file }));
      if (tty) {
        bar = new cliProgress.SingleBar(
          {
            stream: out,
            // cli-progress fills these placeholders; the catalog message keeps them in place.
            format: tr.t('import.progress.bar', { bar: '{bar}', percentage: '{percentage}', value: '{value}', total: '{total}' }),
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0);
      }
    }
    if (bar) bar.update(done);
    else if (done % 100 === 0 || done === total) process.stderr.write(`${tr.t('import.progress.count', { done, total })}\n`);
  };

  let report: ImportReport;
  try {
    report = await importFmcs(args.db, data, { locale: tr.locale, fileName: file, onProgress });
  } finally {
    (bar as cliProgress.SingleBar | null)?.stop();
  }
  write(
    tr.t('import.summary.done', {
      total: report.total,
      created: report.created,
      updated: report.updated,
      rejected: report.rejected.length,
    }),
  );
  write(tr.t('import.summary.organizations', { count: report.organizationsCreated }));
  if (report.rejected.length) {
    write(tr.t('import.summary.rejected'));
    for (const r of report.rejected) write(`  ${tr.t('import.summary.line', { line: String(r.line), reason: r.reason })}`);
  }
  return report;
}

/** Arguments of `solidaris import rates --format ecb [--replace] <file>`. */
export interface RatesImportArgs {
  format: 'ecb';
  /** Path of the ECB CSV (`eurofxref-hist.csv` or `eurofxref.csv`). */
  file: string;
  db: Db;
  /** Overwrite stored rates that the file gives differently (default: keep them, report conflicts). */
  replace?: boolean;
  /** UI locale of the messages (en, de); default en. */
  locale?: string;
  /** Where the summary, conflicts and rejected cells go; default stdout. */
  out?: NodeJS.WritableStream;
}

/**
 * The body of `solidaris import rates --format ecb FILE`: streams the file into
 * `importEcbRates` and writes a translated summary, the conflicts and every rejected line or
 * cell (`Line 12, column USD: …`) to `out`. The caller decides the exit status from the report.
 * @throws {ImportFileError} the file is missing, not a regular file, unreadable, empty or not an
 *   ECB file (nothing imported); its `message` is translated.
 */
export async function runRatesImport(args: RatesImportArgs): Promise<EcbImportReport> {
  const tr = translator(isLocale(args.locale) ? args.locale : 'en');
  const write = (line: string) => (args.out ?? process.stdout).write(`${line}\n`);
  const file = basename(args.file);
  const unreadable = () => new ImportFileError('rates.import.file.unreadable', { file: args.file }, tr.t('rates.import.file.unreadable', { file: args.file }));
  const handle = await open(args.file).catch(() => {
    throw unreadable();
  });
  let report: EcbImportReport;
  try {
    if (!(await handle.stat()).isFile()) throw unreadable();
    write(tr.t('rates.import.start', { file }));
    report = await importEcbRates(args.db, handle.createReadStream({ autoClose: false }), { replace: args.replace, fileName: file });
  } catch (err) {
    if (err instanceof RatesFileError) throw new ImportFileError(err.messageId, err.values, tr.t(err.messageId, err.values));
    if (err instanceof ImportFileError) throw err;
    // A read error part-way (the transaction was rolled back): name the file, not the system call.
    if ((err as NodeJS.ErrnoException | null)?.syscall === 'read') throw unreadable();
    throw err;
  } finally {
    await handle.close();
  }
  const counts = { inserted: report.inserted, unchanged: report.unchanged, replaced: report.replaced, notAvailable: report.skippedNotAvailable };
  write(
    report.firstDate && report.lastDate
      ? tr.t('rates.import.summary', { lines: report.lines, first: report.firstDate, last: report.lastDate, currencies: report.currencies.length, ...counts })
      : tr.t('rates.import.summary_empty', { lines: report.lines }),
  );
  if (report.unknownCurrencies.length) {
    write(tr.t('rates.import.unknown_currencies', { codes: report.unknownCurrencies.join(', '), count: report.skippedUnknownCurrency }));
  }
  if (report.conflicts.length) {
    write(tr.t('rates.import.conflicts', { count: report.conflicts.length }));
    for (const c of report.conflicts) write(`  ${tr.t('rates.import.conflict', { line: String(c.line), currency: c.currency, date: c.date, stored: c.stored, file: c.file })}`);
  }
  if (report.rejected.length) {
    write(tr.t('rates.import.rejected'));
    for (const r of report.rejected) {
      const reason = tr.t(`rates.import.reject.${r.reason}`, r.values);
      write(`  ${r.column ? tr.t('rates.import.cell', { line: String(r.line), column: r.column, reason }) : tr.t('rates.import.line', { line: String(r.line), reason })}`);
    }
  }
  return report;
}

/** Arguments of `solidaris import ledger --format opencollective <file> --pact <slug> [--skip-invalid]`. */
export interface LedgerImportArgs {
  format: 'opencollective';
  /** Path of the Open Collective transactions export (v2 CSV). */
  file: string;
  /** Address name (slug) of the pact whose ledger receives the entries. */
  pact: string | undefined;
  db: Db;
  /** Leave rejected rows out instead of refusing the import (the balance must still reconcile). */
  skipInvalid?: boolean;
  /** UI locale of the messages (en, de); default en. */
  locale?: string;
  /** Where the summary and the rejected rows go; default stdout. */
  out?: NodeJS.WritableStream;
  /** Where a missing or unknown pact and a closed pact are reported; default stderr. */
  err?: NodeJS.WritableStream;
}

/**
 * The body of `solidaris import ledger --format opencollective FILE --pact SLUG`: finds the pact by
 * slug (the operator is trusted: any pact, entries recorded by nobody), imports the file with
 * `importOpenCollective` and writes a translated summary: entries recorded, already present,
 * pending processor fees, the balance, or why the import was refused with every rejected row.
 * @returns the report (null when no import ran) and the exit status: 0 imported, 1 refused or the
 *   pact is closed, 2 `--pact` missing or no pact with that slug.
 * @throws {ImportFileError} the file is unreadable, empty, not CSV or not an Open Collective
 *   export (nothing imported); its `message` is translated.
 */
export async function runLedgerImport(args: LedgerImportArgs): Promise<{ exitCode: 0 | 1 | 2; report: OcImportReport | null }> {
  const tr = translator(isLocale(args.locale) ? args.locale : 'en');
  const write = (line: string) => (args.out ?? process.stdout).write(`${line}\n`);
  const fail = (line: string) => (args.err ?? process.stderr).write(`${line}\n`);
  if (!args.pact) {
    fail(tr.t('pacts.import.pact_required'));
    return { exitCode: 2, report: null };
  }
  const pact = await args.db.selectFrom('pacts').select(['id', 'slug']).where('slug', '=', args.pact).executeTakeFirst();
  if (!pact) {
    fail(tr.t('pacts.import.unknown_pact', { slug: args.pact }));
    return { exitCode: 2, report: null };
  }
  const file = basename(args.file);
  let data: Buffer;
  try {
    data = await readFile(args.file);
  } catch {
    throw new ImportFileError('pacts.import.file.unreadable', { file: args.file }, tr.t('pacts.import.file.unreadable', { file: args.file }));
  }
  let report: OcImportReport;
  try {
    report = await importOpenCollective(args.db, { pactId: pact.id, data, skipInvalid: args.skipInvalid, recordedBy: null });
  } catch (err) {
    if (err instanceof OcImportFileError) {
      const id = `pacts.import.file.${err.code}`;
      throw new ImportFileError(id, { file, ...err.values }, tr.t(id, { file, ...err.values }));
    }
    if (err instanceof PactClosed) {
      fail(tr.t(err.messageId));
      return { exitCode: 1, report: null };
    }
    throw err;
  }
  const money = (minor: number) => (report.currency ? formatMoney(minor, report.currency, tr.locale) : String(minor));
  write(tr.t('pacts.import.start', { rows: report.rows, file, pact: pact.slug }));
  if (report.rejected.length) {
    write(tr.t('pacts.import.rejected'));
    for (const r of report.rejected) write(`  ${tr.t('pacts.import.line', { line: String(r.line), reason: tr.t(`pacts.import.reject.${r.reason}`, r.values) })}`);
  }
  const refusal = report.refusal;
  if (refusal) {
    write(tr.t('pacts.import.refused'));
    if (refusal.reason === 'rejected_rows') write(tr.t('pacts.import.refusal.rejected_rows'));
    else if (refusal.reason === 'overdraft') write(tr.t('pacts.import.refusal.overdraft', { line: String(refusal.line) }));
    else if (refusal.reason === 'final_balance') write(tr.t('pacts.import.refusal.final_balance', { ledger: money(refusal.ledgerMinor), file: money(refusal.fileMinor) }));
    else if (refusal.firstRow && refusal.openingMinor !== refusal.fileOpeningMinor) {
      write(tr.t('pacts.import.refusal.opening', { file: money(refusal.fileOpeningMinor), ledger: money(refusal.openingMinor), currency: report.currency! }));
    } else write(tr.t('pacts.import.refusal.divergence', { line: String(refusal.line), ledger: money(refusal.ledgerMinor), file: money(refusal.fileMinor) }));
    return { exitCode: 1, report };
  }
  write(tr.t('pacts.import.summary', { rows: report.rows, recorded: report.recorded, reversals: report.reversals, present: report.alreadyPresent, rejected: report.rejected.length }));
  for (const p of report.pendingFees) write(tr.t('pacts.import.pending', { line: String(p.line), amount: money(Math.abs(p.amountMinor)) }));
  if (report.currency && report.finalBalanceMinor !== null) write(tr.t('pacts.import.balance', { currency: report.currency, balance: money(report.finalBalanceMinor) }));
  return { exitCode: 0, report };
}
