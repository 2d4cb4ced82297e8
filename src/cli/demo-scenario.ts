/**
 * The fictional demo scenario: three international sector networks, organizations in nine
 * countries, their network memberships, struggles with timelines, and four demo accounts.
 * Everything here is invented content (names, places of work, events); only the FMCS import that
 * the demo command runs afterwards is real public data. docs/DEMO.md describes what is built.
 *
 * All writes go through the module services (so their validation applies) in one transaction.
 */
import { inTransaction, type Db, type Tx } from '../db/client.ts';
import { Conflict } from '../http/errors.ts';
import { createUser, setOrganizationRole } from '../modules/accounts/accounts.service.ts';
import { addNetworkMembership, createNetwork } from '../modules/networks/networks.service.ts';
import { createOrganization, type OrganizationInput } from '../modules/organizations/organizations.service.ts';
import { addStruggleUpdate, createStruggle, type StruggleInput } from '../modules/struggles/struggles.service.ts';

/** A demo account as printed when the demo starts. */
export interface DemoAccount {
  email: string;
  password: string;
  displayName: string;
  /** What the account is for, in English (e.g. `instance administrator`). */
  description: string;
}

/** Thrown when the database already holds organizations or networks: the demo is built only on an empty one. */
export class DemoDatabaseNotEmpty extends Conflict {
  /** What was found, for the message (`cli.demo.not_empty`). */
  readonly values: { organizations: number; networks: number };
  constructor(values: { organizations: number; networks: number }) {
    super('demo_not_empty', 'cli.demo.not_empty');
    this.values = values;
  }
}

type OrgRole = 'admin' | 'coordinator' | 'member' | 'viewer';
type NetworkRole = 'member' | 'observer' | 'coordinator';

