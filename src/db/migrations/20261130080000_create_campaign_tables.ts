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

/** An ISO 3166-1 alpha-2 code: two upper-case ASCII letters. */
function countryCheck(column: string, sqlite: boolean) {
  return sqlite
    ? sql`length(${sql.ref(column)}) = 2 AND ${sql.ref(column)} GLOB '[A-Z][A-Z]'`
    : sql`${sql.ref(column)} ~ '^[A-Z]{2}$'`;
}

const VISIBILITY = ['public', 'network', 'members', 'private'];
const CAMPAIGN_STATUS = ['draft', 'open', 'closed'];
const SUPPORTER_STATUS = ['pending', 'confirmed'];
const SUPPORTER_SOURCE = ['online', 'import'];
const ENDORSEMENT_STATUS = ['pending', 'confirmed', 'rejected'];
const MAIL_KINDS = ['confirm', 'already_signed'];
const IMPORT_STATUS = ['preview', 'running', 'done', 'failed'];

/**
 * Campaigns and their supporters: the campaign with its translations (title and appeal per
 * language, the original marked) and issuing organizations; supporters (one row per person who
 * signed a campaign; e-mail sealed, its normalized key kept as a keyed hash so duplicates are found);
 * the outbox of confirmation mails; organization endorsements; paper-list tallies; kept counts per
 * country; and supporter imports (the uploaded file sealed until the import has run).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = types(db);

  await db.schema
    .createTable('campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    // The organization that owns the record (visibility is decided by its members).
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    // BCP 47 tag of the original language (its translation row has is_original = 1).
    .addColumn('original_lang', 'text', (c) => c.notNull())
    // Target number of signatures: confirmed supporters (online and imported) plus tallies.
    .addColumn('goal', 'integer', (c) => c.check(sql`goal IS NULL OR goal > 0`))
    .addColumn('starts_on', t.date, (c) => c.notNull().check(dateCheck('starts_on', t.sqlite)))
    .addColumn('ends_on', t.date, (c) => c.check(dateCheck('ends_on', t.sqlite)))
    .addColumn('status', 'text', (c) => c.notNull().check(inList('status', CAMPAIGN_STATUS)))
    .addColumn('visibility', 'text', (c) => c.notNull().check(inList('visibility', VISIBILITY)))
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .addCheckConstraint('campaigns_period_order', sql`ends_on IS NULL OR ends_on >= starts_on`)
    .execute();
  await db.schema.createIndex('campaigns_organization_idx').on('campaigns').columns(['organization_id', 'created_at']).execute();

  await db.schema
    .createTable('campaign_translations')
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('appeal', 'text', (c) => c.notNull())
    .addColumn('is_original', 'integer', (c) => c.notNull().defaultTo(0).check(sql`is_original IN (0, 1)`))
    // Who wrote this language version: an account, and/or a name (someone without an account).
    .addColumn('translated_by', 'text', (c) => c.references('users.id'))
    .addColumn('translator_name', 'text')
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_translations_pk', ['campaign_id', 'lang'])
    .execute();

  await db.schema
    .createTable('campaign_organizations')
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('campaign_organizations_pk', ['campaign_id', 'organization_id'])
    .execute();
  await db.schema.createIndex('campaign_organizations_org_idx').on('campaign_organizations').column('organization_id').execute();

  await db.schema
    .createTable('supporters')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    // `<keyId>.<HMAC-SHA256 of the normalized e-mail key, base64url>`: the duplicate key.
    .addColumn('email_hash', 'text', (c) => c.notNull())
    // The address as typed (for contact), sealed with AES-256-GCM (lib/sealed.ts), aad `supporters:<id>`.
    .addColumn('email_sealed', 'text', (c) => c.notNull())
    // Keyed hash of the address's domain (ASCII form): the per-domain cap on unconfirmed signatures.
    .addColumn('domain_hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull().check(countryCheck('country', t.sqlite)))
    .addColumn('city', 'text')
    // Organization affiliation as the supporter typed it (free text).
    .addColumn('affiliation', 'text')
    // BCP 47 tag of the language the supporter signed in (mails go out in it).
    .addColumn('lang', 'text', (c) => c.notNull())
    // Consent to be listed publicly / to be contacted, each with the wording version and time.
    .addColumn('list_publicly', 'integer', (c) => c.notNull().check(sql`list_publicly IN (0, 1)`))
    .addColumn('list_consent_version', 'text')
    .addColumn('list_consented_at', t.instant)
    .addColumn('contact_ok', 'integer', (c) => c.notNull().check(sql`contact_ok IN (0, 1)`))
    .addColumn('contact_consent_version', 'text')
    .addColumn('contact_consented_at', t.instant)
    .addColumn('status', 'text', (c) => c.notNull().check(inList('status', SUPPORTER_STATUS)))
    .addColumn('source', 'text', (c) => c.notNull().check(inList('source', SUPPORTER_SOURCE)))
    // For imported supporters: the consent basis stated by whoever imported (e.g. "signed paper list").
    .addColumn('consent_basis', 'text')
    .addColumn('import_id', 'text')
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('confirmed_at', t.instant)
    // Unconfirmed signatures are removed after this instant.
    .addColumn('expires_at', t.instant)
    .addUniqueConstraint('supporters_email_unique', ['campaign_id', 'email_hash'])
    .addCheckConstraint('supporters_confirmed_at', sql`(status = 'confirmed') = (confirmed_at IS NOT NULL)`)
    .addCheckConstraint('supporters_list_consent', sql`list_publicly = 0 OR (list_consent_version IS NOT NULL AND list_consented_at IS NOT NULL)`)
    .addCheckConstraint('supporters_contact_consent', sql`contact_ok = 0 OR (contact_consent_version IS NOT NULL AND contact_consented_at IS NOT NULL)`)
    .execute();
  // The public list (confirmed, listed, newest first) and per-country reads.
  await db.schema.createIndex('supporters_campaign_idx').on('supporters').columns(['campaign_id', 'status', 'confirmed_at']).execute();
  // The per-domain cap counts recent unconfirmed signatures of one domain.
  await db.schema.createIndex('supporters_domain_idx').on('supporters').columns(['domain_hash', 'created_at']).execute();
  // Expiry of unconfirmed signatures.
  await db.schema.createIndex('supporters_expiry_idx').on('supporters').columns(['status', 'expires_at']).execute();

  // Mails to supporters waiting to be sent (written in the same transaction as the signature).
  await db.schema
    .createTable('supporter_mails')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('supporter_id', 'text', (c) => c.notNull().references('supporters.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(inList('kind', MAIL_KINDS)))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('sent_at', t.instant)
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('supporter_mails_queue_idx').on('supporter_mails').columns(['sent_at', 'created_at']).execute();
  await db.schema.createIndex('supporter_mails_supporter_idx').on('supporter_mails').column('supporter_id').execute();

  // Confirmed supporters per campaign and country, kept in the same transaction as each change.
  await db.schema
    .createTable('campaign_counts')
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('country', 'text', (c) => c.notNull().check(countryCheck('country', t.sqlite)))
    .addColumn('supporters', 'integer', (c) => c.notNull().check(sql`supporters >= 0`))
    .addPrimaryKeyConstraint('campaign_counts_pk', ['campaign_id', 'country'])
    .execute();

  await db.schema
    .createTable('campaign_endorsements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('statement', 'text')
    .addColumn('statement_lang', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(inList('status', ENDORSEMENT_STATUS)))
    // The authorized member (admin or coordinator of the organization) who endorsed.
    .addColumn('endorsed_by', 'text', (c) => c.references('users.id'))
    .addColumn('endorsed_at', t.instant, (c) => c.notNull())
    // The campaign coordinator who confirmed or rejected it.
    .addColumn('decided_by', 'text', (c) => c.references('users.id'))
    .addColumn('decided_at', t.instant)
    .addUniqueConstraint('campaign_endorsements_unique', ['campaign_id', 'organization_id'])
    .addCheckConstraint('campaign_endorsements_decision', sql`(status = 'pending') = (decided_at IS NULL)`)
    .execute();
  await db.schema.createIndex('campaign_endorsements_status_idx').on('campaign_endorsements').columns(['campaign_id', 'status']).execute();

  // Signatures counted elsewhere (paper lists at rallies, another petition site), per country and source.
  await db.schema
    .createTable('campaign_tallies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('country', 'text', (c) => c.notNull().check(countryCheck('country', t.sqlite)))
    .addColumn('count', 'integer', (c) => c.notNull().check(sql`count > 0`))
    // Where they were collected (e.g. "Rally at the port, 1 May"), as entered.
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('collected_on', t.date, (c) => c.check(dateCheck('collected_on', t.sqlite)))
    // Identity in an imported file (e.g. `uk-petition:584632:DE`), so a re-import adds nothing.
    .addColumn('external_ref', 'text')
    .addColumn('entered_by', 'text', (c) => c.references('users.id'))
    .addColumn('entered_at', t.instant, (c) => c.notNull())
    .addUniqueConstraint('campaign_tallies_external_unique', ['campaign_id', 'external_ref'])
    .execute();
  await db.schema.createIndex('campaign_tallies_campaign_idx').on('campaign_tallies').columns(['campaign_id', 'country']).execute();

  await db.schema
    .createTable('supporter_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id').onDelete('cascade'))
    .addColumn('filename', 'text', (c) => c.notNull())
    // The uploaded bytes, sealed (they hold e-mail addresses); cleared once the import has run.
    .addColumn('file_sealed', 'text')
    // Column mapping chosen in the preview (JSON: field → column index) and the stated consent basis.
    .addColumn('mapping', 'text')
    .addColumn('consent_basis', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(inList('status', IMPORT_STATUS)))
    .addColumn('total_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('processed_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('duplicates', 'integer', (c) => c.notNull().defaultTo(0))
    // Row-level report (JSON: [{ line, field, messageId, values }]).
    .addColumn('errors', 'text')
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('finished_at', t.instant)
    .execute();
  await db.schema.createIndex('supporter_imports_campaign_idx').on('supporter_imports').columns(['campaign_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('supporter_imports').execute();
  await db.schema.dropTable('campaign_tallies').execute();
  await db.schema.dropTable('campaign_endorsements').execute();
  await db.schema.dropTable('campaign_counts').execute();
  await db.schema.dropTable('supporter_mails').execute();
  await db.schema.dropTable('supporters').execute();
  await db.schema.dropTable('campaign_organizations').execute();
  await db.schema.dropTable('campaign_translations').execute();
  await db.schema.dropTable('campaigns').execute();
}
