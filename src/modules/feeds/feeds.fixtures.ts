import { DateTime } from 'luxon';
import type { Db } from '../../db/client.ts';
import type { LocalActionKind, ResponseKind, Visibility } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';

// Test data for the feed tests, inserted straight into the tables (the calls and action-days
// services are written separately): every helper takes fixed timestamps so feeds built from
// the rows are reproducible. Used by `feeds*.test.ts` only.

/** The `updated_at`/`created_at` every row gets unless a test says otherwise. */
export const STAMP = '2026-11-29T19:00:00.000Z';

let n = 0;
const next = () => (n += 1);

export async function insertOrganization(db: Db, o: { slug?: string; name?: string; visibility?: Visibility; updatedAt?: string } = {}) {
  const i = next();
  const row = {
    id: newId(),
    slug: o.slug ?? `org-${i}`,
    name: o.name ?? `Organization ${i}`,
    kind: 'union',
    country: 'DE',
    city: null,
    website: null,
    contact_email: null,
    description: null,
    description_lang: 'en',
    visibility: o.visibility ?? 'public',
    parent_id: null,
    search_text: (o.name ?? `organization ${i}`).toLowerCase(),
    created_by: null,
    created_at: STAMP,
    updated_at: o.updatedAt ?? STAMP,
  } as const;
  await db.insertInto('organizations').values(row).execute();
  return row;
}

export async function insertNetwork(db: Db, o: { slug?: string; name?: string } = {}) {
  const i = next();
  const row = { id: newId(), slug: o.slug ?? `net-${i}`, name: o.name ?? `Network ${i}`, sector: 'automotive', description: null, description_lang: 'en', created_by: null, created_at: STAMP, updated_at: STAMP };
  await db.insertInto('networks').values(row).execute();
  return row;
}

export async function insertMembership(db: Db, networkId: string, organizationId: string, o: { since?: string; until?: string | null } = {}) {
  await db
    .insertInto('network_memberships')
    .values({ id: newId(), network_id: networkId, organization_id: organizationId, role: 'member', since: o.since ?? '2025-01-01', until: o.until ?? null, created_at: STAMP })
    .execute();
}

export async function insertStruggle(
  db: Db,
  o: { title?: string; organizationId?: string | null; country?: string; visibility?: Visibility; demands?: string | null; updatedAt?: string; linked?: string[] } = {},
) {
  const i = next();
  const row = {
    id: newId(),
    slug: `struggle-${i}`,
    title: o.title ?? `Struggle ${i}`,
    kind: 'strike',
    sector: 'mining',
    country: o.country ?? 'DE',
    locality: null,
    employer: null,
    participants: null,
    demands: o.demands ?? null,
    start_date: '2026-03-01',
    end_date: null,
    status: 'ongoing',
    visibility: o.visibility ?? 'public',
    lang: 'en',
    organization_id: o.organizationId ?? null,
    external_ref: null,
    search_text: 'x',
    created_by: null,
    created_at: STAMP,
    updated_at: o.updatedAt ?? STAMP,
  } as const;
  await db.insertInto('struggles').values(row).execute();
  for (const org of o.linked ?? []) await db.insertInto('struggle_organizations').values({ struggle_id: row.id, organization_id: org, role: 'supporter' }).execute();
  return row;
}

export async function insertUpdate(db: Db, struggleId: string, o: { body?: string; createdAt?: string } = {}) {
  const i = next();
  const row = { id: newId(), struggle_id: struggleId, date: '2026-04-01', body: o.body ?? `Update ${i}`, lang: 'en', created_by: null, created_at: o.createdAt ?? STAMP };
  await db.insertInto('struggle_updates').values(row).execute();
  return row;
}

export async function insertCall(db: Db, struggleId: string, organizationId: string, o: { title?: string; visibility?: Visibility; updatedAt?: string; issuers?: string[] } = {}) {
  const i = next();
  const row = {
    id: newId(),
    slug: `call-${i}`,
    struggle_id: struggleId,
    organization_id: organizationId,
    title: o.title ?? `Call ${i}`,
    body: `Body of call ${i}`,
    lang: 'en',
    deadline: null,
    action_date: null,
    visibility: o.visibility ?? 'public',
    search_text: 'x',
    created_by: null,
    created_at: STAMP,
    updated_at: o.updatedAt ?? STAMP,
  } as const;
  await db.insertInto('solidarity_calls').values(row).execute();
  for (const org of new Set([organizationId, ...(o.issuers ?? [])])) await db.insertInto('solidarity_call_issuers').values({ call_id: row.id, organization_id: org }).execute();
  return row;
}

