import type { OrganizationRole } from '../db/schema.ts';

/** The signed-in person making a request, with what they belong to. */
export interface Viewer {
  userId: string;
  displayName: string;
  email: string;
  /** Instance administrator. */
  isAdmin: boolean;
  locale: string;
  /** IANA time zone of the account (e.g. `Europe/Berlin`). */
  timeZone: string;
  /**
   * Organization id → effective role in it. An admin of an organization that requires a second
   * factor counts as `member` until this session has proven one (see `heldBackRoles`).
   */
  roles: Map<string, OrganizationRole>;
  /** Organizations whose admin role is held back because this session has no second factor. */
  heldBackRoles: Set<string>;
  /** Network id → the account's own role in that network (`coordinator` or `member`). */
  networkRoles: Map<string, 'coordinator' | 'member'>;
  /** Organizations that share a current network membership with one of the viewer's organizations. */
  networkPeers: Set<string>;
  /** The account has a second factor (TOTP or a passkey). */
  hasSecondFactor: boolean;
  /** This session proved a second factor at sign-in. */
  secondFactorVerified: boolean;
  /** Hash of the session this request came with. */
  sessionId: string;
}
