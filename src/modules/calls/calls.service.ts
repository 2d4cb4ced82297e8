import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { CALL_ASKS, RESPONSE_KINDS, type CallAsk, type ResponseKind, type Visibility } from '../../db/schema.ts';
import { Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker, listValue } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant, todayIn } from '../../lib/time.ts';
import { searchKey, slugify } from '../../lib/text.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { resolveOrganizations, retryOnSlugConflict, uniqueSlug, VISIBILITIES } from '../organizations/organizations.service.ts';
import { canPublishFor } from '../struggles/struggles.service.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { findCallRow, type CallRow } from './calls.repo.ts';

export { CALL_ASKS, RESPONSE_KINDS };

/** At most this many issuing organizations (the owner included) and languages per call. */
const MAX_ISSUERS = 20;
const MAX_LANGUAGES = 20;

/**
 * Raw solidarity call input from a form, the API or an importer. Lists may be arrays or
 * comma/newline-separated strings.
 */
export interface CallInput {
  /** Slug of the struggle the call is for (must be visible to the viewer). */
  struggle?: unknown;
  /** Slug of the owning issuer, whose members decide who sees the call. */
  organization?: unknown;
  /** Slugs of further issuing organizations (co-issuers). */
  issuers?: unknown;
  title?: unknown;
  slug?: unknown;
  body?: unknown;
  /** BCP 47 tag of `title` and `body`; default `en`. */
  lang?: unknown;
  /** Values of `CALL_ASKS`, at least one. */
  asks?: unknown;
  /** Day of the action asked for (date-only `YYYY-MM-DD`); required exactly when `asks` has `action`. */
  actionDate?: unknown;
  /** Last day answers are asked for (date-only, inclusive); optional. */
  deadline?: unknown;
  /** BCP 47 tags of the languages the call is available in; `lang` is always among them (first when missing). */
  languages?: unknown;
  visibility?: unknown;
}

/** A call after validation; organizations and the struggle still by slug. */
export interface CallValues {
  struggle: string;
  organization: string;
  issuers: string[];
  title: string;
  slug: string | null;
  body: string;
  lang: string;
  asks: CallAsk[];
  actionDate: string | null;
  deadline: string | null;
  languages: string[];
  visibility: Visibility;
}

/**
 * Validates and normalizes call input. Dates are date-only; `actionDate` is required when the
 * call asks for action on a date and refused otherwise. Unknown asks are refused, repeated ones
 * kept once, in the order of `CALL_ASKS`.
 * @throws {ValidationFailed} listing every bad field (`struggle`, `organization`, `issuers`,
 *   `title`, `slug`, `body`, `lang`, `asks`, `actionDate`, `deadline`, `languages`, `visibility`).
 */
export function validateCall(input: CallInput): CallValues {
  const c = new FieldChecker();
  const struggle = c.line('struggle', input.struggle, { required: true, max: 80 });
  const organization = c.line('organization', input.organization, { required: true, max: 80 });
  const issuers: string[] = [];
  for (const s of listValue(input.issuers)) {
    const v = c.line('issuers', s, { max: 80 });
    if (v && v !== organization && !issuers.includes(v)) issuers.push(v);
  }
  if (issuers.length + 1 > MAX_ISSUERS) c.fail('issuers', 'validation.too_many', { max: MAX_ISSUERS - 1 });
  const title = c.line('title', input.title, { required: true, max: 300 });
  const slugRaw = c.line('slug', input.slug, { max: 60 });
  const slug = slugRaw && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slugRaw) ? c.fail('slug', 'validation.slug') : slugRaw;
  const body = c.text('body', input.body, { required: true, max: 20000 });
  const lang = c.language('lang', input.lang || 'en');
  const rawAsks = listValue(input.asks);
  const asks: CallAsk[] = [];
  if (!rawAsks.length) c.fail('asks', 'calls.validation.asks_required');
  else if (rawAsks.some((a) => !(CALL_ASKS as readonly string[]).includes(a))) c.fail('asks', 'validation.choice');
  else asks.push(...CALL_ASKS.filter((a) => rawAsks.includes(a)));
  const actionDate = c.date('actionDate', input.actionDate);
  if (asks.includes('action') && !actionDate && !c.errors.some((e) => e.field === 'actionDate')) c.fail('actionDate', 'calls.validation.action_date_required');
  if (actionDate && asks.length && !asks.includes('action')) c.fail('actionDate', 'calls.validation.action_date_without_action');
  const deadline = c.date('deadline', input.deadline);
  const languages: string[] = [];
  for (const tag of listValue(input.languages)) {
    const v = c.language('languages', tag);
    if (v && !languages.includes(v)) languages.push(v);
  }
  if (lang && !languages.includes(lang)) languages.unshift(lang);
  if (languages.length > MAX_LANGUAGES) c.fail('languages', 'validation.too_many', { max: MAX_LANGUAGES });
  const visibility = c.oneOf('visibility', input.visibility || 'public', VISIBILITIES);
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return {
    struggle: struggle!,
    organization: organization!,
    issuers,
    title: title!,
    slug,
    body: body!,
    lang: lang!,
    asks,
    actionDate,
    deadline,
    languages,
    visibility: visibility!,
  };
}

