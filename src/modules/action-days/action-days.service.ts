import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { LOCAL_ACTION_KINDS, type LocalActionKind, type Visibility } from '../../db/schema.ts';
import { Forbidden, NotFound, SignInRequired, ValidationFailed, type FieldError } from '../../http/errors.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { canonicalTimeZone, nowInstant } from '../../lib/time.ts';
import { searchKey, slugify } from '../../lib/text.ts';
import { addDays, daysBetween, isLocalDateTime, localDateSpan, localToInstant, ZonedTimeError } from '../../lib/zoned-time.ts';
import { retryOnSlugConflict, uniqueSlug, VISIBILITIES } from '../organizations/organizations.service.ts';
import { canPublishFor } from '../struggles/struggles.service.ts';
import { findStruggleRow } from '../struggles/struggles.repo.ts';
import { networkToday } from '../networks/networks.service.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { findActionDayRow, findLocalAction, type ActionDayRow, type LocalActionView } from './action-days.repo.ts';

export { LOCAL_ACTION_KINDS };

/** Longest action day (calendar days, inclusive): a week of action, a month-long campaign. */
export const MAX_ACTION_DAY_DAYS = 31;
/**
 * How far (calendar days) an all-day or timed local action may lie before the action day's first
 * or after its last day: "around" the day — a camp that starts the evening before, a rally moved
 * to the weekend after.
 */
export const LOCAL_ACTION_MARGIN_DAYS = 7;

/** Raw action day input from a form or the API. */
export interface ActionDayInput {
  title?: unknown;
  slug?: unknown;
  /** The call: why, what, where; in language `lang` (BCP 47). */
  callText?: unknown;
  lang?: unknown;
  /** Date-only `YYYY-MM-DD`, inclusive. */
  startDate?: unknown;
  endDate?: unknown;
  /** Slug of the calling organization (owner). */
  organization?: unknown;
  /** Slug of a network the organization calls for (it must be a current member). */
  network?: unknown;
  /** Slug of a linked struggle the viewer may see. */
  struggle?: unknown;
  visibility?: unknown;
}

/** An action day after validation; references still by slug. */
export interface ActionDayValues {
  title: string;
  slug: string | null;
  callText: string;
  lang: string;
  startDate: string;
  endDate: string;
  organization: string;
  network: string | null;
  struggle: string | null;
  visibility: Visibility;
}

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Validates action day input. Dates are date-only and inclusive (`endDate` defaults to
 * `startDate`, must not be before it, at most {@link MAX_ACTION_DAY_DAYS} days in all); they
 * never pass through a time zone.
 * @throws {ValidationFailed} listing every bad field.
 */
export function validateActionDay(input: ActionDayInput): ActionDayValues {
  const c = new FieldChecker();
  const title = c.line('title', input.title, { required: true, max: 300 });
  const slugRaw = c.line('slug', input.slug, { max: 60 });
  const slug = slugRaw && !SLUG.test(slugRaw) ? c.fail('slug', 'validation.slug') : slugRaw;
  const callText = c.text('callText', input.callText, { required: true, max: 20000 });
  const lang = c.language('lang', input.lang ?? 'en');
  const startDate = c.date('startDate', input.startDate, { required: true });
  const endGiven = !(input.endDate === undefined || input.endDate === null || input.endDate === '');
  // Without an end date the day is a single day; a bad start date is reported once, on its own field.
  const endDate = endGiven ? c.date('endDate', input.endDate, { required: true }) : startDate;
  if (startDate && endDate && endDate < startDate) c.fail('endDate', 'validation.end_before_start');
  else if (startDate && endDate && daysBetween(startDate, endDate) + 1 > MAX_ACTION_DAY_DAYS)
    c.fail('endDate', 'action_days.validation.too_long', { max: MAX_ACTION_DAY_DAYS });
  const organization = c.line('organization', input.organization, { required: true, max: 80 });
  const network = c.line('network', input.network, { max: 80 });
  const struggle = c.line('struggle', input.struggle, { max: 80 });
  const visibility = c.oneOf('visibility', input.visibility ?? 'public', VISIBILITIES);
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return {
    title: title!,
    slug,
    callText: callText!,
    lang: lang!,
    startDate: startDate!,
    endDate: endDate!,
    organization: organization!,
    network,
    struggle,
    visibility: visibility!,
  };
}

/**
 * True when the viewer may edit an action day: a publishing role (admin, coordinator, member) in
 * the calling organization, the account that created it, or an instance admin.
 */
