/**
 * Importer for Open Collective transaction exports (the v2 CSV of a collective's transactions)
 * into the ledger of one solidarity pact. Mapping, order, refunds and the balance reconciliation
 * are described in docs/LEDGER.md, "Importing Open Collective"; every entry goes through
 * `recordEntries` / `reverseEntry`, the ledger services the forms use.
 */
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { Db, Tx } from '../../db/client.ts';
import { newId } from '../../lib/ids.ts';
import { AmountError, canonicalCurrency, parseAmount } from '../../lib/money.ts';
import { Overdraft, recordEntries, reverseEntry, type NewEntry } from './ledger.service.ts';

/** Why a row was rejected; each has the message `pacts.import.reject.<reason>`. */
export type OcRejectReason = (typeof OC_REJECT_REASONS)[number];

/** Every reason a row can be rejected for (the catalogs hold `pacts.import.reject.<reason>` for each). */
export const OC_REJECT_REASONS = [
  'columns', 'id_missing', 'id_duplicate', 'datetime', 'currency', 'currency_mismatch', 'amount', 'net_mismatch', 'zero_amount',
  'unsupported_kind', 'sign', 'refund_unknown_original', 'refund_original_rejected', 'refund_mismatch', 'refund_duplicate',
  'already_reversed', 'conflicts_with_ledger',
] as const;

/** A rejected row: its first physical line in the file (header = 1), the reason and the values of its message. */
export interface OcRejectedRow {
  line: number;
  reason: OcRejectReason;
  values?: Record<string, string | number>;
}

/**
 * Why a whole import was refused (nothing written). Amounts are minor units of the file's currency.
 * - `rejected_rows`: rows were rejected and `skipInvalid` was not given;
 * - `divergence`: after `line` (the last row of an Open Collective group) the running balance the
 *   rows explain (`ledgerMinor`) differs from the file's `balance` (`fileMinor`) in a way the
 *   deferred-fee rule does not explain. `firstRow`: it is the file's first group, so most likely
 *   the pact's balance before the file (`openingMinor`) is not the file's (`fileOpeningMinor`);
 * - `final_balance`: after writing, the pact's balance (`ledgerMinor`) is not the file's final one;
 * - `overdraft`: recording `line` would take the pact's balance below zero.
 */
export type OcRefusal =
  | { reason: 'rejected_rows' }
  | { reason: 'divergence'; line: number; ledgerMinor: number; fileMinor: number; firstRow: boolean; openingMinor: number; fileOpeningMinor: number }
  | { reason: 'final_balance'; ledgerMinor: number; fileMinor: number }
  | { reason: 'overdraft'; line: number };

/** Outcome of an import. Amounts are signed integer minor units of `currency`. */
export interface OcImportReport {
  /** Data rows read (blank lines excluded). */
  rows: number;
  /** Entries written, reversals included (0 when refused). */
  recorded: number;
  /** Entries of this file already on the pact (same `externalRef`), skipped. */
  alreadyPresent: number;
  /** Reversal entries written (from refund rows). */
  reversals: number;
  /**
   * Processor fees held back: the fee of the file's last row, which its final balance does not
   * contain yet. `amountMinor` is the fee as it will be recorded (negative). An import of a newer
   * export, whose later balance includes it, records it (`externalRef` `oc:<shortId>:fee`).
   */
  pendingFees: { line: number; amountMinor: number }[];
  rejected: OcRejectedRow[];
  /** The pact's balance in `currency` after the import (as it stays when refused); null without a currency. */
  finalBalanceMinor: number | null;
  /** `balance` of the chronologically last row of the file. */
  fileFinalBalanceMinor: number | null;
  /** The file's ISO 4217 currency (of its first readable row). */
  currency: string | null;
  /** True when the import was accepted (entries written, or all already present). */
  imported: boolean;
  refusal: OcRefusal | null;
}

