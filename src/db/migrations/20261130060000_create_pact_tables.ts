import { sql, SqliteAdapter, type Kysely, type ColumnDataType } from 'kysely';

// Migrations never import application code: everything they need is in this file.

function types(db: Kysely<unknown>): { instant: ColumnDataType; date: ColumnDataType; sqlite: boolean } {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  return sqlite ? { instant: 'text', date: 'text', sqlite } : { instant: 'timestamptz', date: 'date', sqlite };
}

/** A CHECK that a SQLite text column holds a real `YYYY-MM-DD` date (PostgreSQL's `date` checks itself). */
function dateCheck(column: string, sqlite: boolean) {
  return sqlite ? sql`date(${sql.ref(column)}) IS ${sql.ref(column)}` : sql`true`;
}

function inList(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} IN (${sql.join(values.map((v) => sql.lit(v)))})`;
}

/** An ISO 4217 alphabetic code: three upper-case ASCII letters. */
function currencyCheck(column: string, sqlite: boolean) {
  return sqlite
    ? sql`length(${sql.ref(column)}) = 3 AND ${sql.ref(column)} GLOB '[A-Z][A-Z][A-Z]'`
    : sql`${sql.ref(column)} ~ '^[A-Z]{3}$'`;
}

const VISIBILITY = ['public', 'network', 'members', 'private'];
const PACT_STATUS = ['open', 'paused', 'closed'];
const PLEDGE_FREQUENCY = ['once', 'monthly', 'quarterly'];
/** The documented kinds of ledger entries (docs/LEDGER.md). */
const ENTRY_KINDS = ['contribution', 'disbursement', 'fee', 'exchange', 'transfer', 'reversal'];
const COUNTERPARTY_KINDS = ['organization', 'person', 'beneficiary', 'external', 'pact'];
const DISBURSEMENT_STATUS = ['proposed', 'approved', 'rejected', 'withdrawn'];

/**
 * Solidarity pacts: the pact, its initiating organizations and linked struggles, pledges, the
 * append-only ledger (integer minor units per ISO 4217 currency) with per-currency running
 * balances and per-month totals kept in the same transaction as each entry, disbursements that a
 * second coordinator approves, stored documents (receipts), the private beneficiary register
 * (personal fields sealed with AES-256-GCM outside the database's reach) and dated exchange rates.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = types(db);

  await db.schema
    .createTable('pacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    // The organization that owns the record (visibility is decided by its members).
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('beneficiary_group', 'text', (c) => c.notNull())
    .addColumn('country', 'text')
    .addColumn('goal_minor', 'bigint', (c) => c.check(sql`goal_minor IS NULL OR goal_minor > 0`))
    .addColumn('goal_currency', 'text', (c) => c.check(sql`goal_currency IS NULL OR (${currencyCheck('goal_currency', t.sqlite)})`))
    .addColumn('period_start', t.date, (c) => c.notNull().check(dateCheck('period_start', t.sqlite)))
    .addColumn('period_end', t.date, (c) => c.check(dateCheck('period_end', t.sqlite)))
    .addColumn('status', 'text', (c) => c.notNull().check(inList('status', PACT_STATUS)))
    .addColumn('closed_at', t.instant)
    .addColumn('visibility', 'text', (c) => c.notNull().check(inList('visibility', VISIBILITY)))
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .addCheckConstraint('pacts_goal_pair', sql`(goal_minor IS NULL) = (goal_currency IS NULL)`)
    .addCheckConstraint('pacts_period_order', sql`period_end IS NULL OR period_end >= period_start`)
    .execute();
  await db.schema.createIndex('pacts_organization_idx').on('pacts').columns(['organization_id', 'created_at']).execute();

  await db.schema
    .createTable('pact_organizations')
    .addColumn('pact_id', 'text', (c) => c.notNull().references('pacts.id').onDelete('cascade'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('pact_organizations_pk', ['pact_id', 'organization_id'])
    .execute();
  await db.schema.createIndex('pact_organizations_org_idx').on('pact_organizations').column('organization_id').execute();

  await db.schema
    .createTable('pact_struggles')
    .addColumn('pact_id', 'text', (c) => c.notNull().references('pacts.id').onDelete('cascade'))
    .addColumn('struggle_id', 'text', (c) => c.notNull().references('struggles.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('pact_struggles_pk', ['pact_id', 'struggle_id'])
    .execute();
  await db.schema.createIndex('pact_struggles_struggle_idx').on('pact_struggles').column('struggle_id').execute();

  await db.schema
    .createTable('pledges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pact_id', 'text', (c) => c.notNull().references('pacts.id').onDelete('cascade'))
    // Who pledges: an organization, or a person (an account, or a name for someone without one).
    .addColumn('organization_id', 'text', (c) => c.references('organizations.id'))
    .addColumn('user_id', 'text', (c) => c.references('users.id'))
    .addColumn('pledger_name', 'text')
    .addColumn('amount_minor', 'bigint', (c) => c.notNull().check(sql`amount_minor > 0`))
    .addColumn('currency', 'text', (c) => c.notNull().check(currencyCheck('currency', t.sqlite)))
    .addColumn('frequency', 'text', (c) => c.notNull().check(inList('frequency', PLEDGE_FREQUENCY)))
    .addColumn('start_date', t.date, (c) => c.notNull().check(dateCheck('start_date', t.sqlite)))
    .addColumn('end_date', t.date, (c) => c.check(dateCheck('end_date', t.sqlite)))
    .addColumn('note', 'text')
    .addColumn('cancelled_at', t.instant)
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addCheckConstraint('pledges_pledger', sql`organization_id IS NOT NULL OR user_id IS NOT NULL OR pledger_name IS NOT NULL`)
    .addCheckConstraint('pledges_period_order', sql`end_date IS NULL OR end_date >= start_date`)
    .execute();
  await db.schema.createIndex('pledges_pact_idx').on('pledges').columns(['pact_id', 'start_date']).execute();

  await db.schema
    .createTable('beneficiaries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pact_id', 'text', (c) => c.notNull().references('pacts.id').onDelete('cascade'))
    // A pseudonymous label (e.g. H-0007) that allocations and reports may name.
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(inList('kind', ['household', 'person'])))
    .addColumn('household_size', 'integer', (c) => c.check(sql`household_size IS NULL OR household_size > 0`))
    // Personal fields (name, contact, address, notes) as one AES-256-GCM envelope (lib/sealed.ts).
    .addColumn('sealed_personal', 'text', (c) => c.notNull())
    .addColumn('archived_at', t.instant)
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .addUniqueConstraint('beneficiaries_code_unique', ['pact_id', 'code'])
    .execute();

  await db.schema
    .createTable('pact_documents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pact_id', 'text', (c) => c.notNull().references('pacts.id').onDelete('cascade'))
    // Path of the stored file relative to the documents directory (never user-chosen).
    .addColumn('storage_key', 'text', (c) => c.notNull().unique())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.references('users.id'))
    .addColumn('uploaded_at', t.instant, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pact_id', 'text', (c) => c.notNull().references('pacts.id'))
    // Per-pact order of recording (1, 2, …): the running balance follows it.
    .addColumn('seq', 'integer', (c) => c.notNull())
    // Entries of one economic event (a contribution and its fee, both legs of an exchange).
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(inList('kind', ENTRY_KINDS)))
    // The kind of economic flow this entry counts under in reports: its own kind, or for a
    // reversal the kind of the entry it reverses.
    .addColumn('flow', 'text', (c) => c.notNull().check(inList('flow', ENTRY_KINDS)))
    // Signed integer minor units of `currency`: positive into the pact, negative out of it.
    .addColumn('amount_minor', 'bigint', (c) => c.notNull().check(sql`amount_minor <> 0`))
    .addColumn('currency', 'text', (c) => c.notNull().check(currencyCheck('currency', t.sqlite)))
    .addColumn('value_date', t.date, (c) => c.notNull().check(dateCheck('value_date', t.sqlite)))
    .addColumn('counterparty_kind', 'text', (c) => c.notNull().check(inList('counterparty_kind', COUNTERPARTY_KINDS)))
    .addColumn('counterparty_organization_id', 'text', (c) => c.references('organizations.id'))
    .addColumn('counterparty_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('counterparty_beneficiary_id', 'text', (c) => c.references('beneficiaries.id'))
    .addColumn('counterparty_pact_id', 'text', (c) => c.references('pacts.id'))
    .addColumn('counterparty_name', 'text')
    .addColumn('reference', 'text')
    .addColumn('description', 'text')
    .addColumn('reverses_id', 'text', (c) => c.unique().references('ledger_entries.id'))
    .addColumn('pledge_id', 'text', (c) => c.references('pledges.id'))
    .addColumn('document_id', 'text', (c) => c.references('pact_documents.id'))
    // A conversion (exchange leg): the rate used as a decimal string, its source and date.
    .addColumn('rate', 'text')
    .addColumn('rate_source', 'text')
    .addColumn('rate_date', t.date)
    // Identity of the row in an imported file (e.g. oc:<shortId>), so a re-import adds nothing.
    .addColumn('external_ref', 'text')
    .addColumn('recorded_by', 'text', (c) => c.references('users.id'))
    .addColumn('recorded_at', t.instant, (c) => c.notNull())
    // Balance of this pact in this currency after this entry (minor units).
    .addColumn('balance_after_minor', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('ledger_entries_seq_unique', ['pact_id', 'seq'])
    .addUniqueConstraint('ledger_entries_external_unique', ['pact_id', 'external_ref'])
    .addCheckConstraint('ledger_entries_reversal_link', sql`(kind = 'reversal') = (reverses_id IS NOT NULL)`)
    .addCheckConstraint('ledger_entries_rate_triple', sql`(rate IS NULL) = (rate_source IS NULL) AND (rate IS NULL) = (rate_date IS NULL)`)
    .execute();
  await db.schema.createIndex('ledger_entries_pact_date_idx').on('ledger_entries').columns(['pact_id', 'value_date']).execute();
  await db.schema.createIndex('ledger_entries_group_idx').on('ledger_entries').column('group_id').execute();
  await db.schema.createIndex('ledger_entries_pledge_idx').on('ledger_entries').columns(['pledge_id', 'value_date']).execute();
  // Covers "households supported" and the register's allocations (disbursements per beneficiary)
  // without reading the entries themselves.
  await db.schema
    .createIndex('ledger_entries_beneficiary_idx')
    .on('ledger_entries')
    .columns(['pact_id', 'flow', 'counterparty_beneficiary_id', 'currency', 'amount_minor'])
    .execute();

  // Append-only: the database itself refuses to change or remove an entry.
  if (t.sqlite) {
    await sql`CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: record a reversal'); END`.execute(db);
    await sql`CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: record a reversal'); END`.execute(db);
  } else {
    await sql`CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'ledger entries are append-only: record a reversal' USING ERRCODE = 'P0001'; END $$`.execute(db);
    await sql`CREATE TRIGGER ledger_entries_no_change BEFORE UPDATE OR DELETE ON ledger_entries
      FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()`.execute(db);
  }

  // Kept in the same transaction as each entry, so a balance or a monthly report reads a handful
  // of rows whatever the ledger's length; `check-integrity` recomputes both from the entries.
  await db.schema
    .createTable('pact_balances')
    .addColumn('pact_id', 'text', (c) => c.notNull().references('pacts.id'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('balance_minor', 'bigint', (c) => c.notNull())
    .addColumn('entry_count', 'integer', (c) => c.notNull())
    .addColumn('last_seq', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pact_balances_pk', ['pact_id', 'currency'])
    .execute();
  await db.schema
    .createTable('pact_month_totals')
    .addColumn('pact_id', 'text', (c) => c.notNull().references('pacts.id'))
    // `YYYY-MM` of the entries' value date.
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('flow', 'text', (c) => c.notNull())
    .addColumn('total_minor', 'bigint', (c) => c.notNull())
    .addColumn('entry_count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pact_month_totals_pk', ['pact_id', 'month', 'currency', 'flow'])
    .execute();
  // The next `seq` of each pact, claimed inside the entry's transaction.
  await db.schema
    .createTable('pact_sequences')
    .addColumn('pact_id', 'text', (c) => c.primaryKey().references('pacts.id'))
    .addColumn('last_seq', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('disbursements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pact_id', 'text', (c) => c.notNull().references('pacts.id'))
    .addColumn('beneficiary_id', 'text', (c) => c.references('beneficiaries.id'))
    // Who is paid when it is not a registered beneficiary (e.g. a pharmacy, a school).
    .addColumn('payee_name', 'text')
    // A transfer to another pact: approval records the two `transfer` legs instead of a disbursement.
    .addColumn('target_pact_id', 'text', (c) => c.references('pacts.id'))
    .addColumn('amount_minor', 'bigint', (c) => c.notNull().check(sql`amount_minor > 0`))
    .addColumn('currency', 'text', (c) => c.notNull().check(currencyCheck('currency', t.sqlite)))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('value_date', t.date, (c) => c.notNull().check(dateCheck('value_date', t.sqlite)))
    .addColumn('document_id', 'text', (c) => c.references('pact_documents.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(inList('status', DISBURSEMENT_STATUS)))
    .addColumn('proposed_by', 'text', (c) => c.references('users.id'))
    .addColumn('proposed_at', t.instant, (c) => c.notNull())
    .addColumn('decided_by', 'text', (c) => c.references('users.id'))
    .addColumn('decided_at', t.instant)
    .addColumn('decision_note', 'text')
    .addColumn('entry_id', 'text', (c) => c.references('ledger_entries.id'))
    .addCheckConstraint('disbursements_payee', sql`beneficiary_id IS NOT NULL OR payee_name IS NOT NULL OR target_pact_id IS NOT NULL`)
    .addCheckConstraint('disbursements_four_eyes', sql`decided_by IS NULL OR proposed_by IS NULL OR decided_by <> proposed_by`)
    .execute();
  await db.schema.createIndex('disbursements_pact_idx').on('disbursements').columns(['pact_id', 'status', 'proposed_at']).execute();

  await db.schema
    .createTable('exchange_rates')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('rate_date', t.date, (c) => c.notNull().check(dateCheck('rate_date', t.sqlite)))
    .addColumn('base', 'text', (c) => c.notNull().check(currencyCheck('base', t.sqlite)))
    .addColumn('quote', 'text', (c) => c.notNull().check(currencyCheck('quote', t.sqlite)))
    // Units of `quote` for one unit of `base`, as the source's decimal string (never a float).
    .addColumn('rate', 'text', (c) => c.notNull())
    .addColumn('imported_at', t.instant, (c) => c.notNull())
    .addPrimaryKeyConstraint('exchange_rates_pk', ['source', 'base', 'quote', 'rate_date'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const t = types(db);
  await db.schema.dropTable('exchange_rates').execute();
  await db.schema.dropTable('disbursements').execute();
  await db.schema.dropTable('pact_sequences').execute();
  await db.schema.dropTable('pact_month_totals').execute();
  await db.schema.dropTable('pact_balances').execute();
  await db.schema.dropTable('ledger_entries').execute();
  if (!t.sqlite) await sql`DROP FUNCTION ledger_entries_append_only()`.execute(db);
  await db.schema.dropTable('pact_documents').execute();
  await db.schema.dropTable('beneficiaries').execute();
  await db.schema.dropTable('pledges').execute();
  await db.schema.dropTable('pact_struggles').execute();
  await db.schema.dropTable('pact_organizations').execute();
  await db.schema.dropTable('pacts').execute();
}
