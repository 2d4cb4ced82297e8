import { inTransaction, type Db, type Engine } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { NotFound, ValidationFailed } from '../../http/errors.ts';
import { LOCALES } from '../../i18n/i18n.ts';
import { nowInstant } from '../../lib/time.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requirePassword } from './account.service.ts';

// ---- GDPR: export (Art. 15 access, Art. 20 portability) and erasure (Art. 17)

/** What erasure does to a column that names the person. */
export type ErasureRule =
  /** The row is deleted. */
  | 'delete'
  /** The row stays and keeps pointing at the tombstone (shared records keep their integrity). */
  | 'keep'
  /** The `users` row itself becomes a tombstone. */
  | 'tombstone'
  /** Pending rows are revoked; answered ones stay. */
  | 'revoke_pending'
  /** The row stays; the person's e-mail address in it is blanked. */
  | 'blank_email';

/**
 * Every column that names an account, with where the export shows it (a dotted path into
 * {@link AccountExport}) and what erasure does to it. The test walks the database schema: a new
 * column that references `users` (or is named `*user_id` / `*_by`) must be added here, to the
 * export and to {@link eraseAccount}.
 */
export const PERSONAL_DATA: Readonly<Record<string, Readonly<Record<string, { export: string; erase: ErasureRule }>>>> = {
  users: { id: { export: 'profile', erase: 'tombstone' } },
  sessions: { user_id: { export: 'sessions', erase: 'delete' } },
  organization_members: { user_id: { export: 'organizationRoles', erase: 'delete' } },
  network_roles: { user_id: { export: 'networkRoles', erase: 'delete' } },
  recovery_codes: { user_id: { export: 'secondFactor.recoveryCodes', erase: 'delete' } },
  passkeys: { user_id: { export: 'secondFactor.passkeys', erase: 'delete' } },
  password_resets: { user_id: { export: 'passwordResets', erase: 'delete' } },
  invitations: {
    invited_by: { export: 'invitations.sent', erase: 'revoke_pending' },
    accepted_by: { export: 'invitations.accepted', erase: 'blank_email' },
  },
  audit_events: { actor_user_id: { export: 'auditEvents', erase: 'keep' } },
  organizations: { created_by: { export: 'created.organizations', erase: 'keep' } },
  networks: { created_by: { export: 'created.networks', erase: 'keep' } },
  struggles: { created_by: { export: 'created.struggles', erase: 'keep' } },
  struggle_updates: { created_by: { export: 'created.struggleUpdates', erase: 'keep' } },
  solidarity_calls: { created_by: { export: 'created.solidarityCalls', erase: 'keep' } },
  solidarity_responses: { created_by: { export: 'created.solidarityResponses', erase: 'keep' } },
  action_days: { created_by: { export: 'created.actionDays', erase: 'keep' } },
  local_actions: { created_by: { export: 'created.localActions', erase: 'keep' } },
  follows: { created_by: { export: 'created.follows', erase: 'keep' } },
  feed_tokens: { user_id: { export: 'feedTokens', erase: 'delete' } },
  // Solidarity pacts. The ledger is append-only (a trigger refuses changes), so its rows keep
  // pointing at the tombstone; so do pledges, documents and disbursement decisions, which are
  // part of the pact's accounts.
  pacts: { created_by: { export: 'created.pacts', erase: 'keep' } },
  ledger_entries: {
    recorded_by: { export: 'ledgerEntriesRecorded', erase: 'keep' },
    counterparty_user_id: { export: 'ledgerEntriesAsCounterparty', erase: 'keep' },
  },
  pledges: {
    user_id: { export: 'pledges', erase: 'keep' },
    created_by: { export: 'created.pledges', erase: 'keep' },
  },
  beneficiaries: { created_by: { export: 'created.beneficiaries', erase: 'keep' } },
  pact_documents: { uploaded_by: { export: 'created.pactDocuments', erase: 'keep' } },
  disbursements: {
    proposed_by: { export: 'disbursements.proposed', erase: 'keep' },
    decided_by: { export: 'disbursements.decided', erase: 'keep' },
  },
  // Campaigns: the campaign, its translations, endorsements, tallies and imports are shared records
  // of the issuing organizations and keep pointing at the tombstone. (Supporters who signed are not
  // accounts: their data is theirs to withdraw through the link in every mail.)
  campaigns: { created_by: { export: 'campaigns.created', erase: 'keep' } },
  campaign_translations: { translated_by: { export: 'campaigns.translations', erase: 'keep' } },
  campaign_endorsements: {
    endorsed_by: { export: 'campaigns.endorsements.endorsed', erase: 'keep' },
    decided_by: { export: 'campaigns.endorsements.decided', erase: 'keep' },
  },
  campaign_tallies: { entered_by: { export: 'campaigns.tallies', erase: 'keep' } },
  supporter_imports: { created_by: { export: 'campaigns.supporterImports', erase: 'keep' } },
};

