import { parse } from 'csv-parse/sync';

/**
 * Reading CSV files that people bring from spreadsheets and other tools (supporter lists, paper
 * tallies): UTF-8 with or without a byte order mark (case B16: Excel writes one), or Windows-1252
 * (what Excel on Windows writes as "CSV"), separated by `,`, `;` (Excel in German and French
 * locales) or TAB, with any line ending. csv-parse does the parsing; this module only decides the
 * encoding and the separator, so that no stored header or value ever starts with U+FEFF.
 */

/** The encodings told apart. */
export type CsvEncoding = 'utf-8' | 'utf-8-bom' | 'windows-1252';
export type CsvDelimiter = ',' | ';' | '\t';

/**
 * Decodes CSV bytes: a UTF-8 byte order mark (EF BB BF) is removed; text that is valid UTF-8 is
 * UTF-8; anything else is read as Windows-1252 (WHATWG Encoding; every byte maps to a character,
 * so nothing is lost). Detection by validity: a Windows-1252 file with accented letters is
 * almost never valid UTF-8, while pure ASCII reads the same either way.
 */
export function decodeCsvBytes(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(3)), encoding: 'utf-8-bom' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

/**
 * The separator of a CSV text, read from its first line (the header): the candidate among `,`,
 * `;` and TAB that occurs most often outside double quotes; `,` when none occurs (one column).
 */
export function detectDelimiter(text: string): CsvDelimiter {
  const counts: Record<CsvDelimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch] += 1;
  }
  const best = (Object.entries(counts) as [CsvDelimiter, number][]).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : ',';
}

/** A CSV file read into a header and data records, each with its first physical line (the header is line 1). */
export interface CsvTable {
  encoding: CsvEncoding;
  delimiter: CsvDelimiter;
  header: string[];
  records: { line: number; cells: string[] }[];
}

/**
 * Reads CSV bytes into a table: encoding and separator detected (see {@link decodeCsvBytes},
 * {@link detectDelimiter}), header cells trimmed and NFC-normalized, records kept with their line
 * numbers for row-level reports; empty lines skipped.
 * @throws {Error} from csv-parse (`CsvError` with a `code` and line) for text that is not CSV,
 *   such as an unclosed quote.
 */
export function readCsvTable(bytes: Uint8Array): CsvTable {
  const { text, encoding } = decodeCsvBytes(bytes);
  const delimiter = detectDelimiter(text);
  const rows = parse(text, { delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, info: true, raw: true }) as unknown as {
    record: string[];
    raw: string;
    info: { lines: number };
  }[];
  // csv-parse's `info.lines` is the line where a record ends; its first line is that minus the
  // line breaks inside it (quoted cells may hold some), whatever empty lines came before.
  const firstLine = (r: { raw: string; info: { lines: number } }) => r.info.lines - (r.raw.replace(/^(\r\n|\r|\n)+|(\r\n|\r|\n)$/g, '').match(/\r\n|\r|\n/g)?.length ?? 0);
  const [first, ...rest] = rows;
  const records = rest.map((r) => ({ line: firstLine(r), cells: r.record.map((c) => c.normalize('NFC')) }));
  return { encoding, delimiter, header: (first?.record ?? []).map((h) => h.normalize('NFC').trim()), records };
}
