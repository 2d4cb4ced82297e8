import { inTransaction, type Db } from '../../db/client.ts';
import type { CampaignTalliesTable } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import { NotFound, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant, todayIn } from '../../lib/time.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { getCampaignForCoordinator } from './campaigns.access.ts';

/**
 * Paper-list tallies: signatures collected outside the site (a list at a rally, another petition
 * site), entered as counts per country and source by a campaign's coordinators. They are shown
 * apart from the online signatures and count toward the totals and the goal ({@link campaignCounts}).
 */

/** Largest count one tally may carry: more than any petition has ever gathered in one country. */
export const MAX_TALLY = 100_000_000;

/** Signatures of one country: confirmed supporters, tallies, and both added. */
export interface CountryCount {
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** Confirmed supporters (signed online or imported one by one), from the kept `campaign_counts`. */
  online: number;
  /** Sum of the paper-list and other tallies. */
  tallies: number;
  total: number;
}

/** A campaign's signatures per country and in all. */
export interface CampaignCounts {
  /** Countries with at least one signature, most signatures first (then by code). */
  byCountry: CountryCount[];
  online: number;
  tallies: number;
  total: number;
}

/**
 * The signatures of a campaign per country: confirmed supporters from the kept counts
 * (`campaign_counts`, maintained by the signing, import and withdrawal code in the same
 * transaction as each change) plus the tallies, each country's `total` their sum, and the grand
 * totals. No visibility check: the caller has already loaded the campaign for its reader. Two
 * indexed aggregate reads, cheap enough for the live counter's polling.
 */
export async function campaignCounts(db: Db, campaignId: string): Promise<CampaignCounts> {
  const [online, tallies] = await Promise.all([
    db.selectFrom('campaign_counts').select(['country', 'supporters']).where('campaign_id', '=', campaignId).where('supporters', '>', 0).execute(),
    db
      .selectFrom('campaign_tallies')
      .select(['country', (eb) => eb.fn.sum<string | number>('count').as('n')])
      .where('campaign_id', '=', campaignId)
      .groupBy('country')
      .execute(),
  ]);
  const by = new Map<string, CountryCount>();
  const row = (country: string) => {
    let r = by.get(country);
    if (!r) by.set(country, (r = { country, online: 0, tallies: 0, total: 0 }));
    return r;
  };
  for (const o of online) row(o.country).online += Number(o.supporters);
  for (const t of tallies) row(t.country).tallies += Number(t.n);
  const byCountry = [...by.values()];
  for (const r of byCountry) r.total = r.online + r.tallies;
  byCountry.sort((a, b) => b.total - a.total || (a.country < b.country ? -1 : a.country > b.country ? 1 : 0));
  const sum = (k: 'online' | 'tallies') => byCountry.reduce((s, r) => s + r[k], 0);
  const totals = { online: sum('online'), tallies: sum('tallies') };
  return { byCountry, ...totals, total: totals.online + totals.tallies };
}

/** Raw tally input from a form or the API. */
export interface TallyInput {
  /** ISO 3166-1 alpha-2. */
  country?: unknown;
  /** Whole number of signatures, 1 … {@link MAX_TALLY}. */
  count?: unknown;
  /** Where they were collected, e.g. "Rally at the port, 1 May" (one line, ≤ 200 characters). */
  source?: unknown;
  /** Date-only `YYYY-MM-DD`, optional, not after today in the entering person's time zone. */
  collectedOn?: unknown;
}

/** A tally after validation. */
export interface TallyValues {
  country: string;
  count: number;
  source: string;
  collectedOn: string | null;
}

/**
 * Validates tally input. `timeZone` (IANA) decides what "today" is for the collection date.
 * @throws {ValidationFailed} on `country`, `count`, `source`, `collectedOn`
 *   (`campaigns.tallies.validation.collected_future` for a day after today).
 */
export function validateTally(input: TallyInput, timeZone: string): TallyValues {
  const c = new FieldChecker();
  const country = c.country('country', input.country);
  const count = c.integer('count', input.count, { required: true, min: 1, max: MAX_TALLY });
  const source = c.line('source', input.source, { required: true, max: 200 });
  const collectedOn = c.date('collectedOn', input.collectedOn);
  const today = todayIn(timeZone);
  if (collectedOn && collectedOn > today) c.fail('collectedOn', 'campaigns.tallies.validation.collected_future', { date: today });
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return { country: country!, count: count!, source: source!, collectedOn };
}

