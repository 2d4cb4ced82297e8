import type { Generated } from 'kysely';

/**
 * Row shapes of every table, as the application sees them on both engines.
 * Conventions: ids are UUIDv7 text; instants are ISO 8601 UTC strings (`...Z`); date-only values
 * are `YYYY-MM-DD` strings; flags are integers 0/1 (no boolean columns, so SQLite and PostgreSQL
 * read the same); lists live in join tables (no array columns).
 */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  organizations: OrganizationsTable;
  organization_languages: OrganizationLanguagesTable;
  organization_members: OrganizationMembersTable;
  networks: NetworksTable;
  network_memberships: NetworkMembershipsTable;
  struggles: StrugglesTable;
  struggle_organizations: StruggleOrganizationsTable;
  struggle_sources: StruggleSourcesTable;
  struggle_updates: StruggleUpdatesTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  invitations: InvitationsTable;
  password_resets: PasswordResetsTable;
  network_roles: NetworkRolesTable;
  audit_events: AuditEventsTable;
  solidarity_calls: SolidarityCallsTable;
  solidarity_call_asks: SolidarityCallAsksTable;
  solidarity_call_languages: SolidarityCallLanguagesTable;
  solidarity_call_issuers: SolidarityCallIssuersTable;
  solidarity_responses: SolidarityResponsesTable;
  action_days: ActionDaysTable;
  local_actions: LocalActionsTable;
  follows: FollowsTable;
  feed_tokens: FeedTokensTable;
  pacts: PactsTable;
  pact_organizations: PactOrganizationsTable;
  pact_struggles: PactStrugglesTable;
  pledges: PledgesTable;
  beneficiaries: BeneficiariesTable;
  pact_documents: PactDocumentsTable;
  ledger_entries: LedgerEntriesTable;
  pact_balances: PactBalancesTable;
  pact_month_totals: PactMonthTotalsTable;
  pact_sequences: PactSequencesTable;
  disbursements: DisbursementsTable;
  exchange_rates: ExchangeRatesTable;
  campaigns: CampaignsTable;
  campaign_translations: CampaignTranslationsTable;
  campaign_organizations: CampaignOrganizationsTable;
  supporters: SupportersTable;
  supporter_mails: SupporterMailsTable;
  campaign_counts: CampaignCountsTable;
  campaign_endorsements: CampaignEndorsementsTable;
  campaign_tallies: CampaignTalliesTable;
  supporter_imports: SupporterImportsTable;
}

export interface UsersTable {
  id: string;
  email: string;
  /** Normalized comparison key of `email` (see `lib/email.ts`). */
  email_key: string;
  display_name: string;
  password_hash: string;
  locale: string;
  time_zone: string;
  /** 1 for an instance administrator. */
  is_admin: number;
  created_at: string;
  updated_at: string;
  /** Set when the person erased their account: the row stays as a "former member" tombstone. */
  erased_at: string | null;
  /** RFC 6238 shared secret (base32), set once the person confirmed a first code. */
  totp_secret: string | null;
  totp_enabled_at: string | null;
  /** Last accepted TOTP time step (Unix seconds / 30), so a code is never accepted twice. */
  totp_last_step: number | null;
  /** Notifications created up to this instant count as read; null: none read yet. */
  notifications_read_at: string | null;
  /** E-mail digest of notifications: `off`, `daily` or `weekly` (see `DIGEST_FREQUENCIES`). */
  digest_frequency: Generated<DigestFrequency>;
  /** End (instant) of the last digest window handled, sent or empty; null until the first one. */
  digest_sent_until: string | null;
}

export const DIGEST_FREQUENCIES = ['off', 'daily', 'weekly'] as const;
export type DigestFrequency = (typeof DIGEST_FREQUENCIES)[number];

export interface SessionsTable {
  /** SHA-256 (hex) of the session token; the token itself is only in the cookie. */
  id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  /** 1 while the password is proven but the account's second factor is not yet. */
  pending_second_factor: Generated<number>;
  /** When this session proved a second factor (TOTP, recovery code or passkey). */
  second_factor_at: string | null;
  user_agent: string | null;
  /** Outstanding WebAuthn challenge (base64url) for this session. */
  webauthn_challenge: string | null;
  /** TOTP secret being set up, until the person confirms a code from it. */
  totp_pending_secret: string | null;
}

