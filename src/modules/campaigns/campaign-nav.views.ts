import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { U } from '../../web/layout.ts';

/** The pages of one campaign that its coordinators move between. */
export type CampaignPage = 'campaign' | 'edit' | 'translations' | 'endorsements' | 'tallies' | 'supporters';

/**
 * The links between a campaign's pages for its coordinators (public page, edit, translations,
 * endorsements to decide, tallies, supporters' import and export), the current one marked with `aria-current="page"`.
 * `pending` (waiting endorsements) is shown beside its link when above zero.
 */
export function campaignNav(ctx: PageContext, slug: string, o: { current: CampaignPage; pending?: number }): VNode {
  const { t } = ctx.tr;
  const base = `/campaigns/${slug}`;
  const pages: [CampaignPage, string, VNode | string][] = [
    ['campaign', base, t('campaigns.nav.campaign')],
    ['edit', `${base}/edit`, t('campaigns.nav.edit')],
    ['translations', `${base}/translations`, t('campaigns.nav.translations')],
    ['endorsements', `${base}/endorsements`, o.pending ? html`${t('campaigns.nav.endorsements')} <span class="badge">${t('campaigns.nav.pending', { count: o.pending })}</span>` : t('campaigns.nav.endorsements')],
    ['tallies', `${base}/tallies`, t('campaigns.nav.tallies')],
    ['supporters', `${base}/supporters/import`, t('campaigns.nav.supporters')],
  ];
  return html`<nav class="pact-nav campaign-nav" aria-label=${t('campaigns.nav.label')}>
    <ul>
      ${pages.map(([page, href, label]) => html`<li><a href=${href} aria-current=${page === o.current ? 'page' : undefined}>${label}</a></li>`)}
    </ul>
  </nav>`;
}

/** The `<h1>` of a campaign's sub-page: message `id` with the campaign's title (in its language) as `{campaign}`. */
export function campaignHeading(ctx: PageContext, id: string, text: { title: string; lang: string }): VNode {
  return html`<h1 class="pact-heading">${ctx.tr.tRich(id, { campaign: html`<span lang=${text.lang}><${U}>${text.title}<//></span>` })}</h1>`;
}
