import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';

/** One thing someone did, as written to the append-only `audit_events` table. */
export interface AuditEvent {
  /** The organization whose admins see the event; null for account-only events. */
  organizationId?: string | null;
  /** Dotted action name: `<subject>.<verb>` in the past tense, e.g. `organization.updated`. */
  action: string;
  /** Kind of record acted on: `organization`, `struggle`, `network`, `member`, `invitation`, `account`… */
  subjectType: string;
  subjectId?: string | null;
  /** Small JSON-serializable details (names of changed fields, new role…); never secrets or passwords. */
  details?: Record<string, unknown>;
}

/**
 * Appends an event to the audit log: who (`actor`, null for the CLI or the system), from which
 * session (first 16 hex digits of the session hash), what, on which record, when. Call it inside
 * the same transaction as the change, so the log and the data never disagree. The table refuses
 * UPDATE and DELETE (database triggers), so the log is append-only on both engines.
 * @param actor the signed-in viewer, or null; `actorUserId` overrides for flows without a viewer
 *   (accepting an invitation, resetting a password).
 */
export async function recordAudit(
  db: Db,
  actor: Pick<Viewer, 'userId' | 'sessionId'> | null,
  event: AuditEvent & { actorUserId?: string },
): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: newId(),
      at: nowInstant(),
      actor_user_id: event.actorUserId ?? actor?.userId ?? null,
      session_ref: actor?.sessionId ? actor.sessionId.slice(0, 16) : null,
      organization_id: event.organizationId ?? null,
      action: event.action,
      subject_type: event.subjectType,
      subject_id: event.subjectId ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();
}

/**
 * The names of the fields whose values differ between `before` and `after` (the keys of
 * `after`, in their order), for the `fields` detail of an `*.updated` event. Values are compared
 * by their JSON form, so lists compare element by element and `null`/missing are distinct only
 * when one side has a value.
 */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const norm = (v: unknown) => JSON.stringify(v ?? null);
  return Object.keys(after).filter((k) => norm(before[k]) !== norm(after[k]));
}
