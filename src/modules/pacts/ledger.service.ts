import { inTransaction, type Db, type Tx } from '../../db/client.ts';
import type { CounterpartyKind, LedgerEntriesTable, LedgerEntryKind } from '../../db/schema.ts';
import { AppError, Conflict, NotFound, ValidationFailed } from '../../http/errors.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';

/**
 * The append-only ledger of a solidarity pact (docs/LEDGER.md).
 *
 * Every amount is a signed integer of minor units of an ISO 4217 currency (JPY 0 digits, EUR 2,
 * KWD 3): positive flows into the pact, negative out of it. An entry is never changed or removed
 * (the database refuses it with a trigger); a correction is a `reversal` entry that names the
 * entry it reverses and carries the opposite amount.
 *
 * Each write runs in one transaction that also keeps two aggregates current: the per-currency
 * balance (`pact_balances`) and the per-month totals by flow (`pact_month_totals`), so balances
 * and monthly reports read a handful of rows whatever the ledger's length. Entries get a per-pact
 * sequence number from `pact_sequences`; claiming it is the first write of the transaction, which
 * serializes writers of one pact on PostgreSQL (row lock) and SQLite (single writer), so the
 * running balance stored on each entry is exact.
 */

/** Kinds an entry can be recorded as directly; `reversal` only comes from {@link reverseEntry}. */
export type DirectKind = Exclude<LedgerEntryKind, 'reversal'>;

/** The sign each kind must have: `+` only into the pact, `-` only out, `±` either. */
export const KIND_SIGN: Readonly<Record<DirectKind, '+' | '-' | '±'>> = {
  contribution: '+',
  disbursement: '-',
  fee: '-',
  exchange: '±',
  transfer: '±',
};

/** Who the money came from or went to. Exactly the id that matches `kind` is set (none for `external`). */
export interface Counterparty {
  kind: CounterpartyKind;
  organizationId?: string | null;
  userId?: string | null;
  beneficiaryId?: string | null;
  pactId?: string | null;
  /** A display name (an external payer, a payee without an account). */
  name?: string | null;
}

/** One entry to record. */
export interface NewEntry {
  kind: DirectKind;
  /** Signed minor units; never 0. */
  amountMinor: number;
  /** ISO 4217 alphabetic code (validated by the caller against `lib/money.ts`). */
  currency: string;
  /** Date-only `YYYY-MM-DD`: when the money moved (decides the report month). */
  valueDate: string;
  counterparty: Counterparty;
  reference?: string | null;
  description?: string | null;
  pledgeId?: string | null;
  documentId?: string | null;
  /** For a converted amount: the rate used (decimal string), its source and date. */
  conversion?: { rate: string; source: string; date: string } | null;
  /** Identity of the row in an imported file; an entry with a known ref is skipped. */
  externalRef?: string | null;
}

/** A stored entry as the services use it. */
export type LedgerEntry = LedgerEntriesTable;

/** 409: the pact is closed; nothing more is recorded on it. */
export class PactClosed extends Conflict {
  constructor() {
    super('pact_closed', 'pacts.errors.closed');
  }
}

/** 409: the entry would take the pact's balance in `currency` below zero. */
export class Overdraft extends Conflict {
  readonly currency: string;
  readonly balanceMinor: number;
  readonly amountMinor: number;
  constructor(currency: string, balanceMinor: number, amountMinor: number) {
    super('overdraft', 'pacts.errors.overdraft', 'amount');
    this.currency = currency;
    this.balanceMinor = balanceMinor;
    this.amountMinor = amountMinor;
  }
}

/** 409: the entry is a reversal, or already reversed. */
export class NotReversible extends Conflict {
  constructor(reason: 'is_reversal' | 'already_reversed') {
    super(`not_reversible_${reason}`, `pacts.errors.${reason}`);
  }
}

/** 400-class programming or input error in an entry (sign against kind, zero, unsafe integer). */
export class InvalidEntry extends AppError {
  readonly reason: string;
  constructor(reason: string) {
    super(422, 'invalid_entry', 'pacts.errors.invalid_entry');
    this.reason = reason;
  }
}

