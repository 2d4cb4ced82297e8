import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { doneNotice, vocabularyOptions } from '../../web/components.ts';
import type { PledgeFrequency } from '../../db/schema.ts';
import type { PactRecord } from './pacts.service.ts';
import { PLEDGE_FREQUENCIES, type PledgePeriod, type PledgeView } from './pledges.service.ts';
import type { PledgeSummary } from './pledges.summary.ts';
import { currencySelectOptions, money, monthLabel } from './pacts.views.ts';
import { pactHeading, pactNav } from './pact-nav.views.ts';

/** Confirmations after a pledge form (`?done=…`). */
export const PLEDGE_NOTICES: Record<string, string> = {
  pledged: 'pacts.notices.pledged',
  cancelled: 'pacts.notices.pledge_cancelled',
};

const PLEDGE_LABELS: Record<string, string> = {
  pledgerKind: 'pacts.pledges.fields.pledger_kind',
  organization: 'pacts.pledges.fields.organization',
  name: 'pacts.pledges.fields.name',
  amount: 'pacts.pledges.fields.amount',
  currency: 'pacts.pledges.fields.currency',
  frequency: 'pacts.pledges.fields.frequency',
  startDate: 'pacts.pledges.fields.start_date',
  endDate: 'pacts.pledges.fields.end_date',
  note: 'pacts.pledges.fields.note',
};

/** How many of a pledge's most recent periods the table shows. */
const RECENT_PERIODS = 3;

/** A period as a reader names it: `Mar 2026`, `Jan 2026 – Mar 2026`, or the due day of a one-off pledge. */
function periodLabel(ctx: PageContext, frequency: PledgeFrequency, p: { start: string; end: string }): string {
  if (frequency === 'monthly') return monthLabel(ctx, p.start.slice(0, 7));
  if (frequency === 'quarterly') return ctx.tr.t('pacts.pledges.quarter', { start: monthLabel(ctx, p.start.slice(0, 7)), end: monthLabel(ctx, p.end.slice(0, 7)) });
  return ctx.tr.t('pacts.pledges.due_by', { date: ctx.tr.date(p.end) });
}

function stateBadge(ctx: PageContext, state: PledgePeriod['state']): VNode {
  return html`<span class=${`badge pledge-${state}`}>${ctx.tr.t(`pacts.pledges.states.${state}`)}</span>`;
}

/** Who pledged, as far as the reader may know (see `listPledges`). */
function pledgerNode(ctx: PageContext, p: PledgeView): unknown {
  if (p.pledgerKind === 'organization') {
    return p.organizationSlug && p.pledgerName ? html`<a href=${`/organizations/${p.organizationSlug}`}><${U}>${p.pledgerName}<//></a>` : ctx.tr.t('pacts.counterparty.organization');
  }
  return p.pledgerName ? html`<${U}>${p.pledgerName}<//>` : ctx.tr.t('pacts.counterparty.person');
}

function termText(ctx: PageContext, p: PledgeView): string {
  return p.endDate
    ? ctx.tr.t('pacts.page.period_range', { start: ctx.tr.date(p.startDate), end: ctx.tr.date(p.endDate) })
    : ctx.tr.t('pacts.page.period_open', { start: ctx.tr.date(p.startDate) });
}

