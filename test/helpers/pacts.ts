import type { LightMyRequestResponse } from 'fastify';
import { loginAs, type TestApp } from './app.ts';
import { makeOrganization } from './factories.ts';
import { createPact } from '../../src/modules/pacts/pacts.service.ts';

/** A minimal PDF the document store accepts (`file-type` reads the `%PDF-` magic number). */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

/** One part of a `multipart/form-data` body: a text field or a file. */
export type Part = { name: string; value: string } | { name: string; filename: string; type: string; data: Buffer };

/** A `multipart/form-data` body (RFC 7578) with the parts in the given order, as a browser sends a form. */
export function multipart(parts: Part[]): { payload: Buffer; contentType: string } {
  const boundary = '----solidaris-test-4b2d9a';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    if ('value' in p) chunks.push(Buffer.from(`Content-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
    else {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`));
      chunks.push(p.data, Buffer.from('\r\n'));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

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
