import type { Translator } from '../i18n/i18n.ts';
import type { Viewer } from '../http/viewer.ts';

/** What every page render needs from the request. */
export interface PageContext {
  tr: Translator;
  viewer: Viewer | null;
  /** CSRF token for forms on this page. */
  csrfToken: string;
  /** Path of the current page (for the language switch's return and nav highlighting). */
  path: string;
  /** Path and query of the current page, where the language switch returns to. */
  url: string;
  /** Instance-wide notice (e.g. "no administrator yet"). */
  flash?: string;
  /**
   * Unread notifications of the signed-in reader for the header link (counted up to 100), or
   * null/absent when not counted (anonymous readers, API and form posts).
   */
  unreadNotifications?: number | null;
}
