import { sql, SqliteAdapter, type Kysely, type ColumnDataType } from 'kysely';

// Migrations never import application code: everything they need is in this file.

/** Column types that differ between the engines: instants and date-only values. */
function types(db: Kysely<unknown>): { instant: ColumnDataType; date: ColumnDataType; sqlite: boolean } {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  return sqlite ? { instant: 'text', date: 'text', sqlite } : { instant: 'timestamptz', date: 'date', sqlite };
}

/** A CHECK that a SQLite text column holds a real `YYYY-MM-DD` date (PostgreSQL's `date` checks itself). */
function dateCheck(column: string, sqlite: boolean) {
  // `IS` is NULL-safe: a NULL column passes, text that is no date (date() → NULL) fails.
  return sqlite ? sql`date(${sql.ref(column)}) IS ${sql.ref(column)}` : sql`true`;
}

function inList(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} IN (${sql.join(values.map((v) => sql.lit(v)))})`;
}

const VISIBILITY = ['public', 'network', 'members', 'private'];
const ORGANIZATION_KINDS = ['party', 'union', 'self_organization', 'women', 'youth', 'refugee_group', 'ngo', 'other'];
const STRUGGLE_KINDS = ['strike', 'protest', 'occupation', 'boycott', 'campaign', 'legal'];
const STRUGGLE_STATUSES = ['ongoing', 'won', 'lost', 'ended', 'suspended'];

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = types(db);

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_key', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('en'))
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0).check(sql`is_admin IN (0, 1)`))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('last_seen_at', t.instant, (c) => c.notNull())
    .addColumn('expires_at', t.instant, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('organizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(inList('kind', ORGANIZATION_KINDS)))
    .addColumn('country', 'text', (c) => c.notNull().check(sql`length(country) = 2`))
    .addColumn('city', 'text')
    .addColumn('website', 'text')
    .addColumn('contact_email', 'text')
    .addColumn('description', 'text')
    .addColumn('description_lang', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull().check(inList('visibility', VISIBILITY)))
    .addColumn('parent_id', 'text', (c) => c.references('organizations.id').onDelete('set null'))
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('organizations_country_idx').on('organizations').column('country').execute();
  await db.schema.createIndex('organizations_name_idx').on('organizations').column('name').execute();

  await db.schema
    .createTable('organization_languages')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('organization_languages_pk', ['organization_id', 'language'])
    .execute();

  await db.schema
    .createTable('organization_members')
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(inList('role', ['admin', 'coordinator', 'member', 'viewer'])))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addPrimaryKeyConstraint('organization_members_pk', ['organization_id', 'user_id'])
    .execute();
  await db.schema.createIndex('organization_members_user_idx').on('organization_members').column('user_id').execute();

  await db.schema
    .createTable('networks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('sector', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('description_lang', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('network_memberships')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('network_id', 'text', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(inList('role', ['member', 'observer', 'coordinator'])))
    .addColumn('since', t.date, (c) => c.notNull().check(dateCheck('since', t.sqlite)))
    .addColumn('until', t.date, (c) => c.check(dateCheck('until', t.sqlite)))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addUniqueConstraint('network_memberships_unique', ['network_id', 'organization_id', 'since'])
    .addCheckConstraint('network_memberships_period', sql`until IS NULL OR until >= since`)
    .execute();
  await db.schema.createIndex('network_memberships_org_idx').on('network_memberships').column('organization_id').execute();

  await db.schema
    .createTable('struggles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(inList('kind', STRUGGLE_KINDS)))
    .addColumn('sector', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull().check(sql`length(country) = 2`))
    .addColumn('locality', 'text')
    .addColumn('employer', 'text')
    .addColumn('participants', 'integer', (c) => c.check(sql`participants IS NULL OR participants >= 0`))
    .addColumn('demands', 'text')
    .addColumn('start_date', t.date, (c) => c.notNull().check(dateCheck('start_date', t.sqlite)))
    .addColumn('end_date', t.date, (c) => c.check(dateCheck('end_date', t.sqlite)))
    .addColumn('status', 'text', (c) => c.notNull().check(inList('status', STRUGGLE_STATUSES)))
    .addColumn('visibility', 'text', (c) => c.notNull().check(inList('visibility', VISIBILITY)))
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('organization_id', 'text', (c) => c.references('organizations.id').onDelete('set null'))
    .addColumn('external_ref', 'text', (c) => c.unique())
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .addCheckConstraint('struggles_period', sql`end_date IS NULL OR end_date >= start_date`)
    .execute();
  await db.schema.createIndex('struggles_start_idx').on('struggles').columns(['start_date', 'id']).execute();
  await db.schema
    .createIndex('struggles_country_sector_start_idx')
    .on('struggles')
    .columns(['country', 'sector', 'start_date', 'id'])
    .execute();
  await db.schema.createIndex('struggles_sector_start_idx').on('struggles').columns(['sector', 'start_date', 'id']).execute();
  await db.schema.createIndex('struggles_organization_idx').on('struggles').column('organization_id').execute();

  await db.schema
    .createTable('struggle_organizations')
    .addColumn('struggle_id', 'text', (c) => c.notNull().references('struggles.id').onDelete('cascade'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(inList('role', ['initiator', 'supporter'])))
    .addPrimaryKeyConstraint('struggle_organizations_pk', ['struggle_id', 'organization_id'])
    .execute();
  await db.schema
    .createIndex('struggle_organizations_org_idx')
    .on('struggle_organizations')
    .column('organization_id')
    .execute();

  await db.schema
    .createTable('struggle_sources')
    .addColumn('struggle_id', 'text', (c) => c.notNull().references('struggles.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('struggle_sources_pk', ['struggle_id', 'position'])
    .execute();

  await db.schema
    .createTable('struggle_updates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('struggle_id', 'text', (c) => c.notNull().references('struggles.id').onDelete('cascade'))
    .addColumn('date', t.date, (c) => c.notNull().check(dateCheck('date', t.sqlite)))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('struggle_updates_struggle_idx').on('struggle_updates').columns(['struggle_id', 'date']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'struggle_updates',
    'struggle_sources',
    'struggle_organizations',
    'struggles',
    'network_memberships',
    'networks',
    'organization_members',
    'organization_languages',
    'organizations',
    'sessions',
    'users',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
