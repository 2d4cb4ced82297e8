import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { countryOptions, doneNotice } from '../../web/components.ts';
import { countryCodes } from '../../lib/countries.ts';
import type { TallyRow } from './tallies.service.ts';
import { campaignHeading, campaignNav } from './campaign-nav.views.ts';

/** Confirmations on the tallies page (`?done=…`). */
export const TALLY_NOTICES: Record<string, string> = {
  added: 'campaigns.tallies.notices.added',
  removed: 'campaigns.tallies.notices.removed',
};

const LABELS: Record<string, string> = {
  country: 'campaigns.tallies.fields.country',
  count: 'campaigns.tallies.fields.count',
  source: 'campaigns.tallies.fields.source',
  collectedOn: 'campaigns.tallies.fields.collected_on',
};

/**
 * The tallies page (coordinators): the form to enter signatures collected on paper (country,
 * count, source, collection date), re-rendered with errors and HTTP 422, and the tallies entered
 * so far with their sum and a remove button each.
 */
export function talliesView(
  ctx: PageContext,
  o: { slug: string; title: { title: string; lang: string }; rows: TallyRow[]; values: Record<string, string | undefined>; errors: ErrorMap; pending: number },
): VNode {
  const { t } = ctx.tr;
  const e = o.errors;
  const sum = o.rows.reduce((s, r) => s + r.count, 0);
  return html`${campaignHeading(ctx, 'campaigns.tallies.title', o.title)}
    ${campaignNav(ctx, o.slug, { current: 'tallies', pending: o.pending })}
    ${doneNotice(ctx, TALLY_NOTICES)}
    <p>${t('campaigns.tallies.intro')}</p>
    <section id="tally-form" aria-labelledby="tally-form-title">
      <h2 id="tally-form-title">${t('campaigns.tallies.form_title')}</h2>
      ${errorSummary(ctx, e, LABELS)}
      <form method="post" action=${`/campaigns/${o.slug}/tallies`} class="narrow" novalidate>
        ${csrfField(ctx)}
        ${field(ctx, e, { name: 'country', label: 'campaigns.tallies.fields.country', value: o.values.country, required: true, options: countryOptions(ctx, countryCodes()), empty: 'forms.choose' })}
        ${field(ctx, e, { name: 'count', label: 'campaigns.tallies.fields.count', type: 'number', min: '1', value: o.values.count, required: true })}
        ${field(ctx, e, { name: 'source', label: 'campaigns.tallies.fields.source', value: o.values.source, required: true, hint: 'campaigns.tallies.fields.source_hint' })}
        ${field(ctx, e, { name: 'collectedOn', label: 'campaigns.tallies.fields.collected_on', type: 'date', value: o.values.collectedOn, hint: 'campaigns.tallies.fields.collected_on_hint' })}
        <button type="submit">${t('campaigns.tallies.submit')}</button>
      </form>
    </section>
    <section id="tallies">
      <h2 id="tallies-title">${t('campaigns.tallies.list_title')}</h2>
      ${o.rows.length
        ? html`<p class="count">${t('campaigns.tallies.sum', { count: o.rows.length, sum })}</p>
            <div class="table-scroll" role="region" aria-labelledby="tallies-title" tabindex="0">
              <table>
                <thead><tr>
                  <th scope="col">${t('campaigns.tallies.fields.source')}</th>
                  <th scope="col">${t('campaigns.tallies.fields.country')}</th>
                  <th scope="col" class="num">${t('campaigns.tallies.fields.count')}</th>
                  <th scope="col">${t('campaigns.tallies.fields.collected_on')}</th>
                  <th scope="col">${t('campaigns.tallies.entered')}</th>
                  <th scope="col">${t('campaigns.tallies.actions')}</th>
                </tr></thead>
                <tbody>
                  ${o.rows.map(
                    (r) => html`<tr>
                      <th scope="row"><${U}>${r.source}<//></th>
                      <td>${ctx.tr.country(r.country)}</td>
                      <td class="num">${ctx.tr.number(r.count)}</td>
                      <td>${r.collectedOn ? html`<time datetime=${r.collectedOn}>${ctx.tr.date(r.collectedOn)}</time>` : '—'}</td>
                      <td><time datetime=${r.enteredAt}>${ctx.tr.instant(r.enteredAt, ctx.viewer?.timeZone)}</time>${r.enteredByName ? html`, <${U}>${r.enteredByName}<//>` : null}</td>
                      <td>
                        <form method="post" action=${`/campaigns/${o.slug}/tallies/${r.id}/remove`} class="inline">
                          ${csrfField(ctx)}
                          <button type="submit" class="danger" aria-label=${t('campaigns.tallies.remove_named', { source: r.source })}>${t('campaigns.tallies.remove')}</button>
                        </form>
                      </td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        : html`<p>${t('campaigns.tallies.none')}</p>`}
    </section>`;
}