/** Outflows that may not overdraw: everything except fees (a charged fee is a fact to record). */
function mayOverdraw(kind: LedgerEntryKind): boolean {
  return kind === 'fee';
}

function checkEntry(e: NewEntry): void {
  if (!Number.isSafeInteger(e.amountMinor) || e.amountMinor === 0) throw new InvalidEntry('amount');
  const sign = KIND_SIGN[e.kind];
  if (!sign) throw new InvalidEntry('kind');
  if ((sign === '+' && e.amountMinor < 0) || (sign === '-' && e.amountMinor > 0)) throw new InvalidEntry('sign');
  if (!/^[A-Z]{3}$/.test(e.currency)) throw new InvalidEntry('currency');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(e.valueDate)) throw new InvalidEntry('value_date');
}

/** Row fields shared by a new entry and a reversal, before seq and balance are known. */
type PendingRow = Omit<LedgerEntriesTable, 'seq' | 'balance_after_minor'>;

function pendingRow(pactId: string, groupId: string, e: NewEntry, recordedBy: string | null, recordedAt: string): PendingRow {
  const cp = e.counterparty;
  return {
    id: newId(),
    pact_id: pactId,
    group_id: groupId,
    kind: e.kind,
    flow: e.kind,
    amount_minor: e.amountMinor,
    currency: e.currency,
    value_date: e.valueDate,
    counterparty_kind: cp.kind,
    counterparty_organization_id: cp.kind === 'organization' ? (cp.organizationId ?? null) : null,
    counterparty_user_id: cp.kind === 'person' ? (cp.userId ?? null) : null,
    counterparty_beneficiary_id: cp.kind === 'beneficiary' ? (cp.beneficiaryId ?? null) : null,
    counterparty_pact_id: cp.kind === 'pact' ? (cp.pactId ?? null) : null,
    counterparty_name: cp.name ?? null,
    reference: e.reference ?? null,
    description: e.description ?? null,
    reverses_id: null,
    pledge_id: e.pledgeId ?? null,
    document_id: e.documentId ?? null,
    rate: e.conversion?.rate ?? null,
    rate_source: e.conversion?.source ?? null,
    rate_date: e.conversion?.date ?? null,
    external_ref: e.externalRef ?? null,
    recorded_by: recordedBy,
    recorded_at: recordedAt,
  };
}

/**
 * Claims `count` sequence numbers of a pact and returns the first. Being the first write of the
 * transaction, it also takes the pact's write lock (PostgreSQL row lock; SQLite's single writer).
 * The pact's status is checked in the same statement; only a refused claim reads it again, to
 * say why.
 * @throws {NotFound} when the pact does not exist. @throws {PactClosed} when it is closed.
 */
async function claimSeq(tx: Tx, pactId: string, count: number): Promise<number> {
  const row = await tx
    .updateTable('pact_sequences')
    .set((eb) => ({ last_seq: eb('last_seq', '+', count) }))
    .where('pact_id', '=', pactId)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('pacts').select('pacts.id').where('pacts.id', '=', pactId).where('pacts.status', '=', 'closed'))))
    .returning('last_seq')
    .executeTakeFirst();
  if (!row) {
    const pact = await tx.selectFrom('pacts').select('status').where('id', '=', pactId).executeTakeFirst();
    if (pact?.status === 'closed') throw new PactClosed();
    throw new NotFound();
  }
  return row.last_seq - count + 1;
}

/**
 * Appends pending rows (already validated) to one pact: assigns seq and running balances,
 * refuses overdrafts, inserts in chunks and updates both aggregates once per currency/month/flow.
 */
