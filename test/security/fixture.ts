import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../src/db/client.ts';
import type { TestApp } from '../helpers/app.ts';
import { cookiesFrom } from '../helpers/app.ts';
import { createSession, createUser, setOrganizationRole } from '../../src/modules/accounts/accounts.service.ts';
import { addStruggleUpdate } from '../../src/modules/struggles/struggles.service.ts';
import { makeNetwork, makeNetworkMembership, makeOrganization, makeStruggle } from '../helpers/factories.ts';
import { initLedger, recordEntries } from '../../src/modules/pacts/ledger.service.ts';
import { seal } from '../../src/lib/sealed.ts';

/** A minimal PDF for the fixture's stored receipts. */
const FIXTURE_PDF = Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

/**
 * The world the security tests run in, and an oracle that says — independently of
 * `src/db/visibility.ts` — who may see which of its records.
 *
 * Organization "A" is the one every actor except `adminB`, `peerAdmin` and the outsiders has a
 * role in. Its "family" (A itself, AN, AM, AP, A3) carries the same roles, so an actor is e.g.
 * `member` of all five: AN/AM/AP are A's non-public variants (network / members / private), A3 is
 * a public organization A's people manage (the one that joins networks in write tests).
 * Network N is coordinated by A; AP and C are members too. B is unrelated to A; C shares N with A.
 * Every record carries a marker string in its name, title or text, and in lower case in its slug,
 * so a leak is a (case-insensitive) substring of a response.
 */

export type Visibility = 'public' | 'network' | 'members' | 'private';
export type Role = 'viewer' | 'member' | 'coordinator' | 'admin';
export type OrgKey = 'A' | 'AN' | 'AM' | 'AP' | 'A3' | 'B' | 'C';
export type Actor = 'anonymous' | 'noMembership' | 'viewer' | 'member' | 'coordinator' | 'admin' | 'adminB' | 'peerAdmin';

/** In the order the matrix prints them. `peerAdmin` (admin of C, a network peer of A) is extra. */
export const ACTORS: readonly Actor[] = ['anonymous', 'noMembership', 'viewer', 'member', 'coordinator', 'admin', 'adminB', 'peerAdmin'];

export const A_FAMILY: readonly OrgKey[] = ['A', 'AN', 'AM', 'AP', 'A3'];

export interface OrgSpec {
  key: OrgKey;
  slug: string;
  name: string;
  marker: string;
  visibility: Visibility;
  parent?: string;
  country: string;
}

export const ORGS: Record<OrgKey, OrgSpec> = {
  A: { key: 'A', slug: 'org-zmkalpha', name: 'Alpha Union ZMKALPHA', marker: 'ZMKALPHA', visibility: 'public', country: 'DE' },
  AN: { key: 'AN', slug: 'org-zmknetorg', name: 'Alpha network section ZMKNETORG', marker: 'ZMKNETORG', visibility: 'network', parent: 'org-zmkalpha', country: 'DE' },
  AM: { key: 'AM', slug: 'org-zmkmemorg', name: 'Alpha members circle ZMKMEMORG', marker: 'ZMKMEMORG', visibility: 'members', parent: 'org-zmkalpha', country: 'DE' },
  AP: { key: 'AP', slug: 'org-zmkprivorg', name: 'Alpha legal aid ZMKPRIVORG', marker: 'ZMKPRIVORG', visibility: 'private', parent: 'org-zmkalpha', country: 'DE' },
  A3: { key: 'A3', slug: 'org-zmkthirdorg', name: 'Alpha youth ZMKTHIRDORG', marker: 'ZMKTHIRDORG', visibility: 'public', country: 'DE' },
  B: { key: 'B', slug: 'org-zmkbravo', name: 'Bravo Collective ZMKBRAVO', marker: 'ZMKBRAVO', visibility: 'public', country: 'FR' },
  C: { key: 'C', slug: 'org-zmkcharlie', name: 'Charlie Federation ZMKCHARLIE', marker: 'ZMKCHARLIE', visibility: 'public', country: 'IT' },
};

export type StruggleKey = 'SPUB' | 'SNET' | 'SMEM' | 'SPRIV';
export interface StruggleSpec {
  key: StruggleKey;
  slug: string;
  title: string;
  marker: string;
  updateMarker: string;
  visibility: Visibility;
  owner: OrgKey;
  country: string;
}

export const STRUGGLES: Record<StruggleKey, StruggleSpec> = {
  SPUB: { key: 'SPUB', slug: 'strike-zmkstrpublic', title: 'Port strike ZMKSTRPUBLIC', marker: 'ZMKSTRPUBLIC', updateMarker: 'ZMKUPDPUBLIC', visibility: 'public', owner: 'A', country: 'CD' },
  SNET: { key: 'SNET', slug: 'plan-zmkstrnetwork', title: 'Network planning ZMKSTRNETWORK', marker: 'ZMKSTRNETWORK', updateMarker: 'ZMKUPDNETWORK', visibility: 'network', owner: 'A', country: 'BR' },
  SMEM: { key: 'SMEM', slug: 'assembly-zmkstrmembers', title: 'Members assembly ZMKSTRMEMBERS', marker: 'ZMKSTRMEMBERS', updateMarker: 'ZMKUPDMEMBERS', visibility: 'members', owner: 'A', country: 'TR' },
  SPRIV: { key: 'SPRIV', slug: 'case-zmkstrprivate', title: 'Deportation case ZMKSTRPRIVATE', marker: 'ZMKSTRPRIVATE', updateMarker: 'ZMKUPDPRIVATE', visibility: 'private', owner: 'A', country: 'IR' },
};

