import { addNetworkMembership, createNetwork } from '../../src/modules/networks/networks.service.ts';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { buildTestApp, type TestApp } from './app.ts';
import type { TestEngine } from './db.ts';
import type { Db } from '../../src/db/client.ts';
import { createUser } from '../../src/modules/accounts/accounts.service.ts';
import { createOrganization, type OrganizationInput } from '../../src/modules/organizations/organizations.service.ts';
import { addStruggleUpdate, createStruggle, type StruggleInput } from '../../src/modules/struggles/struggles.service.ts';
import { addResponse, createCall } from '../../src/modules/calls/calls.service.ts';
import { localToInstant } from '../../src/lib/zoned-time.ts';
import { newId } from '../../src/lib/ids.ts';
import { createPact } from '../../src/modules/pacts/pacts.service.ts';
import { recordEntries, reverseEntry } from '../../src/modules/pacts/ledger.service.ts';
import type { Keyring } from '../../src/lib/sealed.ts';
import type { DocumentStore } from '../../src/lib/document-store.ts';
import { seedPactFunds } from './pact-pages.ts';
import { seedCampaignPages } from './campaign-pages.ts';
import { seedSupporterImports, type SupporterImportPages } from './supporters-io-pages.ts';
import { seedSigningPages, type SigningPages } from './signing-pages.ts';

/**
 * Debian's Chromium (`apt-get install -y chromium`). Browser tests never download a browser
 * (the project never downloads a browser of its own); `CHROMIUM_PATH`
 * points elsewhere when needed.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why browser tests cannot run here, or `false` when they can. Pass it as the `skip` option of a
 * `describe` so a machine without Chromium reports a skipped suite with the reason instead of a failure.
 */
export function browserSkipReason(): string | false {
  return existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
}

/** Launches headless Chromium, or returns null when it is not installed (see {@link browserSkipReason}). */
export async function launchBrowser(): Promise<Browser | null> {
  if (browserSkipReason()) return null;
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The application as production builds it, listening on a random loopback port. */
export interface RunningApp extends TestApp {
  /** `http://127.0.0.1:<port>` without a trailing slash. */
  baseUrl: string;
}

/** Builds the test app on `engine` (fresh database) and starts it on 127.0.0.1, port chosen by the OS. */
export async function startApp(engine: TestEngine): Promise<RunningApp> {
  const t = await buildTestApp(engine);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  return { ...t, baseUrl: `http://127.0.0.1:${port}` };
}

/** The `name=value` pair of a `Cookie` header (as `loginAs` returns it) as a Playwright cookie for `baseUrl`. */
export function browserCookie(header: string, baseUrl: string): { name: string; value: string; url: string } {
  const i = header.indexOf('=');
  return { name: header.slice(0, i), value: header.slice(i + 1), url: baseUrl };
}

/**
 * Collects everything the page reports as an error: `console.error` messages (Chromium reports
 * Content-Security-Policy violations and failed sub-resource loads this way), uncaught exceptions
 * and failed requests (except those aborted by a navigation). The returned array fills while the
 * page lives.
 *
 * `allowStatus` lists URLs whose HTTP error status is expected (the 404 page, a form answered
 * with 422): Chromium logs "Failed to load resource: … status of 404" for the document itself too,
 * and only that exact message for that exact URL is ignored.
 */
export function collectPageErrors(page: Page): { errors: string[]; allowStatus: Set<string> } {
  const errors: string[] = [];
  const allowStatus = new Set<string>();
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() !== 'error') return;
    const where = m.location().url;
    if (allowStatus.has(where) && /^Failed to load resource: the server responded with a status of \d+/.test(m.text())) return;
    errors.push(`console.error: ${m.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A sub-resource cut off by the next navigation (the favicon while a form is submitted) is no fault of the page.
    const reason = r.failure()?.errorText ?? '';
    if (reason === 'net::ERR_ABORTED') return;
    errors.push(`request failed: ${r.method()} ${r.url()} ${reason}`);
  });
  return { errors, allowStatus };
}

// ---- axe-core

/** One accessibility rule failure, reduced to what a failure message needs. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string[]; html: string; summary: string }[];
}

/** The WCAG 2.0/2.1 A and AA rules plus axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] as const;

let axeSource: string | undefined;

/**
 * Runs axe-core on the page and returns its violations. The script is evaluated through the
 * DevTools protocol (`page.evaluate`), which the page's Content-Security-Policy (`script-src 'self'`)
 * does not govern, so the context need not `bypassCSP` — and CSP violations of the page itself
 * still show up in {@link collectPageErrors}.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(axeSource);
  // A string expression: the callback runs in the page, whose DOM types this Node-only project lacks.
  const json = await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(AXE_TAGS)} }, resultTypes: ['violations'] })
    .then((r) => JSON.stringify(r.violations.map((v) => ({
      id: v.id, impact: v.impact ?? null, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String), html: n.html, summary: n.failureSummary ?? '' })),
    }))))`);
  return JSON.parse(json as string) as AxeViolation[];
}