/** The form of a new pledge: for an organization the viewer publishes for, for themselves, or (coordinators) for a named person. */
function pledgeForm(
  ctx: PageContext,
  pact: PactRecord,
  o: { organizations: { slug: string; name: string }[]; coordinator: boolean; values: Record<string, string | undefined>; errors: ErrorMap },
): VNode {
  const { t } = ctx.tr;
  const v = o.values;
  const e = o.errors;
  const kinds: [string, string][] = [
    ...(o.organizations.length ? [['organization', t('pacts.pledges.kinds.organization')] as [string, string]] : []),
    ['person', t(o.coordinator ? 'pacts.pledges.kinds.person_or_named' : 'pacts.pledges.kinds.self')],
  ];
  return html`<details class="record" id="pledge" open=${e.size > 0}>
    <summary>${t('pacts.pledges.form.title')}</summary>
    <form method="post" action=${`/pacts/${pact.slug}/pledges#pledge`} class="narrow" novalidate>
      ${csrfField(ctx)}
      <p class="hint">${t('pacts.pledges.form.intro')}</p>
      ${errorSummary(ctx, e, PLEDGE_LABELS)}
      ${field(ctx, e, { name: 'pledgerKind', label: 'pacts.pledges.fields.pledger_kind', value: v.pledgerKind ?? kinds[0]![0], options: kinds })}
      ${o.organizations.length
        ? field(ctx, e, {
            name: 'organization',
            label: 'pacts.pledges.fields.organization',
            value: v.organization ?? (o.organizations.length === 1 ? o.organizations[0]!.slug : undefined),
            options: o.organizations.map((x): [string, string] => [x.slug, x.name]),
            empty: 'forms.choose',
            hint: 'pacts.pledges.fields.organization_hint',
          })
        : null}
      ${o.coordinator ? field(ctx, e, { name: 'name', label: 'pacts.pledges.fields.name', value: v.name, hint: 'pacts.pledges.fields.name_hint' }) : null}
      ${field(ctx, e, { name: 'amount', label: 'pacts.pledges.fields.amount', value: v.amount, required: true, hint: 'pacts.contribution.amount_hint' })}
      ${field(ctx, e, { name: 'currency', label: 'pacts.pledges.fields.currency', value: v.currency ?? pact.goal_currency ?? 'EUR', required: true, options: currencySelectOptions(ctx) })}
      ${field(ctx, e, { name: 'frequency', label: 'pacts.pledges.fields.frequency', value: v.frequency ?? 'monthly', options: vocabularyOptions(ctx, 'pacts.pledges.frequencies', PLEDGE_FREQUENCIES) })}
      ${field(ctx, e, { name: 'startDate', label: 'pacts.pledges.fields.start_date', type: 'date', value: v.startDate, required: true, hint: 'pacts.pledges.fields.start_date_hint' })}
      ${field(ctx, e, { name: 'endDate', label: 'pacts.pledges.fields.end_date', type: 'date', value: v.endDate, hint: 'pacts.pledges.fields.end_date_hint' })}
      ${field(ctx, e, { name: 'note', label: 'pacts.pledges.fields.note', value: v.note, hint: 'pacts.pledges.fields.note_hint' })}
      <button type="submit">${t('pacts.pledges.form.submit')}</button>
    </form>
  </details>`;
}

/**
 * The pledges page of a pact: every pledge with its pledger (names per `listPledges`' privacy
 * rule), amount, frequency, term, its most recent periods with what arrived, and an overdue badge;
 * a cancel button where the reader may cancel; the pledge form for signed-in readers of a pact
 * that is not closed; for coordinators a notice with the number of overdue pledges.
 */
export function pledgesView(
  ctx: PageContext,
  pact: PactRecord,
  o: {
    items: PledgeView[];
    coordinator: boolean;
    overduePledges: number;
    form: { organizations: { slug: string; name: string }[]; values: Record<string, string | undefined>; errors: ErrorMap } | null;
  },
) {
  const { t } = ctx.tr;
  const canWrite = pact.status !== 'closed';
  return html`${pactHeading(ctx, 'pacts.pledges.title', pact)}
    ${pactNav(ctx, pact.slug, { current: 'pledges', coordinator: o.coordinator })}
    ${doneNotice(ctx, PLEDGE_NOTICES)}
    <p>${t('pacts.pledges.intro')}</p>
    ${o.coordinator && o.overduePledges > 0 ? html`<p class="notice" role="status">${t('pacts.pledges.overdue_notice', { count: o.overduePledges })}</p>` : null}
    ${pact.status === 'closed' ? html`<p class="notice">${t('pacts.page.closed_notice')}</p>` : null}
    ${canWrite && o.form
      ? pledgeForm(ctx, pact, { ...o.form, coordinator: o.coordinator })
      : canWrite && !ctx.viewer
        ? html`<p><a href=${`/sign-in?next=${encodeURIComponent(`/pacts/${pact.slug}/pledges`)}`}>${t('pacts.pledges.sign_in')}</a></p>`
        : null}
    ${o.items.length
      ? html`<div class="table-scroll" role="region" aria-labelledby="pledges-caption" tabindex="0">
          <table class="pledges">
            <caption id="pledges-caption">${t('pacts.pledges.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">${t('pacts.pledges.col.pledger')}</th>
                <th scope="col" class="num">${t('pacts.pledges.col.amount')}</th>
                <th scope="col">${t('pacts.pledges.col.frequency')}</th>
                <th scope="col">${t('pacts.pledges.col.term')}</th>
                <th scope="col">${t('pacts.pledges.col.recent')}</th>
              </tr>
            </thead>
            <tbody>
              ${o.items.map((p) => {
                const recent = p.periods.slice(-RECENT_PERIODS).reverse();
                return html`<tr id=${`pledge-${p.id}`} class=${p.cancelledAt ? 'cancelled' : undefined}>
                  <th scope="row">
                    ${pledgerNode(ctx, p)}
                    ${p.overdue > 0 && !p.cancelledAt ? html` <span class="badge pledge-overdue">${t('pacts.pledges.overdue_badge', { count: p.overdue })}</span>` : null}
                    ${p.note ? html`<br /><span class="meta"><${U}>${p.note}<//></span>` : null}
                  </th>
                  <td class="num">${money(ctx, p.amountMinor, p.currency)}</td>
                  <td>${t(`pacts.pledges.frequencies.${p.frequency}`)}</td>
                  <td>
                    ${termText(ctx, p)}
                    ${p.cancelledAt ? html`<br /><span class="meta">${t('pacts.pledges.cancelled_on', { date: ctx.tr.date(p.cancelledAt.slice(0, 10)) })}</span>` : null}
                    ${p.canManage && !p.cancelledAt && canWrite
                      ? html`<form method="post" action=${`/pacts/${pact.slug}/pledges/${p.id}/cancel`} class="cancel-pledge">
                          ${csrfField(ctx)}
                          <button type="submit" class="secondary">${t('pacts.pledges.cancel')}</button>
                        </form>`
                      : null}
                  </td>
                  <td>
                    ${recent.length
                      ? html`<ul class="periods">
                          ${recent.map(
                            (x) => html`<li>
                              ${periodLabel(ctx, p.frequency, x)}: ${t('pacts.pledges.period_amounts', { fulfilled: money(ctx, x.fulfilledMinor, p.currency), due: money(ctx, x.dueMinor, p.currency) })}
                              ${' '}${stateBadge(ctx, x.state)}
                            </li>`,
                          )}
                        </ul>`
                      : html`<span class="meta">${t('pacts.pledges.not_started')}</span>`}
                  </td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>
        ${o.coordinator ? null : html`<p class="hint">${t('pacts.ledger.people_note')}</p>`}`
      : html`<p>${t('pacts.pledges.empty')}</p>`}`;
}

/**
 * The pledges part of the pact page: per currency and frequency, what the running pledges promise
 * for the current month or quarter and what arrived for them (see `summarizePledges`); for the
 * pact's coordinators a notice with the number of overdue pledges.
 */
export function pledgeSummaryView(ctx: PageContext, slug: string, s: PledgeSummary, coordinator: boolean): VNode {
  const { t } = ctx.tr;
  return html`<section aria-labelledby="pledges-title">
    <h2 id="pledges-title">${t('pacts.pledges.summary.title')}</h2>
    ${coordinator && s.overduePledges > 0
      ? html`<p class="notice"><a href=${`/pacts/${slug}/pledges`}>${t('pacts.pledges.overdue_notice', { count: s.overduePledges })}</a></p>`
      : null}
    ${s.lines.length
      ? html`<div class="table-scroll" role="region" aria-labelledby="pledge-summary-caption" tabindex="0">
          <table class="pledge-summary">
            <caption id="pledge-summary-caption">${t('pacts.pledges.summary.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">${t('pacts.columns.currency')}</th>
                <th scope="col">${t('pacts.pledges.summary.kind')}</th>
                <th scope="col">${t('pacts.pledges.summary.period')}</th>
                <th scope="col" class="num">${t('pacts.pledges.summary.pledged')}</th>
                <th scope="col" class="num">${t('pacts.pledges.summary.fulfilled')}</th>
              </tr>
            </thead>
            <tbody>
              ${s.lines.map(
                (l) => html`<tr>
                  <th scope="row">${l.currency}</th>
                  <td>${t(`pacts.pledges.summary.kinds.${l.frequency}`, { count: l.pledges })}</td>
                  <td>${l.period ? periodLabel(ctx, l.frequency, l.period) : t('pacts.pledges.summary.whole_pledge')}</td>
                  <td class="num">${money(ctx, l.dueMinor, l.currency)}</td>
                  <td class="num">${money(ctx, l.fulfilledMinor, l.currency)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
      : html`<p>${s.pledgeCount ? t('pacts.pledges.summary.none_running', { count: s.pledgeCount }) : t('pacts.pledges.summary.none')}</p>`}
    <p><a href=${`/pacts/${slug}/pledges`}>${t('pacts.pledges.summary.link')}</a></p>
  </section>`;
}