export async function insertResponse(
  db: Db,
  callId: string,
  organizationId: string,
  o: { report?: string | null; visibility?: Visibility; updatedAt?: string; kind?: ResponseKind; country?: string | null; networkId?: string | null } = {},
) {
  const i = next();
  const row = {
    id: newId(),
    call_id: callId,
    organization_id: organizationId,
    network_id: o.networkId ?? null,
    kind: o.kind ?? 'rally_held',
    date: '2026-04-02',
    place: 'Hamburg',
    country: o.country === undefined ? 'DE' : o.country,
    report: o.report === undefined ? `Report ${i}` : o.report,
    lang: 'en',
    link: null,
    visibility: o.visibility ?? 'public',
    created_by: null,
    created_at: STAMP,
    updated_at: o.updatedAt ?? STAMP,
  } as const;
  await db.insertInto('solidarity_responses').values(row).execute();
  return row;
}

export async function insertActionDay(
  db: Db,
  organizationId: string,
  o: { title?: string; slug?: string; start?: string; end?: string; visibility?: Visibility; networkId?: string | null; callText?: string; updatedAt?: string } = {},
) {
  const i = next();
  const row = {
    id: newId(),
    slug: o.slug ?? `day-${i}`,
    title: o.title ?? `Action day ${i}`,
    call_text: o.callText ?? `Join action day ${i}`,
    lang: 'en',
    start_date: o.start ?? '2026-05-01',
    end_date: o.end ?? o.start ?? '2026-05-01',
    organization_id: organizationId,
    network_id: o.networkId ?? null,
    struggle_id: null,
    visibility: o.visibility ?? 'public',
    search_text: 'x',
    created_by: null,
    created_at: STAMP,
    updated_at: o.updatedAt ?? STAMP,
  } as const;
  await db.insertInto('action_days').values(row).execute();
  return row;
}

/**
 * A local action. Timed ones give `startLocal`/`endLocal` (`YYYY-MM-DDTHH:MM`) and `timeZone`;
 * the instants are computed here with luxon for that date's offset, as the action-days service
 * does. All-day ones give `start`/`end` dates (inclusive).
 */
export async function insertLocalAction(
  db: Db,
  actionDayId: string,
  organizationId: string,
  o: {
    title?: string;
    kind?: LocalActionKind;
    city?: string;
    country?: string;
    venue?: string | null;
    startLocal?: string;
    endLocal?: string;
    timeZone?: string;
    start?: string;
    end?: string;
    visibility?: Visibility;
    updatedAt?: string;
  } = {},
) {
  const i = next();
  const timed = o.startLocal !== undefined;
  const instant = (local: string) => DateTime.fromISO(local, { zone: o.timeZone! }).toUTC().toISO()!;
  const row = {
    id: newId(),
    action_day_id: actionDayId,
    organization_id: organizationId,
    title: o.title ?? `Local action ${i}`,
    kind: o.kind ?? 'rally',
    city: o.city ?? 'Hamburg',
    country: o.country ?? 'DE',
    venue: o.venue === undefined ? null : o.venue,
    all_day: timed ? 0 : 1,
    start_local: timed ? o.startLocal! : null,
    end_local: timed ? o.endLocal! : null,
    time_zone: timed ? o.timeZone! : null,
    starts_at: timed ? instant(o.startLocal!) : null,
    ends_at: timed ? instant(o.endLocal!) : null,
    start_date: timed ? o.startLocal!.slice(0, 10) : o.start!,
    end_date: timed ? o.endLocal!.slice(0, 10) : (o.end ?? o.start!),
    expected_participants: null,
    contact: 'secret-contact@example.org',
    visibility: o.visibility ?? 'public',
    created_by: null,
    created_at: STAMP,
    updated_at: o.updatedAt ?? STAMP,
  } as const;
  await db.insertInto('local_actions').values(row).execute();
  return row;
}