async function appendRows(tx: Tx, pactId: string, rows: PendingRow[]): Promise<LedgerEntry[]> {
  if (rows.length === 0) return [];
  const firstSeq = await claimSeq(tx, pactId, rows.length);
  const touched = new Map<string, { delta: number; count: number; lastSeq: number }>();
  const months = new Map<string, { month: string; currency: string; flow: LedgerEntryKind; total: number; count: number }>();
  rows.forEach((r, i) => {
    const t = touched.get(r.currency) ?? { delta: 0, count: 0, lastSeq: 0 };
    t.delta += r.amount_minor;
    t.count += 1;
    t.lastSeq = firstSeq + i;
    touched.set(r.currency, t);
    const month = r.value_date.slice(0, 7);
    const key = `${month}|${r.currency}|${r.flow}`;
    const m = months.get(key) ?? { month, currency: r.currency, flow: r.flow, total: 0, count: 0 };
    m.total += r.amount_minor;
    m.count += 1;
    months.set(key, m);
  });
  // The balance upsert returns the new balance, so the one before these rows needs no extra read;
  // an overdraft found below throws and the transaction takes the upsert back.
  const balances = new Map<string, number>();
  for (const [currency, t] of touched) {
    const after = await tx
      .insertInto('pact_balances')
      .values({ pact_id: pactId, currency, balance_minor: t.delta, entry_count: t.count, last_seq: t.lastSeq })
      .onConflict((oc) =>
        oc.columns(['pact_id', 'currency']).doUpdateSet((eb) => ({
          balance_minor: eb('pact_balances.balance_minor', '+', eb.ref('excluded.balance_minor')),
          entry_count: eb('pact_balances.entry_count', '+', eb.ref('excluded.entry_count')),
          last_seq: eb.ref('excluded.last_seq'),
        })),
      )
      .returning('balance_minor')
      .executeTakeFirstOrThrow()
      .catch(tooLarge);
    balances.set(currency, Number(after.balance_minor) - t.delta);
  }
  const stored: LedgerEntry[] = rows.map((r, i) => {
    const before = balances.get(r.currency)!;
    const after = before + r.amount_minor;
    if (!Number.isSafeInteger(after)) tooLarge(new RangeError('balance beyond the safe integer range'));
    if (r.amount_minor < 0 && after < 0 && !mayOverdraw(r.kind)) throw new Overdraft(r.currency, before, r.amount_minor);
    balances.set(r.currency, after);
    return { ...r, seq: firstSeq + i, balance_after_minor: after };
  });
  // SQLite allows 32766 bound parameters per statement; an entry has 31 columns.
  for (let i = 0; i < stored.length; i += 500) await tx.insertInto('ledger_entries').values(stored.slice(i, i + 500)).execute();
  for (const m of months.values()) {
    await tx
      .insertInto('pact_month_totals')
      .values({ pact_id: pactId, month: m.month, currency: m.currency, flow: m.flow, total_minor: m.total, entry_count: m.count })
      .onConflict((oc) =>
        oc.columns(['pact_id', 'month', 'currency', 'flow']).doUpdateSet((eb) => ({
          total_minor: eb('pact_month_totals.total_minor', '+', eb.ref('excluded.total_minor')),
          entry_count: eb('pact_month_totals.entry_count', '+', eb.ref('excluded.entry_count')),
        })),
      )
      .execute()
      .catch(tooLarge);
  }
  return stored;
}

/**
 * A balance or month total beyond 2^53 − 1 minor units cannot be held exactly by the engines'
 * JavaScript drivers (they throw a RangeError reading it back): the entry is refused as too
 * large, like an amount that is too large on its own, and the transaction rolls back.
 */
function tooLarge(err: unknown): never {
  if (err instanceof RangeError) throw new ValidationFailed([{ field: 'amount', messageId: 'money.amount.too_large' }]);
  throw err;
}

/**
 * Records entries on one pact in one transaction (the caller's, when `db` is one). Entries of one
 * call share `groupId` (a new one when omitted): one economic event, such as a contribution and
 * its processing fee. Entries whose `externalRef` is already on the pact are skipped (so a
 * re-import adds nothing); the result lists only what was stored, in order.
 * @throws {InvalidEntry} a zero or unsafe amount, a sign against the kind (a contribution is
 *   positive; a disbursement or fee negative), a malformed currency or date.
 * @throws {Overdraft} an outflow other than a fee that takes a currency's balance below zero.
 * @throws {PactClosed} on a closed pact. @throws {NotFound} for an unknown pact.
 */
