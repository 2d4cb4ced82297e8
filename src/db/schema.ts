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
}

export interface SessionsTable {
  /** SHA-256 (hex) of the session token; the token itself is only in the cookie. */
  id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
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