export const NETWORK = { slug: 'net-zmknetworkn', name: 'Miners network ZMKNETWORKN', marker: 'ZMKNETWORKN' };
/** Members of network N (all current, open-ended since 2025-01-01). */
export const NETWORK_MEMBERS: readonly { org: OrgKey; role: 'coordinator' | 'member' }[] = [
  { org: 'A', role: 'coordinator' },
  { org: 'AP', role: 'member' },
  { org: 'C', role: 'member' },
];

/** Solidarity calls of organization A, on the public struggle SPUB. */
export type CallKey = 'CPUB' | 'CPRIV';
export interface CallSpec {
  key: CallKey;
  slug: string;
  title: string;
  marker: string;
  visibility: Visibility;
  owner: OrgKey;
  /** A response of A with the same visibility as the call, and its marker. */
  responseMarker: string;
}
export const CALLS: Record<CallKey, CallSpec> = {
  CPUB: { key: 'CPUB', slug: 'call-zmkcallpublic', title: 'Messages to the strikers ZMKCALLPUBLIC', marker: 'ZMKCALLPUBLIC', visibility: 'public', owner: 'A', responseMarker: 'ZMKRESPPUBLIC' },
  CPRIV: { key: 'CPRIV', slug: 'call-zmkcallprivate', title: 'Presence at the hearing ZMKCALLPRIVATE', marker: 'ZMKCALLPRIVATE', visibility: 'private', owner: 'A', responseMarker: 'ZMKRESPPRIVATE' },
};

/** Action days called by organization A, each with one local action of A of the same visibility. */
export type DayKey = 'DPUB' | 'DPRIV';
export interface DaySpec {
  key: DayKey;
  slug: string;
  title: string;
  marker: string;
  visibility: Visibility;
  owner: OrgKey;
  localMarker: string;
}
export const DAYS: Record<DayKey, DaySpec> = {
  DPUB: { key: 'DPUB', slug: 'day-zmkdaypublic', title: 'Miners action day ZMKDAYPUBLIC', marker: 'ZMKDAYPUBLIC', visibility: 'public', owner: 'A', localMarker: 'ZMKLOCALPUBLIC' },
  DPRIV: { key: 'DPRIV', slug: 'day-zmkdayprivate', title: 'Closed planning day ZMKDAYPRIVATE', marker: 'ZMKDAYPRIVATE', visibility: 'private', owner: 'A', localMarker: 'ZMKLOCALPRIVATE' },
};

/**
 * Solidarity pacts owned by organization A, each with one contribution on its ledger (the entry's
 * reference carries `entryMarker`), a monthly pledge of A (its note, for coordinators only, carries
 * `pledgeMarker`), a household in the private register (its name carries `beneficiaryMarker`), a
 * stored receipt and a disbursement proposed with it, waiting for approval (its purpose carries
 * `disbursementMarker`). The last three are for A's admins and coordinators only, whatever the
 * pact's visibility.
 */
export type PactKey = 'PPUB' | 'PPRIV';
export interface PactSpec {
  key: PactKey;
  slug: string;
  title: string;
  marker: string;
  visibility: Visibility;
  owner: OrgKey;
  entryMarker: string;
  pledgeMarker: string;
  beneficiaryMarker: string;
  disbursementMarker: string;
}
export const PACTS: Record<PactKey, PactSpec> = {
  PPUB: { key: 'PPUB', slug: 'pact-zmkpactpublic', title: 'Miners families fund ZMKPACTPUBLIC', marker: 'ZMKPACTPUBLIC', visibility: 'public', owner: 'A', entryMarker: 'ZMKENTRYPUBLIC', pledgeMarker: 'ZMKPLEDGEPUBLIC', beneficiaryMarker: 'ZMKBENEFPUBLIC', disbursementMarker: 'ZMKDISBPUBLIC' },
  PPRIV: { key: 'PPRIV', slug: 'pact-zmkpactprivate', title: 'Legal aid fund ZMKPACTPRIVATE', marker: 'ZMKPACTPRIVATE', visibility: 'private', owner: 'A', entryMarker: 'ZMKENTRYPRIVATE', pledgeMarker: 'ZMKPLEDGEPRIVATE', beneficiaryMarker: 'ZMKBENEFPRIVATE', disbursementMarker: 'ZMKDISBPRIVATE' },
};

/**
 * Campaigns owned (and issued) by organization A, open since 2026-01-01, each with: a confirmed
 * supporter in PE who agreed to be listed (name carries `supporterMarker`: the campaign's
 * visibility), a confirmed supporter in PE who did not (`unlistedMarker`: on no page), a confirmed
 * endorsement by C (statement carries `endorsementMarker`: the campaign's visibility), an
 * endorsement by A3 waiting for the coordinators (`pendingMarker`: A's admins and coordinators,
 * who also lead A3), and a paper-list tally of 40 in CD (source carries `tallyMarker`: coordinators).
 */
