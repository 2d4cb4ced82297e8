import type { Db } from '../../db/client.ts';
import type { CounterpartyKind, LedgerEntryKind, PactStatus } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { listEntries, monthlyTotals, pactBalances, type LedgerEntry, type MonthLine } from './ledger.service.ts';
import { isPactCoordinator, pactLinks, type PactRecord } from './pacts.service.ts';

/**
 * Read queries behind the pact pages and API (lists, the pact page, the ledger). Visibility is
 * decided by `visibleWhere` / the pact services; a person's name on the ledger is resolved only
 * for the pact's coordinators.
 */

/** One pact in the list, with what it raised in its goal currency (minor units). */
export interface PactListRow {
  id: string;
  slug: string;
  title: string;
  lang: string;
  beneficiaryGroup: string;
  country: string | null;
  status: PactStatus;
  goalMinor: number | null;
  goalCurrency: string | null;
  /** Contributions net of reversals in the goal currency; null without a goal. */
  raisedMinor: number | null;
  periodStart: string;
  periodEnd: string | null;
  organization: { slug: string; name: string } | null;
  createdAt: string;
}

/**
 * Pacts the viewer may see, newest first, keyset-paged by (`created_at`, `id`); optionally only
 * those with `status`. Returns at most `limit` rows (ask for one more to know there is a next page).
 */
export async function listPactRows(
  db: Db,
  viewer: Viewer | null,
  o: { status?: PactStatus; limit: number; after?: { createdAt: string; id: string } },
): Promise<PactListRow[]> {
  let q = db
    .selectFrom('pacts')
    .leftJoin('organizations as o', (j) => j.onRef('o.id', '=', 'pacts.organization_id').on(visibleWhere(viewer, 'o', { orgColumn: 'id' })))
    .select([
      'pacts.id',
      'pacts.slug',
      'pacts.title',
      'pacts.lang',
      'pacts.beneficiary_group',
      'pacts.country',
      'pacts.status',
      'pacts.goal_minor',
      'pacts.goal_currency',
      'pacts.period_start',
      'pacts.period_end',
      'pacts.created_at',
      'o.slug as org_slug',
      'o.name as org_name',
    ])
    .where(visibleWhere(viewer, 'pacts'));
  if (o.status) q = q.where('pacts.status', '=', o.status);
  if (o.after) {
    const a = o.after;
    q = q.where((eb) => eb.or([eb('pacts.created_at', '<', a.createdAt), eb.and([eb('pacts.created_at', '=', a.createdAt), eb('pacts.id', '<', a.id)])]));
  }
  const rows = await q.orderBy('pacts.created_at', 'desc').orderBy('pacts.id', 'desc').limit(o.limit).execute();
  const withGoal = rows.filter((r) => r.goal_currency);
  const raised = new Map<string, number>();
  if (withGoal.length) {
    const totals = await db
      .selectFrom('pact_month_totals')
      .select(['pact_id', 'currency', (eb) => eb.fn.sum<string | number>('total_minor').as('total')])
      .where('pact_id', 'in', withGoal.map((r) => r.id))
      .where('flow', '=', 'contribution')
      .groupBy(['pact_id', 'currency'])
      .execute();
    for (const t of totals) {
      const pact = withGoal.find((r) => r.id === t.pact_id);
      if (pact && pact.goal_currency === t.currency) raised.set(t.pact_id, Number(t.total));
    }
  }
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    title: r.title,
    lang: r.lang,
    beneficiaryGroup: r.beneficiary_group,
    country: r.country,
    status: r.status,
    goalMinor: r.goal_minor === null ? null : Number(r.goal_minor),
    goalCurrency: r.goal_currency,
    raisedMinor: r.goal_currency ? (raised.get(r.id) ?? 0) : null,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    organization: r.org_slug && r.org_name ? { slug: r.org_slug, name: r.org_name } : null,
    createdAt: r.created_at,
  }));
}