export function canEditActionDay(viewer: Viewer | null, row: { organization_id: string; created_by: string | null }): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin || (row.created_by !== null && row.created_by === viewer.userId)) return true;
  return canPublishFor(viewer, row.organization_id);
}

/** True when the viewer may register a local action for at least one organization. */
export function canRegisterLocalAction(viewer: Viewer | null): boolean {
  if (!viewer) return false;
  return viewer.isAdmin || [...viewer.roles.keys()].some((id) => canPublishFor(viewer, id));
}

/** The visible organization with `slug`, or a field error on `field`. */
async function resolveOrganization(db: Db, viewer: Viewer, slug: string, field: string): Promise<string> {
  const row = await db
    .selectFrom('organizations')
    .select('id')
    .where('slug', '=', slug)
    .where(visibleWhere(viewer, 'organizations', { orgColumn: 'id' }))
    .executeTakeFirst();
  if (!row) throw new ValidationFailed([{ field, messageId: 'validation.organization_unknown', values: { slugs: slug } }]);
  return row.id;
}

/** Resolves and authorizes the references of an action day (organization, network, struggle). */
async function resolveReferences(db: Db, viewer: Viewer, v: ActionDayValues, keepOrganization: string | null) {
  const organizationId = await resolveOrganization(db, viewer, v.organization, 'organization');
  if (organizationId !== keepOrganization && !canPublishFor(viewer, organizationId))
    throw new ValidationFailed([{ field: 'organization', messageId: 'validation.organization_not_yours', values: { slugs: v.organization } }]);
  let networkId: string | null = null;
  if (v.network) {
    const network = await db.selectFrom('networks').select('id').where('slug', '=', v.network).executeTakeFirst();
    if (!network) throw new ValidationFailed([{ field: 'network', messageId: 'action_days.validation.network_unknown' }]);
    // Calling on behalf of a network needs a current membership (since ≤ today ≤ until, date-only, UTC day).
    const today = networkToday();
    const membership = await db
      .selectFrom('network_memberships')
      .select('id')
      .where('network_id', '=', network.id)
      .where('organization_id', '=', organizationId)
      .where('since', '<=', today)
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>=', today)]))
      .executeTakeFirst();
    if (!membership) throw new ValidationFailed([{ field: 'network', messageId: 'action_days.validation.network_not_member' }]);
    networkId = network.id;
  }
  let struggleId: string | null = null;
  if (v.struggle) {
    const struggle = await findStruggleRow(db, viewer, v.struggle);
    if (!struggle) throw new ValidationFailed([{ field: 'struggle', messageId: 'action_days.validation.struggle_unknown' }]);
    struggleId = struggle.id;
  }
  return { organizationId, networkId, struggleId };
}

function columns(v: ActionDayValues) {
  return {
    title: v.title,
    call_text: v.callText,
    lang: v.lang,
    start_date: v.startDate,
    end_date: v.endDate,
    visibility: v.visibility,
    search_text: searchKey(v.title, v.callText),
  };
}

/** Stored values under API names, for the audit log's changed `fields`. */
function snapshot(row: ActionDayRow): Record<string, unknown> {
  return {
    title: row.title,
    slug: row.slug,
    callText: row.call_text,
    lang: row.lang,
    startDate: row.start_date,
    endDate: row.end_date,
    organization: row.organization_id,
    network: row.network_id,
    struggle: row.struggle_id,
    visibility: row.visibility,
  };
}

/**
 * Calls an action day for an organization in which the viewer has a publishing role, optionally
 * on behalf of a network the organization currently belongs to, optionally linked to a struggle
 * the viewer may see. Writes `action_day.created` to the calling organization's audit log in the
 * same transaction.
 * @returns id and slug.
 * @throws {SignInRequired}; {ValidationFailed} bad fields, unknown or foreign organization,
 *   network without current membership, unknown struggle.
 */