export type CampaignKey = 'KPUB' | 'KPRIV';
export interface CampaignSpec {
  key: CampaignKey;
  slug: string;
  title: string;
  marker: string;
  visibility: Visibility;
  owner: OrgKey;
  supporterMarker: string;
  unlistedMarker: string;
  endorsementMarker: string;
  pendingMarker: string;
  tallyMarker: string;
}
export const CAMPAIGNS: Record<CampaignKey, CampaignSpec> = {
  KPUB: { key: 'KPUB', slug: 'campaign-zmkcampublic', title: 'Appeal for the miners ZMKCAMPUBLIC', marker: 'ZMKCAMPUBLIC', visibility: 'public', owner: 'A', supporterMarker: 'ZMKSUPPUBLIC', unlistedMarker: 'ZMKUNLISTPUBLIC', endorsementMarker: 'ZMKENDORSEPUBLIC', pendingMarker: 'ZMKWAITPUBLIC', tallyMarker: 'ZMKTALLYPUBLIC' },
  KPRIV: { key: 'KPRIV', slug: 'campaign-zmkcamprivate', title: 'Closed appeal ZMKCAMPRIVATE', marker: 'ZMKCAMPRIVATE', visibility: 'private', owner: 'A', supporterMarker: 'ZMKSUPPRIVATE', unlistedMarker: 'ZMKUNLISTPRIVATE', endorsementMarker: 'ZMKENDORSEPRIVATE', pendingMarker: 'ZMKWAITPRIVATE', tallyMarker: 'ZMKTALLYPRIVATE' },
};

/** One record with a marker: an organization, a struggle or a struggle update, a call, a response, an action day, a local action, a pact, a ledger entry, a campaign and its supporters, endorsements and tallies. */
export interface MarkedRecord {
  id: string;
  kind: 'organization' | 'struggle' | 'update' | 'network' | 'call' | 'response' | 'day' | 'local' | 'pact' | 'entry' | 'pledge' | 'beneficiary' | 'disbursement' | 'campaign' | 'supporter' | 'endorsement' | 'tally';
  visibility: Visibility;
  owner: OrgKey | null;
  marker: string;
}

export const PASSWORD = 'correct horse battery staple';
/** The `admin` actor's personal feed token (43 base64url characters, as the service makes them). */
export const FEED_TOKEN_OF_ADMIN = 'fixtureFeedTokenOfTheAdminActor000000000000';

export interface ActorSession {
  actor: Actor;
  userId: string | null;
  email: string | null;
  /** `sid=…` or empty for anonymous. */
  cookie: string;
  /** A CSRF token from a page this actor loaded, and the cookie header (session + CSRF secret) to send with it. */
  csrf: string;
  formCookie: string;
}

export interface World {
  orgIds: Record<OrgKey, string>;
  struggleIds: Record<StruggleKey, string>;
  callIds: Record<CallKey, string>;
  dayIds: Record<DayKey, string>;
  /** The local action of A on each action day (`:id` of the local action routes). */
  localActionIds: Record<DayKey, string>;
  networkId: string;
  /** Network membership ids by organization. */
  membershipIds: Partial<Record<OrgKey, string>>;
  actors: Record<Actor, ActorSession>;
  records: MarkedRecord[];
  /** A pending invitation per organization (by A's admin). */
  invitationIds: Partial<Record<OrgKey, string>>;
  /** A passkey of the `admin` actor. */
  passkeyId: string;
  /** A follow of A (country CD) and of AP (network N), by organization. */
  followIds: Partial<Record<OrgKey, string>>;
  /** A personal feed token of the `admin` actor (its id; the token is `FEED_TOKEN_OF_ADMIN`). */
  feedTokenId: string;
  /** Session references (first 16 hex digits of the session hash) per signed-in actor. */
  sessionRefs: Partial<Record<Actor, string>>;
  pactIds: Record<PactKey, string>;
  /** The contribution on each pact's ledger (`:id` of the entry routes). */
  entryIds: Record<PactKey, string>;
  /** Per pact: the pledge of A, the household's register code, the waiting disbursement and its stored receipt. */
  pledgeIds: Record<PactKey, string>;
  beneficiaryCodes: Record<PactKey, string>;
  disbursementIds: Record<PactKey, string>;
  documentIds: Record<PactKey, string>;
  campaignIds: Record<CampaignKey, string>;
  /** Per campaign: the listed and the unlisted supporter, C's confirmed and A3's pending endorsement, the tally. */
  supporterIds: Record<CampaignKey, { listed: string; unlisted: string }>;
  endorsementIds: Record<CampaignKey, { confirmed: string; pending: string }>;
  tallyIds: Record<CampaignKey, string>;
  /** Per campaign: a supporter import waiting in preview (its file sealed). */
  supporterImportIds: Record<CampaignKey, string>;
}

/** The actor's role in an organization of the fixture (undefined: none). */
export function roleOf(actor: Actor, org: OrgKey): Role | undefined {
  if (A_FAMILY.includes(org) && (actor === 'viewer' || actor === 'member' || actor === 'coordinator' || actor === 'admin')) return actor;
  if (org === 'B' && actor === 'adminB') return 'admin';
  if (org === 'C' && actor === 'peerAdmin') return 'admin';
  return undefined;
}

/** Organizations that share a current network membership with one of the actor's organizations. */
export function networkPeersOf(actor: Actor): Set<OrgKey> {
  const mine = (Object.keys(ORGS) as OrgKey[]).filter((o) => roleOf(actor, o));
  const inN = NETWORK_MEMBERS.map((m) => m.org);
  return mine.some((o) => inN.includes(o)) ? new Set(inN) : new Set();
}