/** The file as a whole cannot be read as an Open Collective export; nothing was written. */
export class OcImportFileError extends Error {
  /** Message `pacts.import.file.<code>`: `empty`, `csv_syntax` (values: line), `missing_columns` (values: columns). */
  readonly code: 'empty' | 'csv_syntax' | 'missing_columns';
  readonly values: Record<string, string | number>;
  constructor(code: 'empty' | 'csv_syntax' | 'missing_columns', values: Record<string, string | number> = {}) {
    super(`opencollective_file: ${code}`);
    this.code = code;
    this.values = values;
  }
}

/** Columns the importer needs (header names as Open Collective writes them). */
const REQUIRED = [
  'datetime', 'shortId', 'shortGroup', 'description', 'type', 'kind', 'isRefund', 'shortRefundId',
  'amount', 'paymentProcessorFee', 'netAmount', 'balance', 'currency', 'oppositeAccountName',
] as const;
/** Read when present: the payment processor (STRIPE, PAYPAL, WISE …), counterparty of processor fees. */
const OPTIONAL = ['paymentMethodService'] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

/** `datetime`: ISO 8601 date and time, without offset (UTC, as Open Collective writes it) or with one. */
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** One data record with the physical line it starts on (header = 1). */
interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Reads the CSV (UTF-8, optional BOM, any line ending) with csv-parse. Blank lines come back as
 * records of one empty field, so each record starts on the previous record's line plus that
 * record's line count (1 + the line breaks inside its quoted fields). csv-parse's `info.lines` is
 * not used: it counts a CRLF inside a quoted field as two lines.
 * @throws {OcImportFileError} `csv_syntax` with the line csv-parse stopped at.
 */