/** One tally as listed to the campaign's coordinators, with who entered it. */
export interface TallyRow {
  id: string;
  country: string;
  count: number;
  source: string;
  collectedOn: string | null;
  /** Identity in an imported file (e.g. `uk-petition:584632:DE`), null for one entered by hand. */
  externalRef: string | null;
  enteredBy: string | null;
  /** Display name of who entered it (null for an import from the command line, or an erased account). */
  enteredByName: string | null;
  enteredAt: string;
}

/** The tallies of a campaign, newest first (no access check: for its coordinators' pages and API). */
export async function listTallies(db: Db, campaignId: string): Promise<TallyRow[]> {
  const rows = await db
    .selectFrom('campaign_tallies as t')
    .leftJoin('users as u', 'u.id', 't.entered_by')
    .select(['t.id', 't.country', 't.count', 't.source', 't.collected_on', 't.external_ref', 't.entered_by', 't.entered_at', 'u.display_name'])
    .where('t.campaign_id', '=', campaignId)
    .orderBy('t.entered_at', 'desc')
    .orderBy('t.id', 'desc')
    .limit(5000)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    country: r.country,
    count: Number(r.count),
    source: r.source,
    collectedOn: r.collected_on,
    externalRef: r.external_ref,
    enteredBy: r.entered_by,
    enteredByName: r.display_name,
    enteredAt: r.entered_at,
  }));
}

/**
 * Adds tallies to a campaign without access checks (the caller has checked): for the tally
 * importers and the demo. Rows with an `externalRef` already on the campaign are skipped, so a
 * file imported twice adds nothing (unique `campaign_id, external_ref`).
 * @returns the ids of the rows written, in input order (skipped rows left out).
 */
export async function insertTallies(
  db: Db,
  campaignId: string,
  rows: (TallyValues & { externalRef?: string | null })[],
  o: { enteredBy: string | null },
): Promise<string[]> {
  const written: string[] = [];
  await inTransaction(db, async (tx) => {
    for (const r of rows) {
      const id = newId();
      const values: CampaignTalliesTable = {
        id,
        campaign_id: campaignId,
        country: r.country,
        count: r.count,
        source: r.source,
        collected_on: r.collectedOn,
        external_ref: r.externalRef ?? null,
        entered_by: o.enteredBy,
        entered_at: nowInstant(),
      };
      const res = await tx
        .insertInto('campaign_tallies')
        .values(values)
        .onConflict((oc) => oc.columns(['campaign_id', 'external_ref']).doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) > 0) written.push(id);
    }
  });
  return written;
}

/**
 * Enters a tally on the campaign `slug` (its coordinators), and writes `campaign.tally_added` to
 * the audit log of every issuing organization, in one transaction.
 * @returns the tally's id.
 * @throws {NotFound}; {SignInRequired}; {Forbidden} not a coordinator; {ValidationFailed}.
 */
export async function addTally(db: Db, viewer: Viewer | null, slug: string, input: TallyInput): Promise<{ id: string }> {
  return inTransaction(db, async (tx) => {
    const campaign = await getCampaignForCoordinator(tx, viewer, slug);
    const v = validateTally(input, viewer!.timeZone);
    const [id] = await insertTallies(tx, campaign.id, [v], { enteredBy: viewer!.userId });
    for (const org of campaign.issuerIds)
      await recordAudit(tx, viewer, { organizationId: org, action: 'campaign.tally_added', subjectType: 'campaign_tally', subjectId: id!, details: { country: v.country, count: v.count } });
    return { id: id! };
  });
}

/**
 * Removes a mistaken tally from the campaign `slug` (its coordinators). The removal is written to
 * the audit log of every issuing organization (`campaign.tally_removed`, with country, count and
 * source, so what was removed stays on record).
 * @throws {NotFound} unknown campaign or a tally of another campaign; {SignInRequired}; {Forbidden}.
 */
export async function removeTally(db: Db, viewer: Viewer | null, slug: string, id: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    const campaign = await getCampaignForCoordinator(tx, viewer, slug);
    const tally = await tx.selectFrom('campaign_tallies').selectAll().where('id', '=', id).where('campaign_id', '=', campaign.id).executeTakeFirst();
    if (!tally) throw new NotFound();
    await tx.deleteFrom('campaign_tallies').where('id', '=', id).execute();
    for (const org of campaign.issuerIds)
      await recordAudit(tx, viewer, {
        organizationId: org,
        action: 'campaign.tally_removed',
        subjectType: 'campaign_tally',
        subjectId: id,
        details: { country: tally.country, count: Number(tally.count), source: tally.source },
      });
  });
}