/** Organizations, parents before their children. Every slug is given so the rest can refer to it. */
const ORGANIZATIONS: (OrganizationInput & { slug: string })[] = [
  {
    slug: 'smk-kolwezi', name: 'Syndicat Solidarité des Mineurs de Kolwezi', kind: 'union', country: 'CD', city: 'Kolwezi',
    languages: ['fr', 'sw'], descriptionLang: 'fr', visibility: 'public',
    description: 'Syndicat de base des travailleurs des mines de cuivre et de cobalt autour de Kolwezi. Il organise les mineurs permanents, les travailleurs des sous-traitants et les creuseurs artisanaux, et se bat pour le paiement intégral des salaires et pour la sécurité au fond.',
  },
  {
    slug: 'comite-de-greve-kolwezi', name: 'Comité de grève de Kolwezi', kind: 'other', country: 'CD', city: 'Kolwezi',
    languages: ['fr', 'sw'], descriptionLang: 'fr', visibility: 'members', parent: 'smk-kolwezi',
    description: "Comité élu par l'assemblée des grévistes. Ses membres, ses listes de contacts et ses réunions ne sont visibles que pour ses membres.",
  },
  {
    slug: 'mamans-du-cuivre', name: 'Mamans du Cuivre', kind: 'women', country: 'CD', city: 'Lubumbashi',
    languages: ['fr', 'sw'], descriptionLang: 'fr', visibility: 'public',
    description: "Association des femmes et des familles de mineurs du Haut-Katanga. Elle organise l'entraide pendant les grèves et gère, avec le syndicat, la distribution du fonds de solidarité aux familles.",
  },
  {
    slug: 'basisgruppe-autoarbeiter-neckartal', name: 'Basisgruppe Autoarbeiter Neckartal', kind: 'other', country: 'DE', city: 'Esslingen am Neckar',
    languages: ['de', 'tr'], descriptionLang: 'de', visibility: 'public',
    description: 'Betriebsübergreifende Gruppe von Kolleginnen und Kollegen aus Automobil- und Zulieferwerken im Neckartal. Sie gibt eine Betriebszeitung heraus und hält Kontakt zu Belegschaften in der Türkei, in Brasilien und in Mexiko.',
  },
  {
    slug: 'solidaritaet-grenzenlos', name: 'Solidarität Grenzenlos', kind: 'self_organization', country: 'DE', city: 'Essen',
    languages: ['de', 'en', 'tr', 'ar'], descriptionLang: 'de', visibility: 'public',
    description: 'Überparteiliche Selbstorganisation für internationale Solidarität. Sie unterstützt Kämpfe von Arbeiterinnen und Arbeitern, Frauen und Geflüchteten in aller Welt, sammelt Spenden für Solidaritätspakte und organisiert Veranstaltungen und Delegationen.',
  },
  {
    slug: 'freundeskreis-fluechtlingssolidaritaet', name: 'Freundeskreis Flüchtlingssolidarität', kind: 'refugee_group', country: 'DE', city: 'Essen',
    languages: ['de', 'ar', 'fa', 'tr', 'en'], descriptionLang: 'de', visibility: 'public', parent: 'solidaritaet-grenzenlos',
    description: 'Freundeskreis innerhalb von Solidarität Grenzenlos. Erfahrene Organisatorinnen und Organisatoren aus den Kämpfen der Geflüchteten und einheimische Unterstützerinnen und Unterstützer arbeiten hier in Tandems zusammen: Sie bereiten Treffen gemeinsam vor, teilen sich Aufgaben und begleiten Fälle mit gesetzlichen Fristen, etwa Widersprüche und Klagen im Asylverfahren.',
  },
  {
    slug: 'ozgur-metal-emekcileri-sendikasi', name: 'Özgür Metal Emekçileri Sendikası', kind: 'union', country: 'TR', city: 'Bursa',
    languages: ['tr', 'ku'], descriptionLang: 'tr', visibility: 'public',
    description: "Bursa'daki otomotiv ve yan sanayi fabrikalarında örgütlenen bir taban sendikası. Ücretlerin enflasyona karşı korunması, insanca bir vardiya düzeni ve taşeron çalıştırmanın kaldırılması için mücadele eder.",
  },
  {
    slug: 'sindicato-livre-automotivos-abc', name: 'Sindicato Livre dos Trabalhadores Automotivos do ABC', kind: 'union', country: 'BR', city: 'São Bernardo do Campo',
    languages: ['pt-BR'], descriptionLang: 'pt-BR', visibility: 'public',
    description: 'Sindicato de base dos trabalhadores das montadoras e das fábricas de autopeças do ABC paulista. Luta contra as demissões em massa e pela redução da jornada sem redução de salário.',
  },
  {
    slug: 'mineros-cerro-esperanza', name: 'Sindicato Único de Mineros de Cerro Esperanza', kind: 'union', country: 'PE', city: 'Cerro de Pasco',
    languages: ['es', 'qu'], descriptionLang: 'es', visibility: 'public',
    description: 'Sindicato de los trabajadores de la mina subterránea Cerro Esperanza y de sus contratistas. Exige condiciones de trabajo seguras, el fin de la tercerización y atención médica para los mineros enfermos por el polvo y el plomo.',
  },
  {
    slug: 'rustenburg-young-workers-forum', name: "Rustenburg Young Workers' Forum", kind: 'youth', country: 'ZA', city: 'Rustenburg',
    languages: ['en', 'tn', 'zu'], descriptionLang: 'en', visibility: 'public',
    description: "Young mineworkers, apprentices and unemployed youth from the platinum belt around Rustenburg. The forum runs courses on health and safety and organizes solidarity with miners' struggles in other countries.",
  },
  {
    slug: 'liwanag-women-workers', name: "Liwanag Women Workers' Collective", kind: 'women', country: 'PH', city: 'Santa Rosa, Laguna',
    languages: ['fil', 'en'], descriptionLang: 'en', visibility: 'public',
    description: 'A collective of women workers in the electronics and auto-parts factories of Laguna. It fights for equal pay, safe transport for night shifts and childcare, and against harassment at work.',
  },
  {
    slug: 'coal-belt-womens-assembly', name: "Coal Belt Women's Assembly", kind: 'women', country: 'IN', city: 'Dhanbad',
    languages: ['hi', 'bn', 'en'], descriptionLang: 'en', visibility: 'network',
    description: "An assembly of women from mining families and of women who load and sort coal around Dhanbad. It campaigns for safe drinking water, health care and the recognition of women's work in the mines.",
  },
  {
    slug: 'partido-obrero-del-bajio', name: 'Partido Obrero del Bajío', kind: 'party', country: 'MX', city: 'Silao',
    languages: ['es'], descriptionLang: 'es', visibility: 'public',
    description: 'Partido de trabajadoras y trabajadores de la región industrial del Bajío. Apoya la organización independiente en las plantas automotrices y la lucha contra los contratos de protección patronal.',
  },
];