/**
 * The oracle, written from DESIGN.md / ARCHITECTURE.md rather than from the code: `public` for
 * everyone; `network` for members of the owner and of organizations sharing a current network
 * with it; `members` for any role in the owner; `private` for its admins and coordinators.
 * (No fixture record has a creator, and no actor is an instance administrator.)
 */
export function sees(actor: Actor, rec: { visibility: Visibility; owner: OrgKey | null }): boolean {
  if (rec.visibility === 'public') return true;
  if (actor === 'anonymous' || rec.owner === null) return false;
  const role = roleOf(actor, rec.owner);
  switch (rec.visibility) {
    case 'network':
      return role !== undefined || networkPeersOf(actor).has(rec.owner);
    case 'members':
      return role !== undefined;
    case 'private':
      return role === 'admin' || role === 'coordinator';
  }
}

/**
 * What the actor may be shown at all: what they may see, plus the names of organizations they
 * hold a role in (a person knows the name of their own organization even when its page is
 * private to its admins, e.g. in the "published by" choice of the struggle form).
 */
export function mayKnow(actor: Actor, rec: MarkedRecord): boolean {
  if (sees(actor, rec)) return true;
  return rec.kind === 'organization' && rec.owner !== null && roleOf(actor, rec.owner) !== undefined;
}

/** Markers in `body` that `actor` may not be shown. */
export function leakedMarkers(world: World, actor: Actor, body: string, requested: string[] = []): string[] {
  // What the request itself named (a slug in the URL, echoed in the page's links) is no leak.
  let text = body.toLowerCase();
  for (const r of requested) text = text.replaceAll(r.toLowerCase(), '');
  return world.records.filter((r) => !mayKnow(actor, r) && text.includes(r.marker.toLowerCase())).map((r) => r.marker);
}

/** True when `body` shows the marker (names, titles, or slugs in links; case-insensitive). */
export function shows(body: string, marker: string): boolean {
  return body.toLowerCase().includes(marker.toLowerCase());
}

