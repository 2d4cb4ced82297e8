/**
 * The demo's solidarity pact (see docs/DEMO.md, "Solidarity pact"): "Families of the Kolwezi
 * miners", run by the Kolwezi union with Solidarität Grenzenlos, with pledges in EUR, USD, TRY and
 * CDF, contributions with processing fees, a private register of eight households, disbursements
 * decided by two coordinators, and a few reversals. Also imports the ECB reference rates shipped
 * in `demo/` so the transparency report can convert. Everything is invented, like the rest of the
 * scenario; the households' names say so themselves.
 *
 * Written through the module services, signed in as the demo accounts that would do each step,
 * so the same validation, permission checks (four eyes on disbursements) and audit log apply:
 * - the instance administrator opens the pact (naming two initiating organizations needs a leading
 *   role in both, which only the administrator holds in the demo);
 * - `kolwezi@…` (coordinator of the union) records the local CDF contributions, keeps the register,
 *   proposes every disbursement and reports the bounced payment;
 * - `grenzenlos@…` (admin of Solidarität Grenzenlos, the co-initiator) records the pledges and
 *   contributions from abroad, approves or refuses the proposals, and reverses a duplicate;
 * - `freundeskreis@…` pledges as a person.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/config.ts';
import { inTransaction, type Db } from '../db/client.ts';
import type { Viewer } from '../http/viewer.ts';
import { loadKeyring, type DevKeyFileNotice, type Keyring } from '../lib/sealed.ts';
import { createSession, deleteSession, loadViewer } from '../modules/accounts/accounts.service.ts';
import { addBeneficiary, type BeneficiaryInput } from '../modules/pacts/beneficiaries.service.ts';
import { approveDisbursement, declineDisbursement, proposeDisbursement } from '../modules/pacts/disbursements.service.ts';
import { recordContribution, reverseEntryAsCoordinator } from '../modules/pacts/entries.service.ts';
import { createPact } from '../modules/pacts/pacts.service.ts';
import { createPledge, type PledgeInput } from '../modules/pacts/pledges.service.ts';
import { importEcbRates } from '../modules/rates/rates.service.ts';
import { DEMO_CONGO_STRUGGLE } from './demo-scenario.ts';

/** Slug of the demo pact: `/pacts/families-of-the-kolwezi-miners`. */
export const DEMO_PACT = 'families-of-the-kolwezi-miners';

/** The ECB reference rates the demo imports (a copy in the repository; see demo/SOURCES.md). */
export const DEMO_ECB_FILE = fileURLToPath(new URL('../../demo/ecb_eurofxref_daily.csv', import.meta.url));

const ADMIN = 'admin@demo.solidaris.invalid';
const KOLWEZI = 'kolwezi@demo.solidaris.invalid';
const GRENZENLOS = 'grenzenlos@demo.solidaris.invalid';
const FREUNDESKREIS = 'freundeskreis@demo.solidaris.invalid';

type Account = typeof KOLWEZI | typeof GRENZENLOS | typeof FREUNDESKREIS;

/** Pledges by key; `by` records it (a pact coordinator on behalf of the organization, or the person). */
const PLEDGES: Record<string, PledgeInput & { by: Account }> = {
  neckartal: {
    by: GRENZENLOS, pledgerKind: 'organization', organization: 'basisgruppe-autoarbeiter-neckartal', amount: '250', currency: 'EUR', frequency: 'monthly',
    startDate: '2025-02-01', endDate: '2025-05-31', note: 'Collected at the gates of three plants; sent by bank transfer at the start of each month.',
  },
  grenzenlos: {
    by: GRENZENLOS, pledgerKind: 'organization', organization: 'solidaritaet-grenzenlos', amount: '1000', currency: 'EUR', frequency: 'monthly',
    startDate: '2025-02-01', endDate: '2025-05-31', note: 'From the donations to the appeal of 17 February.',
  },
  abc: {
    by: GRENZENLOS, pledgerKind: 'organization', organization: 'sindicato-livre-automotivos-abc', amount: '400', currency: 'USD', frequency: 'monthly',
    startDate: '2025-02-01', endDate: '2025-07-31', note: 'International wire from the union’s strike fund; the bank charges a fee on each.',
  },
  ozgur: {
    by: GRENZENLOS, pledgerKind: 'organization', organization: 'ozgur-metal-emekcileri-sendikasi', amount: '15000', currency: 'TRY', frequency: 'quarterly',
    startDate: '2025-01-01', endDate: '2025-06-30', note: 'Decided by the union’s delegates’ assembly for the first half of 2025.',
  },
  mamans: {
    by: KOLWEZI, pledgerKind: 'organization', organization: 'mamans-du-cuivre', amount: '500000', currency: 'CDF', frequency: 'monthly',
    startDate: '2025-01-01', endDate: '2025-05-31', note: 'Collections at the markets of Lubumbashi and Kolwezi, paid in by mobile money.',
  },
  person: { by: FREUNDESKREIS, pledgerKind: 'person', amount: '25', currency: 'EUR', frequency: 'monthly', startDate: '2025-03-01', endDate: '2025-05-31' },
};