/**
 * True when the viewer may edit the call: admins and coordinators of its owning organization,
 * the account that created it, and instance admins. Co-issuers and plain members may not.
 */
export function canEditCall(viewer: Viewer | null, row: { organization_id: string; created_by: string | null }): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin || (row.created_by !== null && row.created_by === viewer.userId)) return true;
  const role = viewer.roles.get(row.organization_id);
  return role === 'admin' || role === 'coordinator';
}

/**
 * True when the viewer may issue calls or record responses for at least one organization (a
 * publishing role somewhere, or an instance admin): decides whether "new call" links and the
 * response form are offered. The service still checks the named organization.
 */
export function canPublishAnywhere(viewer: Viewer | null): boolean {
  if (!viewer) return false;
  return viewer.isAdmin || [...viewer.roles.keys()].some((id) => canPublishFor(viewer, id));
}

/**
 * The struggle's id if the viewer may see it.
 * @throws {ValidationFailed} on `struggle` (unknown or invisible: the same answer).
 */
async function resolveStruggle(db: Db, viewer: Viewer | null, slug: string, trusted: boolean): Promise<string> {
  let q = db.selectFrom('struggles').select('id').where('slug', '=', slug);
  if (!trusted) q = q.where(visibleWhere(viewer, 'struggles'));
  const row = await q.executeTakeFirst();
  if (!row) throw new ValidationFailed([{ field: 'struggle', messageId: 'calls.validation.struggle_unknown' }]);
  return row.id;
}

async function writeLists(db: Db, callId: string, v: CallValues, issuerIds: string[]): Promise<void> {
  await db.deleteFrom('solidarity_call_asks').where('call_id', '=', callId).execute();
  await db.insertInto('solidarity_call_asks').values(v.asks.map((ask) => ({ call_id: callId, ask }))).execute();
  await db.deleteFrom('solidarity_call_languages').where('call_id', '=', callId).execute();
  await db.insertInto('solidarity_call_languages').values(v.languages.map((language, position) => ({ call_id: callId, language, position }))).execute();
  await db.deleteFrom('solidarity_call_issuers').where('call_id', '=', callId).execute();
  await db.insertInto('solidarity_call_issuers').values([...new Set(issuerIds)].map((organization_id) => ({ call_id: callId, organization_id }))).execute();
}

function columns(v: CallValues) {
  return {
    title: v.title,
    body: v.body,
    lang: v.lang,
    deadline: v.deadline,
    action_date: v.actionDate,
    visibility: v.visibility,
    search_text: searchKey(v.title, v.body),
  };
}

