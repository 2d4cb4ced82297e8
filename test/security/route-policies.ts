import { CAMPAIGNS, NETWORK, ORGS, PACTS, PASSWORD, STRUGGLES, type Actor, type OrgKey, type Role, type StruggleKey, type Visibility, type World } from './fixture.ts';

/**
 * Who may call each route: one entry per `METHOD path` of `app.routeTable`
 * (test/security/authorization-matrix.test.ts walks every route and fails on one without an
 * entry here). An entry names a rule, and, when the route needs them, the fixture records that
 * fill its path parameters (`targets`), the body of a realistic request (`body`), and what an
 * allowed answer must show (`shows`).
 *
 * Rules are predicates over the cell (actor × target) — see RULES below. "Deny" is asserted
 * strictly: 401/403/404 (or a 303 to /sign-in for forms; 404 whenever the target is a record
 * the actor may not see), no marker of a record the actor may not see in the body, and no
 * change in any data table. "Allow" is 2xx or 303, with the markers listed in `shows`.
 */

/** A fixture record a route may target. */
export type TargetKey =
  | `org:${OrgKey}`
  | `struggle:${StruggleKey}`
  | 'network:N'
  | `call:${'CPUB' | 'CPRIV'}`
  | `day:${'DPUB' | 'DPRIV'}`
  /** The local action of A on an action day (`:slug` of the day, `:id` of the local action; same visibility). */
  | `local:${'DPUB' | 'DPRIV'}`
  /** A country's feed (`:code`). */
  | 'country:CD'
  | `membership:${OrgKey}`
  /** The `member` actor's membership in an organization (`:slug`, `:userId`). */
  | `orgmember:${OrgKey}`
  /** A pending invitation to an organization (`:slug`, `:id`). */
  | `invitation:${OrgKey}`
  /** The `admin` actor's passkey (`:id`). */
  | 'passkey:admin'
  /** A follow of an organization (`:slug`, `:id`). */
  | `follow:${'A' | 'AP'}`
  /** The `admin` actor's personal feed token (`:id`). */
  | 'feedtoken:admin'
  /** A solidarity pact of A (`:slug`). */
  | `pact:${'PPUB' | 'PPRIV'}`
  /** The contribution on a pact's ledger (`:slug` of the pact, `:id` of the entry; the pact's visibility). */
  | `entry:${'PPUB' | 'PPRIV'}`
  /** On a pact (`:slug`): A's pledge (`:id`), the register's household (`:code`), the waiting disbursement (`:id`), its stored receipt (`:id`). */
  | `pledge:${'PPUB' | 'PPRIV'}`
  | `beneficiary:${'PPUB' | 'PPRIV'}`
  | `disbursement:${'PPUB' | 'PPRIV'}`
  | `document:${'PPUB' | 'PPRIV'}`
  /** A campaign of A (`:slug`; also `:lang` = `pt-BR`, a language it has no text in yet). */
  | `campaign:${'KPUB' | 'KPRIV'}`
  /** On a campaign (`:slug`): A3's waiting endorsement (`:id`), the paper-list tally (`:id`). */
  | `endorsement:${'KPUB' | 'KPRIV'}`
  | `tally:${'KPUB' | 'KPRIV'}`
  /** A supporter import of the campaign waiting in preview, its file sealed (`:slug` of the campaign, `:id` of the import). */
  | `supporterimport:${'KPUB' | 'KPRIV'}`
  /** A confirmed signature of a campaign (`:slug`, `:id`), reached without the token of its mail. */
  | `signature:${'KPUB' | 'KPRIV'}`
  | 'token:bogus'
  | 'none';

export interface Target {
  key: TargetKey;
  /** Values for the route's path parameters (`:slug`, `:id`, `:token`, …). */
  params: Record<string, string>;
  /** The record's visibility and owner, for the visibility oracle (public, ownerless for networks). */
  visibility: Visibility;
  owner: OrgKey | null;
  /** For records of one account (a passkey): whose. */
  ownerActor?: Actor;
}

/** Everything a rule may look at for one cell. */
export interface Cell {
  actor: Actor;
  signedIn: boolean;
  target: Target;
  /** The actor may see the target record (the oracle in fixture.ts). */
  sees: boolean;
  /** The actor may see the target or holds a role in its owner (so a 403 reveals nothing new). */
  knows: boolean;
  /** The actor's role in the target's owner (for a membership: in the member organization). */
  role: Role | undefined;
  /** The actor's role in A3, the organization that write tests sign up to network N. */
  roleInJoiner: Role | undefined;
  /** The actor may manage network N (admin/coordinator of its coordinator organization A). */
  managesNetwork: boolean;
}

const leads = (r: Role | undefined) => r === 'admin' || r === 'coordinator';