/** The three international sector networks the seed names, with their members. */
const NETWORKS: { slug: string; name: string; sector: string; description: string; descriptionLang: string; members: { organization: string; role: NetworkRole; since: string; until?: string }[] }[] = [
  {
    slug: 'automobile-workers', name: "International Automobile Workers' Coordination", sector: 'automotive', descriptionLang: 'de',
    description: 'Internationaler Zusammenschluss von Arbeiterinnen und Arbeitern der Automobil- und Zulieferindustrie. Die Koordinierung tauscht Erfahrungen aus den Werken aus, bereitet gemeinsame Aktionstage vor und organisiert Solidarität, wenn Belegschaften gegen Entlassungen und Werksschließungen kämpfen.',
    members: [
      { organization: 'basisgruppe-autoarbeiter-neckartal', role: 'coordinator', since: '2019-06-15' },
      { organization: 'ozgur-metal-emekcileri-sendikasi', role: 'coordinator', since: '2020-01-20' },
      { organization: 'sindicato-livre-automotivos-abc', role: 'member', since: '2021-09-01' },
      { organization: 'liwanag-women-workers', role: 'member', since: '2022-05-01' },
      { organization: 'partido-obrero-del-bajio', role: 'observer', since: '2023-03-01' },
    ],
  },
  {
    slug: 'miners', name: 'Internationale Bergarbeiterkoordination', sector: 'mining', descriptionLang: 'en',
    description: "International association of miners' unions and groups in copper, cobalt, coal, platinum and gold mining. It coordinates solidarity with striking miners, runs solidarity pacts for miners' families left without income, and campaigns for safety and against child labour in the mines.",
    members: [
      { organization: 'smk-kolwezi', role: 'coordinator', since: '2020-11-07' },
      { organization: 'mineros-cerro-esperanza', role: 'coordinator', since: '2021-02-14' },
      { organization: 'rustenburg-young-workers-forum', role: 'member', since: '2021-03-01', until: '2024-06-30' },
      { organization: 'rustenburg-young-workers-forum', role: 'observer', since: '2025-09-01' },
      { organization: 'mamans-du-cuivre', role: 'observer', since: '2022-10-01' },
    ],
  },
  {
    slug: 'womens-organizations', name: "International Coordination of Women's Organizations", sector: 'other', descriptionLang: 'de',
    description: 'Internationale Koordinierung von Frauenorganisationen aus Betrieben, Stadtteilen und Bergbauregionen. Sie bereitet gemeinsame Aktionen zum 8. März und zum 25. November vor und verbindet die Kämpfe von Frauen über Kontinente hinweg.',
    members: [
      { organization: 'liwanag-women-workers', role: 'coordinator', since: '2019-03-08' },
      { organization: 'mamans-du-cuivre', role: 'member', since: '2022-03-08' },
      { organization: 'coal-belt-womens-assembly', role: 'member', since: '2023-11-25' },
    ],
  },
];

/** Slug of the Congolese miners' strike, the scenario's central struggle. */
export const DEMO_CONGO_STRUGGLE = 'kolwezi-miners-unpaid-wages-strike';

