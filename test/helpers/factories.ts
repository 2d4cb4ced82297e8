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