/** The named rules. Keep them few; a new route should fit one. */
export const RULES = {
  /** Anyone, signed in or not; records shown are filtered by visibility. */
  'public-read': () => true,
  /** Anyone may send it (with a CSRF token for forms): sign-in, sign-out, language. */
  'public-write': () => true,
  /** Record-level read: whoever may see the target; others get a 404 identical to a missing record. */
  'visible-read': (c: Cell) => c.sees,
  /** Any signed-in account. */
  'signed-in': (c: Cell) => c.signedIn,
  /** The signed-in account acting on itself (account pages). */
  self: (c: Cell) => c.signedIn,
  /** Only without a session (sign-in flows that make no sense when signed in). */
  'anonymous-only': (c: Cell) => !c.signedIn,
  /** Any role (viewer and up) in the target's owner — membership, not visibility: a viewer of a private organization reads its members page. */
  'org-member-read': (c: Cell) => c.role !== undefined,
  /** Admins and coordinators of the target's owner. */
  'org-manage': (c: Cell) => c.sees && leads(c.role),
  /** Admins of the target's owner (effective role: an admin held back for a missing second factor is not one). */
  'org-admin': (c: Cell) => c.role === 'admin',
  /** Instance administrators only; no matrix actor is one. */
  'instance-admin': () => false,
  /** The account the target record belongs to (its passkey, its session). */
  'own-record': (c: Cell) => c.actor === c.target.ownerActor,
  /** Edit a struggle: admins, coordinators and members of its owner (not viewers). */
  'struggle-edit': (c: Cell) => c.sees && (leads(c.role) || c.role === 'member'),
  /** Publish a struggle for organization A: members and up of A (a viewer only reads). */
  'org-publish': (c: Cell) => leads(c.role) || c.role === 'member',
  /**
   * Pledge for organization A on the target pact, or cancel A's pledge: who sees the pact and
   * publishes for A (pact coordinators included); a viewer only reads.
   */
  'pact-pledge': (c: Cell) => c.sees && (leads(c.role) || c.role === 'member'),
  /** Who sees the target campaign and leads some organization: the page to endorse it for one. */
  'campaign-endorse-page': (c: Cell) => c.sees && ['coordinator', 'admin', 'adminB', 'peerAdmin'].includes(c.actor),
  /** Endorse the target campaign for AN (of A's family): who sees the campaign and leads AN. */
  'campaign-endorse': (c: Cell) => c.sees && leads(c.role),
  /** Withdraw A3's endorsement of the target campaign: who sees the campaign and leads A3. */
  'endorsement-withdraw': (c: Cell) => c.sees && leads(c.roleInJoiner),
  /** Anyone who leads (admin or coordinator of) some organization: the new-pact page. */
  'lead-somewhere': (c: Cell) => ['coordinator', 'admin', 'adminB', 'peerAdmin'].includes(c.actor),
  /** Anyone with a publishing role (member and up) in some organization: the new-call page. */
  'publish-somewhere': (c: Cell) => ['member', 'coordinator', 'admin', 'adminB', 'peerAdmin'].includes(c.actor),
  /** Record a response of organization A to the target call: who sees the call and publishes for A. */
  'call-respond': (c: Cell) => c.sees && (leads(c.role) || c.role === 'member'),
  /** Register a local action of organization A on the target action day: who sees the day and publishes for A. */
  'day-register': (c: Cell) => c.sees && (leads(c.role) || c.role === 'member'),
  /**
   * Change or withdraw a local action: who sees it and publishes for its organization or for the
   * action day's calling organization (both A here); a viewer only reads.
   */
  'local-action-change': (c: Cell) => c.sees && (leads(c.role) || c.role === 'member'),
  /** Feeds are anonymous: only public records (with a public owner), the same answer for everyone. */
  'public-feed': (c: Cell) => c.target.visibility === 'public',
  /** Manage network N: admins/coordinators of a current coordinator organization. */
  'network-manage': (c: Cell) => c.managesNetwork,
  /** Sign organization A3 up to network N: its managers, or the network's. */
  'network-join': (c: Cell) => c.managesNetwork || leads(c.roleInJoiner),
  /** End a membership: the network's managers, or the member organization's (which they must see). */
  'network-end': (c: Cell) => c.sees && (c.managesNetwork || leads(c.role)),
  /** Holder of a valid token; every target here is a wrong token, so nobody. */
  token: () => false,
  /** A session waiting for its second factor; no matrix actor has one, so nobody. */
  'pending-session': () => false,
  /**
   * Second sign-in step as a page or form: with a pending session it checks the factor; without
   * one a signed-in person is sent on to `next` (303, nothing changes — asserted by `readOnly`)
   * and anyone else back to /sign-in.
   */
  'pending-step': (c: Cell) => c.signedIn,
  /** The account has TOTP turned on; no matrix actor has (without it: 404, nothing to act on). */
  'has-totp': () => false,
  /** Nobody on a running instance (first-run set-up is over). */
  nobody: () => false,
} satisfies Record<string, (c: Cell) => boolean>;

export type RuleName = keyof typeof RULES;

/** Markers an allowed answer must contain. */
export type Show =
  /** The target record's own marker. */
  | 'target'
  /** The target call's responses the actor may see. */
  | 'responses'
  /** The target action day's local actions the actor may see. */
  | 'local-actions'
  /** Every solidarity call / action day of the fixture the actor may see (lists). */
  | 'calls'
  | 'days'
  /** The target organization's child organizations the actor may see. */
  | 'children'
  /** The target organization's struggles the actor may see. */
  | 'owned-struggles'
  /** The target struggle's update. */
  | 'update'
  /** The target network's member organizations the actor may see. */
  | 'network-members'
  /** Every fixture struggle the actor may see. */
  | 'struggles'
  /** Every fixture organization the actor may see. */
  | 'organizations'
  /** Network N. */
  | 'network'
  /** Every fixture pact the actor may see (lists). */
  | 'pacts'
  /** The contribution on the target pact's ledger (its reference). */
  | 'entries'
  /** The household in the target pact's register (its sealed name, opened for coordinators). */
  | 'register'
  /** The disbursement waiting on the target pact (its purpose). */
  | 'disbursements'
  /** Every fixture campaign the actor may see (lists). */
  | 'campaigns'
  /** The target campaign's supporter who agreed to be listed. */
  | 'supporters'
  /** The target campaign's confirmed endorsement (C's statement). */
  | 'endorsements'
  /** The target campaign's waiting endorsement (A3's statement). */
  | 'pending-endorsements'
  /** The target campaign's paper-list tally (its source). */
  | 'tallies';

export interface RoutePolicy {
  rule: RuleName;
  targets?: TargetKey[];
  /** Fields of a realistic request body (form fields or JSON); `_csrf` is added for forms. */
  body?: (target: Target, ctx: { world: World; actor: Actor }) => Record<string, unknown>;
  shows?: Show[];
  /**
   * How a write is sent: `form` (urlencoded with `_csrf`; default outside /api), `api` (JSON with the
   * session cookie; default under /api), `json-csrf` (JSON with the CSRF token in `x-csrf-token`,
   * for the few script-driven endpoints outside /api).
   */
  send?: 'form' | 'api' | 'json-csrf';
  /**
   * Statuses that also count as "allowed" (the request reached the action, which refused the
   * input: e.g. 422 for a TOTP code the matrix cannot produce). Never 401/403/404.
   */
  allowStatus?: number[];
  /**
   * Statuses that also count as "denied" for this route: the action refused the input because it
   * names an organization the actor may not act for (a field error, 422 for forms / 400 for the
   * API). Only accepted with the data unchanged, and never where the answer must be a 404.
   */
  refusedAs?: number[];
  /** Even when allowed, the request must change no data table (e.g. a pass-through redirect). */
  readOnly?: boolean;
  /** Why the rule is what it is, when it is not obvious. */
  note?: string;
  /**
   * Why outsiders may use this route on A's records although the headline rules say they never
   * do: signing a campaign adds the signer's own signature (no record of A changes), and the
   * landing pages after confirming or withdrawing show the same words to everyone. The leak
   * check still applies: the answer must not show what the actor may not see.
   */
  openToOutsiders?: string;
}

const ORG_TARGETS: TargetKey[] = ['org:A', 'org:AN', 'org:AM', 'org:AP'];
const STRUGGLE_TARGETS: TargetKey[] = ['struggle:SPUB', 'struggle:SNET', 'struggle:SMEM', 'struggle:SPRIV'];
const MEMBERSHIP_TARGETS: TargetKey[] = ['membership:A', 'membership:AP'];
const MEMBERS_TARGETS: TargetKey[] = ['org:A', 'org:AP'];