/** Builds the fixture: organizations, network, struggles with updates, and one session per actor. */
export async function seedWorld(t: TestApp): Promise<World> {
  const db = t.db.db;
  const orgIds = {} as Record<OrgKey, string>;
  for (const o of Object.values(ORGS)) {
    const { id } = await makeOrganization(db, { name: o.name, slug: o.slug, kind: 'union', country: o.country, visibility: o.visibility, parent: o.parent });
    orgIds[o.key] = id;
  }
  const network = await makeNetwork(db, { name: NETWORK.name, slug: NETWORK.slug, sector: 'mining' });
  const membershipIds: Partial<Record<OrgKey, string>> = {};
  for (const m of NETWORK_MEMBERS) {
    const { id } = await makeNetworkMembership(db, NETWORK.slug, ORGS[m.org].slug, { role: m.role, since: '2025-01-01' });
    membershipIds[m.org] = id;
  }
  const struggleIds = {} as Record<StruggleKey, string>;
  for (const s of Object.values(STRUGGLES)) {
    const { id } = await makeStruggle(db, {
      title: s.title,
      slug: s.slug,
      country: s.country,
      visibility: s.visibility,
      organization: ORGS[s.owner].slug,
      // The public struggle names the private organization as a supporter: its page must not.
      ...(s.key === 'SPUB' ? { supporters: [ORGS.AP.slug] } : {}),
    });
    struggleIds[s.key] = id;
    await addStruggleUpdate(db, null, s.slug, { date: '2026-03-02', body: `Update ${s.updateMarker}`, lang: 'en' }, { trusted: true });
  }

  // Coordination records, written directly (their services have their own tests).
  const stamp = '2026-03-03T10:00:00.000Z';
  const callIds = {} as Record<CallKey, string>;
  for (const [i, c] of Object.values(CALLS).entries()) {
    const id = `0190bbbb-0000-7000-8000-00000000000${i + 1}`;
    callIds[c.key] = id;
    await db
      .insertInto('solidarity_calls')
      .values({ id, slug: c.slug, struggle_id: struggleIds.SPUB, organization_id: orgIds[c.owner], title: c.title, body: `Call ${c.marker}`, lang: 'en', deadline: '2026-12-31', action_date: null, visibility: c.visibility, search_text: c.title.toLowerCase(), created_by: null, created_at: stamp, updated_at: stamp })
      .execute();
    await db.insertInto('solidarity_call_asks').values({ call_id: id, ask: 'messages' }).execute();
    await db.insertInto('solidarity_call_issuers').values({ call_id: id, organization_id: orgIds[c.owner] }).execute();
    await db
      .insertInto('solidarity_responses')
      .values({ id: `0190bbbb-0000-7000-8000-00000000001${i + 1}`, call_id: id, organization_id: orgIds[c.owner], network_id: null, kind: 'message', date: '2026-03-04', place: 'Essen', country: 'DE', report: `Response ${c.responseMarker}`, lang: 'en', link: null, visibility: c.visibility, created_by: null, created_at: stamp, updated_at: stamp })
      .execute();
  }
  const dayIds = {} as Record<DayKey, string>;
  const localActionIds = {} as Record<DayKey, string>;
  for (const [i, d] of Object.values(DAYS).entries()) {
    const id = `0190cccc-0000-7000-8000-00000000000${i + 1}`;
    dayIds[d.key] = id;
    await db
      .insertInto('action_days')
      .values({ id, slug: d.slug, title: d.title, call_text: `Join ${d.marker}`, lang: 'en', start_date: '2026-05-01', end_date: '2026-05-01', organization_id: orgIds[d.owner], network_id: null, struggle_id: null, visibility: d.visibility, search_text: d.title.toLowerCase(), created_by: null, created_at: stamp, updated_at: stamp })
      .execute();
    await db
      .insertInto('local_actions')
      .values({ id: (localActionIds[d.key] = `0190cccc-0000-7000-8000-00000000001${i + 1}`), action_day_id: id, organization_id: orgIds[d.owner], title: `Rally ${d.localMarker}`, kind: 'rally', city: 'Essen', country: 'DE', venue: null, all_day: 0, start_local: '2026-05-01T10:00', end_local: '2026-05-01T12:00', time_zone: 'Europe/Berlin', starts_at: '2026-05-01T08:00:00.000Z', ends_at: '2026-05-01T10:00:00.000Z', start_date: '2026-05-01', end_date: '2026-05-01', expected_participants: 40, contact: null, visibility: d.visibility, created_by: null, created_at: stamp, updated_at: stamp })
      .execute();
  }

  // Solidarity pacts of A, written directly; their one contribution goes through the ledger service.
  const pactIds = {} as Record<PactKey, string>;
  const entryIds = {} as Record<PactKey, string>;
  const pledgeIds = {} as Record<PactKey, string>;
  const beneficiaryCodes = {} as Record<PactKey, string>;
  const disbursementIds = {} as Record<PactKey, string>;
  const documentIds = {} as Record<PactKey, string>;
  for (const [i, p] of Object.values(PACTS).entries()) {
    const id = `0190ffff-0000-7000-8000-00000000000${i + 1}`;
    pactIds[p.key] = id;
    await db
      .insertInto('pacts')
      .values({ id, slug: p.slug, organization_id: orgIds[p.owner], title: p.title, description: `Fund ${p.marker}`, lang: 'en', beneficiary_group: 'Families of the miners', country: 'CD', goal_minor: 1_000_000, goal_currency: 'EUR', period_start: '2026-01-01', period_end: null, status: 'open', closed_at: null, visibility: p.visibility, search_text: p.title.toLowerCase(), created_by: null, created_at: stamp, updated_at: stamp })
      .execute();
    await db.insertInto('pact_organizations').values({ pact_id: id, organization_id: orgIds[p.owner] }).execute();
    await initLedger(db, id);
    const [entry] = await recordEntries(db, {
      pactId: id,
      recordedBy: null,
      entries: [{ kind: 'contribution', amountMinor: 25_000, currency: 'EUR', valueDate: '2026-03-05', counterparty: { kind: 'external', name: 'Collection at the gate' }, reference: `Transfer ${p.entryMarker}` }],
    });
    entryIds[p.key] = entry!.id;

    // A's pledge, a household in the register (sealed like the service seals it), a stored receipt
    // and a disbursement proposed with it by someone outside the matrix (so any coordinator may approve).
    pledgeIds[p.key] = `0190ffff-0000-7000-8000-00000000001${i + 1}`;
    await db
      .insertInto('pledges')
      .values({ id: pledgeIds[p.key], pact_id: id, organization_id: orgIds.A, user_id: null, pledger_name: null, amount_minor: 5_000, currency: 'EUR', frequency: 'monthly', start_date: '2026-01-01', end_date: null, note: `Standing order ${p.pledgeMarker}`, cancelled_at: null, created_by: null, created_at: stamp })
      .execute();
    const beneficiaryId = `0190ffff-0000-7000-8000-00000000002${i + 1}`;
    beneficiaryCodes[p.key] = 'H-0001';
    await db
      .insertInto('beneficiaries')
      .values({ id: beneficiaryId, pact_id: id, code: 'H-0001', kind: 'household', household_size: 4, sealed_personal: seal(t.app.keyring, { name: `Family ${p.beneficiaryMarker}`, contact: null, address: null, notes: null }, `beneficiaries:${beneficiaryId}`), archived_at: null, created_by: null, created_at: stamp, updated_at: stamp })
      .execute();
    const stored = await t.app.documents.put(FIXTURE_PDF, { filename: 'receipt.pdf', declaredType: 'application/pdf' });
    documentIds[p.key] = `0190ffff-0000-7000-8000-00000000003${i + 1}`;
    await db
      .insertInto('pact_documents')
      .values({ id: documentIds[p.key], pact_id: id, storage_key: stored.storageKey, filename: stored.filename, content_type: stored.contentType, size_bytes: stored.size, sha256: stored.sha256, uploaded_by: null, uploaded_at: stamp })
      .execute();
    disbursementIds[p.key] = `0190ffff-0000-7000-8000-00000000004${i + 1}`;
    await db
      .insertInto('disbursements')
      .values({ id: disbursementIds[p.key], pact_id: id, beneficiary_id: beneficiaryId, payee_name: null, amount_minor: 1_000, currency: 'EUR', purpose: `Medicine ${p.disbursementMarker}`, value_date: '2026-03-06', document_id: documentIds[p.key], status: 'proposed', proposed_by: null, proposed_at: stamp, decided_by: null, decided_at: null, decision_note: null, entry_id: null })
      .execute();
  }

  // Campaigns of A, written directly (their services have their own tests).
  const campaignIds = {} as Record<CampaignKey, string>;
  const supporterIds = {} as Record<CampaignKey, { listed: string; unlisted: string }>;
  const endorsementIds = {} as Record<CampaignKey, { confirmed: string; pending: string }>;
  const tallyIds = {} as Record<CampaignKey, string>;
  const supporterImportIds = {} as Record<CampaignKey, string>;
  for (const [i, c] of Object.values(CAMPAIGNS).entries()) {
    const id = `0190a0a0-0000-7000-8000-00000000000${i + 1}`;
    campaignIds[c.key] = id;
    await db
      .insertInto('campaigns')
      .values({ id, slug: c.slug, organization_id: orgIds[c.owner], original_lang: 'en', goal: 1000, starts_on: '2026-01-01', ends_on: null, status: 'open', visibility: c.visibility, search_text: c.title.toLowerCase(), created_by: null, created_at: stamp, updated_at: stamp })
      .execute();
    await db.insertInto('campaign_translations').values({ campaign_id: id, lang: 'en', title: c.title, appeal: `Sign the appeal ${c.marker}`, is_original: 1, translated_by: null, translator_name: null, created_at: stamp, updated_at: stamp }).execute();
    await db.insertInto('campaign_organizations').values({ campaign_id: id, organization_id: orgIds[c.owner] }).execute();
    supporterIds[c.key] = { listed: `0190a0a0-0000-7000-8000-00000000001${i + 1}`, unlisted: `0190a0a0-0000-7000-8000-00000000002${i + 1}` };
    for (const [which, marker] of [['listed', c.supporterMarker], ['unlisted', c.unlistedMarker]] as const) {
      const sid = supporterIds[c.key][which];
      const listed = which === 'listed';
      await db
        .insertInto('supporters')
        .values({
          id: sid, campaign_id: id, email_hash: `fixture.${sid}`, email_sealed: seal(t.app.keyring, `${which}-${c.key.toLowerCase()}@example.org`, `supporters:${sid}`), domain_hash: 'fixture.example.org',
          name: `Rosa ${listed ? 'Listed' : 'Unlisted'} ${marker}`, country: 'PE', city: 'Cerro de Pasco', affiliation: null, lang: 'en',
          list_publicly: listed ? 1 : 0, list_consent_version: listed ? 'fixture' : null, list_consented_at: listed ? stamp : null,
          contact_ok: 0, contact_consent_version: null, contact_consented_at: null, status: 'confirmed', source: 'online', consent_basis: null, import_id: null,
          created_at: stamp, confirmed_at: stamp, expires_at: null,
        })
        .execute();
    }
    await db.insertInto('campaign_counts').values({ campaign_id: id, country: 'PE', supporters: 2 }).execute();
    endorsementIds[c.key] = { confirmed: `0190a0a0-0000-7000-8000-00000000003${i + 1}`, pending: `0190a0a0-0000-7000-8000-00000000004${i + 1}` };
    await db
      .insertInto('campaign_endorsements')
      .values([
        { id: endorsementIds[c.key].confirmed, campaign_id: id, organization_id: orgIds.C, statement: `We stand with them ${c.endorsementMarker}`, statement_lang: 'en', status: 'confirmed', endorsed_by: null, endorsed_at: stamp, decided_by: null, decided_at: stamp },
        { id: endorsementIds[c.key].pending, campaign_id: id, organization_id: orgIds.A3, statement: `Count us in ${c.pendingMarker}`, statement_lang: 'en', status: 'pending', endorsed_by: null, endorsed_at: stamp, decided_by: null, decided_at: null },
      ])
      .execute();
    tallyIds[c.key] = `0190a0a0-0000-7000-8000-00000000005${i + 1}`;
    await db
      .insertInto('campaign_tallies')
      .values({ id: tallyIds[c.key], campaign_id: id, country: 'CD', count: 40, source: `Rally at the gate ${c.tallyMarker}`, collected_on: '2026-03-01', external_ref: null, entered_by: null, entered_at: stamp })
      .execute();
    supporterImportIds[c.key] = `0190a0a0-0000-7000-8000-00000000006${i + 1}`;
    const importId = supporterImportIds[c.key];
    const file = Buffer.from('email,name,country\r\nrosa.lima@example.org,Rosa Lima,PE\r\n').toString('base64');
    await db
      .insertInto('supporter_imports')
      .values({ id: importId, campaign_id: id, filename: 'paper-list.csv', file_sealed: seal(t.app.keyring, file, `supporter_imports:${importId}`), mapping: '{"email":0,"name":1,"country":2}', consent_basis: null, status: 'preview', total_rows: 1, errors: null, created_by: null, created_at: stamp, finished_at: null })
      .execute();
  }

  const actors = {} as Record<Actor, ActorSession>;
  for (const actor of ACTORS) {
    let userId: string | null = null;
    let email: string | null = null;
    let cookie = '';
    if (actor !== 'anonymous') {
      email = `${actor.toLowerCase()}@example.org`;
      userId = await createUser(db, { email, displayName: `Actor ${actor}`, password: PASSWORD });
      for (const org of Object.keys(ORGS) as OrgKey[]) {
        const role = roleOf(actor, org);
        if (role) await setOrganizationRole(db, orgIds[org], userId, role);
      }
      cookie = `sid=${await createSession(db, userId)}`;
    }
    // A CSRF token from a page this actor can load (the layout's language form carries one).
    const res = await t.app.inject({ method: 'GET', url: '/', headers: cookie ? { cookie } : {} });
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (!m) throw new Error(`no CSRF field on / for ${actor} (status ${res.statusCode})`);
    const formCookie = [cookie, cookiesFrom(res)].filter(Boolean).join('; ');
    actors[actor] = { actor, userId, email, cookie, csrf: m[1]!, formCookie };
  }

  // A pending invitation to A and to AP, and a passkey of the admin: records of one organization or
  // one account that others must not touch.
  const now = new Date();
  const invitationIds: Partial<Record<OrgKey, string>> = {};
  for (const org of ['A', 'AP'] as const) {
    const id = `0190aaaa-0000-7000-8000-00000000000${org === 'A' ? 1 : 2}`;
    const email = `invitee-${org.toLowerCase()}@example.org`;
    await db
      .insertInto('invitations')
      .values({
        id,
        organization_id: orgIds[org],
        email,
        email_key: email,
        role: 'member',
        token_hash: createHash('sha256').update(`fixture-invitation-${org}`).digest('hex'),
        invited_by: actors.admin.userId,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
        accepted_at: null,
        accepted_by: null,
        revoked_at: null,
      })
      .execute();
    invitationIds[org] = id;
  }
  const passkeyId = 'fixture-passkey-of-admin';
  await db
    .insertInto('passkeys')
    .values({ id: passkeyId, user_id: actors.admin.userId!, public_key: 'AAAA', transports: null, name: 'Admin key', created_at: now.toISOString(), last_used_at: null })
    .execute();
  const feedTokenId = '0190dddd-0000-7000-8000-000000000001';
  await db
    .insertInto('feed_tokens')
    .values({ id: feedTokenId, user_id: actors.admin.userId!, token_hash: createHash('sha256').update(FEED_TOKEN_OF_ADMIN).digest('hex'), label: 'Admin calendar', created_at: now.toISOString(), last_used_at: null, revoked_at: null })
    .execute();
  const followIds: Partial<Record<OrgKey, string>> = { A: '0190eeee-0000-7000-8000-000000000001', AP: '0190eeee-0000-7000-8000-000000000002' };
  await db
    .insertInto('follows')
    .values([
      { id: followIds.A!, organization_id: orgIds.A, target_kind: 'country', target_id: 'CD', created_by: null, created_at: now.toISOString() },
      { id: followIds.AP!, organization_id: orgIds.AP, target_kind: 'network', target_id: network.id, created_by: null, created_at: now.toISOString() },
    ])
    .execute();
  const sessionRefs: Partial<Record<Actor, string>> = {};
  for (const a of ACTORS) {
    const token = actors[a].cookie.replace(/^sid=/, '');
    if (token) sessionRefs[a] = createHash('sha256').update(token).digest('hex').slice(0, 16);
  }

  const records: MarkedRecord[] = [
    ...Object.values(ORGS).map((o) => ({ id: orgIds[o.key], kind: 'organization' as const, visibility: o.visibility, owner: o.key, marker: o.marker })),
    ...Object.values(STRUGGLES).flatMap((s) => [
      { id: struggleIds[s.key], kind: 'struggle' as const, visibility: s.visibility, owner: s.owner, marker: s.marker },
      { id: `${struggleIds[s.key]}:update`, kind: 'update' as const, visibility: s.visibility, owner: s.owner, marker: s.updateMarker },
    ]),
    { id: network.id, kind: 'network', visibility: 'public', owner: null, marker: NETWORK.marker },
    ...Object.values(CALLS).flatMap((c) => [
      { id: callIds[c.key], kind: 'call' as const, visibility: c.visibility, owner: c.owner, marker: c.marker },
      { id: `${callIds[c.key]}:response`, kind: 'response' as const, visibility: c.visibility, owner: c.owner, marker: c.responseMarker },
    ]),
    ...Object.values(DAYS).flatMap((d) => [
      { id: dayIds[d.key], kind: 'day' as const, visibility: d.visibility, owner: d.owner, marker: d.marker },
      { id: `${dayIds[d.key]}:local`, kind: 'local' as const, visibility: d.visibility, owner: d.owner, marker: d.localMarker },
    ]),
    ...Object.values(PACTS).flatMap((p) => [
      { id: pactIds[p.key], kind: 'pact' as const, visibility: p.visibility, owner: p.owner, marker: p.marker },
      { id: entryIds[p.key], kind: 'entry' as const, visibility: p.visibility, owner: p.owner, marker: p.entryMarker },
      { id: pledgeIds[p.key], kind: 'pledge' as const, visibility: 'private' as const, owner: p.owner, marker: p.pledgeMarker },
      { id: `${p.key}:H-0001`, kind: 'beneficiary' as const, visibility: 'private' as const, owner: p.owner, marker: p.beneficiaryMarker },
      { id: disbursementIds[p.key], kind: 'disbursement' as const, visibility: 'private' as const, owner: p.owner, marker: p.disbursementMarker },
    ]),
    ...Object.values(CAMPAIGNS).flatMap((c) => [
      { id: campaignIds[c.key], kind: 'campaign' as const, visibility: c.visibility, owner: c.owner, marker: c.marker },
      { id: supporterIds[c.key].listed, kind: 'supporter' as const, visibility: c.visibility, owner: c.owner, marker: c.supporterMarker },
      { id: supporterIds[c.key].unlisted, kind: 'supporter' as const, visibility: 'private' as const, owner: c.owner, marker: c.unlistedMarker },
      { id: endorsementIds[c.key].confirmed, kind: 'endorsement' as const, visibility: c.visibility, owner: c.owner, marker: c.endorsementMarker },
      { id: endorsementIds[c.key].pending, kind: 'endorsement' as const, visibility: 'private' as const, owner: c.owner, marker: c.pendingMarker },
      { id: tallyIds[c.key], kind: 'tally' as const, visibility: 'private' as const, owner: c.owner, marker: c.tallyMarker },
    ]),
  ];
  return { orgIds, struggleIds, callIds, dayIds, localActionIds, networkId: network.id, membershipIds, actors, records, invitationIds, passkeyId, feedTokenId, followIds, sessionRefs, pactIds, entryIds, pledgeIds, beneficiaryCodes, disbursementIds, documentIds, campaignIds, supporterIds, endorsementIds, tallyIds, supporterImportIds };
}

