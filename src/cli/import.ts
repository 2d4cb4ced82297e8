import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { Db } from '../db/client.ts';
import { isLocale, translator } from '../i18n/i18n.ts';
import { ImportFileError, importFmcs, type ImportReport } from '../modules/struggles/struggles.import-fmcs.ts';

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