/** A call's stored values under their API names (ids for organizations), for the audit log's changed `fields`. */
async function auditSnapshot(db: Db, callId: string): Promise<Record<string, unknown>> {
  const row = await db.selectFrom('solidarity_calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
  const [asks, languages, issuers] = await Promise.all([
    db.selectFrom('solidarity_call_asks').select('ask').where('call_id', '=', callId).execute(),
    db.selectFrom('solidarity_call_languages').select('language').where('call_id', '=', callId).orderBy('position').execute(),
    db.selectFrom('solidarity_call_issuers').select('organization_id').where('call_id', '=', callId).execute(),
  ]);
  return {
    struggle: row.struggle_id,
    organization: row.organization_id,
    issuers: issuers.map((i) => i.organization_id).sort(),
    title: row.title,
    slug: row.slug,
    body: row.body,
    lang: row.lang,
    asks: CALL_ASKS.filter((a) => asks.some((x) => x.ask === a)),
    actionDate: row.action_date,
    deadline: row.deadline,
    languages: languages.map((l) => l.language),
    visibility: row.visibility,
  };
}

/**
 * Naming an organization as issuer puts its name under the call, so it needs a publishing role
 * in it (`canPublishFor`); issuers already on the call may stay whoever edits.
 * @throws {ValidationFailed} on `issuers` listing the organizations the viewer may not name.
 */
function checkIssuers(viewer: Viewer, named: Map<string, string>, existing: ReadonlySet<string>): void {
  const refused = [...named].filter(([, id]) => !existing.has(id) && !canPublishFor(viewer, id)).map(([slug]) => slug);
  if (refused.length) throw new ValidationFailed([{ field: 'issuers', messageId: 'validation.organization_not_yours', values: { slugs: refused.join(', ') } }]);
}

/**
 * Issues a solidarity call for a struggle the viewer can see, owned by `organization` and
 * co-issued by `issuers`. The viewer needs a publishing role (`canPublishFor`: admin,
 * coordinator, member) in the owner and in every co-issuer. Writes `call.created` to the audit
 * log of every issuing organization, in the same transaction.
 * @returns id and slug (from the title unless given; `-2`, `-3`… when taken).
 * @throws {SignInRequired}; {ValidationFailed} bad fields, unknown/invisible struggle or
 *   organizations, co-issuers the viewer may not name; {Forbidden} no publishing role in the owner.
 */
export async function createCall(db: Db, viewer: Viewer | null, input: CallInput, o: { trusted?: boolean } = {}): Promise<{ id: string; slug: string }> {
  if (!viewer && !o.trusted) throw new SignInRequired();
  const v = validateCall(input);
  const trusted = !!o.trusted;
  return retryOnSlugConflict(() =>
    inTransaction(db, async (tx) => {
      const struggleId = await resolveStruggle(tx, viewer, v.struggle, trusted);
      const owner = await resolveOrganizations(tx, viewer, [v.organization], 'organization', trusted);
      const organizationId = owner.get(v.organization)!;
      if (!trusted && !canPublishFor(viewer, organizationId)) throw new Forbidden();
      const issuers = await resolveOrganizations(tx, viewer, v.issuers, 'issuers', trusted);
      if (!trusted) checkIssuers(viewer!, issuers, new Set());
      const id = newId();
      const slug = await uniqueSlug(tx, 'solidarity_calls', v.slug ?? slugify(v.title));
      const now = nowInstant();
      await tx
        .insertInto('solidarity_calls')
        .values({ id, slug, struggle_id: struggleId, organization_id: organizationId, ...columns(v), created_by: viewer?.userId ?? null, created_at: now, updated_at: now })
        .execute();
      const issuerIds = [organizationId, ...issuers.values()];
      await writeLists(tx, id, v, issuerIds);
      // Every issuer's admins see their organization's name put under a call.
      for (const org of new Set(issuerIds))
        await recordAudit(tx, viewer, { organizationId: org, action: 'call.created', subjectType: 'call', subjectId: id, details: { slug } });
      return { id, slug };
    }),
  );
}

/**
 * Replaces a call's fields, issuers, asks and languages. Who may: see `canEditCall`. Moving the
 * call to another owner needs a publishing role there; newly named co-issuers need one too.
 * Writes `call.updated` with the changed field names (nothing when none changed) to the log of
 * every organization that issued the call before or after, in the same transaction.
 * @throws {SignInRequired}; {NotFound} unknown or invisible call; {Forbidden} not allowed to edit
 *   or to move it; {ValidationFailed}.
 */
export async function updateCall(db: Db, viewer: Viewer | null, slug: string, input: CallInput): Promise<{ id: string; slug: string }> {
  if (!viewer) throw new SignInRequired();
  const v = validateCall(input);
  return inTransaction(db, async (tx) => {
    const row = await findCallRow(tx, viewer, slug);
    if (!row) throw new NotFound();
    if (!canEditCall(viewer, row)) throw new Forbidden();
    const struggleId = await resolveStruggle(tx, viewer, v.struggle, false);
    const owner = await resolveOrganizations(tx, viewer, [v.organization], 'organization', false);
    const organizationId = owner.get(v.organization)!;
    if (organizationId !== row.organization_id && !canPublishFor(viewer, organizationId)) throw new Forbidden();
    const issuers = await resolveOrganizations(tx, viewer, v.issuers, 'issuers', false);
    const linked = await tx.selectFrom('solidarity_call_issuers').select('organization_id').where('call_id', '=', row.id).execute();
    const existing = new Set(linked.map((l) => l.organization_id));
    checkIssuers(viewer, issuers, existing);
    const newSlug = v.slug && v.slug !== row.slug ? await uniqueSlug(tx, 'solidarity_calls', v.slug, row.id) : row.slug;
    const before = await auditSnapshot(tx, row.id);
    await tx
      .updateTable('solidarity_calls')
      .set({ ...columns(v), slug: newSlug, struggle_id: struggleId, organization_id: organizationId, updated_at: nowInstant() })
      .where('id', '=', row.id)
      .execute();
    const issuerIds = [organizationId, ...issuers.values()];
    await writeLists(tx, row.id, v, issuerIds);
    const fields = changedFields(before, await auditSnapshot(tx, row.id));
    if (fields.length) {
      for (const org of new Set([row.organization_id, organizationId, ...existing, ...issuerIds]))
        await recordAudit(tx, viewer, { organizationId: org, action: 'call.updated', subjectType: 'call', subjectId: row.id, details: { fields } });
    }
    return { id: row.id, slug: newSlug };
  });
}

/** Raw response input. */
export interface ResponseInput {
  /** Slug of the responding organization (owner of the response). */
  organization?: unknown;
  /** Slug of a network the organization answers for (it must be a current member). */
  network?: unknown;
  /** One of `RESPONSE_KINDS`. */
  kind?: unknown;
  /** Day of the response, date-only `YYYY-MM-DD`. */
  date?: unknown;
  place?: unknown;
  /** ISO 3166-1 alpha-2 of the place; optional. */
  country?: unknown;
  /** Short report; optional. */
  report?: unknown;
  /** BCP 47 tag of `report` and `place`; default `en`. */
  lang?: unknown;
  /** An http(s) URL (a photo, an article); optional. */
  link?: unknown;
  visibility?: unknown;
}

/** A response after validation. */
export interface ResponseValues {
  organization: string;
  network: string | null;
  kind: ResponseKind;
  date: string;
  place: string | null;
  country: string | null;
  report: string | null;
  lang: string;
  link: string | null;
  visibility: Visibility;
}

/**
 * Validates and normalizes a response.
 * @throws {ValidationFailed} listing every bad field.
 */
export function validateResponse(input: ResponseInput): ResponseValues {
  const c = new FieldChecker();
  const organization = c.line('organization', input.organization, { required: true, max: 80 });
  const network = c.line('network', input.network, { max: 80 });
  const kind = c.oneOf('kind', input.kind, RESPONSE_KINDS);
  const date = c.date('date', input.date, { required: true });
  const place = c.line('place', input.place, { max: 200 });
  const country = c.country('country', input.country, { required: false });
  const report = c.text('report', input.report, { max: 2000 });
  const lang = c.language('lang', input.lang || 'en');
  const link = c.url('link', input.link);
  const visibility = c.oneOf('visibility', input.visibility || 'public', VISIBILITIES);
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return { organization: organization!, network, kind: kind!, date: date!, place, country, report, lang: lang!, link, visibility: visibility! };
}

/**
 * Records what an organization did in answer to a call the viewer can see. The viewer needs a
 * publishing role in the responding organization; answering on behalf of a network needs the
 * organization to be a current `member` or `coordinator` of it (since ≤ today ≤ until, today
 * being the UTC date — the rule network peers use; observers do not speak for a network).
 * Writes `call.response_added` to the responding organization's audit log in the same transaction.
 * @throws {SignInRequired}; {NotFound} unknown or invisible call; {Forbidden} no publishing role
 *   in the responding organization; {ValidationFailed} bad fields, unknown organization or
 *   network, organization not a current member of the network.
 */
export async function addResponse(db: Db, viewer: Viewer | null, callSlug: string, input: ResponseInput, o: { trusted?: boolean } = {}): Promise<{ id: string }> {
  if (!viewer && !o.trusted) throw new SignInRequired();
  const v = validateResponse(input);
  const trusted = !!o.trusted;
  return inTransaction(db, async (tx) => {
    const call: CallRow | undefined = trusted
      ? await tx.selectFrom('solidarity_calls').selectAll().where('slug', '=', callSlug).executeTakeFirst()
      : await findCallRow(tx, viewer, callSlug);
    if (!call) throw new NotFound();
    const org = await resolveOrganizations(tx, viewer, [v.organization], 'organization', trusted);
    const organizationId = org.get(v.organization)!;
    if (!trusted && !canPublishFor(viewer, organizationId)) throw new Forbidden();
    let networkId: string | null = null;
    if (v.network) {
      const network = await tx.selectFrom('networks').select('id').where('slug', '=', v.network).executeTakeFirst();
      if (!network) throw new ValidationFailed([{ field: 'network', messageId: 'calls.validation.network_unknown' }]);
      const today = todayIn('UTC');
      const membership = await tx
        .selectFrom('network_memberships')
        .select('id')
        .where('network_id', '=', network.id)
        .where('organization_id', '=', organizationId)
        .where('role', 'in', ['member', 'coordinator'])
        .where('since', '<=', today)
        .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>=', today)]))
        .executeTakeFirst();
      if (!membership) throw new ValidationFailed([{ field: 'network', messageId: 'calls.validation.not_network_member' }]);
      networkId = network.id;
    }
    const id = newId();
    const now = nowInstant();
    await tx
      .insertInto('solidarity_responses')
      .values({
        id,
        call_id: call.id,
        organization_id: organizationId,
        network_id: networkId,
        kind: v.kind,
        date: v.date,
        place: v.place,
        country: v.country,
        report: v.report,
        lang: v.lang,
        link: v.link,
        visibility: v.visibility,
        created_by: viewer?.userId ?? null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await recordAudit(tx, viewer, {
      organizationId,
      action: 'call.response_added',
      subjectType: 'call',
      subjectId: call.id,
      details: { response: id, kind: v.kind, date: v.date },
    });
    return { id };
  });
}