function readRecords(data: Buffer): CsvRecord[] {
  let rows: string[][];
  try {
    rows = parse(data, { bom: true, relax_column_count: true, skip_empty_lines: false });
  } catch (err) {
    throw new OcImportFileError('csv_syntax', { line: Number((err as { lines?: number }).lines ?? 0) });
  }
  const out: CsvRecord[] = [];
  let line = 1;
  for (const fields of rows) {
    if (fields.some((f) => f.trim() !== '')) out.push({ line, fields });
    line += 1 + fields.reduce((n, f) => n + (f.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
  }
  return out;
}

/** A row whose own fields passed the checks. Amounts in minor units of `currency`. */
interface OcRow {
  line: number;
  shortId: string;
  group: string;
  kind: string;
  type: string;
  isRefund: boolean;
  refundOf: string;
  /** Date-only `YYYY-MM-DD`: the UTC date of `datetime`. */
  valueDate: string;
  /** Epoch milliseconds of `datetime`. */
  instant: number;
  currency: string;
  amount: number;
  fee: number;
  /** Host fee that older rows fold into `netAmount` (net − amount − processor fee; ≤ 0). */
  hostFee: number;
  net: number;
  balance: number;
  description: string | null;
  counterparty: string | null;
  processor: string | null;
}

type Rejection = { reason: OcRejectReason; values?: Record<string, string | number> };

/** Trimmed NFC text, null when empty. */
function text(value: string): string | null {
  const v = value.normalize('NFC').trim();
  return v === '' ? null : v;
}

/** Ledger kind of a non-refund row's main entry, null for kinds the importer does not take. */
function directKind(r: { kind: string; type: string }): 'contribution' | 'disbursement' | 'fee' | null {
  if (r.kind === 'CONTRIBUTION') return r.type === 'CREDIT' ? 'contribution' : r.type === 'DEBIT' ? 'disbursement' : null;
  if (r.kind === 'EXPENSE' && r.type === 'DEBIT') return 'disbursement';
  if (r.kind === 'HOST_FEE' && r.type === 'DEBIT') return 'fee';
  return null;
}

/** Refund rows the importer takes: the mirror of a contribution, expense or host fee, and a processor-fee cover. */
const REFUND_KINDS = new Set(['CONTRIBUTION/DEBIT', 'EXPENSE/CREDIT', 'HOST_FEE/CREDIT', 'PAYMENT_PROCESSOR_COVER/CREDIT']);

/** One record → a row, or the first problem of its own fields. */
function readRow(fields: string[], col: Map<Column, number>, line: number): OcRow | Rejection {
  const get = (c: Column) => fields[col.get(c) ?? -1] ?? '';
  const shortId = get('shortId').trim();
  if (!shortId) return { reason: 'id_missing' };
  const rawDate = get('datetime').trim();
  const dt = DATETIME.test(rawDate) ? DateTime.fromISO(rawDate, { zone: 'utc' }) : null;
  if (!dt?.isValid) return { reason: 'datetime', values: { value: rawDate } };
  const currency = canonicalCurrency(get('currency'));
  if (!currency) return { reason: 'currency', values: { value: get('currency').trim() } };
  const minor = { amount: 0, paymentProcessorFee: 0, netAmount: 0, balance: 0 };
  for (const c of ['amount', 'paymentProcessorFee', 'netAmount', 'balance'] as const) {
    const raw = get(c).trim();
    if (c === 'paymentProcessorFee' && raw === '') continue; // no processor involved
    try {
      minor[c] = parseAmount(raw, currency, { allowNegative: true, allowZero: true });
    } catch (err) {
      if (err instanceof AmountError) return { reason: 'amount', values: { column: c, value: raw } };
      throw err;
    }
  }
  const kind = get('kind').trim().toUpperCase();
  const type = get('type').trim().toUpperCase();
  const isRefund = get('isRefund').trim() !== '';
  if (isRefund ? !REFUND_KINDS.has(`${kind}/${type}`) : !directKind({ kind, type })) return { reason: 'unsupported_kind', values: { kind, type } };
  // Older contributions carry the host's fee inside `netAmount` instead of a HOST_FEE row of
  // their own; nothing else may make the net differ from amount + processor fee.
  const hostFee = minor.netAmount - minor.amount - minor.paymentProcessorFee;
  if (hostFee > 0 || (hostFee < 0 && (isRefund || directKind({ kind, type }) !== 'contribution'))) return { reason: 'net_mismatch' };
  if (!isRefund) {
    if (minor.amount === 0) return { reason: 'zero_amount' };
    if (Math.sign(minor.amount) !== (directKind({ kind, type }) === 'contribution' ? 1 : -1) || minor.paymentProcessorFee > 0) return { reason: 'sign' };
  }
  return {
    line,
    shortId,
    group: get('shortGroup').trim(),
    kind,
    type,
    isRefund,
    refundOf: get('shortRefundId').trim(),
    valueDate: dt.toUTC().toISODate()!,
    instant: dt.toMillis(),
    currency,
    amount: minor.amount,
    fee: minor.paymentProcessorFee,
    hostFee,
    net: minor.netAmount,
    balance: minor.balance,
    description: text(get('description')),
    counterparty: text(get('oppositeAccountName')),
    processor: text(get('paymentMethodService')),
  };
}

/** A row mapped to what it writes: entries (`direct`) or the reversal of one earlier entry (`refund`). */
type Plan =
  | { row: OcRow; kind: 'direct'; entries: { ref: string; entry: NewEntry }[] }
  | { row: OcRow; kind: 'refund'; ref: string; targetRef: string };

/** An entry of this file already on the pact. */
interface Known {
  id: string;
  amount: number;
  currency: string;
  groupId: string;
  /** External ref of the entry reversing it (`''` when that has none); null when not reversed. */
  reversedBy: string | null;
}

async function loadKnown(db: Db, pactId: string, refs: string[]): Promise<Map<string, Known>> {
  const known = new Map<string, Known>();
  for (let i = 0; i < refs.length; i += 500) {
    const rows = await db
      .selectFrom('ledger_entries as e')
      .leftJoin('ledger_entries as r', 'r.reverses_id', 'e.id')
      .select(['e.id', 'e.external_ref', 'e.amount_minor', 'e.currency', 'e.group_id', 'r.id as reversal_id', 'r.external_ref as reversal_ref'])
      .where('e.pact_id', '=', pactId)
      .where('e.external_ref', 'in', refs.slice(i, i + 500))
      .execute();
    for (const r of rows) {
      known.set(r.external_ref!, { id: r.id, amount: Number(r.amount_minor), currency: r.currency, groupId: r.group_id, reversedBy: r.reversal_id ? (r.reversal_ref ?? '') : null });
    }
  }
  return known;
}

async function balanceOf(db: Db, pactId: string, currency: string): Promise<number> {
  const row = await db.selectFrom('pact_balances').select('balance_minor').where('pact_id', '=', pactId).where('currency', '=', currency).executeTakeFirst();
  return row ? Number(row.balance_minor) : 0;
}

/** The entries a non-refund row asks for: main entry, processor fee, folded host fee. */
function directEntries(row: OcRow): { ref: string; entry: NewEntry }[] {
  const base = { currency: row.currency, valueDate: row.valueDate, reference: row.shortId, description: row.description };
  const ref = `oc:${row.shortId}`;
  const out: { ref: string; entry: NewEntry }[] = [
    { ref, entry: { ...base, kind: directKind(row)!, amountMinor: row.amount, counterparty: { kind: 'external', name: row.counterparty }, externalRef: ref } },
  ];
  if (row.fee !== 0) out.push({ ref: `${ref}:fee`, entry: { ...base, kind: 'fee', amountMinor: row.fee, counterparty: { kind: 'external', name: row.processor }, externalRef: `${ref}:fee` } });
  if (row.hostFee !== 0) out.push({ ref: `${ref}:host_fee`, entry: { ...base, kind: 'fee', amountMinor: row.hostFee, counterparty: { kind: 'external', name: null }, externalRef: `${ref}:host_fee` } });
  return out;
}

/**
 * Rows (oldest first) → plans. A refund names the row it refunds (`shortRefundId`), which must
 * come earlier in the file or already be on the pact, and must mirror it exactly; a processor-fee
 * cover names nothing and reverses the `:fee` entry of the contribution refunded in its group.
 */
function planRows(rows: OcRow[], known: Map<string, Known>, records: CsvRecord[], idColumn: number, reject: (line: number, r: Rejection) => void): Plan[] {
  const byId = new Map(rows.map((r) => [r.shortId, r]));
  const earlier = new Set<string>();
  const targeted = new Set<string>();
  const plans: Plan[] = [];
  for (const row of rows) {
    earlier.add(row.shortId);
    if (!row.isRefund) {
      const entries = directEntries(row);
      const conflict = entries.find((e) => {
        const k = known.get(e.ref);
        return k && (k.amount !== e.entry.amountMinor || k.currency !== e.entry.currency);
      });
      if (conflict) reject(row.line, { reason: 'conflicts_with_ledger', values: { ref: conflict.ref } });
      else plans.push({ row, kind: 'direct', entries });
      continue;
    }
    let originalId = row.refundOf;
    let ofFee = false;
    if (!originalId && row.kind === 'PAYMENT_PROCESSOR_COVER') {
      const refunded = rows.filter((s) => s.group === row.group && s.isRefund && s.kind === 'CONTRIBUTION' && s.refundOf);
      if (refunded.length === 1) [originalId, ofFee] = [refunded[0]!.refundOf, true];
    }
    const targetRef = `oc:${originalId}${ofFee ? ':fee' : ''}`;
    const original = byId.get(originalId);
    let originalAmount: number | null = null;
    if (original && !original.isRefund && earlier.has(originalId)) originalAmount = ofFee ? original.fee : original.amount;
    else if (!original && originalId) originalAmount = known.get(targetRef)?.amount ?? null;
    const ref = `oc:${row.shortId}`;
    const mine = known.get(ref);
    const k = known.get(targetRef);
    if (originalAmount === null) {
      const originalLine = originalId ? records.find((rec) => rec.fields[idColumn]?.trim() === originalId)?.line : undefined;
      if (originalLine !== undefined && !byId.has(originalId)) reject(row.line, { reason: 'refund_original_rejected', values: { id: originalId, line: originalLine } });
      else reject(row.line, { reason: 'refund_unknown_original', values: { id: originalId || '-' } });
    } else if (row.fee !== 0 || row.amount !== -originalAmount) reject(row.line, { reason: 'refund_mismatch', values: { id: originalId } });
    else if (targeted.has(targetRef)) reject(row.line, { reason: 'refund_duplicate', values: { id: originalId } });
    else if (k && k.reversedBy !== null && k.reversedBy !== ref) reject(row.line, { reason: 'already_reversed', values: { id: originalId } });
    else if (mine && (mine.amount !== row.amount || mine.currency !== row.currency)) reject(row.line, { reason: 'conflicts_with_ledger', values: { ref } });
    else {
      targeted.add(targetRef);
      plans.push({ row, kind: 'refund', ref, targetRef });
    }
  }
  // A refund of a row rejected above (a conflict) cannot be written either.
  const planned = new Set(plans.flatMap((p) => (p.kind === 'direct' ? p.entries.map((e) => e.ref) : [])));
  return plans.filter((p) => {
    if (p.kind === 'direct' || planned.has(p.targetRef) || known.has(p.targetRef)) return true;
    const id = p.targetRef.replace(/^oc:|:fee$/g, '');
    reject(p.row.line, { reason: 'refund_original_rejected', values: { id, line: byId.get(id)?.line ?? 0 } });
    return false;
  });
}

const refsOf = (p: Plan): string[] => (p.kind === 'direct' ? p.entries.map((e) => e.ref) : [p.ref]);
const effectOf = (p: Plan): number => (p.kind === 'direct' ? p.row.net : p.row.amount);

/** Raised inside the write transaction to roll it back; carries the refusal. */
class Refused extends Error {
  readonly refusal: OcRefusal;
  constructor(refusal: OcRefusal) {
    super(`refused: ${refusal.reason}`);
    this.refusal = refusal;
  }
}

/**
 * Follows the file's running balance group by group (consecutive rows of one `shortGroup`; rows
 * of one group may carry the same second in either order, so only group ends are compared),
 * starting from `opening`. After each group the balance the rows explain must equal the file's
 * `balance` of the group's last row, or exceed it by exactly that row's processor fee: Open
 * Collective books that fee as a later transaction of its own, and the next group's balance
 * contains it. Returns the fee still outstanding after the last group (pending), or null.
 * @throws {Refused} `divergence` at the first group end that neither rule explains.
 */
function walkBalance(runs: Plan[][], opening: number): { line: number; fee: number; ref: string } | null {
  let running = opening;
  let deferred: { line: number; fee: number; ref: string } | null = null;
  for (const [i, run] of runs.entries()) {
    for (const p of run) running += effectOf(p);
    const last = run[run.length - 1]!;
    const diff = running - last.row.balance;
    if (diff === 0) deferred = null;
    else if (last.kind === 'direct' && last.row.fee !== 0 && diff === last.row.fee) deferred = { line: last.row.line, fee: last.row.fee, ref: `oc:${last.row.shortId}:fee` };
    else {
      const fileOpening = last.row.balance - run.reduce((s, p) => s + effectOf(p), 0);
      throw new Refused({ reason: 'divergence', line: last.row.line, ledgerMinor: running, fileMinor: last.row.balance, firstRow: i === 0, openingMinor: opening, fileOpeningMinor: fileOpening });
    }
  }
  return deferred;
}

/**
 * Imports an Open Collective transactions export (v2 CSV, the file's bytes) into the ledger of
 * pact `pactId`, all or nothing (docs/LEDGER.md, "Importing Open Collective").
 *
 * - Rows are taken oldest first: the file reversed when it is newest first (Open Collective's
 *   order), which is the order its running `balance` follows. Value date: the UTC date of
 *   `datetime` (Open Collective writes UTC without an offset; an explicit offset is honoured).
 * - CONTRIBUTION/CREDIT → `contribution`; EXPENSE/DEBIT and an outgoing CONTRIBUTION/DEBIT →
 *   `disbursement`; HOST_FEE/DEBIT → `fee`; a processor fee → `fee` (`oc:<shortId>:fee`); a host
 *   fee folded into an older contribution's `netAmount` → `fee` (`oc:<shortId>:host_fee`). The
 *   main entry has external ref `oc:<shortId>`, counterparty external `oppositeAccountName`,
 *   reference `shortId`. Consecutive rows of one `shortGroup` share a ledger group.
 * - A refund row becomes the reversal (`oc:<shortId>`) of the entry it refunds, see `planRows`.
 * - Entries whose external ref is already on the pact are skipped: a re-import writes nothing.
 * - Balance: see `walkBalance`, starting from the pact's balance before this file's rows. A
 *   processor fee of the last row that the file's final balance does not contain is pending:
 *   not recorded, listed in `pendingFees`. After writing, the pact's balance in the file's
 *   currency must equal the file's final balance to the minor unit.
 *
 * Any rejected row refuses the import unless `skipInvalid`: then rejected rows are left out, and
 * the balance must still reconcile (so only rows that move no money can be skipped). A refusal
 * writes nothing (inside a caller's transaction, a savepoint is rolled back) and is returned in
 * the report, not thrown. `recordedBy` null: recorded by a trusted operator (CLI).
 * @throws {OcImportFileError} empty file, CSV syntax error, missing columns (nothing written).
 * @throws {PactClosed} a closed pact; {NotFound} an unknown pact (from the ledger service).
 */
export async function importOpenCollective(
  db: Db,
  input: { pactId: string; data: Buffer | string; skipInvalid?: boolean; recordedBy?: string | null },
): Promise<OcImportReport> {
  const records = readRecords(typeof input.data === 'string' ? Buffer.from(input.data, 'utf8') : input.data);
  const header = records.shift();
  if (!header) throw new OcImportFileError('empty');
  const names = header.fields.map((h) => h.trim());
  const col = new Map<Column, number>();
  for (const c of [...REQUIRED, ...OPTIONAL]) if (names.includes(c)) col.set(c, names.indexOf(c));
  const missing = REQUIRED.filter((c) => !col.has(c));
  if (missing.length) throw new OcImportFileError('missing_columns', { columns: missing.join(', ') });

  const rejected = new Map<number, Rejection>();
  const reject = (line: number, r: Rejection) => void (rejected.has(line) || rejected.set(line, r));
  let rows: OcRow[] = [];
  for (const rec of records) {
    const r = rec.fields.length !== names.length ? { reason: 'columns' as const, values: { expected: names.length, found: rec.fields.length } } : readRow(rec.fields, col, rec.line);
    if ('reason' in r) reject(rec.line, r);
    else rows.push(r);
  }
  const currency = rows[0]?.currency ?? null;
  const seen = new Map<string, number>();
  rows = rows.filter((r) => {
    if (r.currency !== currency) reject(r.line, { reason: 'currency_mismatch', values: { currency: r.currency, fileCurrency: currency! } });
    else if (seen.has(r.shortId)) reject(r.line, { reason: 'id_duplicate', values: { id: r.shortId, line: seen.get(r.shortId)! } });
    else {
      seen.set(r.shortId, r.line);
      return true;
    }
    return false;
  });
  if (rows.length > 1 && rows[0]!.instant > rows[rows.length - 1]!.instant) rows.reverse();

  const report: OcImportReport = {
    rows: records.length,
    recorded: 0,
    alreadyPresent: 0,
    reversals: 0,
    pendingFees: [],
    rejected: [],
    finalBalanceMinor: null,
    fileFinalBalanceMinor: null,
    currency,
    imported: false,
    refusal: null,
  };

  const run = async (tx: Tx): Promise<void> => {
    const wanted = rows.flatMap((r) => [`oc:${r.shortId}`, `oc:${r.shortId}:fee`, `oc:${r.shortId}:host_fee`, ...(r.refundOf ? [`oc:${r.refundOf}`, `oc:${r.refundOf}:fee`] : [])]);
    const known = await loadKnown(tx, input.pactId, [...new Set(wanted)]);
    const plans = planRows(rows, known, records, col.get('shortId')!, reject);
    if (currency) report.finalBalanceMinor = await balanceOf(tx, input.pactId, currency);
    report.fileFinalBalanceMinor = plans.at(-1)?.row.balance ?? null;
    if (rejected.size && !input.skipInvalid) throw new Refused({ reason: 'rejected_rows' });
    if (!plans.length || !currency) return;

    const runs: Plan[][] = [];
    for (const p of plans) {
      const last = runs.at(-1);
      if (last && p.row.group !== '' && last[0]!.row.group === p.row.group) last.push(p);
      else runs.push([p]);
    }
    // The pact's balance before this file's rows: without the entries of this file it already holds.
    const opening = report.finalBalanceMinor! - plans.flatMap(refsOf).reduce((sum, ref) => sum + (known.get(ref)?.amount ?? 0), 0);
    const deferred = walkBalance(runs, opening);
    const pendingRef = deferred && !known.has(deferred.ref) ? deferred.ref : null;
    if (deferred && pendingRef) report.pendingFees.push({ line: deferred.line, amountMinor: deferred.fee });

    const ids = new Map([...known].map(([ref, k]) => [ref, k.id]));
    const recordedBy = input.recordedBy ?? null;
    for (const group of runs) {
      // A group partly recorded by an earlier import (a pending fee) keeps its ledger group.
      const groupId = group.flatMap(refsOf).map((r) => known.get(r)?.groupId).find(Boolean) ?? newId();
      let batch: { line: number; entries: NewEntry[] }[] = [];
      const flush = async () => {
        const entries = batch.flatMap((b) => b.entries);
        const line = batch[0]?.line ?? 0;
        batch = [];
        if (!entries.length) return;
        const stored = await recordEntries(tx, { pactId: input.pactId, entries, recordedBy, groupId }).catch((err: unknown) => {
          throw err instanceof Overdraft ? new Refused({ reason: 'overdraft', line }) : err;
        });
        for (const s of stored) ids.set(s.external_ref!, s.id);
        report.recorded += stored.length;
      };
      for (const p of group) {
        if (p.kind === 'direct') {
          report.alreadyPresent += p.entries.filter((e) => known.has(e.ref)).length;
          batch.push({ line: p.row.line, entries: p.entries.filter((e) => e.ref !== pendingRef && !known.has(e.ref)).map((e) => e.entry) });
          continue;
        }
        await flush();
        if (known.has(p.ref)) {
          report.alreadyPresent += 1;
          continue;
        }
        await reverseEntry(tx, { pactId: input.pactId, entryId: ids.get(p.targetRef)!, valueDate: p.row.valueDate, recordedBy, description: p.row.description, groupId, externalRef: p.ref }).catch(
          (err: unknown) => {
            throw err instanceof Overdraft ? new Refused({ reason: 'overdraft', line: p.row.line }) : err;
          },
        );
        report.recorded += 1;
        report.reversals += 1;
      }
      await flush();
    }

    const after = await balanceOf(tx, input.pactId, currency);
    if (after !== report.fileFinalBalanceMinor) throw new Refused({ reason: 'final_balance', ledgerMinor: after, fileMinor: report.fileFinalBalanceMinor! });
    report.finalBalanceMinor = after;
  };

  try {
    if (db.isTransaction) {
      await sql`savepoint oc_import`.execute(db);
      try {
        await run(db as Tx);
      } catch (err) {
        await sql`rollback to savepoint oc_import`.execute(db);
        throw err;
      } finally {
        await sql`release savepoint oc_import`.execute(db);
      }
    } else await db.transaction().execute(run);
    report.imported = true;
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    Object.assign(report, { refusal: err.refusal, imported: false, recorded: 0, reversals: 0, alreadyPresent: 0, pendingFees: [] });
    if (currency) report.finalBalanceMinor = await balanceOf(db, input.pactId, currency);
  }
  report.rejected = [...rejected].map(([line, r]) => ({ line, reason: r.reason, ...(r.values ? { values: r.values } : {}) })).sort((a, b) => a.line - b.line);
  return report;
}
