import type { Db } from '../../src/db/client.ts';
import { newId } from '../../src/lib/ids.ts';

let n = 0;

/**
 * Inserts a campaign directly (no service rules), for tests of signing, imports and exports.
 * Defaults: an open public campaign of `organizationId`, original English text plus a German
 * translation, starting 2026-01-01, no goal. Returns id and slug.
 */
export async function insertCampaign(
  db: Db,
  organizationId: string,
  o: {
    slug?: string;
    status?: 'draft' | 'open' | 'closed';
    visibility?: 'public' | 'network' | 'members' | 'private';
    goal?: number | null;
    issuers?: string[];
    startsOn?: string;
    endsOn?: string | null;
    title?: string;
  } = {},
): Promise<{ id: string; slug: string }> {
  n += 1;
  const id = newId();
  const slug = o.slug ?? `campaign-${n}`;
  const now = new Date().toISOString();
  const title = o.title ?? `Campaign ${n}`;
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('campaigns')
      .values({
        id,
        slug,
        organization_id: organizationId,
        original_lang: 'en',
        goal: o.goal ?? null,
        starts_on: o.startsOn ?? '2026-01-01',
        ends_on: o.endsOn ?? null,
        status: o.status ?? 'open',
        visibility: o.visibility ?? 'public',
        search_text: title.toLowerCase(),
        created_by: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await tx
      .insertInto('campaign_translations')
      .values([
        { campaign_id: id, lang: 'en', title, appeal: 'Stand with the workers.', is_original: 1, translated_by: null, translator_name: null, created_at: now, updated_at: now },
        { campaign_id: id, lang: 'de', title: `Kampagne ${n}`, appeal: 'Solidarität mit den Beschäftigten.', is_original: 0, translated_by: null, translator_name: 'Test Translator', created_at: now, updated_at: now },
      ])
      .execute();
    const issuers = [organizationId, ...(o.issuers ?? []).filter((x) => x !== organizationId)];
    await tx.insertInto('campaign_organizations').values(issuers.map((organization_id) => ({ campaign_id: id, organization_id }))).execute();
  });
  return { id, slug };
}