export async function recordEntries(
  db: Db,
  input: { pactId: string; entries: NewEntry[]; recordedBy: string | null; groupId?: string },
): Promise<LedgerEntry[]> {
  for (const e of input.entries) checkEntry(e);
  return inTransaction(db, async (tx) => {
    let entries = input.entries;
    const refs = entries.map((e) => e.externalRef).filter((r): r is string => !!r);
    if (refs.length) {
      const known = new Set<string>();
      for (let i = 0; i < refs.length; i += 500) {
        const rows = await tx
          .selectFrom('ledger_entries')
          .select('external_ref')
          .where('pact_id', '=', input.pactId)
          .where('external_ref', 'in', refs.slice(i, i + 500))
          .execute();
        for (const r of rows) if (r.external_ref) known.add(r.external_ref);
      }
      entries = entries.filter((e) => !e.externalRef || !known.has(e.externalRef));
    }
    const groupId = input.groupId ?? newId();
    const at = nowInstant();
    return appendRows(tx, input.pactId, entries.map((e) => pendingRow(input.pactId, groupId, e, input.recordedBy, at)));
  });
}

/**
 * Records the reversal of one entry: a `reversal` entry on the same pact with the opposite amount
 * in the same currency and counterparty, `flow` = the reversed entry's kind (so reports net it
 * against what it corrects), `reverses_id` = the original. A new group id unless `groupId` is
 * given (reversing several entries of one event together). `valueDate` (date-only) is the day of
 * the correction, which decides its report month; the original's month stays as it was.
 * @throws {NotFound} unknown entry or not on this pact. @throws {NotReversible} for a reversal or an
 *   entry already reversed. @throws {Overdraft} when reversing an inflow would overdraw.
 *   @throws {PactClosed}.
 */
export async function reverseEntry(
  db: Db,
  input: { pactId: string; entryId: string; valueDate: string; recordedBy: string | null; description?: string | null; groupId?: string; externalRef?: string | null },
): Promise<LedgerEntry> {
  return inTransaction(db, async (tx) => {
    const original = await tx.selectFrom('ledger_entries').selectAll().where('id', '=', input.entryId).where('pact_id', '=', input.pactId).executeTakeFirst();
    if (!original) throw new NotFound();
    if (original.kind === 'reversal') throw new NotReversible('is_reversal');
    const already = await tx.selectFrom('ledger_entries').select('id').where('reverses_id', '=', original.id).executeTakeFirst();
    if (already) throw new NotReversible('already_reversed');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.valueDate)) throw new InvalidEntry('value_date');
    const row: PendingRow = {
      ...original,
      id: newId(),
      group_id: input.groupId ?? newId(),
      kind: 'reversal',
      flow: original.kind,
      amount_minor: -Number(original.amount_minor),
      value_date: input.valueDate,
      reference: original.reference,
      description: input.description ?? null,
      reverses_id: original.id,
      external_ref: input.externalRef ?? null,
      recorded_by: input.recordedBy,
      recorded_at: nowInstant(),
    };
    delete (row as Partial<LedgerEntry>).seq;
    delete (row as Partial<LedgerEntry>).balance_after_minor;
    const [stored] = await appendRows(tx, input.pactId, [row]);
    return stored!;
  });
}

/**
 * Reverses every not-yet-reversed, non-reversal entry of a group on one pact, as one new group.
 * Returns the reversals (empty when nothing was left to reverse).
 */
export async function reverseGroup(
  db: Db,
  input: { pactId: string; groupId: string; valueDate: string; recordedBy: string | null; description?: string | null },
): Promise<LedgerEntry[]> {
  return inTransaction(db, async (tx) => {
    const rows = await tx
      .selectFrom('ledger_entries as e')
      .select(['e.id', 'e.amount_minor'])
      .where('e.pact_id', '=', input.pactId)
      .where('e.group_id', '=', input.groupId)
      .where('e.kind', '<>', 'reversal')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('ledger_entries as r').select('r.id').whereRef('r.reverses_id', '=', 'e.id'))))
      .orderBy('e.seq')
      .execute();
    const groupId = newId();
    const out: LedgerEntry[] = [];
    // Outflows first: reversing a contribution's fee puts money back before reversing the
    // contribution takes it out, so a group that fits the balance never trips the overdraft check.
    rows.sort((a, b) => Number(a.amount_minor) - Number(b.amount_minor));
    for (const r of rows) out.push(await reverseEntry(tx, { pactId: input.pactId, entryId: r.id, valueDate: input.valueDate, recordedBy: input.recordedBy, description: input.description ?? null, groupId }));
    return out;
  });
}