// ---------------------------------------------------------------------------------------------
// Database snapshots: what a denied write must leave unchanged, and what an allowed write is
// rolled back to.

export type Snapshot = Map<string, string[]>;

/** Tables never compared or restored: the append-only audit log. */
const NEVER = new Set(['audit_events']);
/** Tables a denied request may legitimately touch (session bookkeeping). */
export const VOLATILE = new Set(['sessions']);

async function tableNames(t: TestApp): Promise<string[]> {
  const db = t.db.db;
  const rows =
    t.db.engine === 'postgres'
      ? (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)).rows
      : (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)).rows;
  return rows.map((r) => r.name).filter((n) => !n.startsWith('kysely_') && !NEVER.has(n)).sort();
}

let cachedTables: string[] | null = null;

/**
 * Every row of every data table (except the audit log), as sorted JSON strings per table: the
 * fingerprint two states are compared by. On PostgreSQL one query reads them all.
 */
export async function snapshot(t: TestApp): Promise<Snapshot> {
  cachedTables ??= await tableNames(t);
  const snap: Snapshot = new Map(cachedTables.map((n) => [n, [] as string[]]));
  if (t.db.engine === 'postgres') {
    const union = sql.join(
      cachedTables.map((n) => sql`SELECT ${n} AS t, row_to_json(x)::text AS r FROM ${sql.table(n)} x`),
      sql` UNION ALL `,
    );
    const rows = (await sql<{ t: string; r: string }>`${union}`.execute(t.db.db)).rows;
    for (const row of rows) snap.get(row.t)!.push(row.r);
  } else {
    for (const table of cachedTables) {
      const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.db.db)).rows;
      snap.set(table, rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))));
    }
  }
  for (const list of snap.values()) list.sort();
  return snap;
}

