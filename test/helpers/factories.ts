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
