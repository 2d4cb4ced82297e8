import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { visibleWhere } from '../../db/visibility.ts';

/** An open solidarity call as the home page lists it. */
export interface OpenCallSummary {
  slug: string;
  title: string;
  lang: string;
  /** Date-only, inclusive; null: open without a deadline. */
  deadline: string | null;
  struggleSlug: string;
  struggleTitle: string;
  struggleCountry: string;
}

/** An upcoming action day as the home page lists it. */
export interface UpcomingActionDaySummary {
  slug: string;
  title: string;
  lang: string;
  /** Date-only, inclusive range. */
  startDate: string;
  endDate: string;
}

/**
 * Open solidarity calls for the home page's coordination overview: deadline today or later (or
 * none), soonest deadline first, only calls the viewer may see on struggles the viewer may see.
 * @param today date-only `YYYY-MM-DD` (the reader's calendar day).
 */
export async function openCalls(db: Db, viewer: Viewer | null, today: string, limit = 5): Promise<OpenCallSummary[]> {
  const rows = await db
    .selectFrom('solidarity_calls')
    .innerJoin('struggles', 'struggles.id', 'solidarity_calls.struggle_id')
    .select([
      'solidarity_calls.slug',
      'solidarity_calls.title',
      'solidarity_calls.lang',
      'solidarity_calls.deadline',
      'struggles.slug as struggle_slug',
      'struggles.title as struggle_title',
      'struggles.country as struggle_country',
    ])
    .where(visibleWhere(viewer, 'solidarity_calls'))
    .where(visibleWhere(viewer, 'struggles'))
    .where((eb) => eb.or([eb('solidarity_calls.deadline', 'is', null), eb('solidarity_calls.deadline', '>=', today)]))
    // Calls with a deadline first (soonest first), then open-ended ones, newest first.
    .orderBy((eb) => eb.case().when('solidarity_calls.deadline', 'is', null).then(1).else(0).end())
    .orderBy('solidarity_calls.deadline')
    .orderBy('solidarity_calls.created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    slug: r.slug,
    title: r.title,
    lang: r.lang,
    deadline: r.deadline === null ? null : String(r.deadline).slice(0, 10),
    struggleSlug: r.struggle_slug,
    struggleTitle: r.struggle_title,
    struggleCountry: r.struggle_country,
  }));
}

/**
 * Action days that have not ended (end date today or later), soonest first, that the viewer may see.
 * @param today date-only `YYYY-MM-DD`.
 */
export async function upcomingActionDays(db: Db, viewer: Viewer | null, today: string, limit = 5): Promise<UpcomingActionDaySummary[]> {
  const rows = await db
    .selectFrom('action_days')
    .select(['slug', 'title', 'lang', 'start_date', 'end_date'])
    .where(visibleWhere(viewer, 'action_days'))
    .where('end_date', '>=', today)
    .orderBy('start_date')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ slug: r.slug, title: r.title, lang: r.lang, startDate: String(r.start_date).slice(0, 10), endDate: String(r.end_date).slice(0, 10) }));
}
