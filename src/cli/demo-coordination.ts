/**
 * The demo's coordination layer (see docs/DEMO.md): solidarity calls on the Congo miners' strike
 * and on two imported FMCS stoppages, responses from organizations in several countries, and an
 * international action day of the miners' network with local actions in eight countries and
 * time zones (a half-hour zone among them). Everything is invented, like the rest of the scenario.
 *
 * Written through the module services, acting as the demo's instance administrator (who may
 * publish for any organization), so the same validation, permission checks and audit log apply
 * as for a person using the forms.
 */
import type { Db } from '../db/client.ts';
import { createSession, deleteSession, loadViewer } from '../modules/accounts/accounts.service.ts';
import { addResponse, createCall, type ResponseInput } from '../modules/calls/calls.service.ts';
import { addLocalAction, createActionDay, type LocalActionInput } from '../modules/action-days/action-days.service.ts';
import { follow, type FollowInput } from '../modules/follows/follows.service.ts';
import { DEMO_CONGO_STRUGGLE } from './demo-scenario.ts';

/** The action day of the miners' network: 1 May 2027, International Workers' Day. */
export const DEMO_ACTION_DAY = 'miners-day-of-action-2027';

const CONGO_RESPONSES: ResponseInput[] = [
  { organization: 'basisgruppe-autoarbeiter-neckartal', kind: 'statement_sent', date: '2025-06-12', place: 'Esslingen am Neckar', country: 'DE', lang: 'de', report: 'Solidaritätserklärung der Vertrauensleute an die Streikenden und an die Konzernleitung geschickt.' },
  { organization: 'ozgur-metal-emekcileri-sendikasi', kind: 'rally_held', date: '2025-06-20', place: 'Bursa', country: 'TR', lang: 'tr', report: 'Fabrika önünde 300 işçiyle dayanışma mitingi yapıldı.' },
  { organization: 'sindicato-livre-automotivos-abc', kind: 'donation_made', date: '2025-07-01', place: 'São Bernardo do Campo', country: 'BR', lang: 'pt-BR', report: 'Coleta na porta da fábrica enviada ao fundo de greve.' },
  { organization: 'liwanag-women-workers', kind: 'message', date: '2025-07-08', place: 'Santa Rosa, Laguna', country: 'PH', lang: 'en', report: 'Video message from the night shift to the families of the miners.' },
  { organization: 'coal-belt-womens-assembly', kind: 'message', date: '2025-07-15', place: 'Dhanbad', country: 'IN', lang: 'en', report: 'Letters from the women of the coal belt read out at the strike assembly.' },
  { organization: 'rustenburg-young-workers-forum', kind: 'delegation', date: '2025-08-02', place: 'Kolwezi', country: 'CD', lang: 'en', report: 'Two members travelled to Kolwezi and spoke at the strike assembly.' },
  { organization: 'mineros-cerro-esperanza', network: 'miners', kind: 'rally_held', date: '2025-08-10', place: 'Cerro de Pasco', country: 'PE', lang: 'es', report: 'Mitin de la coordinación minera frente a la oficina de la empresa.' },
];

const LOCAL_ACTIONS: LocalActionInput[] = [
  { organization: 'smk-kolwezi', title: 'Marche des mineurs vers la direction', kind: 'rally', city: 'Kolwezi', country: 'CD', venue: 'Rond-point de la Gare', startLocal: '2027-05-01T09:00', endLocal: '2027-05-01T12:00', timeZone: 'Africa/Lubumbashi', expectedParticipants: 2000 },
  { organization: 'mamans-du-cuivre', title: 'Cantine solidaire pour les familles', kind: 'assembly', city: 'Lubumbashi', country: 'CD', startLocal: '2027-05-01T12:00', endLocal: '2027-05-01T16:00', timeZone: 'Africa/Lubumbashi', expectedParticipants: 300 },
  { organization: 'mineros-cerro-esperanza', title: 'Asamblea y marcha en Cerro de Pasco', kind: 'rally', city: 'Cerro de Pasco', country: 'PE', startLocal: '2027-05-01T10:00', endLocal: '2027-05-01T13:00', timeZone: 'America/Lima', expectedParticipants: 800 },
  { organization: 'rustenburg-young-workers-forum', title: 'Solidarity picket at the shaft gate', kind: 'rally', city: 'Rustenburg', country: 'ZA', startLocal: '2027-05-01T06:00', endLocal: '2027-05-01T08:00', timeZone: 'Africa/Johannesburg', expectedParticipants: 120 },
  { organization: 'coal-belt-womens-assembly', title: 'Women of the coal belt for the Kolwezi families', kind: 'vigil', city: 'Dhanbad', country: 'IN', startLocal: '2027-05-01T17:30', endLocal: '2027-05-01T19:00', timeZone: 'Asia/Kolkata', expectedParticipants: 150 },
  { organization: 'basisgruppe-autoarbeiter-neckartal', title: 'Infostand zum Bergarbeiterstreik', kind: 'info_stand', city: 'Esslingen am Neckar', country: 'DE', venue: 'Marktplatz', startLocal: '2027-05-01T11:00', endLocal: '2027-05-01T14:00', timeZone: 'Europe/Berlin', expectedParticipants: 25 },
  { organization: 'ozgur-metal-emekcileri-sendikasi', title: '1 Mayıs kortejinde madenciler bloğu', kind: 'rally', city: 'Bursa', country: 'TR', startLocal: '2027-05-01T10:30', endLocal: '2027-05-01T13:30', timeZone: 'Europe/Istanbul', expectedParticipants: 500 },
  { organization: 'liwanag-women-workers', title: 'Online solidarity call with Kolwezi', kind: 'online', city: 'Santa Rosa, Laguna', country: 'PH', startLocal: '2027-05-01T20:00', endLocal: '2027-05-01T21:00', timeZone: 'Asia/Manila', expectedParticipants: 60 },
  { organization: 'partido-obrero-del-bajio', title: 'Jornada de solidaridad con los mineros', kind: 'other', city: 'Silao', country: 'MX', allDay: true, startDate: '2027-05-01', endDate: '2027-05-01' },
];