/** Number of pacts the viewer may see (optionally only those with `status`). */
export async function countPacts(db: Db, viewer: Viewer | null, o: { status?: PactStatus } = {}): Promise<number> {
  let q = db.selectFrom('pacts').select((eb) => eb.fn.countAll<string | number>().as('n')).where(visibleWhere(viewer, 'pacts'));
  if (o.status) q = q.where('pacts.status', '=', o.status);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** Organizations the viewer leads (admin or coordinator role), by name; an instance admin leads every one. */
export async function leadingOrganizations(db: Db, viewer: Viewer | null): Promise<{ id: string; slug: string; name: string }[]> {
  if (!viewer) return [];
  let q = db.selectFrom('organizations').select(['id', 'slug', 'name']);
  if (!viewer.isAdmin) {
    const ids = [...viewer.roles].filter(([, r]) => r === 'admin' || r === 'coordinator').map(([id]) => id);
    if (!ids.length) return [];
    q = q.where('id', 'in', ids);
  }
  return q.orderBy('name').limit(1000).execute();
}

/** True when the viewer may start a pact somewhere: an admin or coordinator of an organization, or an instance admin. */
export function canLeadAnywhere(viewer: Viewer | null): boolean {
  if (!viewer) return false;
  return viewer.isAdmin || [...viewer.roles.values()].some((r) => r === 'admin' || r === 'coordinator');
}

/** What the pact page and `GET /api/v1/pacts/:slug` show besides the pact row. */
export interface PactOverview {
  /** The owning organization, when the viewer may see it. */
  organization: { slug: string; name: string } | null;
  initiators: { id: string; slug: string; name: string }[];
  struggles: { slug: string; title: string }[];
  /** Balance per currency (minor units), sorted by code. */
  balances: { currency: string; balanceMinor: number; entryCount: number }[];
  /** Contributions net of reversals per currency (minor units), sorted by code. */
  raised: { currency: string; amountMinor: number }[];
  /** Every month with entries, oldest first, per currency. */
  months: MonthLine[];
  coordinator: boolean;
}

/** Links, balances and monthly totals of a pact the viewer may see (see {@link PactOverview}). */
export async function pactOverview(db: Db, viewer: Viewer | null, pact: PactRecord): Promise<PactOverview> {
  const [links, balances, months, owner] = await Promise.all([
    pactLinks(db, viewer, pact.id),
    pactBalances(db, pact.id),
    monthlyTotals(db, pact.id),
    db.selectFrom('organizations').select(['slug', 'name']).where('id', '=', pact.organization_id).where(visibleWhere(viewer, 'organizations')).executeTakeFirst(),
  ]);
  const raised = new Map<string, number>();
  for (const m of months) raised.set(m.currency, (raised.get(m.currency) ?? 0) + m.inMinor);
  return {
    organization: owner ?? null,
    initiators: links.initiators,
    struggles: links.struggles,
    balances,
    raised: [...raised].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amountMinor]) => ({ currency, amountMinor })),
    months,
    coordinator: isPactCoordinator(viewer, pact),
  };
}

/** Who an entry's money came from or went to, as far as the viewer may know. */
export interface CounterpartyView {
  kind: CounterpartyKind;
  /** A name the viewer may read (an organization's or pact's name when visible; a person's for coordinators; an external name). */
  name: string | null;
  /** Slug of the organization, when visible. */
  organization: string | null;
  /** Slug of the other pact of a transfer, when visible. */
  pact: string | null;
  /** The beneficiary's pseudonymous code (coordinators only). */
  beneficiary: string | null;
  /** The named account was erased (coordinators only; shown as "former member"). */
  formerMember: boolean;
}

/** A ledger entry as pages and the API show it. Amounts in signed minor units of `currency`. */
export interface EntryView {
  id: string;
  seq: number;
  groupId: string;
  /** Entries of the same group (this one included). */
  groupSize: number;
  kind: LedgerEntryKind;
  flow: LedgerEntryKind;
  amountMinor: number;
  currency: string;
  valueDate: string;
  balanceAfterMinor: number;
  counterparty: CounterpartyView;
  reference: string | null;
  /** Coordinators only. */
  description: string | null;
  pledgeId: string | null;
  /**
   * The rate of a currency exchange (on both legs and on their reversals): units of `to` for one
   * unit of `from` (decimal string), its source (`ECB`, `booked`) and date-only day.
   */
  conversion: { rate: string; source: string; date: string; from: string | null; to: string | null } | null;
  reverses: { id: string; seq: number } | null;
  reversedBy: { id: string; seq: number } | null;
  recordedAt: string;
  /** Display name of who recorded it; coordinators only. */
  recordedBy: string | null;
}

