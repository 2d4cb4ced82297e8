/**
 * Reader of the European Central Bank's euro foreign exchange reference rates as CSV: the
 * history file `eurofxref-hist.csv` (`Date,USD,JPY,…,` then one line per TARGET business day,
 * newest first, `2025-05-09,1.1252,163.36,…,`) and the one-day file `eurofxref.csv`
 * (`Date, USD, JPY, …` / `09 May 2025, 1.1252, …`). Each rate is units of the currency for one
 * euro. Parsing only: `importEcbRates` (rates.service.ts) decides what is stored.
 *
 * File rules (docs/IMPORT.md):
 * - The header is `Date` followed by ISO 4217-shaped codes (three capital letters); cells are
 *   trimmed. Nameless columns are allowed only at the end: every ECB line ends with a comma,
 *   which makes an empty last column. Anything else is not an ECB file (`RatesFileError`,
 *   nothing imported).
 * - A line with fewer cells than named columns, or a value under a nameless column, is rejected
 *   whole (`columns`); so is a line whose date is not `YYYY-MM-DD` or `D Month YYYY` (`date`)
 *   and a record CSV cannot read (`csv_syntax`: a quote never closed, which takes the rest of
 *   the file with it; a stray quote inside a cell only makes that cell a bad rate).
 * - `N/A` marks a currency the ECB did not quote that day (discontinued or suspended): counted,
 *   not an error. Any other cell that is not a positive decimal number (`1.1252`, `163.36`) is a
 *   rejected cell (`rate`), reported with its line and column; the line's other cells still count.
 */