/** The JSON document of `GET /account/export`. Instants are ISO 8601 UTC; dates `YYYY-MM-DD`. */
export interface AccountExport {
  format: 'solidaris-account-export';
  version: 1;
  exportedAt: string;
  /** A translated explanation of the document (the request's UI language). */
  about: string;
  profile: {
    id: string;
    email: string;
    displayName: string;
    locale: string;
    timeZone: string;
    instanceAdministrator: boolean;
    createdAt: string;
    updatedAt: string;
    /** Notifications up to this instant count as read (null: none yet). */
    notificationsReadAt: string | null;
    /** E-mail digest choice: `off`, `daily` or `weekly`, and the end of the last window handled. */
    digest: { frequency: string; sentUntil: string | null };
  };
  /** Stored secrets: `withheld` when one exists (never included), `none` otherwise. */
  credentials: {
    passwordHash: 'withheld';
    totpSecret: 'withheld' | 'none';
    recoveryCodeHashes: 'withheld' | 'none';
    feedTokenHashes: 'withheld' | 'none';
  };
  secondFactor: {
    totpEnabledAt: string | null;
    recoveryCodes: { unused: number; used: number };
    passkeys: { name: string; createdAt: string; lastUsedAt: string | null }[];
  };
  organizationRoles: { organization: { id: string; slug: string; name: string }; role: string; since: string }[];
  networkRoles: { network: { id: string; slug: string; name: string }; role: string; since: string }[];
  sessions: { createdAt: string; lastSeenAt: string; expiresAt: string; userAgent: string | null; current: boolean }[];
  invitations: {
    sent: { id: string; organization: string; email: string; role: string; createdAt: string; expiresAt: string; acceptedAt: string | null; revokedAt: string | null }[];
    accepted: { id: string; organization: string; role: string; createdAt: string; acceptedAt: string | null }[];
  };
  passwordResets: { createdAt: string; expiresAt: string; usedAt: string | null }[];
  /** Personal feed links (the tokens themselves are never stored). */
  feedTokens: { id: string; label: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }[];
  auditEvents: { id: string; at: string; action: string; organizationId: string | null; subjectType: string; subjectId: string | null; sessionRef: string | null; details: unknown }[];
  created: {
    organizations: { id: string; slug: string; name: string; createdAt: string }[];
    networks: { id: string; slug: string; name: string; createdAt: string }[];
    struggles: { id: string; slug: string; title: string; createdAt: string }[];
    struggleUpdates: { id: string; struggle: { id: string; slug: string; title: string }; date: string; createdAt: string }[];
    solidarityCalls: { id: string; slug: string; title: string; createdAt: string }[];
    solidarityResponses: { id: string; call: { id: string; slug: string }; kind: string; date: string; createdAt: string }[];
    actionDays: { id: string; slug: string; title: string; createdAt: string }[];
    localActions: { id: string; actionDay: { id: string; slug: string }; title: string; city: string; createdAt: string }[];
    /** Follows the person started for an organization (the target is a record id or a country code). */
    follows: { id: string; organization: { id: string; slug: string }; targetKind: string; targetId: string; createdAt: string }[];
    /** Solidarity pacts the person started. */
    pacts: { id: string; slug: string; title: string; createdAt: string }[];
    /** Pledges the person recorded (their own or on behalf of others). */
    pledges: PledgeExport[];
    /** Beneficiaries the person registered: only the pseudonymous code (the personal fields are about someone else). */
    beneficiaries: { id: string; pact: PactRef; code: string; createdAt: string }[];
    /** Documents (receipts) the person uploaded: name and size, not the file. */
    pactDocuments: { id: string; pact: PactRef; filename: string; contentType: string; sizeBytes: number; uploadedAt: string }[];
  };
  /** Ledger entries the person recorded. Amounts in integer minor units of `currency`. */
  ledgerEntriesRecorded: LedgerEntryExport[];
  /** Campaign records that name the person's account. */
  campaigns: CampaignDataExport;
  /** Ledger entries that name the person's account as who paid or was paid. */
  ledgerEntriesAsCounterparty: LedgerEntryExport[];
  /** Pledges made in the person's name. */
  pledges: PledgeExport[];
  /** Disbursements the person proposed, and those they approved or refused. */
  disbursements: { proposed: DisbursementExport[]; decided: DisbursementExport[] };
}