export type Visibility = 'public' | 'network' | 'members' | 'private';

export interface OrganizationsTable {
  id: string;
  slug: string;
  name: string;
  kind: string;
  country: string;
  city: string | null;
  website: string | null;
  contact_email: string | null;
  description: string | null;
  description_lang: string;
  visibility: Visibility;
  parent_id: string | null;
  /** Lower-cased NFKC text of name and city for search. */
  search_text: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  /** 1 when the organization's admins must sign in with a second factor to act as admins. */
  require_second_factor: Generated<number>;
}

export interface OrganizationLanguagesTable {
  organization_id: string;
  language: string;
  position: number;
}

export interface OrganizationMembersTable {
  organization_id: string;
  user_id: string;
  role: 'admin' | 'coordinator' | 'member' | 'viewer';
  created_at: string;
}

export interface NetworksTable {
  id: string;
  slug: string;
  name: string;
  sector: string;
  description: string | null;
  description_lang: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface NetworkMembershipsTable {
  id: string;
  network_id: string;
  organization_id: string;
  role: 'member' | 'observer' | 'coordinator';
  since: string;
  until: string | null;
  created_at: string;
}

export interface StrugglesTable {
  id: string;
  slug: string;
  title: string;
  kind: string;
  sector: string;
  country: string;
  locality: string | null;
  employer: string | null;
  participants: number | null;
  demands: string | null;
  start_date: string;
  end_date: string | null;
  status: string;
  visibility: Visibility;
  lang: string;
  /** The organization that publishes the record and decides who sees it; null for imported public data. */
  organization_id: string | null;
  /** Stable key of an imported record (`fmcs:<case number>:<start date>`), for idempotent re-imports. */
  external_ref: string | null;
  /** Lower-cased NFKC text of title, employer and demands for search. */
  search_text: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface StruggleOrganizationsTable {
  struggle_id: string;
  organization_id: string;
  role: 'initiator' | 'supporter';
}

export interface StruggleSourcesTable {
  struggle_id: string;
  url: string;
  position: number;
}

export interface StruggleUpdatesTable {
  id: string;
  struggle_id: string;
  date: string;
  body: string;
  lang: string;
  created_by: string | null;
  created_at: string;
}

export interface RecoveryCodesTable {
  user_id: string;
  /** SHA-256 (hex) of the normalized code. */
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

export interface PasskeysTable {
  /** WebAuthn credential id, base64url. */
  id: string;
  user_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  /** Signature counter; bigint on PostgreSQL (read as string there: use `Number()`). */
  counter: Generated<number | string>;
  /** Comma-separated AuthenticatorTransport values. */
  transports: string | null;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

export type OrganizationRole = 'admin' | 'coordinator' | 'member' | 'viewer';

export interface InvitationsTable {
  id: string;
  organization_id: string;
  email: string;
  email_key: string;
  role: OrganizationRole;
  /** SHA-256 (hex) of the link token. */
  token_hash: string;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
  revoked_at: string | null;
}

export interface PasswordResetsTable {
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface NetworkRolesTable {
  network_id: string;
  user_id: string;
  role: 'coordinator' | 'member';
  created_at: string;
}

/** Append-only (database triggers refuse UPDATE and DELETE). */
export interface AuditEventsTable {
  id: string;
  at: string;
  actor_user_id: string | null;
  /** First 16 hex digits of the acting session's hash. */
  session_ref: string | null;
  organization_id: string | null;
  /** Dotted action name, e.g. `organization.updated`, `member.role_changed`. */
  action: string;
  subject_type: string;
  subject_id: string | null;
  /** JSON object of details (never secrets). */
  details: Generated<string>;
}

/** What a solidarity call asks for. */
export const CALL_ASKS = ['statement', 'donation', 'action', 'boycott', 'hearing', 'messages'] as const;
export type CallAsk = (typeof CALL_ASKS)[number];
/** What a response (solidarity action) reports. */
export const RESPONSE_KINDS = ['statement_sent', 'rally_held', 'donation_made', 'delegation', 'boycott_joined', 'message'] as const;
export type ResponseKind = (typeof RESPONSE_KINDS)[number];
/** What a local action on an action day is. */
export const LOCAL_ACTION_KINDS = ['rally', 'strike', 'vigil', 'assembly', 'info_stand', 'online', 'other'] as const;
export type LocalActionKind = (typeof LOCAL_ACTION_KINDS)[number];

/** A call for solidarity with a struggle, issued by one or more organizations. */
export interface SolidarityCallsTable {
  id: string;
  slug: string;
  struggle_id: string;
  /** The issuing organization that owns the record (visibility is decided by its members). */
  organization_id: string;
  title: string;
  body: string;
  lang: string;
  /** Last day answers are asked for (date-only, inclusive). */
  deadline: string | null;
  /** Day of the action asked for (date-only). */
  action_date: string | null;
  visibility: Visibility;
  search_text: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface SolidarityCallAsksTable {
  call_id: string;
  ask: CallAsk;
}

export interface SolidarityCallLanguagesTable {
  call_id: string;
  language: string;
  position: number;
}

/** Every organization issuing a call, the owner included. */
export interface SolidarityCallIssuersTable {
  call_id: string;
  organization_id: string;
}

/** What an organization (or a network, through a member organization) did in answer to a call. */
export interface SolidarityResponsesTable {
  id: string;
  call_id: string;
  organization_id: string;
  network_id: string | null;
  kind: ResponseKind;
  /** Date-only. */
  date: string;
  place: string | null;
  country: string | null;
  report: string | null;
  lang: string;
  link: string | null;
  visibility: Visibility;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** A coordinated international date or range, called by an organization (optionally for a network). */
export interface ActionDaysTable {
  id: string;
  slug: string;
  title: string;
  call_text: string;
  lang: string;
  /** Date-only, inclusive range. */
  start_date: string;
  end_date: string;
  organization_id: string;
  network_id: string | null;
  struggle_id: string | null;
  visibility: Visibility;
  search_text: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** A participating organization's action on an action day, in its own IANA time zone. */
export interface LocalActionsTable {
  id: string;
  action_day_id: string;
  organization_id: string;
  title: string;
  kind: LocalActionKind;
  city: string;
  country: string;
  venue: string | null;
  /** 1 for an all-day action (dates only). */
  all_day: Generated<number>;
  /** Wall-clock `YYYY-MM-DDTHH:MM` in `time_zone`, as entered; null when all-day. */
  start_local: string | null;
  end_local: string | null;
  /** IANA zone of the local times; null when all-day. */
  time_zone: string | null;
  /** The instants (ISO 8601 UTC) of the local times, for the date's own offset; null when all-day. */
  starts_at: string | null;
  ends_at: string | null;
  /** Date-only, inclusive: the local calendar days the action covers. */
  start_date: string;
  end_date: string;
  expected_participants: number | null;
  contact: string | null;
  visibility: Visibility;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** What an organization can follow. */
export const FOLLOW_TARGETS = ['struggle', 'call', 'network', 'country'] as const;
export type FollowTarget = (typeof FOLLOW_TARGETS)[number];

/** An organization following a struggle, a call, a network or a country. */
export interface FollowsTable {
  id: string;
  organization_id: string;
  target_kind: FollowTarget;
  /** The record id of a struggle, call or network; an ISO 3166-1 alpha-2 code for a country. */
  target_id: string;
  created_by: string | null;
  created_at: string;
}

/** A personal, revocable token that lets a calendar or feed client read as the account. */
export interface FeedTokensTable {
  id: string;
  user_id: string;
  /** SHA-256 (hex) of the token; the token itself is only in the subscription URL. */
  token_hash: string;
  label: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

// ---- Solidarity pacts (amounts are signed or positive integer minor units of an ISO 4217 currency)

export type PactStatus = 'open' | 'paused' | 'closed';
export type PledgeFrequency = 'once' | 'monthly' | 'quarterly';
/** The documented kinds of ledger entries (docs/LEDGER.md). */
export type LedgerEntryKind = 'contribution' | 'disbursement' | 'fee' | 'exchange' | 'transfer' | 'reversal';
export type CounterpartyKind = 'organization' | 'person' | 'beneficiary' | 'external' | 'pact';
export type DisbursementStatus = 'proposed' | 'approved' | 'rejected' | 'withdrawn';

export interface PactsTable {
  id: string;
  slug: string;
  /** The organization that owns the record and decides who sees it. */
  organization_id: string;
  title: string;
  description: string;
  /** BCP 47 tag of title and description. */
  lang: string;
  beneficiary_group: string;
  country: string | null;
  goal_minor: number | null;
  goal_currency: string | null;
  /** Date-only `YYYY-MM-DD`. */
  period_start: string;
  period_end: string | null;
  status: PactStatus;
  closed_at: string | null;
  visibility: Visibility;
  search_text: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface PactOrganizationsTable {
  pact_id: string;
  organization_id: string;
}

export interface PactStrugglesTable {
  pact_id: string;
  struggle_id: string;
}

export interface PledgesTable {
  id: string;
  pact_id: string;
  organization_id: string | null;
  user_id: string | null;
  pledger_name: string | null;
  /** Per installment, positive minor units. */
  amount_minor: number;
  currency: string;
  frequency: PledgeFrequency;
  start_date: string;
  end_date: string | null;
  note: string | null;
  cancelled_at: string | null;
  created_by: string | null;
  created_at: string;
}

export interface BeneficiariesTable {
  id: string;
  pact_id: string;
  code: string;
  kind: 'household' | 'person';
  household_size: number | null;
  /** AES-256-GCM envelope of the personal fields (lib/sealed.ts); never plain text. */
  sealed_personal: string;
  archived_at: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface PactDocumentsTable {
  id: string;
  pact_id: string;
  storage_key: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  uploaded_by: string | null;
  uploaded_at: string;
}

export interface LedgerEntriesTable {
  id: string;
  pact_id: string;
  seq: number;
  group_id: string;
  kind: LedgerEntryKind;
  /** The kind this entry counts under in reports (a reversal: the reversed entry's kind). */
  flow: LedgerEntryKind;
  /** Signed minor units: positive into the pact, negative out of it. */
  amount_minor: number;
  currency: string;
  value_date: string;
  counterparty_kind: CounterpartyKind;
  counterparty_organization_id: string | null;
  counterparty_user_id: string | null;
  counterparty_beneficiary_id: string | null;
  counterparty_pact_id: string | null;
  counterparty_name: string | null;
  reference: string | null;
  description: string | null;
  reverses_id: string | null;
  pledge_id: string | null;
  document_id: string | null;
  rate: string | null;
  rate_source: string | null;
  rate_date: string | null;
  external_ref: string | null;
  recorded_by: string | null;
  recorded_at: string;
  balance_after_minor: number;
}

export interface PactBalancesTable {
  pact_id: string;
  currency: string;
  balance_minor: number;
  entry_count: number;
  last_seq: number;
}

export interface PactMonthTotalsTable {
  pact_id: string;
  /** `YYYY-MM` of the value date. */
  month: string;
  currency: string;
  flow: LedgerEntryKind;
  total_minor: number;
  entry_count: number;
}

export interface PactSequencesTable {
  pact_id: string;
  last_seq: number;
}

export interface DisbursementsTable {
  id: string;
  pact_id: string;
  beneficiary_id: string | null;
  payee_name: string | null;
  /** Receiving pact of a proposed transfer (then neither beneficiary nor payee). */
  target_pact_id: string | null;
  amount_minor: number;
  currency: string;
  purpose: string;
  value_date: string;
  document_id: string | null;
  status: DisbursementStatus;
  proposed_by: string | null;
  proposed_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_note: string | null;
  entry_id: string | null;
}

export interface ExchangeRatesTable {
  source: string;
  rate_date: string;
  base: string;
  quote: string;
  /** Units of `quote` per one `base`, the source's decimal string. */
  rate: string;
  imported_at: string;
}

export const CAMPAIGN_STATUSES = ['draft', 'open', 'closed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** A campaign (movement appeal) that persons sign and organizations endorse. */
export interface CampaignsTable {
  id: string;
  slug: string;
  /** The organization that owns the record and decides who sees it. */
  organization_id: string;
  /** BCP 47 tag of the original language; its `campaign_translations` row has `is_original = 1`. */
  original_lang: string;
  /** Target number of signatures (confirmed supporters plus tallies); null: none. */
  goal: number | null;
  /** Date-only `YYYY-MM-DD`. */
  starts_on: string;
  ends_on: string | null;
  status: CampaignStatus;
  visibility: Visibility;
  search_text: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** Title and appeal of a campaign in one language (the original, or a translation by a person). */
export interface CampaignTranslationsTable {
  campaign_id: string;
  /** BCP 47 tag. */
  lang: string;
  title: string;
  appeal: string;
  /** 1 for the original text. */
  is_original: Generated<number>;
  translated_by: string | null;
  translator_name: string | null;
  created_at: string;
  updated_at: string;
}

export interface CampaignOrganizationsTable {
  campaign_id: string;
  organization_id: string;
}

export const SUPPORTER_STATUSES = ['pending', 'confirmed'] as const;
export type SupporterStatus = (typeof SUPPORTER_STATUSES)[number];
export const SUPPORTER_SOURCES = ['online', 'import'] as const;
export type SupporterSource = (typeof SUPPORTER_SOURCES)[number];

/**
 * One person's signature of one campaign. The address is sealed (`email_sealed`, aad
 * `supporters:<id>`); duplicates are found on `email_hash`, a keyed hash of the normalized key
 * (`supporterEmailKey`). A withdrawn signature is deleted; an unconfirmed one expires.
 */
export interface SupportersTable {
  id: string;
  campaign_id: string;
  email_hash: string;
  email_sealed: string;
  domain_hash: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  city: string | null;
  affiliation: string | null;
  /** BCP 47 tag of the language the person signed in. */
  lang: string;
  list_publicly: number;
  list_consent_version: string | null;
  list_consented_at: string | null;
  contact_ok: number;
  contact_consent_version: string | null;
  contact_consented_at: string | null;
  status: SupporterStatus;
  source: SupporterSource;
  consent_basis: string | null;
  import_id: string | null;
  created_at: string;
  confirmed_at: string | null;
  expires_at: string | null;
}

export const SUPPORTER_MAIL_KINDS = ['confirm', 'already_signed'] as const;
export type SupporterMailKind = (typeof SUPPORTER_MAIL_KINDS)[number];

/** Outbox of mails to supporters, written in the transaction of the signature. */
export interface SupporterMailsTable {
  id: string;
  supporter_id: string;
  kind: SupporterMailKind;
  created_at: string;
  sent_at: string | null;
  attempts: Generated<number>;
  last_error: string | null;
}

/** Confirmed supporters of a campaign per country (kept with every confirmation, import, withdrawal). */
export interface CampaignCountsTable {
  campaign_id: string;
  country: string;
  supporters: number;
}

export const ENDORSEMENT_STATUSES = ['pending', 'confirmed', 'rejected'] as const;
export type EndorsementStatus = (typeof ENDORSEMENT_STATUSES)[number];

/** An organization's sign-on to a campaign; shown once a campaign coordinator confirmed it. */
export interface CampaignEndorsementsTable {
  id: string;
  campaign_id: string;
  organization_id: string;
  statement: string | null;
  statement_lang: string | null;
  status: EndorsementStatus;
  endorsed_by: string | null;
  endorsed_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

/** Signatures counted outside the site (paper lists, another petition), per country and source. */
export interface CampaignTalliesTable {
  id: string;
  campaign_id: string;
  country: string;
  count: number;
  source: string;
  /** Date-only `YYYY-MM-DD`. */
  collected_on: string | null;
  external_ref: string | null;
  entered_by: string | null;
  entered_at: string;
}

export const SUPPORTER_IMPORT_STATUSES = ['preview', 'running', 'done', 'failed'] as const;
export type SupporterImportStatus = (typeof SUPPORTER_IMPORT_STATUSES)[number];

/** A CSV import of supporters: uploaded (sealed), previewed with a mapping, run with progress. */
export interface SupporterImportsTable {
  id: string;
  campaign_id: string;
  filename: string;
  file_sealed: string | null;
  /** JSON `{ field: columnIndex }`. */
  mapping: string | null;
  consent_basis: string | null;
  status: SupporterImportStatus;
  total_rows: Generated<number>;
  processed_rows: Generated<number>;
  imported: Generated<number>;
  duplicates: Generated<number>;
  /** JSON row-level report. */
  errors: string | null;
  created_by: string | null;
  created_at: string;
  finished_at: string | null;
}