/**
 * Turns stored entries of one pact into {@link EntryView}s for `viewer`: organization and pact
 * names only when visible to the viewer; persons' names, beneficiary codes, notes and who recorded
 * what only when `coordinator`.
 */
export async function entryViews(db: Db, viewer: Viewer | null, pactId: string, rows: LedgerEntry[], coordinator: boolean): Promise<EntryView[]> {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const uniq = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))];
  const orgIds = uniq(rows.map((r) => r.counterparty_organization_id));
  const pactIds = uniq(rows.map((r) => r.counterparty_pact_id));
  const userIds = coordinator ? uniq(rows.flatMap((r) => [r.counterparty_user_id, r.recorded_by])) : [];
  const beneficiaryIds = coordinator ? uniq(rows.map((r) => r.counterparty_beneficiary_id)) : [];
  const reversesIds = uniq(rows.map((r) => r.reverses_id));
  const groupIds = uniq(rows.map((r) => r.group_id));
  const [orgs, pacts, users, beneficiaries, reversed, reversing, groups] = await Promise.all([
    orgIds.length ? db.selectFrom('organizations').select(['id', 'slug', 'name']).where('id', 'in', orgIds).where(visibleWhere(viewer, 'organizations')).execute() : [],
    pactIds.length ? db.selectFrom('pacts').select(['id', 'slug', 'title']).where('id', 'in', pactIds).where(visibleWhere(viewer, 'pacts')).execute() : [],
    userIds.length ? db.selectFrom('users').select(['id', 'display_name', 'erased_at']).where('id', 'in', userIds).execute() : [],
    beneficiaryIds.length ? db.selectFrom('beneficiaries').select(['id', 'code']).where('id', 'in', beneficiaryIds).execute() : [],
    reversesIds.length ? db.selectFrom('ledger_entries').select(['id', 'seq', 'group_id']).where('pact_id', '=', pactId).where('id', 'in', reversesIds).execute() : [],
    db.selectFrom('ledger_entries').select(['id', 'seq', 'reverses_id']).where('pact_id', '=', pactId).where('reverses_id', 'in', ids).execute(),
    db
      .selectFrom('ledger_entries')
      .select(['group_id', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('pact_id', '=', pactId)
      .where('group_id', 'in', groupIds)
      .groupBy('group_id')
      .execute(),
  ]);
  const orgById = new Map(orgs.map((o) => [o.id, o]));
  const pactById = new Map(pacts.map((p) => [p.id, p]));
  const userById = new Map(users.map((u) => [u.id, u]));
  const codeById = new Map(beneficiaries.map((b) => [b.id, b.code]));
  const seqById = new Map(reversed.map((r) => [r.id, Number(r.seq)]));
  const reversalOf = new Map(reversing.map((r) => [r.reverses_id!, { id: r.id, seq: Number(r.seq) }]));
  const groupSize = new Map(groups.map((g) => [g.group_id, Number(g.n)]));
  const groupOfReversed = new Map(reversed.map((r) => [r.id, r.group_id]));
  // An exchange's rate reads "1 <from> = rate <to>": the outgoing leg's currency and the incoming one's.
  const exchangeGroupOf = (r: LedgerEntry) => (!r.rate ? null : r.kind === 'exchange' ? r.group_id : r.reverses_id ? (groupOfReversed.get(r.reverses_id) ?? null) : null);
  const exchangeGroups = uniq(rows.map(exchangeGroupOf));
  const legs = exchangeGroups.length
    ? await db.selectFrom('ledger_entries').select(['group_id', 'currency', 'amount_minor']).where('pact_id', '=', pactId).where('kind', '=', 'exchange').where('group_id', 'in', exchangeGroups).execute()
    : [];
  const pairOf = new Map<string, { from: string | null; to: string | null }>();
  for (const l of legs) {
    const pair = pairOf.get(l.group_id) ?? { from: null, to: null };
    if (Number(l.amount_minor) < 0) pair.from = l.currency;
    else pair.to = l.currency;
    pairOf.set(l.group_id, pair);
  }
  return rows.map((r) => {
    const org = r.counterparty_organization_id ? orgById.get(r.counterparty_organization_id) : undefined;
    const other = r.counterparty_pact_id ? pactById.get(r.counterparty_pact_id) : undefined;
    const user = r.counterparty_user_id ? userById.get(r.counterparty_user_id) : undefined;
    let name: string | null = null;
    if (r.counterparty_kind === 'organization') name = org?.name ?? null;
    else if (r.counterparty_kind === 'pact') name = other?.title ?? null;
    else if (r.counterparty_kind === 'person') name = coordinator ? (r.counterparty_name ?? (user && !user.erased_at ? user.display_name : null)) : null;
    else if (r.counterparty_kind === 'external') name = r.counterparty_name;
    const recorder = r.recorded_by ? userById.get(r.recorded_by) : undefined;
    return {
      id: r.id,
      seq: Number(r.seq),
      groupId: r.group_id,
      groupSize: groupSize.get(r.group_id) ?? 1,
      kind: r.kind,
      flow: r.flow,
      amountMinor: Number(r.amount_minor),
      currency: r.currency,
      valueDate: r.value_date,
      balanceAfterMinor: Number(r.balance_after_minor),
      counterparty: {
        kind: r.counterparty_kind,
        name,
        organization: org?.slug ?? null,
        pact: other?.slug ?? null,
        beneficiary: coordinator && r.counterparty_beneficiary_id ? (codeById.get(r.counterparty_beneficiary_id) ?? null) : null,
        formerMember: coordinator && r.counterparty_kind === 'person' && !r.counterparty_name && !!user?.erased_at,
      },
      reference: r.reference,
      description: coordinator ? r.description : null,
      pledgeId: r.pledge_id,
      conversion: r.rate && r.rate_source && r.rate_date ? { rate: r.rate, source: r.rate_source, date: r.rate_date, ...(pairOf.get(exchangeGroupOf(r) ?? '') ?? { from: null, to: null }) } : null,
      reverses: r.reverses_id && seqById.has(r.reverses_id) ? { id: r.reverses_id, seq: seqById.get(r.reverses_id)! } : null,
      reversedBy: reversalOf.get(r.id) ?? null,
      recordedAt: r.recorded_at,
      recordedBy: coordinator && recorder ? (recorder.erased_at ? null : recorder.display_name) : null,
    };
  });
}

/**
 * A page of a pact's ledger for `viewer`, newest first: entries with `seq` below `before` (all
 * when absent), at most `limit`, and the `seq` to pass as `before` for the next page (null on the
 * last page).
 */
export async function ledgerPage(
  db: Db,
  viewer: Viewer | null,
  pact: PactRecord,
  o: { limit: number; before?: number },
): Promise<{ items: EntryView[]; next: number | null }> {
  const rows = await listEntries(db, pact.id, { limit: o.limit + 1, beforeSeq: o.before });
  const page = rows.slice(0, o.limit);
  const items = await entryViews(db, viewer, pact.id, page, isPactCoordinator(viewer, pact));
  return { items, next: rows.length > o.limit && page.length ? Number(page.at(-1)!.seq) : null };
}

/** One entry of a pact by id, for `viewer`; null when it is not on this pact. */
export async function entryView(db: Db, viewer: Viewer | null, pact: PactRecord, id: string): Promise<EntryView | null> {
  const row = await db.selectFrom('ledger_entries').selectAll().where('pact_id', '=', pact.id).where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  const [view] = await entryViews(db, viewer, pact.id, [row], isPactCoordinator(viewer, pact));
  return view ?? null;
}

/**
 * Pacts a transfer from the pact `pactId` may go to, as `viewer` may choose them: visible to the
 * viewer, open or paused (a closed pact takes no entries), not the pact itself; by title. At most
 * `limit` + 1 rows, so the caller knows when there are more than it can offer as choices.
 */
export async function transferTargets(db: Db, viewer: Viewer | null, pactId: string, limit: number): Promise<{ slug: string; title: string }[]> {
  return db
    .selectFrom('pacts')
    .select(['slug', 'title'])
    .where(visibleWhere(viewer, 'pacts'))
    .where('status', '<>', 'closed')
    .where('id', '<>', pactId)
    .orderBy('title')
    .orderBy('slug')
    .limit(limit + 1)
    .execute();
}