/** A pact named in the export. */
export interface PactRef {
  id: string;
  slug: string;
}

/** A ledger entry in the export (date-only `valueDate`; `recordedAt` an instant). */
export interface LedgerEntryExport {
  id: string;
  pact: PactRef;
  seq: number;
  kind: string;
  amountMinor: number;
  currency: string;
  valueDate: string;
  reference: string | null;
  recordedAt: string;
}

/** A pledge in the export. */
export interface PledgeExport {
  id: string;
  pact: PactRef;
  amountMinor: number;
  currency: string;
  frequency: string;
  startDate: string;
  endDate: string | null;
  cancelledAt: string | null;
  createdAt: string;
}

/** A disbursement in the export. */
export interface DisbursementExport {
  id: string;
  pact: PactRef;
  amountMinor: number;
  currency: string;
  purpose: string;
  status: string;
  proposedAt: string;
  decidedAt: string | null;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Everything stored about the signed-in person (GDPR Art. 15 right of access, Art. 20 data
 * portability: structured, commonly used, machine-readable). Secrets — the password hash, the TOTP
 * secret, recovery code hashes, session token hashes, pending WebAuthn challenges — are named as
 * existing but never included. `about` is the translated explanation. The export itself is
 * written to the audit log (`account.exported`), so a person can see when their data left.
 * @throws {NotFound} when the account is gone or erased.
 */
export async function exportAccount(db: Db, viewer: Viewer, about: string): Promise<AccountExport> {
  const uid = viewer.userId;
  const user = await db.selectFrom('users').selectAll().where('id', '=', uid).where('erased_at', 'is', null).executeTakeFirst();
  if (!user) throw new NotFound();
  const [calls, responses, days, localActions, follows, feedTokens] = await Promise.all([
    db.selectFrom('solidarity_calls').select(['id', 'slug', 'title', 'created_at']).where('created_by', '=', uid).orderBy('created_at').execute(),
    db
      .selectFrom('solidarity_responses')
      .innerJoin('solidarity_calls', 'solidarity_calls.id', 'solidarity_responses.call_id')
      .select(['solidarity_responses.id', 'solidarity_calls.id as call_id', 'solidarity_calls.slug', 'solidarity_responses.kind', 'solidarity_responses.date', 'solidarity_responses.created_at'])
      .where('solidarity_responses.created_by', '=', uid)
      .orderBy('solidarity_responses.created_at')
      .execute(),
    db.selectFrom('action_days').select(['id', 'slug', 'title', 'created_at']).where('created_by', '=', uid).orderBy('created_at').execute(),
    db
      .selectFrom('local_actions')
      .innerJoin('action_days', 'action_days.id', 'local_actions.action_day_id')
      .select(['local_actions.id', 'action_days.id as day_id', 'action_days.slug', 'local_actions.title', 'local_actions.city', 'local_actions.created_at'])
      .where('local_actions.created_by', '=', uid)
      .orderBy('local_actions.created_at')
      .execute(),
    db
      .selectFrom('follows')
      .innerJoin('organizations', 'organizations.id', 'follows.organization_id')
      .select(['follows.id', 'organizations.id as org_id', 'organizations.slug', 'follows.target_kind', 'follows.target_id', 'follows.created_at'])
      .where('follows.created_by', '=', uid)
      .orderBy('follows.created_at')
      .execute(),
    db.selectFrom('feed_tokens').select(['id', 'label', 'created_at', 'last_used_at', 'revoked_at']).where('user_id', '=', uid).orderBy('created_at').execute(),
  ]);
  const [codes, passkeys, orgRoles, netRoles, sessions, sent, accepted, resets, events, orgs, nets, struggles, updates] = await Promise.all([
    db.selectFrom('recovery_codes').select(['used_at']).where('user_id', '=', uid).execute(),
    db.selectFrom('passkeys').select(['name', 'created_at', 'last_used_at']).where('user_id', '=', uid).orderBy('created_at').execute(),
    db
      .selectFrom('organization_members')
      .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
      .select(['organizations.id', 'organizations.slug', 'organizations.name', 'organization_members.role', 'organization_members.created_at'])
      .where('organization_members.user_id', '=', uid)
      .orderBy('organization_members.created_at')
      .execute(),
    db
      .selectFrom('network_roles')
      .innerJoin('networks', 'networks.id', 'network_roles.network_id')
      .select(['networks.id', 'networks.slug', 'networks.name', 'network_roles.role', 'network_roles.created_at'])
      .where('network_roles.user_id', '=', uid)
      .orderBy('network_roles.created_at')
      .execute(),
    db.selectFrom('sessions').select(['id', 'created_at', 'last_seen_at', 'expires_at', 'user_agent']).where('user_id', '=', uid).orderBy('created_at').execute(),
    db
      .selectFrom('invitations')
      .innerJoin('organizations', 'organizations.id', 'invitations.organization_id')
      .select(['invitations.id', 'organizations.slug', 'invitations.email', 'invitations.role', 'invitations.created_at', 'invitations.expires_at', 'invitations.accepted_at', 'invitations.revoked_at'])
      .where('invitations.invited_by', '=', uid)
      .orderBy('invitations.created_at')
      .execute(),
    db
      .selectFrom('invitations')
      .innerJoin('organizations', 'organizations.id', 'invitations.organization_id')
      .select(['invitations.id', 'organizations.slug', 'invitations.role', 'invitations.created_at', 'invitations.accepted_at'])
      .where('invitations.accepted_by', '=', uid)
      .orderBy('invitations.created_at')
      .execute(),
    db.selectFrom('password_resets').select(['created_at', 'expires_at', 'used_at']).where('user_id', '=', uid).orderBy('created_at').execute(),
    db.selectFrom('audit_events').selectAll().where('actor_user_id', '=', uid).orderBy('at').orderBy('id').execute(),
    db.selectFrom('organizations').select(['id', 'slug', 'name', 'created_at']).where('created_by', '=', uid).orderBy('created_at').execute(),
    db.selectFrom('networks').select(['id', 'slug', 'name', 'created_at']).where('created_by', '=', uid).orderBy('created_at').execute(),
    db.selectFrom('struggles').select(['id', 'slug', 'title', 'created_at']).where('created_by', '=', uid).orderBy('created_at').execute(),
    db
      .selectFrom('struggle_updates')
      .innerJoin('struggles', 'struggles.id', 'struggle_updates.struggle_id')
      .select(['struggle_updates.id', 'struggles.id as struggle_id', 'struggles.slug', 'struggles.title', 'struggle_updates.date', 'struggle_updates.created_at'])
      .where('struggle_updates.created_by', '=', uid)
      .orderBy('struggle_updates.created_at')
      .execute(),
  ]);
  const pacts = await exportPactData(db, uid);
  const stored = 'withheld' as const;
  await recordAudit(db, viewer, { action: 'account.exported', subjectType: 'account', subjectId: uid });
  return {
    format: 'solidaris-account-export',
    version: 1,
    exportedAt: nowInstant(),
    about,
    profile: {
      id: user.id,
      email: user.email,
      displayName: user.display_name,
      locale: user.locale,
      timeZone: user.time_zone,
      instanceAdministrator: Number(user.is_admin) === 1,
      createdAt: user.created_at,
      updatedAt: user.updated_at,
      notificationsReadAt: user.notifications_read_at,
      digest: { frequency: user.digest_frequency, sentUntil: user.digest_sent_until },
    },
    credentials: {
      passwordHash: stored,
      totpSecret: user.totp_secret ? stored : 'none',
      recoveryCodeHashes: codes.length ? stored : 'none',
      feedTokenHashes: feedTokens.length ? stored : 'none',
    },
    secondFactor: {
      totpEnabledAt: user.totp_enabled_at,
      recoveryCodes: { unused: codes.filter((c) => c.used_at === null).length, used: codes.filter((c) => c.used_at !== null).length },
      passkeys: passkeys.map((p) => ({ name: p.name, createdAt: p.created_at, lastUsedAt: p.last_used_at })),
    },
    organizationRoles: orgRoles.map((r) => ({ organization: { id: r.id, slug: r.slug, name: r.name }, role: r.role, since: r.created_at })),
    networkRoles: netRoles.map((r) => ({ network: { id: r.id, slug: r.slug, name: r.name }, role: r.role, since: r.created_at })),
    sessions: sessions.map((s) => ({ createdAt: s.created_at, lastSeenAt: s.last_seen_at, expiresAt: s.expires_at, userAgent: s.user_agent, current: s.id === viewer.sessionId })),
    invitations: {
      sent: sent.map((i) => ({
        id: i.id,
        organization: i.slug,
        email: i.email,
        role: i.role,
        createdAt: i.created_at,
        expiresAt: i.expires_at,
        acceptedAt: i.accepted_at,
        revokedAt: i.revoked_at,
      })),
      accepted: accepted.map((i) => ({ id: i.id, organization: i.slug, role: i.role, createdAt: i.created_at, acceptedAt: i.accepted_at })),
    },
    passwordResets: resets.map((r) => ({ createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at })),
    feedTokens: feedTokens.map((f) => ({ id: f.id, label: f.label, createdAt: f.created_at, lastUsedAt: f.last_used_at, revokedAt: f.revoked_at })),
    auditEvents: events.map((e) => ({
      id: e.id,
      at: e.at,
      action: e.action,
      organizationId: e.organization_id,
      subjectType: e.subject_type,
      subjectId: e.subject_id,
      sessionRef: e.session_ref,
      details: parseJson(e.details),
    })),
    created: {
      organizations: orgs.map((o) => ({ id: o.id, slug: o.slug, name: o.name, createdAt: o.created_at })),
      networks: nets.map((n) => ({ id: n.id, slug: n.slug, name: n.name, createdAt: n.created_at })),
      struggles: struggles.map((s) => ({ id: s.id, slug: s.slug, title: s.title, createdAt: s.created_at })),
      struggleUpdates: updates.map((u) => ({ id: u.id, struggle: { id: u.struggle_id, slug: u.slug, title: u.title }, date: u.date, createdAt: u.created_at })),
      solidarityCalls: calls.map((c) => ({ id: c.id, slug: c.slug, title: c.title, createdAt: c.created_at })),
      solidarityResponses: responses.map((r) => ({ id: r.id, call: { id: r.call_id, slug: r.slug }, kind: r.kind, date: r.date, createdAt: r.created_at })),
      actionDays: days.map((d) => ({ id: d.id, slug: d.slug, title: d.title, createdAt: d.created_at })),
      localActions: localActions.map((a) => ({ id: a.id, actionDay: { id: a.day_id, slug: a.slug }, title: a.title, city: a.city, createdAt: a.created_at })),
      follows: follows.map((f) => ({ id: f.id, organization: { id: f.org_id, slug: f.slug }, targetKind: f.target_kind, targetId: f.target_id, createdAt: f.created_at })),
      pacts: pacts.created,
      pledges: pacts.pledgesCreated,
      beneficiaries: pacts.beneficiaries,
      pactDocuments: pacts.documents,
    },
    ledgerEntriesRecorded: pacts.recorded,
    ledgerEntriesAsCounterparty: pacts.asCounterparty,
    pledges: pacts.pledges,
    disbursements: { proposed: pacts.proposed, decided: pacts.decided },
    campaigns: await exportCampaignData(db, uid),
  };
}

type CampaignRef = { id: string; slug: string };

/** The campaign records that name an account (see {@link PERSONAL_DATA}). Instants ISO 8601 UTC. */
export interface CampaignDataExport {
  /** Campaigns the person started. */
  created: { id: string; slug: string; status: string; createdAt: string }[];
  /** Language versions of a campaign's title and appeal the person wrote. */
  translations: { campaign: CampaignRef; lang: string; title: string; original: boolean; createdAt: string; updatedAt: string }[];
  endorsements: {
    /** Endorsements the person made for an organization. */
    endorsed: CampaignEndorsementExport[];
    /** Endorsements the person confirmed or rejected as a campaign coordinator. */
    decided: CampaignEndorsementExport[];
  };
  /** Tallies (paper lists, other petitions) the person entered. */
  tallies: { id: string; campaign: CampaignRef; country: string; count: number; source: string; collectedOn: string | null; enteredAt: string }[];
  /** Supporter imports the person ran: file name and counts, not the file. */
  supporterImports: { id: string; campaign: CampaignRef; filename: string; status: string; imported: number; createdAt: string; finishedAt: string | null }[];
}

interface CampaignEndorsementExport {
  id: string;
  campaign: CampaignRef;
  organization: { id: string; slug: string };
  status: string;
  endorsedAt: string;
  decidedAt: string | null;
}

/** The campaign records that name account `uid` (see {@link PERSONAL_DATA}), for the export. */
async function exportCampaignData(db: Db, uid: string): Promise<CampaignDataExport> {
  const endorsements = (column: 'endorsed_by' | 'decided_by') =>
    db
      .selectFrom('campaign_endorsements as e')
      .innerJoin('campaigns as c', 'c.id', 'e.campaign_id')
      .innerJoin('organizations as o', 'o.id', 'e.organization_id')
      .select(['e.id', 'c.id as campaign_id', 'c.slug', 'o.id as org_id', 'o.slug as org_slug', 'e.status', 'e.endorsed_at', 'e.decided_at'])
      .where(`e.${column}`, '=', uid)
      .orderBy('e.endorsed_at')
      .execute();
  const [created, translations, endorsed, decided, tallies, imports] = await Promise.all([
    db.selectFrom('campaigns').select(['id', 'slug', 'status', 'created_at']).where('created_by', '=', uid).orderBy('created_at').execute(),
    db
      .selectFrom('campaign_translations as t')
      .innerJoin('campaigns as c', 'c.id', 't.campaign_id')
      .select(['c.id', 'c.slug', 't.lang', 't.title', 't.is_original', 't.created_at', 't.updated_at'])
      .where('t.translated_by', '=', uid)
      .orderBy('t.created_at')
      .execute(),
    endorsements('endorsed_by'),
    endorsements('decided_by'),
    db
      .selectFrom('campaign_tallies as t')
      .innerJoin('campaigns as c', 'c.id', 't.campaign_id')
      .select(['t.id', 'c.id as campaign_id', 'c.slug', 't.country', 't.count', 't.source', 't.collected_on', 't.entered_at'])
      .where('t.entered_by', '=', uid)
      .orderBy('t.entered_at')
      .execute(),
    db
      .selectFrom('supporter_imports as i')
      .innerJoin('campaigns as c', 'c.id', 'i.campaign_id')
      .select(['i.id', 'c.id as campaign_id', 'c.slug', 'i.filename', 'i.status', 'i.imported', 'i.created_at', 'i.finished_at'])
      .where('i.created_by', '=', uid)
      .orderBy('i.created_at')
      .execute(),
  ]);
  const endorsement = (e: Awaited<ReturnType<typeof endorsements>>[number]): CampaignEndorsementExport => ({
    id: e.id,
    campaign: { id: e.campaign_id, slug: e.slug },
    organization: { id: e.org_id, slug: e.org_slug },
    status: e.status,
    endorsedAt: e.endorsed_at,
    decidedAt: e.decided_at,
  });
  return {
    created: created.map((c) => ({ id: c.id, slug: c.slug, status: c.status, createdAt: c.created_at })),
    translations: translations.map((t) => ({ campaign: { id: t.id, slug: t.slug }, lang: t.lang, title: t.title, original: Number(t.is_original) === 1, createdAt: t.created_at, updatedAt: t.updated_at })),
    endorsements: { endorsed: endorsed.map(endorsement), decided: decided.map(endorsement) },
    tallies: tallies.map((t) => ({ id: t.id, campaign: { id: t.campaign_id, slug: t.slug }, country: t.country, count: Number(t.count), source: t.source, collectedOn: t.collected_on, enteredAt: t.entered_at })),
    supporterImports: imports.map((i) => ({ id: i.id, campaign: { id: i.campaign_id, slug: i.slug }, filename: i.filename, status: i.status, imported: Number(i.imported), createdAt: i.created_at, finishedAt: i.finished_at })),
  };
}

/** The pact records that name account `uid` (see {@link PERSONAL_DATA}), for the export. */
async function exportPactData(db: Db, uid: string) {
  const entries = (column: 'recorded_by' | 'counterparty_user_id') =>
    db
      .selectFrom('ledger_entries as e')
      .innerJoin('pacts as p', 'p.id', 'e.pact_id')
      .select(['e.id', 'p.id as pact_id', 'p.slug', 'e.seq', 'e.kind', 'e.amount_minor', 'e.currency', 'e.value_date', 'e.reference', 'e.recorded_at'])
      .where(`e.${column}`, '=', uid)
      .orderBy('e.recorded_at')
      .orderBy('e.seq')
      .execute();
  const pledges = (column: 'user_id' | 'created_by') =>
    db
      .selectFrom('pledges as g')
      .innerJoin('pacts as p', 'p.id', 'g.pact_id')
      .select(['g.id', 'p.id as pact_id', 'p.slug', 'g.amount_minor', 'g.currency', 'g.frequency', 'g.start_date', 'g.end_date', 'g.cancelled_at', 'g.created_at'])
      .where(`g.${column}`, '=', uid)
      .orderBy('g.created_at')
      .execute();
  const disbursements = (column: 'proposed_by' | 'decided_by') =>
    db
      .selectFrom('disbursements as d')
      .innerJoin('pacts as p', 'p.id', 'd.pact_id')
      .select(['d.id', 'p.id as pact_id', 'p.slug', 'd.amount_minor', 'd.currency', 'd.purpose', 'd.status', 'd.proposed_at', 'd.decided_at'])
      .where(`d.${column}`, '=', uid)
      .orderBy('d.proposed_at')
      .execute();
  const [created, recorded, asCounterparty, pledged, pledgesCreated, beneficiaries, documents, proposed, decided] = await Promise.all([
    db.selectFrom('pacts').select(['id', 'slug', 'title', 'created_at']).where('created_by', '=', uid).orderBy('created_at').execute(),
    entries('recorded_by'),
    entries('counterparty_user_id'),
    pledges('user_id'),
    pledges('created_by'),
    db
      .selectFrom('beneficiaries as b')
      .innerJoin('pacts as p', 'p.id', 'b.pact_id')
      .select(['b.id', 'p.id as pact_id', 'p.slug', 'b.code', 'b.created_at'])
      .where('b.created_by', '=', uid)
      .orderBy('b.created_at')
      .execute(),
    db
      .selectFrom('pact_documents as d')
      .innerJoin('pacts as p', 'p.id', 'd.pact_id')
      .select(['d.id', 'p.id as pact_id', 'p.slug', 'd.filename', 'd.content_type', 'd.size_bytes', 'd.uploaded_at'])
      .where('d.uploaded_by', '=', uid)
      .orderBy('d.uploaded_at')
      .execute(),
    disbursements('proposed_by'),
    disbursements('decided_by'),
  ]);
  const entry = (e: Awaited<ReturnType<typeof entries>>[number]): LedgerEntryExport => ({
    id: e.id,
    pact: { id: e.pact_id, slug: e.slug },
    seq: Number(e.seq),
    kind: e.kind,
    amountMinor: Number(e.amount_minor),
    currency: e.currency,
    valueDate: e.value_date,
    reference: e.reference,
    recordedAt: e.recorded_at,
  });
  const pledge = (g: Awaited<ReturnType<typeof pledges>>[number]): PledgeExport => ({
    id: g.id,
    pact: { id: g.pact_id, slug: g.slug },
    amountMinor: Number(g.amount_minor),
    currency: g.currency,
    frequency: g.frequency,
    startDate: g.start_date,
    endDate: g.end_date,
    cancelledAt: g.cancelled_at,
    createdAt: g.created_at,
  });
  const disbursement = (d: Awaited<ReturnType<typeof disbursements>>[number]): DisbursementExport => ({
    id: d.id,
    pact: { id: d.pact_id, slug: d.slug },
    amountMinor: Number(d.amount_minor),
    currency: d.currency,
    purpose: d.purpose,
    status: d.status,
    proposedAt: d.proposed_at,
    decidedAt: d.decided_at,
  });
  return {
    created: created.map((p) => ({ id: p.id, slug: p.slug, title: p.title, createdAt: p.created_at })),
    recorded: recorded.map(entry),
    asCounterparty: asCounterparty.map(entry),
    pledges: pledged.map(pledge),
    pledgesCreated: pledgesCreated.map(pledge),
    beneficiaries: beneficiaries.map((b) => ({ id: b.id, pact: { id: b.pact_id, slug: b.slug }, code: b.code, createdAt: b.created_at })),
    documents: documents.map((d) => ({ id: d.id, pact: { id: d.pact_id, slug: d.slug }, filename: d.filename, contentType: d.content_type, sizeBytes: Number(d.size_bytes), uploadedAt: d.uploaded_at })),
    proposed: proposed.map(disbursement),
    decided: decided.map(disbursement),
  };
}

/** Organizations (id, slug, name) where the account is the only stored `admin`. */
export async function organizationsWithSoleAdmin(db: Db, userId: string, engine?: Engine): Promise<{ id: string; slug: string; name: string }[]> {
  const adminOf = await db
    .selectFrom('organization_members')
    .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
    .select(['organizations.id', 'organizations.slug', 'organizations.name'])
    .where('organization_members.user_id', '=', userId)
    .where('organization_members.role', '=', 'admin')
    .orderBy('organizations.name')
    .execute();
  if (!adminOf.length) return [];
  const ids = adminOf.map((o) => o.id);
  // On PostgreSQL two admins erasing at once must not both see the other as the remaining admin:
  // lock the organizations' rows so the second transaction counts after the first committed.
  // (SQLite runs one write transaction at a time.)
  if (engine === 'postgres') await db.selectFrom('organizations').select('id').where('id', 'in', ids).orderBy('id').forUpdate().execute();
  const others = await db
    .selectFrom('organization_members')
    .select('organization_id')
    .where('organization_id', 'in', ids)
    .where('role', '=', 'admin')
    .where('user_id', '!=', userId)
    .execute();
  const covered = new Set(others.map((o) => o.organization_id));
  return adminOf.filter((o) => !covered.has(o.id));
}

/**
 * Erases the signed-in person's account (GDPR Art. 17 right to erasure), in one transaction:
 * deletes their sessions, recovery codes, passkeys, password resets, organization memberships and
 * network roles; revokes the invitations they sent that are still pending; blanks the e-mail
 * address on invitations they accepted; and turns the `users` row into a tombstone (e-mail empty,
 * e-mail key `erased:<id>` so the address can open a new account, name empty, password hash `!`
 * which no password matches, second factor cleared, language and time zone reset, `erased_at`
 * set). Records they created (organizations, networks, struggles, timeline entries) and the audit
 * log keep pointing at the tombstone, shown as "former member". Writes `account.erased` (counts
 * only, no personal data) to the instance log and to the log of every organization they belonged to.
 * See {@link PERSONAL_DATA} for the rule per column.
 * @throws {ValidationFailed} `password` (required / wrong); `organizations`
 *   (`account.erase.last_admin`, one error per organization, value `organization` = its name) when
 *   they are the only admin of an organization and must hand over first. Nothing is changed then.
 */
export async function eraseAccount(db: Db, viewer: Viewer, input: { password?: unknown }, engine?: Engine): Promise<void> {
  await requirePassword(db, viewer.userId, input.password, 'password');
  await inTransaction(db, async (tx) => {
    const sole = await organizationsWithSoleAdmin(tx, viewer.userId, engine);
    if (sole.length) {
      throw new ValidationFailed(sole.map((o) => ({ field: 'organizations', messageId: 'account.erase.last_admin', values: { organization: o.name } })));
    }
    const uid = viewer.userId;
    const now = nowInstant();
    const memberships = await tx.selectFrom('organization_members').select('organization_id').where('user_id', '=', uid).execute();
    const count = async (table: 'sessions' | 'recovery_codes' | 'passkeys' | 'password_resets' | 'network_roles' | 'feed_tokens') =>
      Number((await tx.deleteFrom(table).where('user_id', '=', uid).executeTakeFirst()).numDeletedRows);
    const details = {
      organizationsLeft: memberships.length,
      networkRolesEnded: await count('network_roles'),
      sessionsEnded: await count('sessions'),
      passkeysDeleted: await count('passkeys'),
      recoveryCodesDeleted: await count('recovery_codes'),
      passwordResetsDeleted: await count('password_resets'),
      feedTokensDeleted: await count('feed_tokens'),
      invitationsRevoked: Number(
        (
          await tx
            .updateTable('invitations')
            .set({ revoked_at: now })
            .where('invited_by', '=', uid)
            .where('accepted_at', 'is', null)
            .where('revoked_at', 'is', null)
            .executeTakeFirst()
        ).numUpdatedRows,
      ),
    };
    await tx.deleteFrom('organization_members').where('user_id', '=', uid).execute();
    await tx.updateTable('invitations').set({ email: '', email_key: '' }).where('accepted_by', '=', uid).execute();
    await tx
      .updateTable('users')
      .set({
        email: '',
        email_key: `erased:${uid}`,
        display_name: '',
        password_hash: '!',
        locale: LOCALES[0],
        time_zone: 'UTC',
        is_admin: 0,
        totp_secret: null,
        totp_enabled_at: null,
        totp_last_step: null,
        notifications_read_at: null,
        digest_frequency: 'off',
        digest_sent_until: null,
        erased_at: now,
        updated_at: now,
      })
      .where('id', '=', uid)
      .execute();
    const event = { action: 'account.erased', subjectType: 'account', subjectId: uid } as const;
    await recordAudit(tx, viewer, { ...event, details });
    for (const m of memberships) await recordAudit(tx, viewer, { ...event, organizationId: m.organization_id, details: {} });
  });
}