/**
 * Records a currency exchange inside one pact as one group of two `exchange` entries: `from`
 * leaves (negative) and `to` arrives (positive), both carrying the rate (units of `to` per one
 * unit of `from`, decimal string), its source and date.
 * @throws {InvalidEntry} same currency on both legs or non-positive amounts; see {@link recordEntries}.
 */
export async function recordExchange(
  db: Db,
  input: {
    pactId: string;
    from: { currency: string; amountMinor: number };
    to: { currency: string; amountMinor: number };
    conversion: { rate: string; source: string; date: string };
    valueDate: string;
    counterparty: Counterparty;
    reference?: string | null;
    description?: string | null;
    recordedBy: string | null;
  },
): Promise<LedgerEntry[]> {
  if (input.from.currency === input.to.currency) throw new InvalidEntry('same_currency');
  if (!(input.from.amountMinor > 0 && input.to.amountMinor > 0)) throw new InvalidEntry('amount');
  const base = { kind: 'exchange' as const, valueDate: input.valueDate, counterparty: input.counterparty, reference: input.reference, description: input.description, conversion: input.conversion };
  return recordEntries(db, {
    pactId: input.pactId,
    recordedBy: input.recordedBy,
    entries: [
      { ...base, amountMinor: -input.from.amountMinor, currency: input.from.currency },
      { ...base, amountMinor: input.to.amountMinor, currency: input.to.currency },
    ],
  });
}

/**
 * Moves money from one pact to another: one group with a `transfer` entry on each pact (negative
 * on the source, positive on the target, same currency), in one transaction. Locks the two pacts in
 * id order so two opposite transfers cannot deadlock.
 * @throws {InvalidEntry} same pact or non-positive amount; {@link Overdraft} on the source;
 *   {@link PactClosed} when either is closed.
 */
export async function recordTransfer(
  db: Db,
  input: {
    fromPactId: string;
    toPactId: string;
    amountMinor: number;
    currency: string;
    valueDate: string;
    reference?: string | null;
    description?: string | null;
    /** A document of the source pact (e.g. the approved proposal's receipt), on the source leg only. */
    documentId?: string | null;
    recordedBy: string | null;
  },
): Promise<LedgerEntry[]> {
  if (input.fromPactId === input.toPactId) throw new InvalidEntry('same_pact');
  if (!(input.amountMinor > 0)) throw new InvalidEntry('amount');
  const groupId = newId();
  const leg = (pactId: string, other: string, amountMinor: number): { pactId: string; entry: NewEntry } => ({
    pactId,
    entry: {
      kind: 'transfer',
      amountMinor,
      currency: input.currency,
      valueDate: input.valueDate,
      counterparty: { kind: 'pact', pactId: other },
      reference: input.reference,
      description: input.description,
      documentId: pactId === input.fromPactId ? (input.documentId ?? null) : null,
    },
  });
  const legs = [leg(input.fromPactId, input.toPactId, -input.amountMinor), leg(input.toPactId, input.fromPactId, input.amountMinor)].sort((a, b) => (a.pactId < b.pactId ? -1 : 1));
  return inTransaction(db, async (tx) => {
    const out: LedgerEntry[] = [];
    for (const l of legs) out.push(...(await recordEntries(tx, { pactId: l.pactId, entries: [l.entry], recordedBy: input.recordedBy, groupId })));
    return out;
  });
}

/** Balance per currency of a pact, from the kept aggregate: `[{ currency, balanceMinor, entryCount }]` sorted by currency. */
export async function pactBalances(db: Db, pactId: string): Promise<{ currency: string; balanceMinor: number; entryCount: number }[]> {
  const rows = await db
    .selectFrom('pact_balances')
    .select(['currency', 'balance_minor', 'entry_count'])
    .where('pact_id', '=', pactId)
    .orderBy('currency')
    .execute();
  return rows.map((r) => ({ currency: r.currency, balanceMinor: Number(r.balance_minor), entryCount: Number(r.entry_count) }));
}