import { Readable, pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import { isDateOnly } from '../../lib/time.ts';

/** Why a line or cell of a rates file was refused; the message is `rates.import.reject.<reason>`. */
export type RateRejectReason = 'csv_syntax' | 'columns' | 'date' | 'rate';
/** Every `RateRejectReason` (the catalogs hold `rates.import.reject.<reason>` for each). */
export const RATE_REJECT_REASONS: readonly RateRejectReason[] = ['csv_syntax', 'columns', 'date', 'rate'];

/** A refused cell (or whole line when `column` is null), by physical line (header = 1). */
export interface RejectedCell {
  line: number;
  /** Header name of the column (`Date`, `USD`), or null when the whole line is refused. */
  column: string | null;
  reason: RateRejectReason;
  /** The cell as written (for `date` and `rate`), or the counts for `columns`. */
  values?: Record<string, string | number>;
}

/** One data line of the file, checked cell by cell. */
export interface EcbLine {
  /** Physical line where the record starts (header = 1). */
  line: number;
  /** `YYYY-MM-DD`, or null when the line was refused as a whole (see `rejected`). */
  date: string | null;
  /** Rates as written (positive decimal strings), by currency code. */
  rates: { currency: string; rate: string }[];
  /** Codes of the `N/A` cells. */
  notAvailable: string[];
  rejected: RejectedCell[];
}

/** The file as a whole cannot be read as ECB rates (unreadable, empty, wrong header). */
export class RatesFileError extends Error {
  /** Catalog id of the message, e.g. `rates.import.file.not_ecb`. */
  readonly messageId: string;
  readonly values: Record<string, string | number>;
  constructor(messageId: string, values: Record<string, string | number> = {}) {
    super(messageId);
    this.messageId = messageId;
    this.values = values;
  }
}

/** What `readEcbCsv` reads: the text or bytes of a file, or a stream of it. */
export type RatesInput = string | Uint8Array | NodeJS.ReadableStream | AsyncIterable<string | Uint8Array>;

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/**
 * A date cell → `YYYY-MM-DD`: either already that (history file) or `9 May 2025` / `09 May 2025`
 * with an English month name, full or three letters (one-day file). Null for anything else or a
 * day that does not exist.
 */
export function ecbDate(cell: string): string | null {
  if (isDateOnly(cell)) return cell;
  const m = /^(\d{1,2}) ([A-Za-z]+) (\d{4})$/.exec(cell);
  if (!m) return null;
  const name = m[2]!.toLowerCase();
  const month = MONTHS.findIndex((full) => full === name || (name.length === 3 && full.startsWith(name))) + 1;
  if (!month) return null;
  const date = `${m[3]}-${String(month).padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
  return isDateOnly(date) ? date : null;
}

/** A rate cell: a positive decimal number written with digits and at most one `.`. */
const RATE = /^\d{1,15}(\.\d{1,15})?$/;

function isPositiveRate(cell: string): boolean {
  return RATE.test(cell) && /[1-9]/.test(cell);
}

const lineBreaks = (s: string) => s.match(/\r\n|\r|\n/g)?.length ?? 0;

/**
 * Reads an ECB reference-rate CSV (UTF-8, optional BOM, any line ending) with csv-parse, as a
 * stream: yields each non-blank data line, checked (see the file rules above).
 * @param name the file's name for messages.
 * @throws {RatesFileError} `rates.import.file.empty` (no header) or `rates.import.file.not_ecb`
 *   (the header is not `Date` + currency codes); thrown before any line is yielded.
 * @throws whatever the input stream throws (a read error).
 */
export async function* readEcbCsv(input: RatesInput, name = '-'): AsyncGenerator<EcbLine> {
  /** Physical line of each record csv-parse could not read (runs ahead of the loop below). */
  const syntaxErrors: number[] = [];
  let lastLine = 0;
  const parser = parse({
    bom: true,
    relax_column_count: true,
    // A stray quote inside a cell (`"1.0"x`) stays part of the cell, which is then refused as a
    // rate; only a quote that is never closed makes a record unreadable.
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // ctx.lines is the line the record ends on; a quoted cell may span lines.
    on_record: (record, ctx) => {
      lastLine = ctx.lines;
      return { fields: record, line: ctx.lines - record.reduce((n, f) => n + lineBreaks(f), 0) } as unknown as string[];
    },
    // The unreadable record starts after the last one read (blank lines in between aside).
    on_skip: () => {
      syntaxErrors.push(lastLine + 1);
      return undefined;
    },
  });
  const source = typeof input === 'string' || input instanceof Uint8Array ? Readable.from([input]) : Readable.from(input as AsyncIterable<string | Uint8Array>);
  // pipeline() passes a read error on to the parser, which then ends the loop below with it.
  pipeline(source, parser, () => {});

  let columns: (string | null)[] | null = null;
  /** Number of named columns (the date and the currencies); nameless ones follow. */
  let named = 0;
  const syntaxLines = function* (before: number): Generator<EcbLine> {
    syntaxErrors.sort((a, b) => a - b);
    while (syntaxErrors.length && syntaxErrors[0]! < before) {
      const line = syntaxErrors.shift()!;
      yield { line, date: null, rates: [], notAvailable: [], rejected: [{ line, column: null, reason: 'csv_syntax' }] };
    }
  };

  for await (const item of parser as AsyncIterable<{ fields: string[]; line: number }>) {
    const fields = item.fields.map((f) => f.trim());
    if (fields.every((f) => f === '')) continue;
    if (!columns) {
      columns = header(fields, name);
      named = columns.filter((c) => c !== null).length;
      continue;
    }
    yield* syntaxLines(item.line);
    yield checkLine(fields, item.line, columns, named);
  }
  if (!columns) throw new RatesFileError('rates.import.file.empty', { file: name });
  yield* syntaxLines(Infinity);
}

/** The header → column names (null for the nameless trailing ones). @throws {RatesFileError} */
function header(fields: string[], name: string): (string | null)[] {
  const notEcb = () => new RatesFileError('rates.import.file.not_ecb', { file: name });
  if (fields[0]?.toLowerCase() !== 'date') throw notEcb();
  const columns: (string | null)[] = ['Date'];
  const seen = new Set<string>();
  let trailing = false;
  for (const f of fields.slice(1)) {
    if (f === '') {
      trailing = true;
      columns.push(null);
      continue;
    }
    const code = f;
    if (trailing || !/^[A-Z]{3}$/.test(code) || seen.has(code)) throw notEcb();
    seen.add(code);
    columns.push(code);
  }
  if (seen.size === 0) throw notEcb();
  return columns;
}

function checkLine(fields: string[], line: number, columns: (string | null)[], named: number): EcbLine {
  const result: EcbLine = { line, date: null, rates: [], notAvailable: [], rejected: [] };
  // Cells up to the last non-empty one count (the trailing comma's empty cell does not).
  let found = fields.length;
  while (found > named && fields[found - 1] === '') found -= 1;
  if (found !== named) {
    result.rejected.push({ line, column: null, reason: 'columns', values: { expected: named, found } });
    return result;
  }
  const date = ecbDate(fields[0]!);
  if (!date) {
    result.rejected.push({ line, column: 'Date', reason: 'date', values: { value: fields[0]! } });
    return result;
  }
  result.date = date;
  for (let i = 1; i < named; i++) {
    const currency = columns[i]!;
    const cell = fields[i]!;
    if (cell.toUpperCase() === 'N/A') result.notAvailable.push(currency);
    else if (isPositiveRate(cell)) result.rates.push({ currency, rate: cell });
    else result.rejected.push({ line, column: currency, reason: 'rate', values: { value: cell } });
  }
  return result;
}
