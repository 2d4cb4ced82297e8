import type { LightMyRequestResponse } from 'fastify';
import { loginAs, type TestApp } from './app.ts';
import { makeOrganization } from './factories.ts';
import { createPact } from '../../src/modules/pacts/pacts.service.ts';

export { PDF, multipart, type Part } from './multipart.ts';

/**
 * A union with two coordinators (so a disbursement can have its second person), a member, a
 * viewer, an unrelated organization's admin, and a public pact of the union ("kamoto-families",
 * goal 25,000 EUR) started by a trusted caller.
 */
export async function pactWorld(t: TestApp, o: { visibility?: 'public' | 'private' } = {}) {
  const db = t.db.db;
  const union = await makeOrganization(db, { name: 'Kolwezi Miners Union', country: 'CD' });
  const other = await makeOrganization(db, { name: 'Dockers Union', country: 'FR' });
  const coordinator = await loginAs(t, { name: 'Coco Ordinator', roles: [[union.id, 'coordinator']] });
  const second = await loginAs(t, { name: 'Dora Second', roles: [[union.id, 'admin']] });
  const member = await loginAs(t, { name: 'Mia Member', roles: [[union.id, 'member']] });
  const viewer = await loginAs(t, { name: 'Vic Viewer', roles: [[union.id, 'viewer']] });
  const outsider = await loginAs(t, { name: 'Otto Outsider', roles: [[other.id, 'admin']] });
  const pact = await createPact(
    db,
    null,
    {
      organization: union.slug,
      slug: 'kamoto-families',
      title: 'Families of the Kamoto miners',
      description: 'Monthly support for the families while the strike lasts.',
      lang: 'en',
      beneficiaryGroup: 'Families of the miners',
      country: 'CD',
      goalAmount: '25000',
      goalCurrency: 'EUR',
      periodStart: '2026-01-01',
      visibility: o.visibility ?? 'public',
    },
    { trusted: true },
  );
  return { union, other, coordinator, second, member, viewer, outsider, pact: { id: pact.id, slug: pact.slug } };
}

/** The `<main>` element of a page (without the header's forms and links). */
export function mainOf(res: LightMyRequestResponse | string): string {
  const body = typeof res === 'string' ? res : res.body;
  return body.slice(body.indexOf('<main'), body.indexOf('</main>'));
}