/** The register: eight households, names and contacts invented and marked as such. */
const HOUSEHOLDS: BeneficiaryInput[] = [
  { kind: 'household', householdSize: 7, name: 'Famille Mwamba (fictive)', contact: '+243 000 000 101', address: 'Avenue Exemple 1, Quartier Démo, Kolwezi', notes: 'Mineur gréviste depuis le 3 février 2025; cinq enfants scolarisés.' },
  { kind: 'household', householdSize: 5, name: 'Famille Kabeya (fictive)', contact: '+243 000 000 102', address: 'Avenue Exemple 2, Quartier Démo, Kolwezi', notes: 'Loyer impayé depuis décembre 2024.' },
  { kind: 'household', householdSize: 4, name: 'Famille Ilunga (fictive)', contact: '+243 000 000 103', address: 'Avenue Exemple 3, Quartier Démo, Kolwezi', notes: null },
  { kind: 'household', householdSize: 6, name: 'Famille Tshibanda (fictive)', contact: '+243 000 000 104', address: 'Avenue Exemple 4, Quartier Démo, Kolwezi', notes: 'Trois enfants au secondaire: frais scolaires du trimestre.' },
  { kind: 'household', householdSize: 3, name: 'Famille Mukendi (fictive)', contact: '+243 000 000 105', address: 'Avenue Exemple 5, Quartier Démo, Kolwezi', notes: 'Le mineur a été blessé au fond le 18 avril 2025; soins à l’hôpital.' },
  { kind: 'household', householdSize: 8, name: 'Famille Ngoy (fictive)', contact: '+243 000 000 106', address: 'Avenue Exemple 6, Quartier Démo, Kolwezi', notes: 'Numéro de mobile money changé en mai 2025.' },
  { kind: 'household', householdSize: 2, name: 'Famille Banza (fictive)', contact: '+243 000 000 107', address: 'Avenue Exemple 7, Quartier Démo, Kolwezi', notes: null },
  { kind: 'household', householdSize: 5, name: 'Famille Kalenga (fictive)', contact: '+243 000 000 108', address: 'Avenue Exemple 8, Quartier Démo, Kolwezi', notes: 'Veuve d’un mineur; deux petits-enfants à charge.' },
];

/** What happens on the pact, in the order it happened (value dates; recorded in this order). */
type Step =
  | { do: 'contribution'; by: Account; date: string; amount: string; currency: string; organization?: string; person?: true; pledge?: string; fee?: string; reference: string; duplicate?: true }
  | { do: 'disbursement'; household: number; date: string | null; amount: string; currency: string; purpose: string; outcome: 'approved' | 'refused' | 'waiting'; note?: string }
  | { do: 'reverse_duplicate'; by: Account; date: string; reason: string }
  | { do: 'reverse_disbursement'; by: Account; date: string; reason: string };

