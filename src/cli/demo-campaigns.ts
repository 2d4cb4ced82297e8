/**
 * The demo's campaign (see README, "Campaigns"): "Pay the Kolwezi miners their wages", launched in
 * English by Solidarität Grenzenlos with the Kolwezi miners' union and translated into German;
 * endorsed by organizations in five countries (one endorsement still waiting for the
 * coordinators), with signatures collected on paper at two rallies and 40 invented supporters who
 * signed online, most of them listed publicly. Everything is invented, like the rest of the
 * scenario; the supporters' addresses are at `demo.solidaris.invalid`.
 *
 * Written through the module services, signed in as the demo accounts that would do each step,
 * so the same validation, permission checks and audit log apply:
 * - the instance administrator starts the campaign (issuing it for two organizations needs a
 *   leading role in both) and, standing in for their admins, sends the organizations' endorsements;
 * - `grenzenlos@…` (admin of Solidarität Grenzenlos) adds the German translation and enters the
 *   tally of the rally in Essen;
 * - `kolwezi@…` (coordinator of the union) confirms the endorsements and enters the tally of the
 *   rally at the shafts.
 * The supporters are inserted with `insertConfirmedSupporters` (as confirmed online signatures),
 * which keeps the per-country counts the page reads.
 */
import { inTransaction, type Db } from '../db/client.ts';
import type { Viewer } from '../http/viewer.ts';
import type { Keyring } from '../lib/sealed.ts';
import { createSession, deleteSession, loadViewer } from '../modules/accounts/accounts.service.ts';
import { createCampaign, saveTranslation } from '../modules/campaigns/campaigns.service.ts';
import { decideEndorsement, endorseCampaign } from '../modules/campaigns/endorsements.service.ts';
import { addTally } from '../modules/campaigns/tallies.service.ts';
import { insertConfirmedSupporters, type NewSupporter } from '../modules/campaigns/supporters.store.ts';

/** Slug of the demo campaign: `/campaigns/pay-the-kolwezi-miners`. */
export const DEMO_CAMPAIGN = 'pay-the-kolwezi-miners';

const ADMIN = 'admin@demo.solidaris.invalid';
const KOLWEZI = 'kolwezi@demo.solidaris.invalid';
const GRENZENLOS = 'grenzenlos@demo.solidaris.invalid';

const APPEAL_EN =
  'Since June 2024 the miners of the SECS shafts in Kolwezi have not been paid. Since 3 February 2025 they are on strike, and their families have no income at all.\n\n' +
  'We call on the company to pay the eight months of wages it owes, to take back the dismissed union delegates, and to stop threatening the strikers with the police.\n\n' +
  'Sign this appeal as a person, and ask your union, your women’s group or your association to sign it as an organization. The signatures go to the company and to the provincial government of Lualaba.';

const APPEAL_DE =
  'Seit Juni 2024 erhalten die Bergleute der SECS-Schächte in Kolwezi keinen Lohn. Seit dem 3. Februar 2025 streiken sie, und ihre Familien haben überhaupt kein Einkommen mehr.\n\n' +
  'Wir fordern das Unternehmen auf, die acht Monatslöhne zu zahlen, die es schuldet, die entlassenen Gewerkschaftsdelegierten wieder einzustellen und die Streikenden nicht länger mit der Polizei zu bedrohen.\n\n' +
  'Unterschreiben Sie diesen Aufruf als Person, und bitten Sie Ihre Gewerkschaft, Ihre Frauengruppe oder Ihren Verein, ihn als Organisation zu unterschreiben. Die Unterschriften gehen an das Unternehmen und an die Provinzregierung von Lualaba.';

/** Endorsements, in the order they arrive; `pending` ones stay waiting for the coordinators. */
const ENDORSEMENTS: { organization: string; statement?: string; statementLang?: string; pending?: true }[] = [
  { organization: 'mamans-du-cuivre', statement: 'Nos maris et nos fils n’ont pas été payés depuis huit mois. Nous sommes avec eux jusqu’au bout.', statementLang: 'fr' },
  { organization: 'ozgur-metal-emekcileri-sendikasi', statement: 'Kolwezi’deki maden işçilerinin yanındayız. Ücretler derhal ödensin!', statementLang: 'tr' },
  { organization: 'basisgruppe-autoarbeiter-neckartal', statement: 'Die Kobalt-Lieferkette endet in unseren Werken. Ihr Kampf ist unser Kampf.', statementLang: 'de' },
  { organization: 'sindicato-livre-automotivos-abc', statement: 'Os metalúrgicos do ABC apoiam a greve dos mineiros de Kolwezi.', statementLang: 'pt-BR' },
  { organization: 'mineros-cerro-esperanza', statement: 'De mina a mina: ¡que paguen los salarios!', statementLang: 'es' },
  { organization: 'rustenburg-young-workers-forum' },
  // Waiting: signed in as kolwezi@… it can be confirmed or refused on the endorsements page.
  { organization: 'liwanag-women-workers', statement: 'The women workers of Laguna stand with the families of Kolwezi.', statementLang: 'en', pending: true },
];