const CALL_TARGETS: TargetKey[] = ['call:CPUB', 'call:CPRIV'];
const DAY_TARGETS: TargetKey[] = ['day:DPUB', 'day:DPRIV'];
const FOLLOW_TARGETS: TargetKey[] = ['follow:A', 'follow:AP'];
const LOCAL_TARGETS: TargetKey[] = ['local:DPUB', 'local:DPRIV'];
const PACT_TARGETS: TargetKey[] = ['pact:PPUB', 'pact:PPRIV'];
const ENTRY_TARGETS: TargetKey[] = ['entry:PPUB', 'entry:PPRIV'];
const PLEDGE_TARGETS: TargetKey[] = ['pledge:PPUB', 'pledge:PPRIV'];
const BENEFICIARY_TARGETS: TargetKey[] = ['beneficiary:PPUB', 'beneficiary:PPRIV'];
const DISBURSEMENT_TARGETS: TargetKey[] = ['disbursement:PPUB', 'disbursement:PPRIV'];
const pledgeOfA = () => ({ pledgerKind: 'organization', organization: ORGS.A.slug, amount: '20.00', currency: 'EUR', frequency: 'monthly', startDate: '2026-02-01' });
const proposal = () => ({ payee: 'Pharmacy by the matrix', amount: '10.00', currency: 'EUR', purpose: 'Medicine by the matrix', valueDate: '2026-03-10' });
const household = () => ({ kind: 'household', householdSize: 3, name: 'Family added by the matrix' });
const pactFields = (target: Target) => ({ title: 'Fund changed by the matrix', description: 'Support for the families', lang: 'en', beneficiaryGroup: 'Families of the miners', periodStart: '2026-01-01', visibility: target.visibility });
const newPact = () => ({ organization: ORGS.A.slug, title: 'Fund started by the matrix', description: 'Support for the families', lang: 'en', beneficiaryGroup: 'Families of the miners', periodStart: '2026-01-01', goalAmount: '5000', goalCurrency: 'EUR', visibility: 'private' });
const contribution = () => ({ amount: '10.00', currency: 'EUR', contributorKind: 'external', name: 'Collection by the matrix', reference: 'Matrix' });
/** 10 of the pact's 250 EUR changed into USD at the bank's rate (no stored ECB rate needed). */
const exchange = () => ({ fromCurrency: 'EUR', fromAmount: '10.00', toCurrency: 'USD', toAmount: '11.00', name: 'Bank by the matrix', reference: 'Matrix' });
/** 10 EUR to A's other pact (the public one sends to the private one and back). */
const transfer = (target: Target) => ({ toPact: target.params.slug === PACTS.PPUB.slug ? PACTS.PPRIV.slug : PACTS.PPUB.slug, amount: '10.00', currency: 'EUR', description: 'Matrix' });
const CAMPAIGN_TARGETS: TargetKey[] = ['campaign:KPUB', 'campaign:KPRIV'];
const ENDORSEMENT_TARGETS: TargetKey[] = ['endorsement:KPUB', 'endorsement:KPRIV'];
const TALLY_TARGETS: TargetKey[] = ['tally:KPUB', 'tally:KPRIV'];
const SUPPORTER_IMPORT_TARGETS: TargetKey[] = ['supporterimport:KPUB', 'supporterimport:KPRIV'];
/** The preview form's "check again" (starting would run the import in the background while the matrix restores tables). */
const importChoices = () => ({ map_email: '0', map_name: '1', map_country: '2', consentBasis: 'Paper list by the matrix', intent: 'check' });
const SIGNATURE_TARGETS: TargetKey[] = ['signature:KPUB', 'signature:KPRIV'];
const signer = () => ({ name: 'Signer by the matrix', email: 'matrix-signer@example.org', country: 'DE' });
/** A token of the right shape made with no data key of the instance. */
const bogusToken = () => ({ token: 'test.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
const newCampaign = () => ({ organization: ORGS.A.slug, title: 'Appeal started by the matrix', appeal: 'Sign the appeal', lang: 'en', startsOn: '2026-01-01', status: 'open', visibility: 'private' });
const campaignFields = (target: Target) => ({ title: 'Appeal changed by the matrix', appeal: 'Sign the changed appeal', startsOn: '2026-01-01', goal: 2000, status: 'open', visibility: target.visibility });
const translation = () => ({ title: 'Apelo traduzido pela matriz', appeal: 'Assine o apelo' });
const endorsementOfAN = () => ({ organization: ORGS.AN.slug, statement: 'Endorsed by the matrix', statementLang: 'en' });
const tally = () => ({ country: 'DE', count: 12, source: 'Rally by the matrix', collectedOn: '2026-03-01' });
const IMMUTABLE_ENTRY = {
  rule: 'nobody' as const,
  targets: ['entry:PPUB'] as TargetKey[],
  refusedAs: [405],
  note: 'ledger entries are append-only: 405 with `Allow` for everyone, before anything is looked up (pacts.test.ts checks hidden and missing entries answer the same)',
};
const callFields = () => ({ struggle: STRUGGLES.SPUB.slug, organization: ORGS.A.slug, title: 'Edited call by the matrix', body: 'Send messages', lang: 'en', deadline: '2026-12-31' });
const callForm = () => ({ ...callFields(), ask_messages: '1' });
const callApi = () => ({ ...callFields(), asks: ['messages'] });
const responseBody = () => ({ organization: ORGS.A.slug, kind: 'message', date: '2026-03-05', lang: 'en', report: 'Response by the matrix', visibility: 'public' });
const dayBody = () => ({ title: 'Action day by the matrix', callText: 'Join the matrix', lang: 'en', startDate: '2026-06-01', endDate: '2026-06-01', organization: ORGS.A.slug });
const localActionBody = () => ({
  organization: ORGS.A.slug,
  title: 'Rally by the matrix',
  kind: 'rally',
  city: 'Essen',
  country: 'DE',
  startLocal: '2026-05-01T10:00',
  endLocal: '2026-05-01T11:00',
  timeZone: 'Europe/Berlin',
  visibility: 'public',
});

const struggleBody = (target: Target) => ({
  title: 'Edited by the matrix',
  kind: 'strike',
  sector: 'mining',
  country: 'CD',
  startDate: '2026-03-01',
  status: 'ongoing',
  lang: 'en',
  visibility: target.visibility,
  organization: ORGS.A.slug,
});
const newStruggleBody = () => ({ ...struggleBody({ visibility: 'private' } as Target), title: 'New struggle by the matrix' });
const orgBody = (target: Target) => {
  const spec = target.owner ? ORGS[target.owner] : undefined;
  return {
    name: 'Edited organization',
    kind: 'union',
    country: 'DE',
    visibility: target.visibility,
    descriptionLang: 'en',
    ...(spec?.parent ? { parent: spec.parent } : {}),
  };
};
const networkBody = () => ({ name: 'Edited network', sector: 'mining', description: 'Changed', descriptionLang: 'en' });
const updateBody = () => ({ date: '2026-04-01', body: 'A new update from the matrix', lang: 'en' });

export const POLICIES: Record<string, RoutePolicy> = {
  // ---- system
  'GET /healthz': { rule: 'public-read' },
  'POST /locale': { rule: 'public-write', body: () => ({ locale: 'de', next: '/' }) },
  'GET /api/openapi.json': { rule: 'public-read' },

  // ---- sign-in and set-up
  'GET /sign-in': { rule: 'public-read' },
  'POST /sign-in': { rule: 'public-write', body: () => ({ email: 'nomembership@example.org', password: 'correct horse battery staple', next: '/' }) },
  'POST /sign-out': { rule: 'public-write' },
  'GET /setup': { rule: 'nobody', note: 'only while the instance has no account' },
  'POST /setup': { rule: 'nobody', body: () => ({ email: 'intruder@example.org', displayName: 'Intruder', password: 'a long enough password' }) },

  // ---- home
  'GET /': { rule: 'public-read', shows: ['struggles', 'network'] },

  // ---- organizations
  'GET /organizations': { rule: 'public-read', shows: ['organizations'] },
  'GET /organizations/new': { rule: 'signed-in' },
  'POST /organizations/new': { rule: 'signed-in', body: () => ({ name: 'New organization by the matrix', kind: 'union', country: 'DE', visibility: 'public', descriptionLang: 'en' }) },
  'GET /organizations/:slug': { rule: 'visible-read', targets: ORG_TARGETS, shows: ['target', 'children', 'owned-struggles'] },
  'GET /organizations/:slug/edit': { rule: 'org-manage', targets: ORG_TARGETS, shows: ['target'] },
  'POST /organizations/:slug/edit': { rule: 'org-manage', targets: ORG_TARGETS, body: orgBody },
  'GET /api/v1/organizations': { rule: 'public-read', shows: ['organizations'] },
  'GET /api/v1/organizations/:slug': { rule: 'visible-read', targets: ORG_TARGETS, shows: ['target', 'children'] },
  'POST /api/v1/organizations': { rule: 'signed-in', body: () => ({ name: 'New API organization', kind: 'union', country: 'DE', visibility: 'public' }) },
  'PUT /api/v1/organizations/:slug': { rule: 'org-manage', targets: ORG_TARGETS, body: orgBody },

  // ---- networks (public records; their member lists are filtered by the organizations' visibility)
  'GET /networks': { rule: 'public-read', shows: ['network'] },
  'GET /networks/new': { rule: 'signed-in' },
  'POST /networks/new': { rule: 'signed-in', body: () => ({ name: 'New network by the matrix', sector: 'mining', descriptionLang: 'en' }) },
  'GET /networks/:slug': { rule: 'public-read', targets: ['network:N'], shows: ['target', 'network-members'] },
  'GET /networks/:slug/edit': { rule: 'network-manage', targets: ['network:N'], shows: ['target'] },
  'POST /networks/:slug/edit': { rule: 'network-manage', targets: ['network:N'], body: networkBody },
  'POST /networks/:slug/members': {
    rule: 'network-join',
    targets: ['network:N'],
    body: () => ({ organization: ORGS.A3.slug, role: 'member', since: '2026-01-01' }),
  },
  'POST /networks/:slug/members/:id/end': { rule: 'network-end', targets: MEMBERSHIP_TARGETS, body: () => ({ until: '2026-12-31' }) },
  'GET /api/v1/networks': { rule: 'public-read', shows: ['network'] },
  'GET /api/v1/networks/:slug': { rule: 'public-read', targets: ['network:N'], shows: ['target', 'network-members'] },
  'POST /api/v1/networks': { rule: 'signed-in', body: () => ({ name: 'New API network', sector: 'mining' }) },
  'PUT /api/v1/networks/:slug': { rule: 'network-manage', targets: ['network:N'], body: networkBody },
  'POST /api/v1/networks/:slug/members': {
    rule: 'network-join',
    targets: ['network:N'],
    body: () => ({ organization: ORGS.A3.slug, role: 'member', since: '2026-01-01' }),
  },
  'POST /api/v1/networks/:slug/members/:id/end': { rule: 'network-end', targets: MEMBERSHIP_TARGETS, body: () => ({ until: '2026-12-31' }) },

  // ---- struggles
  'GET /struggles': { rule: 'public-read', shows: ['struggles'] },
  'GET /struggles/new': { rule: 'signed-in' },
  'POST /struggles/new': { rule: 'org-publish', targets: ['org:A'], body: newStruggleBody, note: 'publishes for organization A' },
  'GET /struggles/:slug': { rule: 'visible-read', targets: STRUGGLE_TARGETS, shows: ['target', 'update'] },
  'GET /struggles/:slug/edit': { rule: 'struggle-edit', targets: STRUGGLE_TARGETS, shows: ['target'] },
  'POST /struggles/:slug/edit': { rule: 'struggle-edit', targets: STRUGGLE_TARGETS, body: struggleBody },
  'POST /struggles/:slug/updates': { rule: 'struggle-edit', targets: STRUGGLE_TARGETS, body: updateBody },
  'GET /api/v1/struggles': { rule: 'public-read', shows: ['struggles'] },
  'GET /api/v1/struggles/:slug': { rule: 'visible-read', targets: STRUGGLE_TARGETS, shows: ['target', 'update'] },
  'POST /api/v1/struggles': { rule: 'org-publish', targets: ['org:A'], body: newStruggleBody, note: 'publishes for organization A' },
  'PUT /api/v1/struggles/:slug': { rule: 'struggle-edit', targets: STRUGGLE_TARGETS, body: struggleBody },
  'POST /api/v1/struggles/:slug/updates': { rule: 'struggle-edit', targets: STRUGGLE_TARGETS, body: updateBody },

  // ---- solidarity calls (on the public struggle SPUB, owned by A)
  'GET /calls': { rule: 'public-read', shows: ['calls'] },
  'GET /calls/new': { rule: 'publish-somewhere' },
  'POST /calls/new': { rule: 'org-publish', targets: ['org:A'], body: () => ({ ...callForm(), title: 'New call by the matrix', visibility: 'private' }), note: 'issues a call for organization A' },
  'GET /calls/:slug': { rule: 'visible-read', targets: CALL_TARGETS, shows: ['target', 'responses'] },
  'GET /calls/:slug/edit': { rule: 'org-manage', targets: CALL_TARGETS, shows: ['target'] },
  'POST /calls/:slug/edit': { rule: 'org-manage', targets: CALL_TARGETS, body: (target) => ({ ...callForm(), visibility: target.visibility }) },
  'POST /calls/:slug/responses': { rule: 'call-respond', targets: CALL_TARGETS, body: responseBody },
  'GET /api/v1/calls': { rule: 'public-read', shows: ['calls'] },
  'GET /api/v1/calls/:slug': { rule: 'visible-read', targets: CALL_TARGETS, shows: ['target', 'responses'] },
  'POST /api/v1/calls': { rule: 'org-publish', targets: ['org:A'], body: () => ({ ...callApi(), title: 'New API call by the matrix', visibility: 'private' }), note: 'issues a call for organization A' },
  'PUT /api/v1/calls/:slug': { rule: 'org-manage', targets: CALL_TARGETS, body: (target) => ({ ...callApi(), visibility: target.visibility }) },
  'POST /api/v1/calls/:slug/responses': { rule: 'call-respond', targets: CALL_TARGETS, body: responseBody },

  // ---- action days (called by A) and local actions
  'GET /action-days': { rule: 'public-read', shows: ['days'] },
  'GET /action-days/new': { rule: 'signed-in' },
  'POST /action-days/new': { rule: 'org-publish', targets: ['org:A'], body: () => ({ ...dayBody(), visibility: 'private' }), refusedAs: [422], note: 'calls an action day for organization A; no publishing role there is a field error on `organization`' },
  'GET /action-days/:slug': { rule: 'visible-read', targets: DAY_TARGETS, shows: ['target', 'local-actions'] },
  'GET /action-days/:slug/edit': { rule: 'struggle-edit', targets: DAY_TARGETS, shows: ['target'], note: 'edit like a struggle: members and up of the calling organization' },
  'POST /action-days/:slug/edit': { rule: 'struggle-edit', targets: DAY_TARGETS, body: (target) => ({ ...dayBody(), visibility: target.visibility }) },
  'POST /action-days/:slug/local-actions': { rule: 'day-register', targets: DAY_TARGETS, body: localActionBody, refusedAs: [422], note: 'no publishing role in A is a field error on `organization`' },
  'GET /api/v1/action-days': { rule: 'public-read', shows: ['days'] },
  'GET /api/v1/action-days/:slug': { rule: 'visible-read', targets: DAY_TARGETS, shows: ['target', 'local-actions'] },
  'POST /api/v1/action-days': { rule: 'org-publish', targets: ['org:A'], body: () => ({ ...dayBody(), visibility: 'private' }), refusedAs: [400] },
  'PUT /api/v1/action-days/:slug': { rule: 'struggle-edit', targets: DAY_TARGETS, body: (target) => ({ ...dayBody(), visibility: target.visibility }) },
  'POST /api/v1/action-days/:slug/local-actions': { rule: 'day-register', targets: DAY_TARGETS, body: localActionBody, refusedAs: [400] },
  'GET /action-days/:slug/local-actions/:id/edit': { rule: 'local-action-change', targets: LOCAL_TARGETS, shows: ['target', 'local-actions'] },
  'POST /action-days/:slug/local-actions/:id/edit': { rule: 'local-action-change', targets: LOCAL_TARGETS, body: (target) => ({ ...localActionBody(), visibility: target.visibility }) },
  'GET /action-days/:slug/local-actions/:id/remove': { rule: 'local-action-change', targets: LOCAL_TARGETS, shows: ['target', 'local-actions'], note: 'the confirmation step before withdrawing' },
  'POST /action-days/:slug/local-actions/:id/remove': { rule: 'local-action-change', targets: LOCAL_TARGETS },
  'PUT /api/v1/action-days/:slug/local-actions/:id': { rule: 'local-action-change', targets: LOCAL_TARGETS, body: (target) => ({ ...localActionBody(), visibility: target.visibility }) },
  'DELETE /api/v1/action-days/:slug/local-actions/:id': { rule: 'local-action-change', targets: LOCAL_TARGETS },

  // ---- solidarity pacts of A and their ledgers: pages and API read by visibility, written by A's admins and coordinators
  'GET /pacts': { rule: 'public-read', shows: ['pacts'] },
  'GET /pacts/new': { rule: 'lead-somewhere' },
  'POST /pacts/new': { rule: 'org-manage', targets: ['org:A'], body: newPact, note: 'starts a pact owned by organization A' },
  'GET /pacts/:slug': { rule: 'visible-read', targets: PACT_TARGETS, shows: ['target'] },
  'GET /pacts/:slug/edit': { rule: 'org-manage', targets: PACT_TARGETS, shows: ['target'] },
  'POST /pacts/:slug/edit': { rule: 'org-manage', targets: PACT_TARGETS, body: pactFields },
  'POST /pacts/:slug/status': { rule: 'org-manage', targets: PACT_TARGETS, body: () => ({ status: 'paused' }) },
  'GET /pacts/:slug/ledger': { rule: 'visible-read', targets: PACT_TARGETS, shows: ['target', 'entries'] },
  'POST /pacts/:slug/ledger/contributions': { rule: 'org-manage', targets: PACT_TARGETS, body: contribution },
  'POST /pacts/:slug/ledger/exchanges': { rule: 'org-manage', targets: PACT_TARGETS, body: exchange },
  'POST /pacts/:slug/ledger/transfers': { rule: 'org-manage', targets: PACT_TARGETS, body: transfer },
  'POST /pacts/:slug/ledger/:id/reverse': { rule: 'org-manage', targets: ENTRY_TARGETS, body: () => ({ reason: 'Correction by the matrix' }) },
  'GET /api/v1/pacts': { rule: 'public-read', shows: ['pacts'] },
  'POST /api/v1/pacts': { rule: 'org-manage', targets: ['org:A'], body: newPact, note: 'starts a pact owned by organization A' },
  'GET /api/v1/pacts/:slug': { rule: 'visible-read', targets: PACT_TARGETS, shows: ['target'] },
  'PUT /api/v1/pacts/:slug': { rule: 'org-manage', targets: PACT_TARGETS, body: pactFields },
  'POST /api/v1/pacts/:slug/status': { rule: 'org-manage', targets: PACT_TARGETS, body: () => ({ status: 'paused' }) },
  'GET /api/v1/pacts/:slug/balances': { rule: 'visible-read', targets: PACT_TARGETS },
  'GET /api/v1/pacts/:slug/entries': { rule: 'visible-read', targets: PACT_TARGETS, shows: ['entries'] },
  'POST /api/v1/pacts/:slug/entries': { rule: 'org-manage', targets: PACT_TARGETS, body: contribution },
  'POST /api/v1/pacts/:slug/exchanges': { rule: 'org-manage', targets: PACT_TARGETS, body: exchange },
  'POST /api/v1/pacts/:slug/transfers': { rule: 'org-manage', targets: PACT_TARGETS, body: transfer },
  'GET /api/v1/pacts/:slug/entries/:id': { rule: 'visible-read', targets: ENTRY_TARGETS, shows: ['entries'] },
  'POST /api/v1/pacts/:slug/entries/:id/reversal': { rule: 'org-manage', targets: ENTRY_TARGETS, body: () => ({ reason: 'Correction by the matrix' }) },
  'PUT /api/v1/pacts/:slug/entries/:id': IMMUTABLE_ENTRY,
  'PATCH /api/v1/pacts/:slug/entries/:id': IMMUTABLE_ENTRY,
  'DELETE /api/v1/pacts/:slug/entries/:id': IMMUTABLE_ENTRY,

  // ---- pledges (read by visibility; made for A by whoever publishes for A), disbursements, receipts
  // and the beneficiary register (A's admins and coordinators only), the transparency report (read by visibility)
  'GET /pacts/:slug/pledges': { rule: 'visible-read', targets: PACT_TARGETS, shows: ['target'] },
  'POST /pacts/:slug/pledges': { rule: 'pact-pledge', targets: PACT_TARGETS, body: pledgeOfA },
  'POST /pacts/:slug/pledges/:id/cancel': { rule: 'pact-pledge', targets: PLEDGE_TARGETS },
  'GET /api/v1/pacts/:slug/pledges': { rule: 'visible-read', targets: PACT_TARGETS },
  'POST /api/v1/pacts/:slug/pledges': { rule: 'pact-pledge', targets: PACT_TARGETS, body: pledgeOfA },
  'POST /api/v1/pacts/:slug/pledges/:id/cancel': { rule: 'pact-pledge', targets: PLEDGE_TARGETS },
  'GET /pacts/:slug/disbursements': { rule: 'org-manage', targets: PACT_TARGETS, shows: ['target', 'disbursements'] },
  'POST /pacts/:slug/disbursements': { rule: 'org-manage', targets: PACT_TARGETS, body: proposal, note: 'the upload form, sent here URL-encoded without a file (the receipt is optional)' },
  'POST /pacts/:slug/disbursements/:id/approve': { rule: 'org-manage', targets: DISBURSEMENT_TARGETS, note: 'proposed by someone outside the matrix, so every coordinator is a second person' },
  'POST /pacts/:slug/disbursements/:id/decline': { rule: 'org-manage', targets: DISBURSEMENT_TARGETS, body: () => ({ note: 'Refused by the matrix' }) },
  'GET /pacts/:slug/documents/:id': { rule: 'org-manage', targets: ['document:PPUB', 'document:PPRIV'], note: 'a receipt: 404 for everyone but the coordinators' },
  'GET /api/v1/pacts/:slug/disbursements': { rule: 'org-manage', targets: PACT_TARGETS, shows: ['disbursements'] },
  'POST /api/v1/pacts/:slug/disbursements': { rule: 'org-manage', targets: PACT_TARGETS, body: proposal },
  'POST /api/v1/pacts/:slug/disbursements/:id/approve': { rule: 'org-manage', targets: DISBURSEMENT_TARGETS },
  'POST /api/v1/pacts/:slug/disbursements/:id/decline': { rule: 'org-manage', targets: DISBURSEMENT_TARGETS, body: () => ({ note: 'Refused by the matrix' }) },
  'GET /pacts/:slug/beneficiaries': { rule: 'org-manage', targets: PACT_TARGETS, shows: ['target', 'register'] },
  'POST /pacts/:slug/beneficiaries': { rule: 'org-manage', targets: PACT_TARGETS, body: household },
  'POST /pacts/:slug/beneficiaries/:code': { rule: 'org-manage', targets: BENEFICIARY_TARGETS, body: () => ({ kind: 'household', name: 'Family changed by the matrix' }) },
  'GET /api/v1/pacts/:slug/beneficiaries': { rule: 'org-manage', targets: PACT_TARGETS, shows: ['register'] },
  'POST /api/v1/pacts/:slug/beneficiaries': { rule: 'org-manage', targets: PACT_TARGETS, body: household },
  'PUT /api/v1/pacts/:slug/beneficiaries/:code': { rule: 'org-manage', targets: BENEFICIARY_TARGETS, body: () => ({ kind: 'household', name: 'Family changed by the matrix' }) },
  'GET /pacts/:slug/report': { rule: 'visible-read', targets: PACT_TARGETS, shows: ['target'] },
  'GET /pacts/:slug/report.csv': { rule: 'visible-read', targets: PACT_TARGETS },
  'GET /api/v1/pacts/:slug/report': { rule: 'visible-read', targets: PACT_TARGETS },

  // ---- campaigns of A: pages and API read by visibility (drafts: coordinators only), run by A's admins and coordinators
  'GET /campaigns': { rule: 'public-read', shows: ['campaigns'] },
  'GET /campaigns/new': { rule: 'lead-somewhere' },
  'POST /campaigns/new': { rule: 'org-manage', targets: ['org:A'], body: newCampaign, note: 'starts a campaign owned by organization A' },
  'GET /campaigns/:slug': { rule: 'visible-read', targets: CAMPAIGN_TARGETS, shows: ['target', 'supporters', 'endorsements'], note: 'the unlisted supporter, the waiting endorsement and the tally source never show here' },
  'GET /campaigns/:slug/edit': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, shows: ['target'] },
  'POST /campaigns/:slug/edit': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, body: campaignFields },
  'GET /campaigns/:slug/translations': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, shows: ['target'] },
  'POST /campaigns/:slug/translations': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, body: () => ({ ...translation(), lang: 'pt-BR' }) },
  'GET /api/v1/campaigns': { rule: 'public-read', shows: ['campaigns'] },
  'POST /api/v1/campaigns': { rule: 'org-manage', targets: ['org:A'], body: newCampaign, note: 'starts a campaign owned by organization A' },
  'GET /api/v1/campaigns/:slug': { rule: 'visible-read', targets: CAMPAIGN_TARGETS, shows: ['target'] },
  'PUT /api/v1/campaigns/:slug': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, body: campaignFields },
  'PUT /api/v1/campaigns/:slug/translations/:lang': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, body: translation },
  'GET /api/v1/campaigns/:slug/counts': { rule: 'visible-read', targets: CAMPAIGN_TARGETS },
  'GET /api/v1/campaigns/:slug/public-supporters': { rule: 'visible-read', targets: CAMPAIGN_TARGETS, shows: ['supporters'] },
  // Organizations as signatories: endorsed by leaders of an organization, decided by the campaign's coordinators.
  'GET /campaigns/:slug/endorse': { rule: 'campaign-endorse-page', targets: CAMPAIGN_TARGETS, shows: ['target'] },
  'POST /campaigns/:slug/endorse': { rule: 'campaign-endorse', targets: CAMPAIGN_TARGETS, body: endorsementOfAN, refusedAs: [422], note: 'for AN: admin-of-B and the peer admin cannot see or lead it (a field error)' },
  'POST /campaigns/:slug/endorsements/:id/withdraw': { rule: 'endorsement-withdraw', targets: ENDORSEMENT_TARGETS },
  'GET /campaigns/:slug/endorsements': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, shows: ['target', 'pending-endorsements', 'endorsements'] },
  'POST /campaigns/:slug/endorsements/:id/confirm': { rule: 'org-manage', targets: ENDORSEMENT_TARGETS },
  'POST /campaigns/:slug/endorsements/:id/reject': { rule: 'org-manage', targets: ENDORSEMENT_TARGETS },
  'GET /api/v1/campaigns/:slug/endorsements': { rule: 'visible-read', targets: CAMPAIGN_TARGETS, shows: ['endorsements'], note: 'waiting ones only for the campaign’s coordinators' },
  'POST /api/v1/campaigns/:slug/endorsements': { rule: 'campaign-endorse', targets: CAMPAIGN_TARGETS, body: endorsementOfAN, refusedAs: [400] },
  'POST /api/v1/campaigns/:slug/endorsements/:id/confirm': { rule: 'org-manage', targets: ENDORSEMENT_TARGETS },
  'POST /api/v1/campaigns/:slug/endorsements/:id/reject': { rule: 'org-manage', targets: ENDORSEMENT_TARGETS },
  'DELETE /api/v1/campaigns/:slug/endorsements/:id': { rule: 'endorsement-withdraw', targets: ENDORSEMENT_TARGETS },
  // Paper-list tallies: the coordinators' (the public sees them summed per country).
  'GET /campaigns/:slug/tallies': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, shows: ['target', 'tallies'] },
  'POST /campaigns/:slug/tallies': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, body: tally },
  'POST /campaigns/:slug/tallies/:id/remove': { rule: 'org-manage', targets: TALLY_TARGETS },
  'GET /api/v1/campaigns/:slug/tallies': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, shows: ['tallies'] },
  'POST /api/v1/campaigns/:slug/tallies': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, body: tally },
  'DELETE /api/v1/campaigns/:slug/tallies/:id': { rule: 'org-manage', targets: TALLY_TARGETS },
  // Supporter import and export (src/modules/campaigns/supporters-io.routes.ts): the campaign's coordinators only; the lists hold e-mail addresses.
  'GET /campaigns/:slug/supporters/import': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, shows: ['target'] },
  'POST /campaigns/:slug/supporters/import': {
    rule: 'org-manage',
    targets: CAMPAIGN_TARGETS,
    allowStatus: [422],
    note: 'the upload form, sent here URL-encoded without a file: the coordinators get the page back with “Choose a CSV file” (422); nothing is stored',
  },
  'GET /campaigns/:slug/supporters/import/:id': { rule: 'org-manage', targets: SUPPORTER_IMPORT_TARGETS, shows: ['target'] },
  'POST /campaigns/:slug/supporters/import/:id': { rule: 'org-manage', targets: SUPPORTER_IMPORT_TARGETS, body: importChoices },
  'POST /campaigns/:slug/supporters/import/:id/discard': { rule: 'org-manage', targets: SUPPORTER_IMPORT_TARGETS },
  'GET /campaigns/:slug/supporters.csv': { rule: 'org-manage', targets: CAMPAIGN_TARGETS, shows: ['supporters'], note: 'every download is written to the audit log' },
  // Signing (anonymous; double opt-in through the links of the mails, which carry a token).
  'GET /campaigns/:slug/sign': { rule: 'visible-read', targets: CAMPAIGN_TARGETS, shows: ['target'] },
  'POST /campaigns/:slug/sign': { rule: 'visible-read', targets: CAMPAIGN_TARGETS, body: signer, openToOutsiders: 'a signature is the signer’s own record', note: 'anyone who sees an open campaign signs it: 303 to the thanks page, the same for a repeat signer' },
  'GET /campaigns/:slug/sign/thanks': { rule: 'visible-read', targets: CAMPAIGN_TARGETS, shows: ['target'] },
  'GET /campaigns/:slug/sign/confirmed': { rule: 'public-read', targets: CAMPAIGN_TARGETS, openToOutsiders: 'the landing page of a mail link: the same words for everyone', note: 'the same words for everyone; the title only for who sees the campaign' },
  'GET /campaigns/:slug/sign/withdrawn': { rule: 'public-read', targets: CAMPAIGN_TARGETS, openToOutsiders: 'the landing page of a mail link: the same words for everyone', note: 'the same words for everyone; the title only for who sees the campaign' },
  'POST /api/v1/campaigns/:slug/signatures': { rule: 'visible-read', targets: CAMPAIGN_TARGETS, body: signer, openToOutsiders: 'a signature is the signer’s own record', note: '202 for whoever sees the campaign, the same for a repeat signer' },
  'GET /campaigns/:slug/signatures/:id/confirm': { rule: 'token', targets: SIGNATURE_TARGETS, note: 'the link of the confirmation mail; without its token a 404 for everyone' },
  'POST /campaigns/:slug/signatures/:id/confirm': { rule: 'token', targets: SIGNATURE_TARGETS, body: bogusToken },
  'GET /campaigns/:slug/signatures/:id/withdraw': { rule: 'token', targets: SIGNATURE_TARGETS, note: 'the link in every mail; without its token a 404 for everyone' },
  'POST /campaigns/:slug/signatures/:id/withdraw': { rule: 'token', targets: SIGNATURE_TARGETS, body: bogusToken },
  'POST /api/v1/campaigns/:slug/signatures/:id/confirm': { rule: 'token', targets: SIGNATURE_TARGETS, body: bogusToken },
  'POST /api/v1/campaigns/:slug/signatures/:id/withdraw': { rule: 'token', targets: SIGNATURE_TARGETS, body: bogusToken },

  // ---- feeds (anonymous by design: public records only, for every reader)
  'GET /action-days/:slug/calendar.ics': { rule: 'public-feed', targets: DAY_TARGETS, shows: ['target'] },
  'GET /organizations/:slug/calendar.ics': { rule: 'public-feed', targets: ORG_TARGETS },
  'GET /networks/:slug/calendar.ics': { rule: 'public-feed', targets: ['network:N'] },
  'GET /organizations/:slug/feed.atom': { rule: 'public-feed', targets: ORG_TARGETS },
  'GET /networks/:slug/feed.atom': { rule: 'public-feed', targets: ['network:N'] },
  'GET /countries/:code/feed.atom': { rule: 'public-feed', targets: ['country:CD'] },
  // Personal feeds: the path carries a feed token; every matrix target is a wrong one (404).
  'GET /feeds/:token/following.ics': { rule: 'token' },
  'GET /feeds/:token/notifications.atom': { rule: 'token' },

  // ---- members and invitations of an organization (membership, not visibility: non-members get 404)
  'GET /organizations/:slug/members': { rule: 'org-member-read', targets: MEMBERS_TARGETS, shows: ['target'] },
  'POST /organizations/:slug/members/invite': { rule: 'org-admin', targets: MEMBERS_TARGETS, body: () => ({ email: 'newcomer@example.org', role: 'member' }) },
  'POST /organizations/:slug/invitations/:id/revoke': { rule: 'org-admin', targets: ['invitation:A', 'invitation:AP'] },
  'POST /organizations/:slug/members/:userId/role': { rule: 'org-admin', targets: ['orgmember:A', 'orgmember:AP'], body: () => ({ role: 'coordinator' }) },
  'POST /organizations/:slug/members/:userId/remove': { rule: 'org-admin', targets: ['orgmember:A', 'orgmember:AP'] },
  'POST /organizations/:slug/second-factor': { rule: 'org-admin', targets: MEMBERS_TARGETS, body: () => ({ required: '0' }) },
  'POST /organizations/:slug/members/:userId/password-reset': { rule: 'instance-admin', targets: ['orgmember:A', 'orgmember:AP'], note: 'instance administrators only' },

  // ---- audit log (the organization's admins; everyone else 404)
  'GET /organizations/:slug/audit': { rule: 'org-admin', targets: MEMBERS_TARGETS, shows: ['target'] },
  'GET /api/v1/organizations/:slug/audit': { rule: 'org-admin', targets: MEMBERS_TARGETS },

  // ---- follows of an organization (its members' business: others 404) and the account's notifications
  'GET /organizations/:slug/following': { rule: 'org-member-read', targets: MEMBERS_TARGETS, shows: ['target'] },
  'POST /organizations/:slug/following': { rule: 'org-publish', targets: MEMBERS_TARGETS, body: () => ({ kind: 'country', target: 'PE', next: '/' }) },
  'POST /organizations/:slug/following/:id/unfollow': { rule: 'org-publish', targets: FOLLOW_TARGETS, body: () => ({ next: '/' }) },
  'GET /api/v1/organizations/:slug/follows': { rule: 'org-member-read', targets: MEMBERS_TARGETS },
  'POST /api/v1/organizations/:slug/follows': { rule: 'org-publish', targets: MEMBERS_TARGETS, body: () => ({ kind: 'country', target: 'PE' }) },
  'DELETE /api/v1/organizations/:slug/follows/:id': { rule: 'org-publish', targets: FOLLOW_TARGETS },
  'GET /notifications': { rule: 'signed-in', note: 'anonymous readers are sent to /sign-in (303)' },
  'POST /notifications/read': { rule: 'signed-in' },
  'GET /api/v1/notifications': { rule: 'signed-in' },
  'POST /api/v1/notifications/read': { rule: 'signed-in' },

  // ---- invitation and password-reset links: a wrong token is refused for everyone
  'GET /invitations/:token': { rule: 'token' },
  'POST /invitations/:token': { rule: 'token', body: () => ({ displayName: 'Newcomer', password: 'a long enough password' }) },
  'GET /password-reset': { rule: 'public-read' },
  'POST /password-reset': { rule: 'public-write', body: () => ({ email: 'member@example.org' }), note: 'answers the same whether the address has an account' },
  'GET /password-reset/:token': { rule: 'token' },
  'POST /password-reset/:token': { rule: 'token', body: () => ({ password: 'a brand new password', passwordRepeat: 'a brand new password' }) },

  // ---- the signed-in account itself
  'GET /account': { rule: 'self' },
  'POST /account/profile': { rule: 'self', body: () => ({ displayName: 'Renamed by the matrix', locale: 'en', timeZone: 'Europe/Berlin' }) },
  'POST /account/password': { rule: 'self', body: () => ({ currentPassword: PASSWORD, newPassword: 'another long password', newPasswordRepeat: 'another long password' }) },
  'POST /account/sessions/revoke': {
    rule: 'self',
    body: (_t, { world }) => ({ session: world.sessionRefs.admin }),
    note: "names the admin's session: anyone else ends nothing (the matrix test checks the admin stays signed in)",
  },
  'POST /account/sessions/revoke-others': { rule: 'self' },
  'POST /account/sessions/revoke-all': { rule: 'self' },
  'GET /account/export': { rule: 'self' },
  'GET /account/erase': { rule: 'self' },
  'POST /account/erase': { rule: 'self', body: () => ({ password: PASSWORD }), allowStatus: [422], note: 'the last admin of an organization cannot erase the account (422)' },
  'GET /account/erased': { rule: 'public-read', note: 'the confirmation after erasure, shown without a session' },
  'GET /account/feeds': { rule: 'self' },
  'POST /account/feeds': { rule: 'self', body: () => ({ label: 'Matrix calendar' }), note: 'shows the new link once (200), no redirect' },
  'POST /account/feeds/:id/revoke': { rule: 'own-record', targets: ['feedtoken:admin'], note: "another account's token is a 404, like a missing one" },

  // ---- second factors of the account
  'GET /static/vendor/simplewebauthn-browser.js': { rule: 'public-read', note: 'vendored browser library' },
  'GET /account/security': { rule: 'self' },
  'POST /account/security/totp': { rule: 'self', body: () => ({ code: '000000' }), allowStatus: [422], note: 'the matrix has no authenticator: a wrong code is refused with 422' },
  'POST /account/security/totp/disable': { rule: 'has-totp', body: () => ({ password: PASSWORD, code: '000000' }), note: 'signed in without TOTP: 404' },
  'POST /account/security/recovery-codes': { rule: 'has-totp', body: () => ({ password: PASSWORD, code: '000000' }), note: 'signed in without TOTP: 404' },
  'POST /account/security/passkeys/:id/remove': { rule: 'own-record', targets: ['passkey:admin'] },
  'POST /account/security/passkeys/options': { rule: 'self', send: 'json-csrf' },
  'POST /account/security/passkeys': {
    rule: 'self',
    send: 'json-csrf',
    body: () => ({ name: 'Matrix key', response: { id: 'x', rawId: 'x', type: 'public-key', response: {} } }),
    allowStatus: [400, 422],
    note: 'no authenticator: the attestation is refused as bad input',
  },
  'GET /sign-in/second-factor': { rule: 'pending-step', readOnly: true },
  'POST /sign-in/second-factor': { rule: 'pending-step', readOnly: true, body: () => ({ code: '000000', next: '/' }) },
  'POST /sign-in/second-factor/recovery': { rule: 'pending-step', readOnly: true, body: () => ({ recoveryCode: 'aaaa-bbbb-cccc', next: '/' }) },
  'POST /sign-in/second-factor/passkey/options': { rule: 'pending-session', send: 'json-csrf' },
  'POST /sign-in/second-factor/passkey': { rule: 'pending-session', send: 'json-csrf', body: () => ({ response: {}, next: '/' }) },
};

/**
 * Cells where the code is known to differ from the policy (a bug reported, not yet fixed). The
 * matrix asserts that each listed cell still differs — so the entry must be removed the day the
 * bug is fixed — and counts them apart from unexpected allows.
 */
export const KNOWN_DEVIATIONS: { route: string; actor: Actor; target?: TargetKey; issue: string }[] = [];

/** For messages: the fixture names a path parameter may take. */
export const FIXTURE_SLUGS = {
  organizations: Object.values(ORGS).map((o) => o.slug),
  struggles: Object.values(STRUGGLES).map((s) => s.slug),
  network: NETWORK.slug,
};
