import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { needsReseal, open, seal, SealError, type Keyring } from '../lib/sealed.ts';
import { supporterAad, supporterHashes } from '../modules/campaigns/supporter-keys.ts';

/** One column whose values are envelopes of lib/sealed.ts. */
export interface SealedColumn {
  table: string;
  column: string;
  /** The row's primary key column (text; rows are walked in its order). */
  key: string;
  /** The associated data binding a value to its row; the writer must seal with the same string. */
  aad: (row: { id: string }) => string;
  /**
   * Optional: rewrites what else the row derived from the data key (keyed hashes), in the same
   * transaction, right after its value was re-sealed with the current key; gets the opened value.
   */
  rekey?: (tx: Transaction<Database>, row: { id: string }, plaintext: string, keyring: Keyring) => Promise<void>;
}

/** The associated data of a beneficiary's `sealed_personal`: `beneficiaries:<id>`. */
export function beneficiaryAad(id: string): string {
  return `beneficiaries:${id}`;
}

/**
 * Every sealed column of the schema. `solidaris rotate-data-key` re-seals exactly these, so a
 * module that adds a sealed column adds it here (with the same `aad` it seals with).
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'beneficiaries', column: 'sealed_personal', key: 'id', aad: (row) => beneficiaryAad(row.id) },
  { table: 'supporters', column: 'email_sealed', key: 'id', aad: (row) => supporterAad(row.id), rekey: rekeySupporter },
  { table: 'supporter_imports', column: 'file_sealed', key: 'id', aad: (row) => `supporter_imports:${row.id}` },
];

/**
 * A supporter's keyed hashes (`email_hash`, `domain_hash`) made again with the current key from the
 * opened address, so look-ups need no older key once rotation is done. Skipped when another
 * signature of the same campaign already holds the new hash (both are then kept; the look-ups of
 * the signing path try every key, so neither is lost).
 */
async function rekeySupporter(tx: Transaction<Database>, row: { id: string }, email: string, keyring: Keyring): Promise<void> {
  const h = supporterHashes(keyring, email);
  if (!h) return;
  await sql`update supporters set email_hash = ${h.emailHash}, domain_hash = ${h.domainHash}
    where id = ${row.id} and not exists (
      select 1 from supporters o where o.campaign_id = supporters.campaign_id and o.email_hash = ${h.emailHash} and o.id <> ${row.id})`.execute(tx);
}

/** What `rotateSealedColumns` did to one column. */
export interface RotationCount {
  table: string;
  column: string;
  /** Rows with a sealed value (NULLs are skipped). */
  scanned: number;
  /** Values re-sealed with the current key. */
  resealed: number;
  /** Values already sealed with the current key. */
  current: number;
  /** Rows whose value could not be opened (ids; e.g. a key removed too early, or altered data). Left unchanged. */
  failed: { id: string; code: string }[];
}

/**
 * Re-seals every value of `columns` that was sealed with a key other than the keyring's current
 * one. Walks each table in primary-key order, `batchSize` rows per transaction; a value is only
 * replaced if it is still the one that was read (a concurrent edit wins). Idempotent: a second run
 * re-seals nothing. Values that cannot be opened are reported and left alone; the rest go on.
 * @param o.onBatch called after each committed batch with the running count of that column.
 * @throws {DataKeyError} when no key is configured.
 */
export async function rotateSealedColumns(
  db: Kysely<Database>,
  keyring: Keyring,
  o: { columns?: readonly SealedColumn[]; batchSize?: number; onBatch?: (count: RotationCount) => void } = {},
): Promise<RotationCount[]> {
  keyring.currentKey();
  const batchSize = o.batchSize ?? 500;
  const counts: RotationCount[] = [];
  for (const c of o.columns ?? SEALED_COLUMNS) {
    const count: RotationCount = { table: c.table, column: c.column, scanned: 0, resealed: 0, current: 0, failed: [] };
    let after: string | null = null;
    for (;;) {
      const last: string | null = await db.transaction().execute(async (tx) => {
        const { rows } = await sql<{ id: string; value: string }>`
          select ${sql.ref(c.key)} as id, ${sql.ref(c.column)} as value from ${sql.table(c.table)}
          where ${sql.ref(c.column)} is not null ${after === null ? sql`` : sql`and ${sql.ref(c.key)} > ${after}`}
          order by ${sql.ref(c.key)} limit ${batchSize}`.execute(tx);
        for (const row of rows) {
          count.scanned += 1;
          try {
            if (!needsReseal(keyring, row.value)) {
              count.current += 1;
              continue;
            }
            const aad = c.aad({ id: row.id });
            const plaintext = open(keyring, row.value, aad);
            const resealed = seal(keyring, plaintext, aad);
            const result = await sql`update ${sql.table(c.table)} set ${sql.ref(c.column)} = ${resealed}
              where ${sql.ref(c.key)} = ${row.id} and ${sql.ref(c.column)} = ${row.value}`.execute(tx);
            if (Number(result.numAffectedRows ?? 0) === 1) {
              count.resealed += 1;
              await c.rekey?.(tx, { id: row.id }, plaintext, keyring);
            }
          } catch (err) {
            if (!(err instanceof SealError)) throw err;
            count.failed.push({ id: row.id, code: err.code });
          }
        }
        return rows.length === batchSize ? rows[rows.length - 1]!.id : null;
      });
      o.onBatch?.({ ...count, failed: [...count.failed] });
      if (last === null) break;
      after = last;
    }
    counts.push(count);
  }
  return counts;
}