export async function createActionDay(db: Db, viewer: Viewer | null, input: ActionDayInput): Promise<{ id: string; slug: string }> {
  if (!viewer) throw new SignInRequired();
  const v = validateActionDay(input);
  return retryOnSlugConflict(() =>
    inTransaction(db, async (tx) => {
      const refs = await resolveReferences(tx, viewer, v, null);
      const id = newId();
      const slug = await uniqueSlug(tx, 'action_days', v.slug ?? (slugify(v.title) || 'action-day'));
      const now = nowInstant();
      await tx
        .insertInto('action_days')
        .values({
          id,
          slug,
          ...columns(v),
          organization_id: refs.organizationId,
          network_id: refs.networkId,
          struggle_id: refs.struggleId,
          created_by: viewer.userId,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await recordAudit(tx, viewer, { organizationId: refs.organizationId, action: 'action_day.created', subjectType: 'action_day', subjectId: id, details: { slug } });
      return { id, slug };
    }),
  );
}

/**
 * Replaces an action day's fields. Only those who may edit it ({@link canEditActionDay}); moving
 * it to another organization needs a publishing role there too. Writes `action_day.updated` with
 * the changed field names (nothing when none changed) to the calling organization's audit log —
 * both organizations' on a move — in the same transaction.
 * @throws {SignInRequired}; {NotFound} unknown or invisible; {Forbidden}; {ValidationFailed}.
 */
export async function updateActionDay(db: Db, viewer: Viewer | null, slug: string, input: ActionDayInput): Promise<{ id: string; slug: string }> {
  if (!viewer) throw new SignInRequired();
  const v = validateActionDay(input);
  return inTransaction(db, async (tx) => {
    const row = await findActionDayRow(tx, viewer, slug);
    if (!row) throw new NotFound();
    if (!canEditActionDay(viewer, row)) throw new Forbidden();
    const refs = await resolveReferences(tx, viewer, v, row.organization_id);
    const newSlug = v.slug && v.slug !== row.slug ? await uniqueSlug(tx, 'action_days', v.slug, row.id) : row.slug;
    await tx
      .updateTable('action_days')
      .set({ ...columns(v), slug: newSlug, organization_id: refs.organizationId, network_id: refs.networkId, struggle_id: refs.struggleId, updated_at: nowInstant() })
      .where('id', '=', row.id)
      .execute();
    const after = await tx.selectFrom('action_days').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    const fields = changedFields(snapshot(row), snapshot(after));
    if (fields.length)
      for (const owner of new Set([refs.organizationId, row.organization_id]))
        await recordAudit(tx, viewer, { organizationId: owner, action: 'action_day.updated', subjectType: 'action_day', subjectId: row.id, details: { fields } });
    return { id: row.id, slug: newSlug };
  });
}

/** Raw local action input from a form or the API. */
export interface LocalActionInput {
  /** Slug of the participating organization (owner). */
  organization?: unknown;
  title?: unknown;
  kind?: unknown;
  city?: unknown;
  /** ISO 3166-1 alpha-2. */
  country?: unknown;
  venue?: unknown;
  /** true / `'1'` / `'on'`: dates only. */
  allDay?: unknown;
  /** All-day: date-only `YYYY-MM-DD`, inclusive (`endDate` defaults to `startDate`). */
  startDate?: unknown;
  endDate?: unknown;
  /** Timed: local `YYYY-MM-DDTHH:MM` in `timeZone`. */
  startLocal?: unknown;
  endLocal?: unknown;
  /** IANA zone of the local times (default: the viewer's account zone). */
  timeZone?: unknown;
  expectedParticipants?: unknown;
  contact?: unknown;
  visibility?: unknown;
}

/** A local action after validation, with its instants computed. */
export interface LocalActionValues {
  organization: string;
  title: string;
  kind: LocalActionKind;
  city: string;
  country: string;
  venue: string | null;
  allDay: boolean;
  /** Local calendar days covered (date-only, inclusive). */
  startDate: string;
  endDate: string;
  startLocal: string | null;
  endLocal: string | null;
  timeZone: string | null;
  /** ISO 8601 UTC instants; null when all-day. */
  startsAt: string | null;
  endsAt: string | null;
  expectedParticipants: number | null;
  contact: string | null;
  visibility: Visibility;
}

function truthy(raw: unknown): boolean {
  return raw === true || raw === 1 || (typeof raw === 'string' && ['1', 'on', 'true', 'yes'].includes(raw.trim().toLowerCase()));
}

/** Checks one local date-time and converts it; field errors for bad text and spring-forward gaps. */
function instantField(c: FieldChecker, field: string, raw: unknown, zone: string | null): { local: string; instant: string | null } | null {
  const v = typeof raw === 'string' ? raw.trim() : '';
  if (!v) return c.fail(field, 'validation.required');
  if (!isLocalDateTime(v)) return c.fail(field, 'action_days.validation.local_time');
  if (!zone) return { local: v, instant: null };
  try {
    return { local: v, instant: localToInstant(v, zone) };
  } catch (err) {
    if (err instanceof ZonedTimeError && err.code === 'nonexistent_local_time') return c.fail(field, 'action_days.validation.nonexistent_time', { zone });
    throw err;
  }
}

/**
 * Validates a local action against its action day's dates (date-only, inclusive).
 * - All-day: `startDate` … `endDate` (date-only, no zone; `endDate` defaults to `startDate`).
 * - Timed: `startLocal`/`endLocal` as `YYYY-MM-DDTHH:MM` wall-clock times in IANA zone `timeZone`
 *   (default `defaultZone`, the viewer's account zone). The instants use each date's own offset
 *   (IANA tz database); a wall time in a spring-forward gap is refused, one in a fall-back overlap
 *   means its first occurrence (RFC 5545 §3.3.5; see `localToInstant`). The end must be after the
 *   start as instants, at most {@link MAX_ACTION_DAY_DAYS} days later. The local calendar days
 *   covered are derived (`localDateSpan`).
 * - Either way the covered days must overlap the action day widened by
 *   {@link LOCAL_ACTION_MARGIN_DAYS} on each side.
 * @throws {ValidationFailed} listing every bad field.
 */
export function validateLocalAction(input: LocalActionInput, day: { start_date: string; end_date: string }, defaultZone: string): LocalActionValues {
  const c = new FieldChecker();
  const organization = c.line('organization', input.organization, { required: true, max: 80 });
  const title = c.line('title', input.title, { required: true, max: 300 });
  const kind = c.oneOf('kind', input.kind, LOCAL_ACTION_KINDS);
  const city = c.line('city', input.city, { required: true, max: 200 });
  const country = c.country('country', input.country);
  const venue = c.line('venue', input.venue, { max: 300 });
  const expectedParticipants = c.integer('expectedParticipants', input.expectedParticipants, { min: 0, max: 100_000_000 });
  const contact = c.line('contact', input.contact, { max: 300 });
  const visibility = c.oneOf('visibility', input.visibility ?? 'public', VISIBILITIES);
  const allDay = truthy(input.allDay);
  let startDate: string | null = null;
  let endDate: string | null = null;
  let timed: Pick<LocalActionValues, 'startLocal' | 'endLocal' | 'timeZone' | 'startsAt' | 'endsAt'> = { startLocal: null, endLocal: null, timeZone: null, startsAt: null, endsAt: null };
  if (allDay) {
    startDate = c.date('startDate', input.startDate, { required: true });
    const endGiven = !(input.endDate === undefined || input.endDate === null || input.endDate === '');
    endDate = endGiven ? c.date('endDate', input.endDate, { required: true }) : startDate;
    if (startDate && endDate && endDate < startDate) {
      c.fail('endDate', 'validation.end_before_start');
      endDate = null;
    } else if (startDate && endDate && daysBetween(startDate, endDate) + 1 > MAX_ACTION_DAY_DAYS) {
      c.fail('endDate', 'action_days.validation.too_long', { max: MAX_ACTION_DAY_DAYS });
      endDate = null;
    }
  } else {
    const rawZone = input.timeZone === undefined || input.timeZone === null || input.timeZone === '' ? defaultZone : input.timeZone;
    const zone = canonicalTimeZone(rawZone);
    if (!zone) c.fail('timeZone', 'action_days.validation.time_zone');
    const start = instantField(c, 'startLocal', input.startLocal, zone);
    const end = instantField(c, 'endLocal', input.endLocal, zone);
    if (start?.instant && end?.instant) {
      if (end.instant <= start.instant) c.fail('endLocal', 'action_days.validation.end_not_after_start');
      else if (Date.parse(end.instant) - Date.parse(start.instant) > MAX_ACTION_DAY_DAYS * 86_400_000)
        c.fail('endLocal', 'action_days.validation.too_long', { max: MAX_ACTION_DAY_DAYS });
      else {
        ({ startDate, endDate } = localDateSpan(start.local, end.local));
        timed = { startLocal: start.local, endLocal: end.local, timeZone: zone, startsAt: start.instant, endsAt: end.instant };
      }
    }
  }
  if (startDate && endDate) {
    const from = addDays(day.start_date, -LOCAL_ACTION_MARGIN_DAYS);
    const to = addDays(day.end_date, LOCAL_ACTION_MARGIN_DAYS);
    if (endDate < from || startDate > to)
      c.fail(allDay ? 'startDate' : 'startLocal', 'action_days.validation.outside_day', { from, to, margin: LOCAL_ACTION_MARGIN_DAYS });
  }
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return {
    organization: organization!,
    title: title!,
    kind: kind!,
    city: city!,
    country: country!,
    venue,
    allDay,
    startDate: startDate!,
    endDate: endDate!,
    ...timed,
    expectedParticipants,
    contact,
    visibility: visibility!,
  };
}

/**
 * Registers a participating organization's local action on a visible action day. The viewer
 * needs a publishing role (admin, coordinator, member — not `viewer`) in that organization.
 * Stores the local times as entered with their zone, the instants and the local dates. Writes
 * `local_action.added` to the participating organization's audit log in the same transaction.
 * @throws {SignInRequired}; {NotFound} action day unknown or invisible; {ValidationFailed} bad
 *   fields (including a wall time that does not exist) or an organization the viewer may not
 *   register for (`organization`).
 */
export async function addLocalAction(db: Db, viewer: Viewer | null, actionDaySlug: string, input: LocalActionInput): Promise<{ id: string }> {
  if (!viewer) throw new SignInRequired();
  return inTransaction(db, async (tx) => {
    const day = await findActionDayRow(tx, viewer, actionDaySlug);
    if (!day) throw new NotFound();
    const v = validateLocalAction(input, day, viewer.timeZone);
    const organizationId = await resolveOrganization(tx, viewer, v.organization, 'organization');
    if (!canPublishFor(viewer, organizationId))
      throw new ValidationFailed([{ field: 'organization', messageId: 'validation.organization_not_yours', values: { slugs: v.organization } }]);
    const id = newId();
    const now = nowInstant();
    await tx
      .insertInto('local_actions')
      .values({
        id,
        action_day_id: day.id,
        organization_id: organizationId,
        ...localActionColumns(v),
        created_by: viewer.userId,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await recordAudit(tx, viewer, {
      organizationId,
      action: 'local_action.added',
      subjectType: 'local_action',
      subjectId: id,
      details: { actionDay: day.id },
    });
    return { id };
  });
}

/**
 * True when the viewer may change or withdraw a local action: a publishing role (admin,
 * coordinator, member — not `viewer`) in the local action's organization, whoever may edit its
 * action day ({@link canEditActionDay}: publishing roles of the calling organization, the day's
 * creator), or an instance admin. Whether the viewer may *see* the local action is the
 * repository's visibility rule, checked before this.
 */
export function canChangeLocalAction(
  viewer: Viewer | null,
  day: { organization_id: string; created_by: string | null },
  action: { organization_id: string },
): boolean {
  if (!viewer) return false;
  return canPublishFor(viewer, action.organization_id) || canEditActionDay(viewer, day);
}

/** The stored columns of a validated local action (everything but ids, owner and stamps). */
function localActionColumns(v: LocalActionValues) {
  return {
    title: v.title,
    kind: v.kind,
    city: v.city,
    country: v.country,
    venue: v.venue,
    all_day: v.allDay ? 1 : 0,
    start_local: v.startLocal,
    end_local: v.endLocal,
    time_zone: v.timeZone,
    starts_at: v.startsAt,
    ends_at: v.endsAt,
    start_date: v.startDate,
    end_date: v.endDate,
    expected_participants: v.expectedParticipants,
    contact: v.contact,
    visibility: v.visibility,
  };
}

/** Stored local action values under API names, for the audit log's changed `fields`. */
function localActionSnapshot(c: Record<keyof ReturnType<typeof localActionColumns>, unknown>): Record<string, unknown> {
  return {
    title: c.title,
    kind: c.kind,
    city: c.city,
    country: c.country,
    venue: c.venue,
    allDay: Number(c.all_day) === 1,
    startDate: c.start_date,
    endDate: c.end_date,
    startLocal: c.start_local,
    endLocal: c.end_local,
    timeZone: c.time_zone,
    startsAt: c.starts_at,
    endsAt: c.ends_at,
    expectedParticipants: c.expected_participants,
    contact: c.contact,
    visibility: c.visibility,
  };
}

/** The local action the viewer asks to change: visible (else 404) and theirs to change (else 403). */
async function changeableLocalAction(db: Db, viewer: Viewer, actionDaySlug: string, id: string): Promise<{ day: ActionDayRow; action: LocalActionView }> {
  const found = await findLocalAction(db, viewer, actionDaySlug, id);
  if (!found) throw new NotFound();
  if (!canChangeLocalAction(viewer, found.day, found.action)) throw new Forbidden();
  return found;
}

/**
 * Corrects a registered local action (the rally moves to 11:00, another meeting point). Takes
 * the same input as {@link addLocalAction} and revalidates it the same way
 * ({@link validateLocalAction}: dates on or around the action day, an IANA zone, instants for
 * each date's own offset, a wall time in a spring-forward gap refused, all-day ones as dates),
 * then stores the local times as entered with their zone and recomputes `starts_at`/`ends_at`
 * (UTC instants) and `start_date`/`end_date` (local days). When `timeZone` is left out, the
 * action's own zone is kept (the viewer's account zone for an action that was all-day).
 *
 * The organization of a local action cannot be changed: `organization` may be left out or must
 * name the current one (withdraw and register again to move it). Only those who may see the
 * local action and {@link canChangeLocalAction}. Writes `local_action.updated` with the changed
 * field names (API names) to the owning organization's audit log in the same transaction;
 * nothing is written when nothing changed. `updated_at` moves, so calendar clients see a new
 * DTSTAMP on the next refresh.
 * @returns the id, the changed field names and the local action as it now is (with its
 *   organization as the viewer may see it) — also when the new visibility hides it from them.
 * @throws {SignInRequired}; {NotFound} action day or local action unknown or invisible (also an
 *   id of another action day); {Forbidden} visible but not the viewer's to change;
 *   {ValidationFailed} bad fields, including `organization` naming another organization.
 */
export async function updateLocalAction(
  db: Db,
  viewer: Viewer | null,
  actionDaySlug: string,
  localActionId: string,
  input: LocalActionInput,
): Promise<{ id: string; fields: string[]; action: LocalActionView }> {
  if (!viewer) throw new SignInRequired();
  return inTransaction(db, async (tx) => {
    const { day, action } = await changeableLocalAction(tx, viewer, actionDaySlug, localActionId);
    // The owner's slug, even when the viewer (a coordinator of the day) may not see that organization.
    const owner = await tx.selectFrom('organizations').select('slug').where('id', '=', action.organization_id).executeTakeFirstOrThrow();
    const errors: FieldError[] = [];
    const given = input.organization;
    if (given !== undefined && given !== null && given !== '' && (typeof given !== 'string' || given.trim() !== owner.slug))
      errors.push({ field: 'organization', messageId: 'action_days.validation.organization_fixed' });
    let v: LocalActionValues | null = null;
    try {
      v = validateLocalAction({ ...input, organization: owner.slug }, day, action.time_zone ?? viewer.timeZone);
    } catch (err) {
      if (!(err instanceof ValidationFailed)) throw err;
      errors.push(...err.errors);
    }
    if (errors.length || !v) throw new ValidationFailed(errors);
    const next = localActionColumns(v);
    const fields = changedFields(localActionSnapshot(action), localActionSnapshot(next));
    if (!fields.length) return { id: action.id, fields, action };
    const updatedAt = nowInstant();
    await tx.updateTable('local_actions').set({ ...next, updated_at: updatedAt }).where('id', '=', action.id).execute();
    await recordAudit(tx, viewer, {
      organizationId: action.organization_id,
      action: 'local_action.updated',
      subjectType: 'local_action',
      subjectId: action.id,
      details: { actionDay: day.id, fields },
    });
    return { id: action.id, fields, action: { ...action, ...next, updated_at: updatedAt } };
  });
}

/**
 * Withdraws a registered local action: deletes its row, so it leaves the action day's page, the
 * participation table and map, the API and the calendar feeds (subscribed calendar clients drop
 * the event on their next refresh). Only those who may see the local action and
 * {@link canChangeLocalAction}. Writes `local_action.removed` (with the action day, title, city,
 * country and first day, since the row is gone) to the owning organization's audit log in the
 * same transaction.
 * @throws {SignInRequired}; {NotFound} action day or local action unknown or invisible;
 *   {Forbidden} visible but not the viewer's to withdraw.
 */
export async function removeLocalAction(db: Db, viewer: Viewer | null, actionDaySlug: string, localActionId: string): Promise<{ id: string }> {
  if (!viewer) throw new SignInRequired();
  return inTransaction(db, async (tx) => {
    const { day, action } = await changeableLocalAction(tx, viewer, actionDaySlug, localActionId);
    await tx.deleteFrom('local_actions').where('id', '=', action.id).execute();
    await recordAudit(tx, viewer, {
      organizationId: action.organization_id,
      action: 'local_action.removed',
      subjectType: 'local_action',
      subjectId: action.id,
      details: { actionDay: day.id, title: action.title, city: action.city, country: action.country, date: action.start_date },
    });
    return { id: action.id };
  });
}
