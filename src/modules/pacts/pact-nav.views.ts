import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { U } from '../../web/layout.ts';

/** The pages of one pact that link to each other. */
export type PactPage = 'pact' | 'ledger' | 'pledges' | 'report' | 'disbursements' | 'beneficiaries';

/**
 * The links between a pact's pages (pact, ledger, pledges, transparency report; for its
 * coordinators also disbursements and the beneficiary register), the current one marked with
 * `aria-current="page"`. Hidden when printing (style.css).
 */
export function pactNav(ctx: PageContext, slug: string, o: { current: PactPage; coordinator: boolean }): VNode {
  const { t } = ctx.tr;
  const pages: [PactPage, string, string][] = [
    ['pact', `/pacts/${slug}`, 'pacts.nav.pact'],
    ['ledger', `/pacts/${slug}/ledger`, 'pacts.nav.ledger'],
    ['pledges', `/pacts/${slug}/pledges`, 'pacts.nav.pledges'],
    ['report', `/pacts/${slug}/report`, 'pacts.nav.report'],
  ];
  if (o.coordinator) {
    pages.push(['disbursements', `/pacts/${slug}/disbursements`, 'pacts.nav.disbursements'], ['beneficiaries', `/pacts/${slug}/beneficiaries`, 'pacts.nav.beneficiaries']);
  }
  return html`<nav class="pact-nav" aria-label=${t('pacts.nav.label')}>
    <ul>
      ${pages.map(([page, href, label]) => html`<li><a href=${href} aria-current=${page === o.current ? 'page' : undefined}>${t(label)}</a></li>`)}
    </ul>
  </nav>`;
}

/** The `<h1>` of a pact's sub-page: the message `id` with the pact's title (in its language) as `{pact}`. */
export function pactHeading(ctx: PageContext, id: string, pact: { title: string; lang: string }): VNode {
  return html`<h1 class="pact-heading">${ctx.tr.tRich(id, { pact: html`<span lang=${pact.lang}><${U}>${pact.title}<//></span>` })}</h1>`;
}