/** Violations as a readable multi-line report for an assertion message. */
export function formatViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 5)
        .map((n) => `    - ${n.target.join(' ')}\n      ${n.html.slice(0, 200)}\n      ${n.summary.replace(/\n/g, '\n      ')}`)
        .join('\n');
      const more = v.nodes.length > 5 ? `\n    … and ${v.nodes.length - 5} more` : '';
      return `  [${v.impact ?? '?'}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}${more}`;
    })
    .join('\n');
}

// ---- data for the page tests (browser checks and page weight)

/** Slugs of the records the page tests visit. */
export interface PagesFixture {
  /** A struggle in CD with demands, organizations, sources and a timeline (French texts). */
  struggle: string;
  /** A German organization with a parent (so both the parent link and the sibling list show). */
  organization: string;
  /** A network with current, past and upcoming memberships, or null when the networks module has no service yet. */
  network: string | null;
  /** E-mail and password of an account for signing in through the form. */
  account: { email: string; password: string; displayName: string };
  /** Number of public struggles per country code. */
  strugglesByCountry: Map<string, number>;
  /** A solidarity call on the struggle, with responses from four countries. */
  call: string;
  /** An action day with timed local actions in several zones and an all-day one. */
  actionDay: string;
  /** Id of the action day's local action in Duisburg (Europe/Berlin), registered by `organization`. */
  localAction: string;
  /** An organization following the struggle, Congo and the mining network (so its members have notifications). */
  follower: { slug: string; id: string };
  /** A solidarity pact for the strikers' families with contributions in three currencies, fees, payments and a reversal. */
  pact: string;
  /** A campaign in French, German and English with supporters, tallies in 120 countries and endorsements (see `seedCampaignPages`); null without `app`. */
  campaign: string | null;
  /** A campaign with supporter imports in preview, running and done (see `seedSupporterImports`); null without `app`. */
  supporterImports: SupporterImportPages | null;
  /** The confirmation and withdrawal pages of a pending signature of `campaign` (see `seedSigningPages`); null without `app`. */
  signing: SigningPages | null;
}

/** 30 countries the 1:110M world map can draw, with a city each. */
const PLACES: [country: string, city: string][] = [
  ['DE', 'Duisburg'], ['CD', 'Kolwezi'], ['TR', 'Soma'], ['FR', 'Marseille'], ['ES', 'Vigo'], ['IT', 'Taranto'],
  ['PL', 'Gdańsk'], ['GB', 'Felixstowe'], ['US', 'Detroit'], ['CA', 'Hamilton'], ['MX', 'Monterrey'], ['BR', 'São Bernardo do Campo'],
  ['AR', 'Rosario'], ['CL', 'Antofagasta'], ['CO', 'Medellín'], ['PE', 'Arequipa'], ['ZA', 'Rustenburg'], ['NG', 'Lagos'],
  ['KE', 'Mombasa'], ['EG', 'Mahalla al-Kubra'], ['MA', 'Casablanca'], ['IN', 'Chennai'], ['PK', 'Karachi'], ['BD', 'Dhaka'],
  ['ID', 'Bekasi'], ['PH', 'Cebu'], ['KR', 'Ulsan'], ['JP', 'Osaka'], ['AU', 'Port Hedland'], ['IR', 'Ahvaz'],
];
const SECTORS = ['mining', 'automotive', 'logistics', 'textile', 'health', 'education', 'metal', 'food', 'energy', 'public_administration'] as const;
const KINDS = ['strike', 'protest', 'occupation', 'boycott', 'campaign', 'legal'] as const;
const KIND_WORDS: Record<(typeof KINDS)[number], string> = { strike: 'strike', protest: 'protest', occupation: 'occupation', boycott: 'boycott', campaign: 'campaign', legal: 'court case' };
const ORG_KINDS = ['union', 'self_organization', 'women', 'youth', 'refugee_group', 'ngo', 'party'] as const;
const ORG_NAMES = ['Workers’ Union', 'Rank-and-File Committee', 'Women Workers’ Assembly', 'Young Workers’ Network', 'Migrant Workers’ Centre', 'Labour Rights Centre', 'Workers’ Party'];
const DEMANDS = [
  'A 12 % wage increase backdated to January.',
  'Permanent contracts for all agency workers.',
  'Reinstatement of the dismissed shop stewards.',
  'Safety equipment and an independent safety committee.',
];

