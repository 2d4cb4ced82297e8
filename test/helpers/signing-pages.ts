import type { Db } from '../../src/db/client.ts';
import type { Keyring } from '../../src/lib/sealed.ts';
import { prepareSignature } from '../../src/modules/campaigns/signatures.service.ts';
import { supporterLinkToken } from '../../src/modules/campaigns/supporter-keys.ts';
import { CONSENT_VERSIONS, PENDING_DAYS } from '../../src/modules/campaigns/supporters.store.ts';

/** The pages a signer reaches from the mails: confirmation and withdrawal links of one pending signature. */
export interface SigningPages {
  /** `/campaigns/<slug>/signatures/<id>/confirm?token=…` */
  confirm: string;
  /** `/campaigns/<slug>/signatures/<id>/withdraw?token=…` */
  withdraw: string;
}

/**
 * A pending signature of campaign `slug` (as the signing form leaves it, written directly: the
 * pages tests never send mail) with the links of its confirmation mail, for the page tests.
 */
export async function seedSigningPages(db: Db, keyring: Keyring, slug: string): Promise<SigningPages> {
  const campaign = await db.selectFrom('campaigns').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
  const item = prepareSignature(keyring, campaign.id, { name: 'Mireille Kabongo', email: 'mireille.kabongo@example.org', country: 'CD', city: 'Kolwezi', listPublicly: true }, 'fr');
  const now = new Date().toISOString();
  await db
    .insertInto('supporters')
    .values({
      id: item.id, campaign_id: campaign.id, email_hash: item.emailHash, email_sealed: item.emailSealed, domain_hash: item.domainHash,
      name: item.name, country: item.country, city: item.city, affiliation: item.affiliation, lang: item.lang,
      list_publicly: 1, list_consent_version: CONSENT_VERSIONS.list, list_consented_at: now, contact_ok: 0, contact_consent_version: null, contact_consented_at: null,
      status: 'pending', source: 'online', consent_basis: null, import_id: null, created_at: now, confirmed_at: null,
      expires_at: new Date(Date.now() + PENDING_DAYS * 86_400_000).toISOString(),
    })
    .execute();
  const base = `/campaigns/${slug}/signatures/${item.id}`;
  return {
    confirm: `${base}/confirm?token=${supporterLinkToken(keyring, 'confirm', item.id)}`,
    withdraw: `${base}/withdraw?token=${supporterLinkToken(keyring, 'withdraw', item.id)}`,
  };
}
