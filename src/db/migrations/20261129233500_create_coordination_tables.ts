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

const VISIBILITY = ['public', 'network', 'members', 'private'];
/** What a solidarity call asks for. */
const CALL_ASKS = ['statement', 'donation', 'action', 'boycott', 'hearing', 'messages'];
/** What a response reports. */
const RESPONSE_KINDS = ['statement_sent', 'rally_held', 'donation_made', 'delegation', 'boycott_joined', 'message'];
/** What a local action on an action day is. */
const LOCAL_ACTION_KINDS = ['rally', 'strike', 'vigil', 'assembly', 'info_stand', 'online', 'other'];

/**
 * Coordination of struggles: solidarity calls (issued by organizations for a struggle) and the
 * responses other organizations record, international action days with the local actions of
 * participating organizations (each in its own IANA time zone).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = types(db);

  await db.schema
    .createTable('solidarity_calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('struggle_id', 'text', (c) => c.notNull().references('struggles.id').onDelete('cascade'))
    // The issuing organization that owns the record and decides who sees it.
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('lang', 'text', (c) => c.notNull())
    // "By when": the last day answers are asked for (date-only, inclusive).
    .addColumn('deadline', t.date, (c) => c.check(dateCheck('deadline', t.sqlite)))
    // The day of the action asked for, when the call asks for action on a date.
    .addColumn('action_date', t.date, (c) => c.check(dateCheck('action_date', t.sqlite)))
    .addColumn('visibility', 'text', (c) => c.notNull().check(inList('visibility', VISIBILITY)))
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('solidarity_calls_struggle_idx').on('solidarity_calls').columns(['struggle_id', 'created_at']).execute();
  await db.schema.createIndex('solidarity_calls_deadline_idx').on('solidarity_calls').columns(['deadline', 'id']).execute();

  await db.schema
    .createTable('solidarity_call_asks')
    .addColumn('call_id', 'text', (c) => c.notNull().references('solidarity_calls.id').onDelete('cascade'))
    .addColumn('ask', 'text', (c) => c.notNull().check(inList('ask', CALL_ASKS)))
    .addPrimaryKeyConstraint('solidarity_call_asks_pk', ['call_id', 'ask'])
    .execute();

  await db.schema
    .createTable('solidarity_call_languages')
    .addColumn('call_id', 'text', (c) => c.notNull().references('solidarity_calls.id').onDelete('cascade'))
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('solidarity_call_languages_pk', ['call_id', 'language'])
    .execute();

  await db.schema
    .createTable('solidarity_call_issuers')
    .addColumn('call_id', 'text', (c) => c.notNull().references('solidarity_calls.id').onDelete('cascade'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addPrimaryKeyConstraint('solidarity_call_issuers_pk', ['call_id', 'organization_id'])
    .execute();
  await db.schema.createIndex('solidarity_call_issuers_org_idx').on('solidarity_call_issuers').column('organization_id').execute();

  await db.schema
    .createTable('solidarity_responses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('call_id', 'text', (c) => c.notNull().references('solidarity_calls.id').onDelete('cascade'))
    // The responding organization (owner of the record); for a network's response, the member
    // organization that records it, with `network_id` naming the network.
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('network_id', 'text', (c) => c.references('networks.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(inList('kind', RESPONSE_KINDS)))
    .addColumn('date', t.date, (c) => c.notNull().check(dateCheck('date', t.sqlite)))
    .addColumn('place', 'text')
    .addColumn('country', 'text', (c) => c.check(sql`country IS NULL OR length(country) = 2`))
    .addColumn('report', 'text')
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('link', 'text')
    .addColumn('visibility', 'text', (c) => c.notNull().check(inList('visibility', VISIBILITY)))
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('solidarity_responses_call_idx').on('solidarity_responses').columns(['call_id', 'date']).execute();
  await db.schema.createIndex('solidarity_responses_org_idx').on('solidarity_responses').column('organization_id').execute();

  await db.schema
    .createTable('action_days')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('call_text', 'text', (c) => c.notNull())
    .addColumn('lang', 'text', (c) => c.notNull())
    // The coordinated date or range: date-only, `end_date` inclusive, never shifted by a zone.
    .addColumn('start_date', t.date, (c) => c.notNull().check(dateCheck('start_date', t.sqlite)))
    .addColumn('end_date', t.date, (c) => c.notNull().check(dateCheck('end_date', t.sqlite)))
    // The calling organization (owner); `network_id` when it calls on behalf of a network.
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('network_id', 'text', (c) => c.references('networks.id'))
    .addColumn('struggle_id', 'text', (c) => c.references('struggles.id').onDelete('set null'))
    .addColumn('visibility', 'text', (c) => c.notNull().check(inList('visibility', VISIBILITY)))
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .addCheckConstraint('action_days_range', sql`end_date >= start_date`)
    .execute();
  await db.schema.createIndex('action_days_start_idx').on('action_days').columns(['start_date', 'id']).execute();

  await db.schema
    .createTable('local_actions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('action_day_id', 'text', (c) => c.notNull().references('action_days.id').onDelete('cascade'))
    // The participating organization (owner of the record).
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(inList('kind', LOCAL_ACTION_KINDS)))
    .addColumn('city', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull().check(sql`length(country) = 2`))
    .addColumn('venue', 'text')
    // 1: an all-day action on `start_date` … `end_date` (inclusive), no clock times.
    .addColumn('all_day', 'integer', (c) => c.notNull().defaultTo(0).check(sql`all_day IN (0, 1)`))
    // Local wall-clock times as entered (`YYYY-MM-DDTHH:MM`) in `time_zone` (IANA), and the
    // instants they are (UTC), computed for the date's own offset; null for all-day actions.
    .addColumn('start_local', 'text')
    .addColumn('end_local', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('starts_at', t.instant)
    .addColumn('ends_at', t.instant)
    .addColumn('start_date', t.date, (c) => c.notNull().check(dateCheck('start_date', t.sqlite)))
    .addColumn('end_date', t.date, (c) => c.notNull().check(dateCheck('end_date', t.sqlite)))
    .addColumn('expected_participants', 'integer', (c) => c.check(sql`expected_participants IS NULL OR expected_participants >= 0`))
    .addColumn('contact', 'text')
    .addColumn('visibility', 'text', (c) => c.notNull().check(inList('visibility', VISIBILITY)))
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('updated_at', t.instant, (c) => c.notNull())
    .addCheckConstraint(
      'local_actions_times',
      sql`(all_day = 1 AND starts_at IS NULL AND ends_at IS NULL) OR (all_day = 0 AND starts_at IS NOT NULL AND ends_at IS NOT NULL AND time_zone IS NOT NULL AND ends_at > starts_at)`,
    )
    .addCheckConstraint('local_actions_range', sql`end_date >= start_date`)
    .execute();
  await db.schema.createIndex('local_actions_day_idx').on('local_actions').columns(['action_day_id', 'country']).execute();
  await db.schema.createIndex('local_actions_org_idx').on('local_actions').column('organization_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'local_actions',
    'action_days',
    'solidarity_responses',
    'solidarity_call_issuers',
    'solidarity_call_languages',
    'solidarity_call_asks',
    'solidarity_calls',
  ])
    await db.schema.dropTable(table).execute();
}