/**
 * Fills a fresh database with realistic public data through the services (trusted writes):
 * 60 organizations (incl. a German parent with a child, a Congolese and a Turkish union) and
 * 60 struggles across 30 countries (so the home map is shaded everywhere it can be), one of them
 * with French texts, demands, organizations, sources and a timeline; and, when the networks module
 * has its service, two sector networks with memberships. Also an account with a known password.
 * With `app` (its data key and document store), the solidarity pact also gets pledges, a
 * beneficiary register, receipts, disbursements and exchange rates (see `seedPactFunds`).
 */
export async function seedPages(db: Db, app?: { keyring: Keyring; documents: DocumentStore }): Promise<PagesFixture> {
  const org = (input: OrganizationInput) => createOrganization(db, null, { visibility: 'public', ...input }, { trusted: true });
  const parent = await org({ name: 'Metalworkers’ Federation', slug: 'metalworkers-federation', kind: 'union', country: 'DE', city: 'Frankfurt am Main', languages: ['de', 'en'], website: 'https://metal.example.org', contactEmail: 'info@metal.example.org', description: 'Föderation der Metallgewerkschaften.\nGegründet 1949.', descriptionLang: 'de' });
  const child = await org({ name: 'Metalworkers’ Union Duisburg', slug: 'metalworkers-duisburg', kind: 'union', country: 'DE', city: 'Duisburg', languages: ['de', 'tr'], parent: parent.slug, description: 'Ortsverband für die Stahlwerke im Duisburger Norden.', descriptionLang: 'de' });
  await org({ name: 'Metalworkers’ Youth Duisburg', slug: 'metal-youth-duisburg', kind: 'youth', country: 'DE', city: 'Duisburg', parent: parent.slug });
  const cd = await org({ name: 'Syndicat des mineurs du Lualaba', slug: 'mineurs-lualaba', kind: 'union', country: 'CD', city: 'Kolwezi', languages: ['fr', 'sw'], description: 'Syndicat des travailleurs des mines de cuivre et de cobalt.', descriptionLang: 'fr' });
  const tr = await org({ name: 'Maden İşçileri Sendikası', slug: 'maden-isci', kind: 'union', country: 'TR', city: 'Soma', languages: ['tr'], description: 'Soma ve Kınık maden işçilerinin sendikası.', descriptionLang: 'tr' });
  const women = await org({ name: 'Femmes de la mine', slug: 'femmes-de-la-mine', kind: 'women', country: 'CD', city: 'Likasi' });
  const orgSlugs = [child.slug, cd.slug, tr.slug, women.slug];
  for (let i = 0; orgSlugs.length + 2 < 60; i++) {
    const [country, city] = PLACES[i % PLACES.length]!;
    // (i mod 7, i mod 30) is unique below 210: no duplicate names.
    const name = `${ORG_NAMES[i % ORG_NAMES.length]} ${city}`;
    orgSlugs.push((await org({ name, kind: ORG_KINDS[i % ORG_KINDS.length], country, city })).slug);
  }

  const struggle = (input: StruggleInput) => createStruggle(db, null, { visibility: 'public', ...input }, { trusted: true });
  const byCountry = new Map<string, number>();
  const count = (c: string) => byCountry.set(c, (byCountry.get(c) ?? 0) + 1);
  const kamoto = await struggle({
    title: 'Grève illimitée à la mine de cuivre de Kamoto', slug: 'greve-kamoto', kind: 'strike', sector: 'mining', country: 'CD',
    locality: 'Kolwezi', employer: 'Kamoto Copper Company', participants: 3200, startDate: '2026-02-10', status: 'ongoing', lang: 'fr',
    demands: 'Augmentation des salaires de 30 %.\nCDI pour les travailleurs des sous-traitants.\nRéintégration des délégués licenciés.',
    organization: cd.slug, initiators: [cd.slug, women.slug], supporters: [child.slug, tr.slug],
    sources: ['https://news.example.org/kamoto-greve', 'https://radio.example.cd/2026/02/kamoto'],
  });
  count('CD');
  await addStruggleUpdate(db, null, kamoto.slug, { date: '2026-02-10', body: 'Début de la grève : les trois équipes arrêtent le travail.', lang: 'fr' }, { trusted: true });
  await addStruggleUpdate(db, null, kamoto.slug, { date: '2026-02-24', body: 'La direction refuse de négocier.\nPiquets de grève devant les portes 1 et 3.', lang: 'fr' }, { trusted: true });
  await addStruggleUpdate(db, null, kamoto.slug, { date: '2026-03-05', body: 'Solidarity message from the Duisburg metalworkers read out at the gate.', lang: 'en' }, { trusted: true });
  await struggle({ title: 'Warnstreik im Stahlwerk Duisburg-Nord', kind: 'strike', sector: 'metal', country: 'DE', locality: 'Duisburg', employer: 'Nordstahl AG', participants: 4100, startDate: '2025-11-03', endDate: '2025-11-05', status: 'won', lang: 'de', organization: child.slug, initiators: [child.slug], demands: 'Acht Prozent mehr Lohn.' });
  count('DE');
  await struggle({ title: 'Soma maden işçilerinin direnişi', kind: 'protest', sector: 'mining', country: 'TR', locality: 'Soma', participants: 800, startDate: '2026-01-15', status: 'ongoing', lang: 'tr', organization: tr.slug, initiators: [tr.slug], supporters: [cd.slug] });
  count('TR');
  for (let i = 0; i < 57; i++) {
    const [country, city] = PLACES[(i + 1) % PLACES.length]!;
    const kind = KINDS[i % KINDS.length]!;
    const sector = SECTORS[i % SECTORS.length]!;
    const status = (['ongoing', 'ongoing', 'won', 'lost', 'ended', 'suspended'] as const)[i % 6]!;
    // Between January 2025 and October 2026: nothing starts in the future.
    const month = String((i % 10) + 1).padStart(2, '0');
    const year = i % 3 === 0 ? 2025 : 2026;
    await struggle({
      title: `${sector.replace('_', ' ')} workers’ ${KIND_WORDS[kind]} in ${city}`.replace(/^./, (c) => c.toUpperCase()),
      kind, sector, country, locality: city, employer: i % 2 ? `${city} ${sector === 'logistics' ? 'Port Authority' : 'Holdings'}` : null,
      participants: i % 4 ? 150 + i * 37 : null, startDate: `${year}-${month}-0${(i % 9) + 1}`,
      endDate: status === 'won' || status === 'lost' || status === 'ended' ? `${year}-${month}-2${i % 9}` : null,
      status, lang: 'en', demands: DEMANDS[i % DEMANDS.length], organization: orgSlugs[(i * 7) % orgSlugs.length],
    });
    count(country);
  }

  let network: string | null = null;
  {
    const n = await createNetwork(db, null, { name: 'Global Mining Workers’ Network', slug: 'global-mining', sector: 'mining', description: 'Unions of copper, cobalt and coal miners across three continents.\nMeets twice a year.', descriptionLang: 'en' }, { trusted: true });
    network = n.slug;
    const join = (organization: string, role: string, since: string, until?: string) =>
      addNetworkMembership(db, null, n.slug, { organization, role, since, until }, { trusted: true });
    await join(cd.slug, 'coordinator', '2024-05-01');
    await join(tr.slug, 'member', '2025-01-15');
    await join(women.slug, 'observer', '2025-09-01');
    await join(child.slug, 'member', '2023-01-01', '2025-06-30');
    await join(parent.slug, 'member', '2099-01-01');
    for (const slug of orgSlugs.slice(4, 14)) await join(slug, 'member', '2025-03-01');
    const ports = await createNetwork(db, null, { name: 'Dockworkers’ Solidarity Network', sector: 'logistics', descriptionLang: 'en' }, { trusted: true });
    for (const slug of orgSlugs.slice(14, 20)) await addNetworkMembership(db, null, ports.slug, { organization: slug, role: 'member', since: '2025-06-01' }, { trusted: true });
  }

  const call = await createCall(
    db,
    null,
    {
      struggle: kamoto.slug, organization: cd.slug, issuers: [women.slug], slug: 'soutien-greve-kamoto',
      title: 'Soutenez la grève de Kamoto : messages et caisse de grève', lang: 'fr',
      body: 'Envoyez des messages aux grévistes et soutenez la caisse de grève.\nAction internationale le 1er mai.',
      asks: ['messages', 'donation', 'action'], actionDate: '2026-05-01', deadline: '2026-12-31', languages: ['fr', 'sw', 'en'], visibility: 'public',
    },
    { trusted: true },
  );
  const respond = (organization: string, kind: string, date: string, place: string, country: string, lang: string, report: string) =>
    addResponse(db, null, call.slug, { organization, kind, date, place, country, lang, report, visibility: 'public' }, { trusted: true });
  await respond(child.slug, 'statement_sent', '2026-02-20', 'Duisburg', 'DE', 'de', 'Solidaritätserklärung der Vertrauensleute verschickt.');
  await respond(tr.slug, 'rally_held', '2026-02-27', 'Soma', 'TR', 'tr', 'Maden ocağı önünde dayanışma mitingi.');
  await respond(women.slug, 'donation_made', '2026-03-01', 'Likasi', 'CD', 'fr', 'Collecte au marché pour la caisse de grève.');

  // The action day and its local actions, written directly (the page is what is looked at here).
  const now = new Date().toISOString();
  const dayId = newId();
  await db
    .insertInto('action_days')
    .values({ id: dayId, slug: 'journee-mineurs-2026', title: 'Journée internationale de solidarité avec les mineurs', call_text: 'Le 1er mai, agissons partout pour les familles des mineurs en grève.', lang: 'fr', start_date: '2026-05-01', end_date: '2026-05-01', organization_id: cd.id, network_id: null, struggle_id: kamoto.id, visibility: 'public', search_text: 'journee internationale', created_by: null, created_at: now, updated_at: now })
    .execute();
  const local = [
    [cd.id, 'Marche des mineurs', 'rally', 'Kolwezi', 'CD', 'Africa/Lubumbashi', '09:00', '12:00'],
    [child.id, 'Kundgebung am Werkstor', 'rally', 'Duisburg', 'DE', 'Europe/Berlin', '10:00', '12:00'],
    [tr.id, 'Dayanışma nöbeti', 'vigil', 'Soma', 'TR', 'Europe/Istanbul', '18:00', '20:00'],
    [women.id, 'Online assembly with Dhanbad', 'online', 'Dhanbad', 'IN', 'Asia/Kolkata', '17:30', '19:00'],
  ] as const;
  let localAction = '';
  for (const [organization_id, title, kind, city, country, zone, start, end] of local) {
    const startLocal = `2026-05-01T${start}`;
    const endLocal = `2026-05-01T${end}`;
    const id = newId();
    if (organization_id === child.id) localAction = id;
    await db
      .insertInto('local_actions')
      .values({ id, action_day_id: dayId, organization_id, title, kind, city, country, venue: null, all_day: 0, start_local: startLocal, end_local: endLocal, time_zone: zone, starts_at: localToInstant(startLocal, zone), ends_at: localToInstant(endLocal, zone), start_date: '2026-05-01', end_date: '2026-05-01', expected_participants: 120, contact: null, visibility: 'public', created_by: null, created_at: now, updated_at: now })
      .execute();
  }
  await db
    .insertInto('local_actions')
    .values({ id: newId(), action_day_id: dayId, organization_id: women.id, title: 'Journée de collecte', kind: 'other', city: 'Likasi', country: 'CD', venue: null, all_day: 1, start_local: null, end_local: null, time_zone: null, starts_at: null, ends_at: null, start_date: '2026-05-01', end_date: '2026-05-01', expected_participants: null, contact: null, visibility: 'public', created_by: null, created_at: now, updated_at: now })
    .execute();

  // The federation follows the struggle, Congo and the mining network, since before all of the above.
  const followed: [kind: 'struggle' | 'country' | 'network', target: string][] = [['struggle', kamoto.id], ['country', 'CD']];
  if (network) followed.push(['network', (await db.selectFrom('networks').select('id').where('slug', '=', network).executeTakeFirstOrThrow()).id]);
  for (const [kind, target] of followed) {
    await db.insertInto('follows').values({ id: newId(), organization_id: parent.id, target_kind: kind, target_id: target, created_by: null, created_at: '2020-01-01T00:00:00.000Z' }).execute();
  }

  // A solidarity pact for the strikers' families: contributions in EUR, USD and CDF over several
  // months, a fee, payments out and one reversed contribution (the ledger's marks and links).
  const pact = await createPact(
    db,
    null,
    {
      organization: cd.slug, initiators: [women.slug], struggles: [kamoto.slug], slug: 'familles-kamoto', lang: 'fr',
      title: 'Pacte de solidarité avec les familles des grévistes de Kamoto',
      description: 'Les familles des mineurs en grève sont sans revenu depuis février.\nLe pacte paie la nourriture, les frais scolaires et les soins.',
      beneficiaryGroup: 'Familles des mineurs de la coopérative de Kamoto', country: 'CD',
      goalAmount: '25000', goalCurrency: 'EUR', periodStart: '2026-02-15', periodEnd: '2026-12-31', visibility: 'public',
    },
    { trusted: true },
  );
  const orgId = async (slug: string) => (await db.selectFrom('organizations').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
  const payer = async (slug: string) => ({ kind: 'organization' as const, organizationId: await orgId(slug), name: null });
  const ig = await payer(child.slug);
  const maden = await payer(tr.slug);
  const record = (entries: Parameters<typeof recordEntries>[1]['entries']) => recordEntries(db, { pactId: pact.id, recordedBy: null, entries });
  await record([
    { kind: 'contribution', amountMinor: 250_000, currency: 'EUR', valueDate: '2026-02-20', counterparty: ig, reference: 'Sammlung Vertrauensleute Februar' },
    { kind: 'fee', amountMinor: -1_250, currency: 'EUR', valueDate: '2026-02-20', counterparty: { kind: 'external', name: null }, reference: 'Sammlung Vertrauensleute Februar' },
  ]);
  await record([{ kind: 'contribution', amountMinor: 80_000, currency: 'USD', valueDate: '2026-03-02', counterparty: { kind: 'external', name: 'Miners Solidarity Fund' }, reference: 'Wire 2026-031' }]);
  await record([{ kind: 'contribution', amountMinor: 150_000_00, currency: 'CDF', valueDate: '2026-03-08', counterparty: { kind: 'person', name: 'Mama Kalenga' }, reference: 'Collecte au marché' }]);
  const [doubled] = await record([{ kind: 'contribution', amountMinor: 50_000, currency: 'EUR', valueDate: '2026-03-15', counterparty: maden, reference: 'Dayanışma aidatı' }]);
  await reverseEntry(db, { pactId: pact.id, entryId: doubled!.id, valueDate: '2026-03-16', recordedBy: null, description: 'Recorded twice' });
  await record([{ kind: 'contribution', amountMinor: 50_000, currency: 'EUR', valueDate: '2026-03-15', counterparty: maden, reference: 'Dayanışma aidatı' }]);
  for (const [month, amount] of [['03', 120_000], ['04', 135_000], ['05', 128_500]] as const) {
    await record([{ kind: 'disbursement', amountMinor: -amount, currency: 'EUR', valueDate: `2026-${month}-28`, counterparty: { kind: 'external', name: 'Coopérative alimentaire de Kolwezi' }, reference: `Colis alimentaires ${month}/2026` }]);
    await record([{ kind: 'contribution', amountMinor: 150_000, currency: 'EUR', valueDate: `2026-${month}-05`, counterparty: ig, reference: `Sammlung ${month}/2026` }]);
  }

  // The pact's pledges, register, receipts, disbursements and exchange rates (needs the app's data key and document store).
  if (app) await seedPactFunds(db, app, { pactId: pact.id, slug: pact.slug, owner: cd.id, pledgers: { tr: tr.id, child: child.id } });

  // A campaign of the Congolese union with the women's group (supporters' addresses are sealed: needs the app's data key).
  const campaign = app ? await seedCampaignPages(db, app.keyring, { owner: cd.slug, issuer: women.slug, endorsers: orgSlugs.slice(0, 21), places: PLACES }) : null;
  // Supporter imports of another campaign of that union: preview (sealed file), running, done.
  const supporterImports = app ? await seedSupporterImports(db, app.keyring, cd.id) : null;
  // A pending signature of the campaign, for the pages its mail links open.
  const signing = app && campaign ? await seedSigningPages(db, app.keyring, campaign) : null;

  const account = { email: `pages-${Date.now()}@example.org`, password: 'correct horse battery', displayName: 'Ayşe Demir' };
  await createUser(db, account);
  return { struggle: kamoto.slug, organization: child.slug, network, account, strugglesByCountry: byCountry, call: call.slug, actionDay: 'journee-mineurs-2026', localAction, follower: { slug: parent.slug, id: parent.id }, pact: pact.slug, campaign, supporterImports, signing };
}
