import { sql, SqliteAdapter, type Kysely, type ColumnDataType } from 'kysely';

// Migrations never import application code: everything they need is in this file.

function types(db: Kysely<unknown>): { instant: ColumnDataType; sqlite: boolean } {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  return sqlite ? { instant: 'text', sqlite } : { instant: 'timestamptz', sqlite };
}

function inList(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} IN (${sql.join(values.map((v) => sql.lit(v)))})`;
}

const ORGANIZATION_ROLES = ['admin', 'coordinator', 'member', 'viewer'];
const NETWORK_ROLES = ['coordinator', 'member'];

/**
 * Accounts and the security baseline: invitations, password resets, second factors (TOTP with
 * recovery codes, passkeys), per-network roles of accounts, an append-only audit log, and the
 * columns that let an erased account stay as a "former member" tombstone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = types(db);

  // An erased account keeps its id (so shared records keep their integrity) and loses everything else.
  await db.schema.alterTable('users').addColumn('erased_at', t.instant).execute();
  // RFC 6238 shared secret (base32) once confirmed; pending secrets live on the session until confirmed.
  await db.schema.alterTable('users').addColumn('totp_secret', 'text').execute();
  await db.schema.alterTable('users').addColumn('totp_enabled_at', t.instant).execute();
  // Last accepted TOTP time step, so a code cannot be replayed inside its window (RFC 6238 §5.2).
  await db.schema.alterTable('users').addColumn('totp_last_step', 'integer').execute();

  // A session first proves the password; with a second factor it stays `pending` until that is proven too.
  await db.schema
    .alterTable('sessions')
    .addColumn('pending_second_factor', 'integer', (c) => c.notNull().defaultTo(0).check(sql`pending_second_factor IN (0, 1)`))
    .execute();
  await db.schema.alterTable('sessions').addColumn('second_factor_at', t.instant).execute();
  await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute();
  // One outstanding WebAuthn challenge (registration or authentication) and a TOTP secret being set up.
  await db.schema.alterTable('sessions').addColumn('webauthn_challenge', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('totp_pending_secret', 'text').execute();

  await db.schema
    .alterTable('organizations')
    .addColumn('require_second_factor', 'integer', (c) => c.notNull().defaultTo(0).check(sql`require_second_factor IN (0, 1)`))
    .execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // SHA-256 (hex) of the code; codes are random (≥ 50 bits) so a fast hash is enough.
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('used_at', t.instant)
    .addPrimaryKeyConstraint('recovery_codes_pk', ['user_id', 'code_hash'])
    .execute();

  await db.schema
    .createTable('passkeys')
    // WebAuthn credential id, base64url.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // COSE public key, base64url.
    .addColumn('public_key', 'text', (c) => c.notNull())
    // Signature counter (uint32, may exceed int4): bigint, read back through Number().
    .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
    // Comma-separated AuthenticatorTransport values.
    .addColumn('transports', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('last_used_at', t.instant)
    .execute();
  await db.schema.createIndex('passkeys_user_id_idx').on('passkeys').column('user_id').execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_key', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(inList('role', ORGANIZATION_ROLES)))
    // SHA-256 (hex) of the link token; the token itself is only in the e-mail.
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('invited_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('expires_at', t.instant, (c) => c.notNull())
    .addColumn('accepted_at', t.instant)
    .addColumn('accepted_by', 'text', (c) => c.references('users.id'))
    .addColumn('revoked_at', t.instant)
    .execute();
  await db.schema.createIndex('invitations_organization_idx').on('invitations').columns(['organization_id', 'created_at']).execute();

  await db.schema
    .createTable('password_resets')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addColumn('expires_at', t.instant, (c) => c.notNull())
    .addColumn('used_at', t.instant)
    .execute();
  await db.schema.createIndex('password_resets_user_idx').on('password_resets').column('user_id').execute();

  await db.schema
    .createTable('network_roles')
    .addColumn('network_id', 'text', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(inList('role', NETWORK_ROLES)))
    .addColumn('created_at', t.instant, (c) => c.notNull())
    .addPrimaryKeyConstraint('network_roles_pk', ['network_id', 'user_id'])
    .execute();
  await db.schema.createIndex('network_roles_user_idx').on('network_roles').column('user_id').execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', t.instant, (c) => c.notNull())
    // No foreign keys: the log outlives what it names and is never rewritten.
    .addColumn('actor_user_id', 'text')
    // First 16 hex digits of the session hash: enough to tell sessions apart, useless as a cookie.
    .addColumn('session_ref', 'text')
    .addColumn('organization_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text')
    // JSON object with the action's details (never secrets).
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.createIndex('audit_events_organization_idx').on('audit_events').columns(['organization_id', 'at']).execute();
  await db.schema.createIndex('audit_events_actor_idx').on('audit_events').columns(['actor_user_id', 'at']).execute();

  // Append-only in the database itself, so no code path (or hand-written SQL) rewrites history.
  if (t.sqlite) {
    await sql`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
      BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`.execute(db);
    await sql`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
      BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`.execute(db);
  } else {
    await sql`CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$`.execute(db);
    await sql`CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const t = types(db);
  await db.schema.dropTable('audit_events').execute();
  if (!t.sqlite) await sql`DROP FUNCTION IF EXISTS audit_events_append_only()`.execute(db);
  for (const table of ['network_roles', 'password_resets', 'invitations', 'passkeys', 'recovery_codes'])
    await db.schema.dropTable(table).execute();
  await db.schema.alterTable('organizations').dropColumn('require_second_factor').execute();
  for (const c of ['totp_pending_secret', 'webauthn_challenge', 'user_agent', 'second_factor_at', 'pending_second_factor'])
    await db.schema.alterTable('sessions').dropColumn(c).execute();
  for (const c of ['totp_last_step', 'totp_enabled_at', 'totp_secret', 'erased_at'])
    await db.schema.alterTable('users').dropColumn(c).execute();
}