/** Struggles with their timelines. Demands are in the struggle's language (`lang`). */
const STRUGGLES: (StruggleInput & { slug: string; updates: { date: string; lang: string; body: string }[] })[] = [
  {
    slug: DEMO_CONGO_STRUGGLE, title: 'Kolwezi miners strike for eight months of unpaid wages', lang: 'en',
    kind: 'strike', sector: 'mining', country: 'CD', locality: 'Kolwezi', employer: "Société d'Exploitation Cuprifère du Sud (SECS)",
    participants: 2400, startDate: '2025-02-03', status: 'ongoing', visibility: 'public', organization: 'smk-kolwezi',
    demands: "Payment of all wages owed since June 2024\nA hardship allowance for miners' families until the arrears are paid\nNo dismissals or prosecution of strikers\nProtective equipment and safe ventilation underground",
    initiators: ['smk-kolwezi', 'mamans-du-cuivre'],
    supporters: ['mineros-cerro-esperanza', 'rustenburg-young-workers-forum', 'solidaritaet-grenzenlos', 'basisgruppe-autoarbeiter-neckartal', 'ozgur-metal-emekcileri-sendikasi'],
    sources: ['https://example.org/demo/kolwezi-strike'],
    updates: [
      { date: '2025-02-03', lang: 'en', body: 'Day one: 2,400 miners stop work at the SECS shafts after the company announces that it cannot pay the wages owed since June 2024. The strike assembly elects a strike committee.' },
      { date: '2025-02-17', lang: 'de', body: 'Die Internationale Bergarbeiterkoordination ruft zur Solidarität auf. Solidarität Grenzenlos startet einen Solidaritätspakt für die Familien der streikenden Bergleute, die seit Monaten ohne jedes Einkommen sind.' },
      { date: '2025-03-28', lang: 'en', body: "Miners' unions in Peru and South Africa send solidarity statements; a delegation from Cerro de Pasco joins the strike assembly by video link. The first money from the solidarity pact reaches 300 families." },
      { date: '2025-05-06', lang: 'de', body: 'Die Geschäftsleitung zahlt zwei der acht ausstehenden Monatslöhne. Die Versammlung der Streikenden beschließt, weiterzustreiken, bis alle Löhne gezahlt sind und niemandem mehr die Entlassung droht.' },
      { date: '2025-07-01', lang: 'fr', body: "Les Mamans du Cuivre organisent une marche des familles de mineurs jusqu'au siège de la société à Kolwezi et exigent le paiement intégral des arriérés." },
    ],
  },
  {
    slug: 'neckartal-getriebewerk-schliessung', title: 'Protest gegen die Schließung des Getriebewerks im Neckartal', lang: 'de',
    kind: 'protest', sector: 'automotive', country: 'DE', locality: 'Esslingen am Neckar', employer: 'Neckartal Antriebstechnik GmbH',
    participants: 2600, startDate: '2024-10-14', endDate: '2025-03-31', status: 'won', visibility: 'public', organization: 'basisgruppe-autoarbeiter-neckartal',
    demands: 'Erhalt aller 1.900 Arbeitsplätze\nKeine Verlagerung der Getriebefertigung\nFeste Übernahme der Leiharbeiterinnen und Leiharbeiter',
    initiators: ['basisgruppe-autoarbeiter-neckartal'],
    supporters: ['ozgur-metal-emekcileri-sendikasi', 'sindicato-livre-automotivos-abc', 'solidaritaet-grenzenlos'],
    updates: [
      { date: '2024-10-14', lang: 'de', body: 'Nach der Ankündigung, das Werk Ende 2025 zu schließen, versammeln sich 2.600 Beschäftigte und Angehörige vor dem Werkstor.' },
      { date: '2024-12-05', lang: 'en', body: "Autoworkers in Bursa and São Bernardo send photos and video greetings; the International Automobile Workers' Coordination shares them in all member plants." },
      { date: '2025-03-31', lang: 'de', body: 'Die Geschäftsführung nimmt die Schließungspläne zurück: Das Werk bleibt mindestens bis 2030, die Leiharbeitskräfte werden fest übernommen.' },
    ],
  },
  {
    slug: 'bursa-autoworkers-walkout', title: 'Bursa autoworkers walk out over the wage agreement', lang: 'en',
    kind: 'strike', sector: 'automotive', country: 'TR', locality: 'Bursa', employer: 'Yeşilova Aks ve Dişli Sanayi A.Ş.',
    participants: 5800, startDate: '2025-05-12', endDate: '2025-05-27', status: 'ended', visibility: 'public', organization: 'ozgur-metal-emekcileri-sendikasi',
    demands: "A wage increase that keeps up with inflation\nRecognition of the delegates the workers elected themselves\nNo dismissals for taking part in the strike",
    initiators: ['ozgur-metal-emekcileri-sendikasi'],
    supporters: ['basisgruppe-autoarbeiter-neckartal', 'sindicato-livre-automotivos-abc', 'partido-obrero-del-bajio'],
    updates: [
      { date: '2025-05-12', lang: 'en', body: 'The night shift stops work after the employer signs a wage agreement the workers never voted on. By morning 5,800 workers in three plants have joined.' },
      { date: '2025-05-20', lang: 'de', body: 'Kolleginnen und Kollegen im Neckartal sammeln an den Werkstoren Unterschriften für die Streikenden in Bursa und schicken eine Grußbotschaft.' },
      { date: '2025-05-27', lang: 'en', body: 'Work resumes after an increase of 29 %. Fourteen delegates were dismissed; their cases go to the labour court.' },
    ],
  },
  {
    slug: 'sao-bernardo-ocupacao-contra-demissoes', title: 'São Bernardo: metalúrgicos ocupam fábrica contra 1.200 demissões', lang: 'pt-BR',
    kind: 'occupation', sector: 'automotive', country: 'BR', locality: 'São Bernardo do Campo', employer: 'Planalto Veículos Ltda.',
    participants: 1800, startDate: '2024-07-15', endDate: '2024-08-30', status: 'lost', visibility: 'public', organization: 'sindicato-livre-automotivos-abc',
    demands: 'Anulação das 1.200 demissões\nRedução da jornada sem redução de salário no lugar das demissões',
    initiators: ['sindicato-livre-automotivos-abc'],
    supporters: ['basisgruppe-autoarbeiter-neckartal', 'ozgur-metal-emekcileri-sendikasi'],
    updates: [
      { date: '2024-07-15', lang: 'en', body: 'Workers of the morning shift refuse to leave the plant after receiving their layoff notices. Families run a soup kitchen at the gate.' },
      { date: '2024-08-30', lang: 'de', body: 'Die Polizei räumt das Werk nach sechs Wochen. Die Entlassungen bleiben bestehen; die Gewerkschaft kündigt Klagen für alle Betroffenen an.' },
    ],
  },
  {
    slug: 'laguna-women-workers-march', title: 'Laguna women workers march for safe night-shift transport and equal pay', lang: 'en',
    kind: 'protest', sector: 'manufacturing', country: 'PH', locality: 'Santa Rosa, Laguna',
    participants: 900, startDate: '2026-03-08', endDate: '2026-03-08', status: 'ended', visibility: 'public', organization: 'liwanag-women-workers',
    demands: 'Free and safe company transport for night shifts\nEqual pay for equal work\nChildcare at the industrial estates',
    initiators: ['liwanag-women-workers'],
    supporters: ['mamans-du-cuivre', 'solidaritaet-grenzenlos'],
    updates: [
      { date: '2026-03-08', lang: 'en', body: 'About 900 women from twelve factories march from the industrial estate to the city hall on International Women’s Day.' },
      { date: '2026-03-10', lang: 'de', body: 'Grußbotschaften aus Lubumbashi und Essen werden auf der Auswertungsversammlung verlesen; die Frauen beschließen, die Forderungen in allen Betrieben zu sammeln.' },
    ],
  },
  {
    slug: 'klage-gegen-vereinsverbot', title: 'Klage gegen das Verbot eines migrantischen Kulturvereins', lang: 'de',
    kind: 'legal', sector: 'other', country: 'DE', startDate: '2025-09-15', status: 'ongoing', visibility: 'public', organization: 'solidaritaet-grenzenlos',
    demands: 'Aufhebung des Vereinsverbots\nRückgabe der beschlagnahmten Räume und Unterlagen\nKeine Verfolgung wegen politischer Überzeugungen',
    initiators: ['solidaritaet-grenzenlos'],
    supporters: ['freundeskreis-fluechtlingssolidaritaet', 'ozgur-metal-emekcileri-sendikasi'],
    updates: [
      { date: '2025-09-15', lang: 'de', body: 'Das Innenministerium verbietet einen Kulturverein von Migrantinnen und Migranten; Räume und Unterlagen werden beschlagnahmt. Konkrete Straftaten werden den Mitgliedern nicht vorgeworfen.' },
      { date: '2025-11-03', lang: 'en', body: 'The association files suit at the administrative court. Solidarität Grenzenlos collects statements of solidarity from organizations in six countries.' },
      { date: '2026-06-18', lang: 'de', body: 'Erster Verhandlungstag vor dem Verwaltungsgericht; rund 150 Menschen begleiten die Verhandlung. Ein Urteil wird Anfang 2027 erwartet.' },
    ],
  },
  {
    slug: 'cerro-de-pasco-huelga-seguridad', title: 'Cerro de Pasco: huelga indefinida por la seguridad en la mina tras un derrumbe', lang: 'es',
    kind: 'strike', sector: 'mining', country: 'PE', locality: 'Cerro de Pasco', employer: 'Minera Cerro Esperanza S.A.C.',
    participants: 1100, startDate: '2024-04-02', endDate: '2024-04-19', status: 'won', visibility: 'public', organization: 'mineros-cerro-esperanza',
    demands: 'Inspección independiente de todas las galerías\nContratación directa de los trabajadores tercerizados\nAtención médica para los mineros afectados por el plomo',
    initiators: ['mineros-cerro-esperanza'],
    supporters: ['smk-kolwezi', 'rustenburg-young-workers-forum'],
    updates: [
      { date: '2024-04-02', lang: 'en', body: 'After a tunnel collapse injures four workers, the union calls an indefinite strike.' },
      { date: '2024-04-19', lang: 'de', body: 'Die Streikenden setzen eine unabhängige Inspektion aller Stollen und die Festanstellung von 400 Leiharbeitern durch.' },
    ],
  },
  {
    slug: 'aktionstag-automobilarbeiter-vorbereitung', title: 'Vorbereitung eines internationalen Aktionstags der Automobilarbeiter', lang: 'de',
    kind: 'campaign', sector: 'automotive', country: 'DE', startDate: '2026-09-01', status: 'ongoing', visibility: 'network', organization: 'basisgruppe-autoarbeiter-neckartal',
    demands: 'Gemeinsame Forderungen gegen Entlassungen in der Umstellung auf Elektroautos\nAbstimmung der Aktionen in allen Mitgliedsländern',
    initiators: ['basisgruppe-autoarbeiter-neckartal', 'ozgur-metal-emekcileri-sendikasi'],
    supporters: ['sindicato-livre-automotivos-abc'],
    updates: [],
  },
];

