import { sql, SqliteAdapter, type Kysely, type ColumnDataType } from 'kysely';

// Migrations never import application code: everything they need is in this file.

function instantType(db: Kysely<unknown>): ColumnDataType {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'text' : 'timestamptz';
}

function inList(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} IN (${sql.join(values.map((v) => sql.lit(v)))})`;
}

/** What an organization can follow. A country target is an ISO 3166-1 alpha-2 code, the others record ids. */
const FOLLOW_TARGETS = ['struggle', 'call', 'network', 'country'];
const DIGEST_FREQUENCIES = ['off', 'daily', 'weekly'];

/**
 * Follows and what they feed: organizations follow struggles, calls, networks and countries;
 * each account keeps when it last read its notifications and its e-mail digest choice; personal
 * feed tokens (stored as SHA-256 only) let calendar and feed clients read what the account may see.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const instant = instantType(db);

  await db.schema
    .createTable('follows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('target_kind', 'text', (c) => c.notNull().check(inList('target_kind', FOLLOW_TARGETS)))
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', instant, (c) => c.notNull())
    .addUniqueConstraint('follows_target_unique', ['organization_id', 'target_kind', 'target_id'])
    .execute();
  await db.schema.createIndex('follows_target_idx').on('follows').columns(['target_kind', 'target_id']).execute();

  await db.schema.alterTable('users').addColumn('notifications_read_at', instant).execute();
  await db.schema
    .alterTable('users')
    .addColumn('digest_frequency', 'text', (c) => c.notNull().defaultTo('off').check(inList('digest_frequency', DIGEST_FREQUENCIES)))
    .execute();
  // The end of the last window a digest covered (sent or found empty).
  await db.schema.alterTable('users').addColumn('digest_sent_until', instant).execute();

  await db.schema
    .createTable('feed_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // SHA-256 (hex) of the token; the token itself is only in the subscription URL.
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('created_at', instant, (c) => c.notNull())
    .addColumn('last_used_at', instant)
    .addColumn('revoked_at', instant)
    .execute();
  await db.schema.createIndex('feed_tokens_user_idx').on('feed_tokens').column('user_id').execute();

  // What the notification queries join on.
  await db.schema.createIndex('struggles_country_created_idx').on('struggles').columns(['country', 'created_at']).execute();
  await db.schema.createIndex('struggle_updates_created_idx').on('struggle_updates').columns(['struggle_id', 'created_at']).execute();
  await db.schema.createIndex('solidarity_responses_created_idx').on('solidarity_responses').columns(['call_id', 'created_at']).execute();
  await db.schema.createIndex('action_days_network_idx').on('action_days').columns(['network_id', 'created_at']).execute();
  await db.schema.createIndex('action_days_struggle_idx').on('action_days').columns(['struggle_id', 'created_at']).execute();
  await db.schema.createIndex('local_actions_country_idx').on('local_actions').columns(['country', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of [
    'local_actions_country_idx',
    'action_days_struggle_idx',
    'action_days_network_idx',
    'solidarity_responses_created_idx',
    'struggle_updates_created_idx',
    'struggles_country_created_idx',
  ])
    await db.schema.dropIndex(index).execute();
  await db.schema.dropTable('feed_tokens').execute();
  for (const column of ['digest_sent_until', 'digest_frequency', 'notifications_read_at']) await db.schema.alterTable('users').dropColumn(column).execute();
  await db.schema.dropTable('follows').execute();
}
