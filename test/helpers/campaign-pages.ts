import type { Db } from '../../src/db/client.ts';
import type { Keyring } from '../../src/lib/sealed.ts';
import { newId } from '../../src/lib/ids.ts';
import { countryCodes } from '../../src/lib/countries.ts';
import { createCampaign } from '../../src/modules/campaigns/campaigns.service.ts';
import { insertTallies } from '../../src/modules/campaigns/tallies.service.ts';
import { insertConfirmedSupporters, type NewSupporter } from '../../src/modules/campaigns/supporters.store.ts';

const FIRST = ['Ana', 'Bongani', 'Chiara', 'Deniz', 'Esperanza', 'Farid', 'Grace', 'Hiroshi', 'Ines', 'Jonas', 'Kavita', 'Luis', 'Mireille', 'Nadia', 'Olu', 'Priya'];
const LAST = ['Moreira', 'Dlamini', 'Rossi', 'Yılmaz', 'Quispe', 'Haddad', 'Mwanza', 'Tanaka', 'Ferreira', 'Becker', 'Sharma', 'Hernández', 'Kabongo', 'Benali', 'Adeyemi', 'Kumari'];

/**
 * The page tests' campaign (seedPages): an open public appeal of `owner` issued with `issuer`,
 * written in French with a German and an English translation, goal 250,000; 120 confirmed
 * supporters in 30 countries (90 listed publicly, some with a city and an affiliation), tallies
 * in 120 countries as a petition import would leave them (a long tail of small counts) plus a
 * rally's paper lists, 20 confirmed endorsements with statements from `endorsers` and one waiting.
 * Realistic volume for the page weight: the table by country has 120 rows.
 * @returns the campaign's slug.
 */
export async function seedCampaignPages(
  db: Db,
  keyring: Keyring,
  o: { owner: string; issuer: string; endorsers: string[]; places: [country: string, city: string][] },
): Promise<string> {
  const { id, slug } = await createCampaign(
    db,
    null,
    {
      organization: o.owner, issuers: [o.issuer], slug: 'salaires-kolwezi', lang: 'fr', status: 'open', visibility: 'public', goal: 250000, startsOn: '2026-02-17',
      title: 'Payez les salaires des mineurs de Kolwezi',
      appeal:
        'Depuis juin, les mineurs des puits SECS à Kolwezi ne sont plus payés. Depuis le 3 février, ils sont en grève et leurs familles n’ont plus aucun revenu.\n\n' +
        'Nous demandons le paiement immédiat des huit mois de salaire dus, la réintégration des délégués licenciés et la fin des menaces contre les grévistes.',
    },
    { trusted: true },
  );
  const now = new Date().toISOString();
  await db
    .insertInto('campaign_translations')
    .values([
      { campaign_id: id, lang: 'de', title: 'Zahlt die Löhne der Bergleute von Kolwezi', appeal: 'Seit Juni erhalten die Bergleute der SECS-Schächte in Kolwezi keinen Lohn. Seit dem 3. Februar streiken sie.\n\nWir fordern die sofortige Zahlung der acht ausstehenden Monatslöhne.', is_original: 0, translated_by: null, translator_name: 'Lena Hoffmann', created_at: now, updated_at: now },
      { campaign_id: id, lang: 'en', title: 'Pay the wages of the Kolwezi miners', appeal: 'Since June the miners of the SECS shafts in Kolwezi have not been paid. Since 3 February they are on strike.\n\nWe demand the immediate payment of the eight months of wages owed.', is_original: 0, translated_by: null, translator_name: 'Grace Mwanza', created_at: now, updated_at: now },
    ])
    .execute();

  const supporters: NewSupporter[] = Array.from({ length: 120 }, (_, i) => {
    const [country, city] = o.places[i % o.places.length]!;
    const name = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`;
    return {
      name, email: `supporter${i}@pages.example.org`, country, city: i % 4 ? city : null, affiliation: i % 5 === 0 ? 'Rank-and-File Committee' : null,
      lang: 'en', listPublicly: i % 4 !== 3, contactOk: i % 2 === 0, consentedAt: now,
    };
  });
  await insertConfirmedSupporters(db, keyring, id, supporters, { source: 'online', consentBasis: null, importId: null });

  // A petition file's spread: 120 countries, from thousands down to one signature.
  const codes = countryCodes().filter((c) => c !== 'AQ');
  const spread = codes.filter((_, i) => i % 2 === 0).slice(0, 120);
  await insertTallies(db, id, spread.map((country, i) => ({ country, count: Math.max(1, Math.round(40000 / (i + 1) ** 1.3)), source: 'Petition site export', collectedOn: null, externalRef: `pages:${country}` })), { enteredBy: null });
  await insertTallies(db, id, [{ country: 'CD', count: 1840, source: 'Rally at the gates of the SECS shafts, 1 May', collectedOn: '2026-05-01' }], { enteredBy: null });

  const orgs = await db.selectFrom('organizations').select(['id', 'slug']).where('slug', 'in', o.endorsers).execute();
  const statements = ['Nous sommes avec vous jusqu’au bout.', 'Solidarität mit den Streikenden!', 'Your struggle is our struggle.', null];
  await db
    .insertInto('campaign_endorsements')
    .values(
      orgs.map((org, i) => ({
        id: newId(), campaign_id: id, organization_id: org.id, statement: statements[i % statements.length] ?? null, statement_lang: statements[i % statements.length] ? (['fr', 'de', 'en'] as const)[i % 4]! : null,
        status: i === orgs.length - 1 ? ('pending' as const) : ('confirmed' as const), endorsed_by: null, endorsed_at: now, decided_by: null, decided_at: i === orgs.length - 1 ? null : now,
      })),
    )
    .execute();
  return slug;
}