/** The rows of every data table as the driver returns them, to put back with `restore`. */
export type Rows = Map<string, Record<string, unknown>[]>;

export async function captureRows(t: TestApp): Promise<Rows> {
  cachedTables ??= await tableNames(t);
  const out: Rows = new Map();
  for (const table of cachedTables) out.set(table, (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.db.db)).rows);
  return out;
}

/** Forgets the cached table list (another test file's app may have a different schema). */
export function resetSnapshotCache(): void {
  cachedTables = null;
}

/** Tables whose rows differ between two snapshots (optionally ignoring some). */
export function changedTables(a: Snapshot, b: Snapshot, ignore: Set<string> = new Set()): string[] {
  const out: string[] = [];
  for (const [table, rows] of a) {
    if (ignore.has(table)) continue;
    const other = b.get(table) ?? [];
    if (rows.length !== other.length || rows.some((r, i) => r !== other[i])) out.push(table);
  }
  return out;
}

/** Puts `tables` back to their rows in `base` (foreign keys off while the rows are replaced). */
export async function restore(t: TestApp, base: Rows, tables: string[]): Promise<void> {
  if (!tables.length) return;
  const db = t.db.db;
  const rowsOf = (table: string) => base.get(table) ?? [];
  if (t.db.engine === 'sqlite') {
    // Append-only tables (the ledger) refuse DELETE through triggers: lift those of the tables put
    // back, and restore them afterwards.
    const triggers = (await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'trigger' and tbl_name in (${sql.join(tables)})`.execute(db)).rows;
    await sql`PRAGMA foreign_keys = OFF`.execute(db);
    try {
      for (const tr of triggers) await sql`DROP TRIGGER ${sql.id(tr.name)}`.execute(db);
      await db.transaction().execute(async (tx) => {
        for (const table of tables) {
          await sql`DELETE FROM ${sql.table(table)}`.execute(tx);
          for (const row of rowsOf(table)) await insertRow(tx, table, row);
        }
      });
    } finally {
      for (const tr of triggers) await sql.raw(tr.sql).execute(db);
      await sql`PRAGMA foreign_keys = ON`.execute(db);
    }
  } else {
    await db.transaction().execute(async (tx) => {
      // Replica mode skips foreign-key triggers for this transaction only.
      await sql`SET LOCAL session_replication_role = replica`.execute(tx);
      for (const table of tables) {
        await sql`DELETE FROM ${sql.table(table)}`.execute(tx);
        for (const row of rowsOf(table)) await insertRow(tx, table, row);
      }
    });
  }
}

async function insertRow(db: Db, table: string, row: Record<string, unknown>): Promise<void> {
  const cols = Object.keys(row);
  await sql`INSERT INTO ${sql.table(table)} (${sql.join(cols.map((c) => sql.id(c)))}) VALUES (${sql.join(cols.map((c) => row[c]))})`.execute(db);
}
