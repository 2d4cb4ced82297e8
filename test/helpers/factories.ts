import type { Db } from '../../src/db/client.ts';
import { createOrganization, type OrganizationInput } from '../../src/modules/organizations/organizations.service.ts';
import { createStruggle, type StruggleInput } from '../../src/modules/struggles/struggles.service.ts';

let n = 0;

/** An organization with sensible defaults; `overrides` win. */
export async function makeOrganization(db: Db, overrides: OrganizationInput = {}): Promise<{ id: string; slug: string }> {
  n += 1;
  return createOrganization(db, null, { name: `Organization ${n}`, kind: 'union', country: 'DE', visibility: 'public', ...overrides }, { trusted: true });
}

/** A struggle with sensible defaults; `overrides` win. */
export async function makeStruggle(db: Db, overrides: StruggleInput = {}): Promise<{ id: string; slug: string }> {
  n += 1;
  return createStruggle(
    db,
    null,
    { title: `Struggle ${n}`, kind: 'strike', sector: 'mining', country: 'CD', startDate: '2026-03-01', visibility: 'public', ...overrides },
    { trusted: true },
  );
}

// Networks (appended by the networks module; ES imports are hoisted, so they may sit here).
import { addNetworkMembership, createNetwork, type NetworkInput } from '../../src/modules/networks/networks.service.ts';

/** A network with sensible defaults (created by a trusted caller, no creator); `overrides` win. */
export async function makeNetwork(db: Db, overrides: NetworkInput = {}): Promise<{ id: string; slug: string }> {
  n += 1;
  return createNetwork(db, null, { name: `Network ${n}`, sector: 'automotive', description: 'Workers of the world', descriptionLang: 'en', ...overrides }, { trusted: true });
}

/** Puts an organization (by slug) into a network (by slug); defaults: `member` since 2025-01-01, open-ended. */
export async function makeNetworkMembership(
  db: Db,
  networkSlug: string,
  organizationSlug: string,
  overrides: { role?: string; since?: string; until?: string | null } = {},
): Promise<{ id: string }> {
  return addNetworkMembership(db, null, networkSlug, { organization: organizationSlug, role: 'member', since: '2025-01-01', ...overrides }, { trusted: true });
}

// Action days (appended by the action-days module).
import { createActionDay, addLocalAction, type ActionDayInput, type LocalActionInput } from '../../src/modules/action-days/action-days.service.ts';
import type { Viewer } from '../../src/http/viewer.ts';

/**
 * An action day called by `organization` (slug), through `createActionDay` as `viewer` (who needs a
 * publishing role there; use a viewer with `isAdmin` for a neutral caller). Defaults: a public
 * one-day action day on 2026-05-01 in English; `overrides` win.
 */
export async function makeActionDay(db: Db, viewer: Viewer, organization: string, overrides: ActionDayInput = {}): Promise<{ id: string; slug: string }> {
  n += 1;
  return createActionDay(db, viewer, { title: `Action day ${n}`, callText: 'Join us.', lang: 'en', startDate: '2026-05-01', organization, visibility: 'public', ...overrides });
}

/**
 * A local action on the action day `actionDaySlug` for `organization` (slug), as `viewer`.
 * Defaults: a public rally in Berlin, 10:00–12:00 Europe/Berlin on 2026-05-01; `overrides` win.
 */
export async function makeLocalAction(db: Db, viewer: Viewer, actionDaySlug: string, organization: string, overrides: LocalActionInput = {}): Promise<{ id: string }> {
  n += 1;
  return addLocalAction(db, viewer, actionDaySlug, {
    organization,
    title: `Local action ${n}`,
    kind: 'rally',
    city: 'Berlin',
    country: 'DE',
    startLocal: '2026-05-01T10:00',
    endLocal: '2026-05-01T12:00',
    timeZone: 'Europe/Berlin',
    visibility: 'public',
    ...overrides,
  });
}

// Solidarity calls (appended by the calls module).
import { addResponse, createCall, type CallInput, type ResponseInput } from '../../src/modules/calls/calls.service.ts';

/**
 * A solidarity call for the struggle `struggle` (slug), owned by `organization` (slug), created by
 * a trusted caller (no creator). Defaults: public, in English, asking for messages, no deadline;
 * `overrides` win.
 */
export async function makeCall(db: Db, struggle: string, organization: string, overrides: CallInput = {}): Promise<{ id: string; slug: string }> {
  n += 1;
  return createCall(db, null, { struggle, organization, title: `Solidarity call ${n}`, body: 'Send messages of solidarity.', lang: 'en', asks: ['messages'], visibility: 'public', ...overrides }, { trusted: true });
}

/**
 * A response of `organization` (slug) to the call `callSlug`, recorded by a trusted caller.
 * Defaults: a public message sent on 2026-03-04; `overrides` win.
 */
export async function makeResponse(db: Db, callSlug: string, organization: string, overrides: ResponseInput = {}): Promise<{ id: string }> {
  return addResponse(db, null, callSlug, { organization, kind: 'message', date: '2026-03-04', lang: 'en', visibility: 'public', ...overrides }, { trusted: true });
}