/** Paper lists from two rallies; `by` enters the tally. */
const TALLIES: { by: typeof KOLWEZI | typeof GRENZENLOS; country: string; count: number; source: string; collectedOn: string }[] = [
  { by: KOLWEZI, country: 'CD', count: 1840, source: 'Rally at the gates of the SECS shafts, Kolwezi, 1 May 2025', collectedOn: '2025-05-01' },
  { by: GRENZENLOS, country: 'DE', count: 312, source: 'Solidarity rally at Essen main station, 8 March 2025', collectedOn: '2025-03-08' },
];

/** 40 invented supporters who signed online: [name, country, city, affiliation, listed publicly, language]. */
const SUPPORTERS: [string, string, string | null, string | null, boolean, string][] = [
  ['Mireille Kabongo', 'CD', 'Kolwezi', 'Mamans du Cuivre', true, 'fr'],
  ['Jean-Pierre Mutombo', 'CD', 'Kolwezi', null, true, 'fr'],
  ['Chantal Ilunga', 'CD', 'Lubumbashi', null, false, 'fr'],
  ['Patrick Tshisekedi Mbuyi', 'CD', 'Likasi', 'Syndicat Solidarité des Mineurs de Kolwezi', true, 'fr'],
  ['Esther Kanku', 'CD', 'Kolwezi', null, true, 'sw'],
  ['Grace Mwanza', 'CD', 'Kinshasa', null, false, 'fr'],
  ['Lena Hoffmann', 'DE', 'Essen', 'Solidarität Grenzenlos', true, 'de'],
  ['Murat Yıldız', 'DE', 'Duisburg', null, true, 'de'],
  ['Sabine Krüger', 'DE', 'Bochum', null, false, 'de'],
  ['Tobias Wagner', 'DE', 'Esslingen am Neckar', 'Basisgruppe Autoarbeiter Neckartal', true, 'de'],
  ['Amira Haddad', 'DE', 'Essen', 'Freundeskreis Flüchtlingssolidarität', true, 'de'],
  ['Jonas Becker', 'DE', 'Berlin', null, true, 'de'],
  ['Fatma Demir', 'DE', 'Köln', null, false, 'tr'],
  ['Elif Şahin', 'TR', 'Bursa', 'Özgür Metal Emekçileri Sendikası', true, 'tr'],
  ['Kemal Aydın', 'TR', 'Bursa', null, true, 'tr'],
  ['Zeynep Arslan', 'TR', 'İstanbul', null, false, 'tr'],
  ['Deniz Koç', 'TR', 'Kocaeli', null, true, 'tr'],
  ['Ana Paula Ferreira', 'BR', 'São Bernardo do Campo', 'Sindicato Livre dos Trabalhadores Automotivos do ABC', true, 'pt-BR'],
  ['Carlos Eduardo Lima', 'BR', 'Santo André', null, true, 'pt-BR'],
  ['Juliana Souza', 'BR', 'São Paulo', null, false, 'pt-BR'],
  ['Rosa Quispe', 'PE', 'Cerro de Pasco', 'Sindicato Único de Mineros de Cerro Esperanza', true, 'es'],
  ['Wilfredo Huamán', 'PE', 'Cerro de Pasco', null, true, 'es'],
  ['Lucía Mamani', 'PE', 'Lima', null, true, 'es'],
  ['Thabo Mokoena', 'ZA', 'Rustenburg', "Rustenburg Young Workers' Forum", true, 'en'],
  ['Nomsa Dlamini', 'ZA', 'Johannesburg', null, true, 'en'],
  ['Sipho Ndlovu', 'ZA', 'Rustenburg', null, false, 'en'],
  ['Maria Santos', 'PH', 'Santa Rosa, Laguna', "Liwanag Women Workers' Collective", true, 'en'],
  ['Josefina Reyes', 'PH', 'Calamba', null, true, 'en'],
  ['Priya Kumari', 'IN', 'Dhanbad', "Coal Belt Women's Assembly", true, 'en'],
  ['Sunita Devi', 'IN', 'Dhanbad', null, false, 'en'],
  ['Alejandro Ramírez', 'MX', 'Silao', 'Partido Obrero del Bajío', true, 'es'],
  ['Guadalupe Hernández', 'MX', 'León', null, true, 'es'],
  ['Claire Martin', 'FR', 'Marseille', null, true, 'fr'],
  ['Youssef Benali', 'FR', 'Lyon', null, true, 'fr'],
  ['Emma Thompson', 'GB', 'Sheffield', null, true, 'en'],
  ['Liam O’Connor', 'IE', 'Dublin', null, false, 'en'],
  ['Giulia Rossi', 'IT', 'Taranto', null, true, 'it'],
  ['Marta Nowak', 'PL', 'Katowice', null, true, 'pl'],
  ['Ahmed Mansour', 'EG', 'Mahalla al-Kubra', null, true, 'ar'],
  ['Aiko Tanaka', 'JP', 'Osaka', null, false, 'en'],
];