/**
 * The demo accounts and their organization roles. The passwords are public on purpose (printed at
 * start-up and in docs/DEMO.md): a demo instance must never hold real data.
 */
const ACCOUNTS: (DemoAccount & { isAdmin?: boolean; locale: string; timeZone: string; roles: [organization: string, role: OrgRole][] })[] = [
  {
    email: 'admin@demo.solidaris.invalid', password: 'demo-Admin-4Rk9-tWq2-Lm7x', displayName: 'Demo Administrator',
    description: 'instance administrator', isAdmin: true, locale: 'en', timeZone: 'UTC', roles: [],
  },
  {
    email: 'grenzenlos@demo.solidaris.invalid', password: 'demo-Grenzenlos-8Hp3-Zx6v', displayName: 'Demo-Admin Solidarität Grenzenlos',
    description: "admin of Solidarität Grenzenlos; co-coordinates the Kolwezi families' pact and approves its disbursements", locale: 'de', timeZone: 'Europe/Berlin', roles: [['solidaritaet-grenzenlos', 'admin']],
  },
  {
    email: 'kolwezi@demo.solidaris.invalid', password: 'demo-Kolwezi-2Nb5-Qy8s', displayName: 'Demo Coordinator Kolwezi',
    description: "coordinator of the Congolese miners' union Syndicat Solidarité des Mineurs de Kolwezi, member of its members-only strike committee; proposes the disbursements of the families' pact",
    locale: 'en', timeZone: 'Africa/Lubumbashi', roles: [['smk-kolwezi', 'coordinator'], ['comite-de-greve-kolwezi', 'member']],
  },
  {
    email: 'freundeskreis@demo.solidaris.invalid', password: 'demo-Freundeskreis-6Jd4-Wc3r', displayName: 'Demo-Mitglied Freundeskreis',
    description: 'member of the circle Freundeskreis Flüchtlingssolidarität', locale: 'de', timeZone: 'Europe/Berlin',
    roles: [['freundeskreis-fluechtlingssolidaritaet', 'member']],
  },
];