/**
 * Follows made before the calls, responses and local actions, so that the demo accounts find
 * them in their notifications: Solidarität Grenzenlos watches the Congo strike, Congo and the
 * miners' network; the circle watches Germany.
 */
const FOLLOWS: FollowInput[] = [
  { organization: 'solidaritaet-grenzenlos', kind: 'struggle', target: DEMO_CONGO_STRUGGLE },
  { organization: 'solidaritaet-grenzenlos', kind: 'country', target: 'CD' },
  { organization: 'solidaritaet-grenzenlos', kind: 'network', target: 'miners' },
  { organization: 'freundeskreis-fluechtlingssolidaritaet', kind: 'country', target: 'DE' },
];

/**
 * Adds the coordination layer to a demo database that holds the scenario (and, when available,
 * the FMCS import). Calls on imported stoppages are added only when imported struggles exist.
 * @returns how many calls, responses and local actions were written.
 */
export async function buildDemoCoordination(db: Db): Promise<{ calls: number; responses: number; localActions: number; follows: number }> {
  const admin = await db.selectFrom('users').select('id').where('email', '=', 'admin@demo.solidaris.invalid').executeTakeFirstOrThrow();
  const session = await createSession(db, admin.id);
  try {
    const viewer = (await loadViewer(db, session))!;
    let calls = 0;
    let responses = 0;
    for (const f of FOLLOWS) await follow(db, viewer, f);
    const congo = await createCall(db, viewer, {
      struggle: DEMO_CONGO_STRUGGLE,
      organization: 'smk-kolwezi',
      issuers: ['mamans-du-cuivre'],
      slug: 'kolwezi-strike-fund-and-messages',
      title: 'Support the Kolwezi miners: strike fund and messages to the families',
      body: 'The miners of Kolwezi have not been paid for eight months. We ask unions and groups everywhere to send messages to the strike assembly, to collect for the strike fund, and to hold an action on the international day of the miners on 1 May.',
      lang: 'en',
      asks: ['messages', 'donation', 'action', 'statement'],
      actionDate: '2027-05-01',
      deadline: '2027-05-01',
      languages: ['en', 'fr', 'sw'],
      visibility: 'public',
    });
    calls += 1;
    // The Kolwezi union follows its own call: every answer reaches its notifications.
    await follow(db, viewer, { organization: 'smk-kolwezi', kind: 'call', target: congo.slug });
    for (const r of CONGO_RESPONSES) {
      await addResponse(db, viewer, congo.slug, { ...r, visibility: 'public' });
      responses += 1;
    }

    // Two imported FMCS stoppages get a call each from the automobile workers' coordination.
    const imported = await db
      .selectFrom('struggles')
      .select(['slug', 'title'])
      .where('external_ref', 'like', 'fmcs:%')
      .where('sector', '=', 'automotive')
      .orderBy('start_date', 'desc')
      .orderBy('id')
      .limit(2)
      .execute();
    for (const [i, s] of imported.entries()) {
      const call = await createCall(db, viewer, {
        struggle: s.slug,
        organization: 'basisgruppe-autoarbeiter-neckartal',
        title: `Greetings to the strikers: ${s.title}`,
        body: 'Auto workers in other countries send their greetings and ask what support the strike needs.',
        lang: 'en',
        asks: ['messages', 'statement'],
        languages: ['en', 'de'],
        visibility: 'public',
      });
      calls += 1;
      await addResponse(db, viewer, call.slug, {
        organization: i === 0 ? 'ozgur-metal-emekcileri-sendikasi' : 'sindicato-livre-automotivos-abc',
        kind: 'statement_sent',
        date: '2026-02-10',
        lang: 'en',
        report: 'Statement of solidarity sent to the local union.',
        visibility: 'public',
      });
      responses += 1;
    }

    const day = await createActionDay(db, viewer, {
      slug: DEMO_ACTION_DAY,
      title: "International day of action for the miners' families",
      callText: "On 1 May the miners' coordination calls on unions and groups in every country to act for the families of the striking miners of Kolwezi: rallies, vigils, information stands, collections. Register your local action here so that everybody sees the whole picture.",
      lang: 'en',
      startDate: '2027-05-01',
      endDate: '2027-05-01',
      organization: 'smk-kolwezi',
      network: 'miners',
      struggle: DEMO_CONGO_STRUGGLE,
      visibility: 'public',
    });
    for (const a of LOCAL_ACTIONS) await addLocalAction(db, viewer, day.slug, { ...a, visibility: 'public' });
    return { calls, responses, localActions: LOCAL_ACTIONS.length, follows: FOLLOWS.length + 1 };
  } finally {
    await deleteSession(db, session);
  }
}
