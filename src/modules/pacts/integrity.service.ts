import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../db/client.ts';

/**
 * The ledger invariants, each checked by one SQL query over the whole database (every pact). A
 * query returns the rows that break it; an empty result means the invariant holds. Used by
 * `npx solidaris check-integrity` (exit status 1 on any violation) and by the tests.
 *
 * What is checked (docs/LEDGER.md, "Invariants"):
 * - `balance`: each kept balance equals the sum of the pact's entries in that currency, with the
 *   same entry count and last sequence number; no currency has entries but no balance;
 * - `running_balance`: each entry's `balance_after_minor` equals the previous entry's (same pact
 *   and currency, by sequence) plus its own amount;
 * - `month_totals`: each kept month total equals the sum of its entries (and none is missing);
 * - `sequence`: a pact's sequence counter is its highest entry number;
 * - `sign`: contributions positive; disbursements and fees negative;
 * - `reversal`: a reversal names an entry of the same pact that is not itself a reversal, with the
 *   opposite amount, the same currency, and `flow` = the reversed kind;
 * - `transfer_group`: a transfer group has two legs on two different pacts summing to zero in one
 *   currency;
 * - `exchange_group`: an exchange group has one outgoing and one incoming leg in two currencies,
 *   both with the same rate, source and date;
 * - `partial_reversal`: the legs of an exchange or a transfer are reversed all together or not at all;
 * - `closed_pact`: no entry was recorded on a closed pact after it closed;
 * - `disbursement`: an approved disbursement has its entry (same pact, amount and currency) and a
 *   second person approved it; a pending or refused one has no entry.
 */
export interface IntegrityViolation {
  check: string;
  /** Slug of the pact concerned (null when the row has none). */
  pact: string | null;
  /** What is wrong, as `column=value` pairs (not translated: this is an operator's report). */
  detail: string;
}