/** One month of one currency in a transparency report (minor units). */
export interface MonthLine {
  /** `YYYY-MM`. */
  month: string;
  currency: string;
  /** Contributions net of their reversals (≥ 0 in a normal month). */
  inMinor: number;
  /** Disbursements net of their reversals, as a negative number. */
  outMinor: number;
  /** Fees net of their reversals, negative. */
  feesMinor: number;
  /** Exchange and transfer legs, net. */
  movedMinor: number;
  /** Balance at the end of the month. */
  closingMinor: number;
  entryCount: number;
}

/**
 * Per-month totals of a pact by currency, from the kept aggregate (value-date months), with the
 * closing balance carried forward across months without entries. `from`/`to` are `YYYY-MM`
 * inclusive; the closing balance always counts every earlier month.
 */
export async function monthlyTotals(db: Db, pactId: string, range: { from?: string; to?: string } = {}): Promise<MonthLine[]> {
  const rows = await db
    .selectFrom('pact_month_totals')
    .select(['month', 'currency', 'flow', 'total_minor', 'entry_count'])
    .where('pact_id', '=', pactId)
    .orderBy('month')
    .execute();
  const lines = new Map<string, MonthLine>();
  for (const r of rows) {
    const key = `${r.month}|${r.currency}`;
    const line = lines.get(key) ?? { month: r.month, currency: r.currency, inMinor: 0, outMinor: 0, feesMinor: 0, movedMinor: 0, closingMinor: 0, entryCount: 0 };
    const total = Number(r.total_minor);
    if (r.flow === 'contribution') line.inMinor += total;
    else if (r.flow === 'disbursement') line.outMinor += total;
    else if (r.flow === 'fee') line.feesMinor += total;
    else line.movedMinor += total;
    line.entryCount += Number(r.entry_count);
    lines.set(key, line);
  }
  const running = new Map<string, number>();
  const out: MonthLine[] = [];
  for (const line of [...lines.values()].sort((a, b) => (a.month === b.month ? a.currency.localeCompare(b.currency) : a.month < b.month ? -1 : 1))) {
    const closing = (running.get(line.currency) ?? 0) + line.inMinor + line.outMinor + line.feesMinor + line.movedMinor;
    running.set(line.currency, closing);
    line.closingMinor = closing;
    if ((range.from && line.month < range.from) || (range.to && line.month > range.to)) continue;
    out.push(line);
  }
  return out;
}

/** Entries of a pact newest first (by seq), keyset-paged by `beforeSeq`. */
export async function listEntries(db: Db, pactId: string, opts: { limit?: number; beforeSeq?: number; currency?: string } = {}): Promise<LedgerEntry[]> {
  let q = db.selectFrom('ledger_entries').selectAll().where('pact_id', '=', pactId);
  if (opts.beforeSeq) q = q.where('seq', '<', opts.beforeSeq);
  if (opts.currency) q = q.where('currency', '=', opts.currency);
  const rows = await q.orderBy('seq', 'desc').limit(opts.limit ?? 50).execute();
  return rows.map(normalizeEntry);
}

/** Numbers from the database as JS numbers (PostgreSQL `bigint` arrives as text on some paths). */
export function normalizeEntry(r: LedgerEntry): LedgerEntry {
  return { ...r, seq: Number(r.seq), amount_minor: Number(r.amount_minor), balance_after_minor: Number(r.balance_after_minor) };
}

/** Ids of the entries of a pact that were reversed (to mark them in lists). */
export async function reversedIds(db: Db, pactId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('ledger_entries').select('reverses_id').where('pact_id', '=', pactId).where('reverses_id', 'in', ids).execute();
  return new Set(rows.map((r) => r.reverses_id!).filter(Boolean));
}

/** Starts the sequence of a new pact (called in the pact's creating transaction). */
export async function initLedger(tx: Db, pactId: string): Promise<void> {
  await tx.insertInto('pact_sequences').values({ pact_id: pactId, last_seq: 0 }).execute();
}

/** Whether `err` is the database's refusal to change a ledger entry (the append-only trigger). */
export function isAppendOnlyRefusal(err: unknown): boolean {
  return err instanceof Error && /append-only/.test(err.message);
}