/** Counts of what {@link buildDemoCampaigns} wrote. */
export interface DemoCampaignsSummary {
  campaign: string;
  languages: string[];
  endorsements: { confirmed: number; pending: number };
  tallies: number;
  supporters: number;
}

/** A demo supporter's invented address: the name folded to ASCII at `demo.solidaris.invalid`. */
function demoEmail(name: string): string {
  const local = name.normalize('NFKD').replace(/[^\p{ASCII}]/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '.').replace(/^\.|\.$/g, '');
  return `${local}@demo.solidaris.invalid`;
}

/**
 * Adds the demo campaign {@link DEMO_CAMPAIGN} to a database that holds the scenario (its
 * organizations and demo accounts), through the services as the accounts that would act (module
 * docs), in one transaction.
 * @param keyring seals the supporters' addresses and keys their duplicate hashes: the keyring the
 *   instance will serve with (`demoKeyring`).
 * @returns what was written. @throws any service error (a bug in the data here), after which
 *   nothing stays written; {DataKeyError} when the keyring has no key.
 */
export async function buildDemoCampaigns(db: Db, keyring: Keyring): Promise<DemoCampaignsSummary> {
  return inTransaction(db, async (tx) => {
    const sessions: string[] = [];
    const signIn = async (email: string): Promise<Viewer> => {
      const user = await tx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
      const token = await createSession(tx, user.id);
      sessions.push(token);
      return (await loadViewer(tx, token))!;
    };
    const [admin, kolwezi, grenzenlos] = [await signIn(ADMIN), await signIn(KOLWEZI), await signIn(GRENZENLOS)];

    const { id, slug } = await createCampaign(tx, admin, {
      organization: 'solidaritaet-grenzenlos',
      issuers: ['smk-kolwezi'],
      slug: DEMO_CAMPAIGN,
      lang: 'en',
      title: 'Pay the Kolwezi miners their wages',
      appeal: APPEAL_EN,
      startsOn: '2025-02-17',
      goal: 5000,
      status: 'open',
      visibility: 'public',
    });
    await saveTranslation(tx, grenzenlos, slug, { lang: 'de', title: 'Lohn für die Bergleute von Kolwezi', appeal: APPEAL_DE });

    const summary: DemoCampaignsSummary = { campaign: slug, languages: ['en', 'de'], endorsements: { confirmed: 0, pending: 0 }, tallies: 0, supporters: 0 };
    for (const e of ENDORSEMENTS) {
      const { id: endorsementId } = await endorseCampaign(tx, admin, slug, { organization: e.organization, statement: e.statement, statementLang: e.statementLang });
      if (e.pending) summary.endorsements.pending += 1;
      else {
        await decideEndorsement(tx, kolwezi, slug, endorsementId, 'confirmed');
        summary.endorsements.confirmed += 1;
      }
    }
    for (const { by, ...tally } of TALLIES) {
      await addTally(tx, by === KOLWEZI ? kolwezi : grenzenlos, slug, tally);
      summary.tallies += 1;
    }

    const rows: NewSupporter[] = SUPPORTERS.map(([name, country, city, affiliation, listPublicly, lang], i) => ({
      name,
      email: demoEmail(name),
      country,
      city,
      affiliation,
      lang,
      listPublicly,
      contactOk: i % 3 === 0,
      consentedAt: new Date().toISOString(),
    }));
    summary.supporters = (await insertConfirmedSupporters(tx, keyring, id, rows, { source: 'online', consentBasis: null, importId: null })).inserted;

    // Signed out again; on a failure the transaction takes the sessions with it.
    for (const token of sessions) await deleteSession(tx, token);
    return summary;
  });
}