const MM = (date: string) => `MM-${date.replace(/-/g, '')}`;
const STEPS: Step[] = [
  { do: 'contribution', by: KOLWEZI, date: '2025-01-20', amount: '500000', fee: '7500', currency: 'CDF', organization: 'mamans-du-cuivre', pledge: 'mamans', reference: MM('2025-01-20') },
  { do: 'contribution', by: KOLWEZI, date: '2025-02-18', amount: '500000', fee: '7500', currency: 'CDF', organization: 'mamans-du-cuivre', pledge: 'mamans', reference: MM('2025-02-18') },
  { do: 'contribution', by: GRENZENLOS, date: '2025-02-20', amount: '1000', currency: 'EUR', organization: 'solidaritaet-grenzenlos', pledge: 'grenzenlos', reference: 'SEPA Spendenkonto 2025-02' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-02-25', amount: '250', currency: 'EUR', organization: 'basisgruppe-autoarbeiter-neckartal', pledge: 'neckartal', reference: 'SEPA Neckartal 2025-02' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-02-27', amount: '400', fee: '18', currency: 'USD', organization: 'sindicato-livre-automotivos-abc', pledge: 'abc', reference: 'SWIFT ABC 2025-02' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-03-03', amount: '250', currency: 'EUR', organization: 'basisgruppe-autoarbeiter-neckartal', pledge: 'neckartal', reference: 'SEPA Neckartal 2025-03' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-03-05', amount: '1000', currency: 'EUR', organization: 'solidaritaet-grenzenlos', pledge: 'grenzenlos', reference: 'SEPA Spendenkonto 2025-03' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-03-10', amount: '25', fee: '0.85', currency: 'EUR', person: true, pledge: 'person', reference: 'Online donation 2025-03' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-03-12', amount: '15000', fee: '250', currency: 'TRY', organization: 'ozgur-metal-emekcileri-sendikasi', pledge: 'ozgur', reference: 'Havale Özgür Metal 2025-Q1' },
  { do: 'contribution', by: KOLWEZI, date: '2025-03-17', amount: '500000', fee: '7500', currency: 'CDF', organization: 'mamans-du-cuivre', pledge: 'mamans', reference: MM('2025-03-17') },
  { do: 'contribution', by: GRENZENLOS, date: '2025-03-26', amount: '400', fee: '18', currency: 'USD', organization: 'sindicato-livre-automotivos-abc', pledge: 'abc', reference: 'SWIFT ABC 2025-03' },
  // The same bank statement line typed in a second time; reversed (with its fee) the next day.
  { do: 'contribution', by: GRENZENLOS, date: '2025-03-26', amount: '400', fee: '18', currency: 'USD', organization: 'sindicato-livre-automotivos-abc', pledge: 'abc', reference: 'SWIFT ABC 2025-03', duplicate: true },
  { do: 'reverse_duplicate', by: GRENZENLOS, date: '2025-03-27', reason: 'Recorded twice from the same bank statement line (SWIFT ABC 2025-03).' },
  { do: 'disbursement', household: 0, date: '2025-03-28', amount: '250000', currency: 'CDF', purpose: 'Food and rent for March', outcome: 'approved' },
  { do: 'disbursement', household: 1, date: '2025-03-28', amount: '250000', currency: 'CDF', purpose: 'Food and rent for March', outcome: 'approved' },
  { do: 'disbursement', household: 2, date: '2025-03-28', amount: '250000', currency: 'CDF', purpose: 'Food and rent for March', outcome: 'approved' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-04-01', amount: '250', currency: 'EUR', organization: 'basisgruppe-autoarbeiter-neckartal', pledge: 'neckartal', reference: 'SEPA Neckartal 2025-04' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-04-03', amount: '1000', currency: 'EUR', organization: 'solidaritaet-grenzenlos', pledge: 'grenzenlos', reference: 'SEPA Spendenkonto 2025-04' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-04-10', amount: '25', fee: '0.85', currency: 'EUR', person: true, pledge: 'person', reference: 'Online donation 2025-04' },
  { do: 'disbursement', household: 3, date: '2025-04-15', amount: '300', currency: 'USD', purpose: 'School fees for the third term, three children', outcome: 'approved' },
  { do: 'contribution', by: KOLWEZI, date: '2025-04-22', amount: '500000', fee: '7500', currency: 'CDF', organization: 'mamans-du-cuivre', pledge: 'mamans', reference: MM('2025-04-22') },
  { do: 'disbursement', household: 4, date: '2025-04-25', amount: '400', currency: 'EUR', purpose: 'Hospital bill after an accident underground (paid to the hospital by bank transfer)', outcome: 'approved' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-04-28', amount: '400', fee: '18', currency: 'USD', organization: 'sindicato-livre-automotivos-abc', pledge: 'abc', reference: 'SWIFT ABC 2025-04' },
  { do: 'disbursement', household: 5, date: '2025-04-28', amount: '300000', currency: 'CDF', purpose: 'Food and rent for April (mobile money)', outcome: 'approved' },
  { do: 'reverse_disbursement', by: KOLWEZI, date: '2025-05-02', reason: 'Mobile money payment bounced: the number was no longer active. Paid again in cash.' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-05-02', amount: '250', currency: 'EUR', organization: 'basisgruppe-autoarbeiter-neckartal', pledge: 'neckartal', reference: 'SEPA Neckartal 2025-05' },
  { do: 'disbursement', household: 5, date: '2025-05-05', amount: '300000', currency: 'CDF', purpose: 'Food and rent for April, paid again in cash after the bounced transfer', outcome: 'approved' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-05-05', amount: '1000', currency: 'EUR', organization: 'solidaritaet-grenzenlos', pledge: 'grenzenlos', reference: 'SEPA Spendenkonto 2025-05' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-05-07', amount: '15000', fee: '250', currency: 'TRY', organization: 'ozgur-metal-emekcileri-sendikasi', pledge: 'ozgur', reference: 'Havale Özgür Metal 2025-Q2' },
  { do: 'contribution', by: GRENZENLOS, date: '2025-05-12', amount: '25', fee: '0.85', currency: 'EUR', person: true, pledge: 'person', reference: 'Online donation 2025-05' },
  { do: 'contribution', by: KOLWEZI, date: '2025-05-19', amount: '500000', fee: '7500', currency: 'CDF', organization: 'mamans-du-cuivre', pledge: 'mamans', reference: MM('2025-05-19') },
  { do: 'disbursement', household: 6, date: '2025-05-20', amount: '250', currency: 'USD', purpose: 'Medicine and food for May', outcome: 'approved' },
  { do: 'disbursement', household: 7, date: '2025-05-20', amount: '400000', currency: 'CDF', purpose: 'Food and rent for May', outcome: 'approved' },
  {
    do: 'disbursement', household: 1, date: '2025-05-22', amount: '1500', currency: 'EUR', purpose: 'New roof for the house', outcome: 'refused',
    note: 'More than the pact gives one household; the strike assembly should decide first.',
  },
  // 2026: after the rates file ends (2025-05-09), so the report marks its conversions as stale.
  { do: 'contribution', by: GRENZENLOS, date: '2026-02-14', amount: '480', currency: 'EUR', organization: 'basisgruppe-autoarbeiter-neckartal', reference: 'SEPA Neckartal Sammlung Betriebsversammlung' },
  { do: 'contribution', by: GRENZENLOS, date: '2026-03-09', amount: '150', fee: '12', currency: 'USD', organization: 'liwanag-women-workers', reference: 'Wire Liwanag 8 March collection' },
  { do: 'contribution', by: KOLWEZI, date: '2026-04-20', amount: '750000', currency: 'CDF', organization: 'mamans-du-cuivre', reference: MM('2026-04-20') },
  { do: 'disbursement', household: 0, date: '2026-04-24', amount: '500000', currency: 'CDF', purpose: 'Food and rent for April 2026', outcome: 'approved' },
  // Waiting for the second coordinator: signed in as grenzenlos@… it can be approved or refused.
  { do: 'disbursement', household: 4, date: null, amount: '200', currency: 'USD', purpose: 'Follow-up treatment and medicine', outcome: 'waiting' },
];

/** Counts of what {@link buildDemoPacts} wrote. */
export interface DemoPactsSummary {
  pact: string;
  /** ECB rates stored (cells of the file; 0 when they were already there). */
  rates: number;
  pledges: number;
  contributions: number;
  beneficiaries: number;
  disbursements: { approved: number; refused: number; waiting: number };
  reversals: number;
}

/**
 * The keyring the served demo at `sqlitePath` uses: the data key source `loadConfig` gives for that
 * SQLite file (`DATA_KEYS` / `DATA_KEY_FILE` when set, else the development key file `data-keys`
 * beside it, created on first use), so the beneficiary register sealed while building opens in
 * the browser afterwards.
 * @throws {ConfigError} for an environment `serve` would refuse too (e.g. both `DATA_KEYS` and
 *   `DATA_KEY_FILE`); {DataKeyError} for a malformed key entry or unreadable key file.
 */
export function demoKeyring(sqlitePath: string, o: { env?: NodeJS.ProcessEnv; onDevKeyFile?: (notice: DevKeyFileNotice) => void } = {}): Keyring {
  const { dataKeys } = loadConfig({ ...(o.env ?? process.env), SQLITE_PATH: sqlitePath, DATABASE_URL: undefined });
  return loadKeyring(dataKeys, { onDevKeyFile: o.onDevKeyFile });
}

/**
 * Adds the demo's solidarity pact to a database that holds the scenario (the organizations, the
 * Congo strike and the demo accounts): imports the ECB rates of {@link DEMO_ECB_FILE}, opens the
 * pact {@link DEMO_PACT} and plays its story (module docs) through the services, in one
 * transaction. Amounts in the tables above are decimal text in the currency, as a form takes them.
 * @param keyring seals the beneficiaries' personal fields; must be the keyring the instance will
 *   serve with ({@link demoKeyring}), or the register cannot be opened later.
 * @returns what was written. @throws {DataKeyError} when the keyring has no key; any service error
 *   (a bug in the data here), after which nothing stays written.
 */
export async function buildDemoPacts(db: Db, keyring: Keyring): Promise<DemoPactsSummary> {
  return inTransaction(db, async (tx) => {
    const rates = await importEcbRates(tx, readFileSync(DEMO_ECB_FILE), { fileName: 'ecb_eurofxref_daily.csv' });
    const sessions: string[] = [];
    const signIn = async (email: string): Promise<Viewer> => {
      const user = await tx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
      const token = await createSession(tx, user.id);
      sessions.push(token);
      return (await loadViewer(tx, token))!;
    };
    const viewers: Record<string, Viewer> = {};
    for (const email of [KOLWEZI, GRENZENLOS, FREUNDESKREIS]) viewers[email] = await signIn(email);
    const admin = await signIn(ADMIN);
    const { slug } = await createPact(tx, admin, {
      organization: 'smk-kolwezi',
      initiators: ['solidaritaet-grenzenlos'],
      struggles: [DEMO_CONGO_STRUGGLE],
      slug: DEMO_PACT,
      title: 'Families of the Kolwezi miners',
      lang: 'en',
      description:
        'The miners of the SECS shafts in Kolwezi have not been paid since June 2024, and since 3 February 2025 they are on strike. Their families have no income at all. ' +
        'The union and the Mamans du Cuivre collect in the region from January 2025; on 17 February Solidarität Grenzenlos called on unions and groups abroad to pledge regular support. ' +
        'The pact pays for food, rent, school fees and medical care of the strikers’ households. Every payment is proposed by a coordinator in Kolwezi and approved by a second coordinator of Solidarität Grenzenlos. ' +
        'The ledger is public; the households are known to the coordinators only.',
      beneficiaryGroup: 'Families of the striking miners of the SECS shafts in Kolwezi',
      country: 'CD',
      goalAmount: '20000',
      goalCurrency: 'EUR',
      periodStart: '2025-01-01',
      visibility: 'public',
    });

    const pledgeIds = new Map<string, string>();
    for (const [key, { by, ...input }] of Object.entries(PLEDGES)) pledgeIds.set(key, (await createPledge(tx, viewers[by]!, slug, input)).id);

    const codes: string[] = [];
    for (const h of HOUSEHOLDS) codes.push((await addBeneficiary(tx, keyring, viewers[KOLWEZI]!, slug, h)).code);

    const summary: DemoPactsSummary = { pact: slug, rates: rates.inserted, pledges: pledgeIds.size, contributions: 0, beneficiaries: codes.length, disbursements: { approved: 0, refused: 0, waiting: 0 }, reversals: 0 };
    let duplicate: string | null = null;
    let lastDisbursementEntry: string | null = null;
    for (const s of STEPS) {
      if (s.do === 'contribution') {
        const [entry] = await recordContribution(tx, viewers[s.by]!, slug, {
          amount: s.amount,
          currency: s.currency,
          valueDate: s.date,
          contributorKind: s.person ? 'person' : 'organization',
          organization: s.organization,
          pledge: s.pledge ? pledgeIds.get(s.pledge) : undefined,
          fee: s.fee,
          reference: s.reference,
        });
        summary.contributions += 1;
        if (s.duplicate) duplicate = entry!.id;
      } else if (s.do === 'disbursement') {
        const { id } = await proposeDisbursement(tx, viewers[KOLWEZI]!, slug, {
          beneficiary: codes[s.household],
          amount: s.amount,
          currency: s.currency,
          purpose: s.purpose,
          valueDate: s.date ?? undefined,
        });
        if (s.outcome === 'approved') {
          lastDisbursementEntry = (await approveDisbursement(tx, viewers[GRENZENLOS]!, slug, id)).entryId;
          summary.disbursements.approved += 1;
        } else if (s.outcome === 'refused') {
          await declineDisbursement(tx, viewers[GRENZENLOS]!, slug, id, { note: s.note });
          summary.disbursements.refused += 1;
        } else summary.disbursements.waiting += 1;
      } else {
        const target = s.do === 'reverse_duplicate' ? duplicate : lastDisbursementEntry;
        const reversed = await reverseEntryAsCoordinator(tx, viewers[s.by]!, slug, target!, { reason: s.reason, valueDate: s.date, wholeGroup: s.do === 'reverse_duplicate' });
        summary.reversals += reversed.length;
      }
    }
    // Signed out again; on a failure the transaction takes the sessions with it.
    for (const token of sessions) await deleteSession(tx, token);
    return summary;
  });
}