/** A check's query: rows with `pact_id` and `detail` text. */
function checks(): Record<string, RawBuilder<{ pact_id: string | null; detail: string }>> {
  return {
    balance: sql`
      SELECT COALESCE(b.pact_id, s.pact_id) AS pact_id,
        'currency=' || COALESCE(b.currency, s.currency) || ' kept=' || COALESCE(CAST(b.balance_minor AS TEXT), '-') ||
        ' sum=' || COALESCE(CAST(s.total AS TEXT), '-') || ' kept_count=' || COALESCE(CAST(b.entry_count AS TEXT), '-') ||
        ' count=' || COALESCE(CAST(s.n AS TEXT), '-') || ' kept_last_seq=' || COALESCE(CAST(b.last_seq AS TEXT), '-') ||
        ' last_seq=' || COALESCE(CAST(s.last_seq AS TEXT), '-') AS detail
      FROM pact_balances b
      FULL OUTER JOIN (
        SELECT pact_id, currency, CAST(SUM(amount_minor) AS BIGINT) AS total, COUNT(*) AS n, MAX(seq) AS last_seq
        FROM ledger_entries GROUP BY pact_id, currency
      ) s ON s.pact_id = b.pact_id AND s.currency = b.currency
      WHERE b.pact_id IS NULL OR s.pact_id IS NULL OR b.balance_minor <> s.total OR b.entry_count <> s.n OR b.last_seq <> s.last_seq`,
    running_balance: sql`
      SELECT pact_id, 'seq=' || CAST(seq AS TEXT) || ' currency=' || currency || ' stored=' || CAST(balance_after_minor AS TEXT) ||
        ' expected=' || CAST(expected AS TEXT) AS detail
      FROM (
        SELECT pact_id, seq, currency, balance_after_minor,
          CAST(SUM(amount_minor) OVER (PARTITION BY pact_id, currency ORDER BY seq ROWS UNBOUNDED PRECEDING) AS BIGINT) AS expected
        FROM ledger_entries
      ) r
      WHERE balance_after_minor <> expected`,
    month_totals: sql`
      SELECT COALESCE(m.pact_id, s.pact_id) AS pact_id,
        'month=' || COALESCE(m.month, s.month) || ' currency=' || COALESCE(m.currency, s.currency) || ' flow=' || COALESCE(m.flow, s.flow) ||
        ' kept=' || COALESCE(CAST(m.total_minor AS TEXT), '-') || ' sum=' || COALESCE(CAST(s.total AS TEXT), '-') AS detail
      FROM pact_month_totals m
      FULL OUTER JOIN (
        SELECT pact_id, SUBSTR(CAST(value_date AS TEXT), 1, 7) AS month, currency, flow, CAST(SUM(amount_minor) AS BIGINT) AS total, COUNT(*) AS n
        FROM ledger_entries GROUP BY pact_id, SUBSTR(CAST(value_date AS TEXT), 1, 7), currency, flow
      ) s ON s.pact_id = m.pact_id AND s.month = m.month AND s.currency = m.currency AND s.flow = m.flow
      WHERE m.pact_id IS NULL OR s.pact_id IS NULL OR m.total_minor <> s.total OR m.entry_count <> s.n`,
    sequence: sql`
      SELECT q.pact_id, 'counter=' || CAST(q.last_seq AS TEXT) || ' highest=' || COALESCE(CAST(MAX(e.seq) AS TEXT), '0') AS detail
      FROM pact_sequences q LEFT JOIN ledger_entries e ON e.pact_id = q.pact_id
      GROUP BY q.pact_id, q.last_seq
      HAVING q.last_seq <> COALESCE(MAX(e.seq), 0)`,
    sign: sql`
      SELECT pact_id, 'seq=' || CAST(seq AS TEXT) || ' kind=' || kind || ' amount=' || CAST(amount_minor AS TEXT) AS detail
      FROM ledger_entries
      WHERE (kind = 'contribution' AND amount_minor <= 0) OR (kind IN ('disbursement', 'fee') AND amount_minor >= 0)`,
    reversal: sql`
      SELECT r.pact_id, 'seq=' || CAST(r.seq AS TEXT) || ' reverses=' || r.reverses_id ||
        CASE WHEN o.id IS NULL THEN ' (no such entry on this pact)'
             WHEN o.kind = 'reversal' THEN ' (reversal of a reversal)'
             WHEN o.amount_minor <> -r.amount_minor OR o.currency <> r.currency THEN ' (amount or currency does not mirror the original)'
             ELSE ' (flow differs from the reversed kind)' END AS detail
      FROM ledger_entries r
      LEFT JOIN ledger_entries o ON o.id = r.reverses_id AND o.pact_id = r.pact_id
      WHERE r.kind = 'reversal' AND (o.id IS NULL OR o.kind = 'reversal' OR o.amount_minor <> -r.amount_minor OR o.currency <> r.currency OR r.flow <> o.kind)`,
    transfer_group: sql`
      SELECT MIN(pact_id) AS pact_id, 'group=' || group_id || ' legs=' || CAST(COUNT(*) AS TEXT) || ' sum=' || CAST(CAST(SUM(amount_minor) AS BIGINT) AS TEXT) AS detail
      FROM ledger_entries WHERE kind = 'transfer'
      GROUP BY group_id
      HAVING COUNT(*) <> 2 OR SUM(amount_minor) <> 0 OR COUNT(DISTINCT pact_id) <> 2 OR COUNT(DISTINCT currency) <> 1`,
    exchange_group: sql`
      SELECT MIN(pact_id) AS pact_id, 'group=' || group_id || ' legs=' || CAST(COUNT(*) AS TEXT) AS detail
      FROM ledger_entries WHERE kind = 'exchange'
      GROUP BY group_id
      HAVING COUNT(*) <> 2 OR COUNT(DISTINCT currency) <> 2 OR COUNT(DISTINCT pact_id) <> 1
        OR SUM(CASE WHEN amount_minor < 0 THEN 1 ELSE 0 END) <> 1
        OR COUNT(DISTINCT rate) <> 1 OR COUNT(DISTINCT rate_source) <> 1 OR COUNT(DISTINCT rate_date) <> 1 OR COUNT(rate) <> 2`,
    partial_reversal: sql`
      SELECT MIN(e.pact_id) AS pact_id, 'group=' || e.group_id || ' kind=' || MIN(e.kind) || ' legs=' || CAST(COUNT(*) AS TEXT) ||
        ' reversed=' || CAST(COUNT(r.id) AS TEXT) AS detail
      FROM ledger_entries e
      LEFT JOIN ledger_entries r ON r.reverses_id = e.id
      WHERE e.kind IN ('exchange', 'transfer')
      GROUP BY e.group_id
      HAVING COUNT(r.id) <> 0 AND COUNT(r.id) <> COUNT(*)`,
    closed_pact: sql`
      SELECT e.pact_id, 'seq=' || CAST(e.seq AS TEXT) || ' recorded_at=' || CAST(e.recorded_at AS TEXT) || ' closed_at=' || CAST(p.closed_at AS TEXT) AS detail
      FROM ledger_entries e JOIN pacts p ON p.id = e.pact_id
      WHERE p.closed_at IS NOT NULL AND e.recorded_at > p.closed_at`,
    disbursement: sql`
      SELECT d.pact_id, 'disbursement=' || d.id || ' status=' || d.status ||
        CASE WHEN d.status = 'approved' AND e.id IS NULL THEN ' (approved without its entry)'
             WHEN d.status = 'approved' AND d.decided_by = d.proposed_by THEN ' (approved by the person who proposed it)'
             WHEN d.status <> 'approved' AND d.entry_id IS NOT NULL THEN ' (has an entry but is not approved)'
             ELSE ' (entry does not match amount, currency or pact)' END AS detail
      FROM disbursements d
      LEFT JOIN ledger_entries e ON e.id = d.entry_id
      WHERE (d.status = 'approved' AND (e.id IS NULL OR d.decided_by IS NULL OR d.decided_by = d.proposed_by
              OR e.pact_id <> d.pact_id OR e.amount_minor <> -d.amount_minor OR e.currency <> d.currency))
         OR (d.status <> 'approved' AND d.entry_id IS NOT NULL)`,
  };
}

/** The names of the checks, in the order they run. */
export const INTEGRITY_CHECKS: readonly string[] = Object.keys(checks());

/**
 * Runs every invariant query and returns the violations (empty when the ledger is sound), each
 * with the pact's slug. Read-only; safe to run on a live instance.
 */
export async function checkIntegrity(db: Db): Promise<IntegrityViolation[]> {
  const slugs = new Map((await db.selectFrom('pacts').select(['id', 'slug']).execute()).map((p) => [p.id, p.slug]));
  const out: IntegrityViolation[] = [];
  for (const [check, query] of Object.entries(checks())) {
    const { rows } = await query.execute(db);
    for (const r of rows) out.push({ check, pact: r.pact_id ? (slugs.get(r.pact_id) ?? r.pact_id) : null, detail: r.detail });
  }
  return out;
}