/** The demo accounts (e-mail, password, name, purpose), e.g. to print them again on later starts. */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = ACCOUNTS.map(({ email, password, displayName, description }) => ({ email, password, displayName, description }));

async function count(tx: Tx, table: 'organizations' | 'networks'): Promise<number> {
  const r = await tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Builds the fictional demo scenario (see docs/DEMO.md) through the module services, in one
 * transaction: 3 sector networks, 13 organizations in 9 countries (one `members`-only, one
 * `network`-only, a circle inside a self-organization), 13 network memberships (one ended),
 * 8 struggles with 20 timeline entries, and 4 accounts with their roles. Meant for an empty
 * database, before any import (importers create organizations too).
 * @returns the demo accounts with their passwords, to show when the demo starts.
 * @throws {DemoDatabaseNotEmpty} (`demo_not_empty`) when organizations or networks exist —
 *   nothing is written; {Conflict} `email_taken` when a demo account's e-mail is already
 *   registered — everything written so far is rolled back; {ValidationFailed} should a service
 *   reject the scenario's data (a bug here), also rolled back.
 */
export async function buildDemoScenario(db: Db): Promise<DemoAccount[]> {
  return inTransaction(db, async (tx) => {
    const found = { organizations: await count(tx, 'organizations'), networks: await count(tx, 'networks') };
    if (found.organizations || found.networks) throw new DemoDatabaseNotEmpty(found);
    const trusted = { trusted: true };

    const orgIds = new Map<string, string>();
    for (const org of ORGANIZATIONS) {
      const created = await createOrganization(tx, null, org, trusted);
      orgIds.set(org.slug, created.id);
    }

    for (const { members, ...network } of NETWORKS) {
      const created = await createNetwork(tx, null, network, trusted);
      for (const m of members) await addNetworkMembership(tx, null, created.slug, { ...m, until: m.until ?? null }, trusted);
    }

    for (const { updates, ...struggle } of STRUGGLES) {
      // An earlier import may hold the same slug; the service then picks another, so use the one it returns.
      const created = await createStruggle(tx, null, struggle, trusted);
      for (const u of updates) await addStruggleUpdate(tx, null, created.slug, u, trusted);
    }

    for (const a of ACCOUNTS) {
      const userId = await createUser(tx, {
        email: a.email,
        password: a.password,
        displayName: a.displayName,
        locale: a.locale,
        timeZone: a.timeZone,
        isAdmin: a.isAdmin ?? false,
      });
      for (const [slug, role] of a.roles) await setOrganizationRole(tx, orgIds.get(slug)!, userId, role);
    }
    return DEMO_ACCOUNTS.map((a) => ({ ...a }));
  });
}
