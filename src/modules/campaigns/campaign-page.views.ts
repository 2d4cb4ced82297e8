import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import type { Translator } from '../../i18n/i18n.ts';
import { U } from '../../web/layout.ts';
import { doneNotice, dotted } from '../../web/components.ts';
import { worldMapSvg } from '../../web/world-map.ts';
import type { CampaignRecord } from './campaigns.access.ts';
import type { CampaignText } from './campaigns.service.ts';
import type { ListedSupporter } from './campaigns.repo.ts';
import type { CampaignCounts } from './tallies.service.ts';
import type { EndorsementRow } from './endorsements.service.ts';
import { autonym, CAMPAIGN_NOTICES, campaignStatusLabel, periodText } from './campaigns.views.ts';
import { campaignNav } from './campaign-nav.views.ts';

/** Everything the public page of a campaign shows. */
export interface CampaignPageData {
  campaign: CampaignRecord;
  /** The language version shown, and all of them (the original first). */
  text: CampaignText;
  texts: CampaignText[];
  issuers: { slug: string; name: string }[];
  counts: CampaignCounts;
  /** Confirmed endorsements the reader may see, grouped by the organization's country. */
  endorsements: { country: string; endorsements: EndorsementRow[] }[];
  supporters: { items: ListedSupporter[]; total: number; next: string | null; later: boolean };
  coordinator: boolean;
  /** Waiting endorsements (shown to coordinators in their links). */
  pending: number;
  /** The campaign is open and the reader leads an organization or is not signed in: link to the endorse page (through the sign-in for anonymous readers). */
  canEndorse: boolean;
  endorseHref: string;
  /** The signing form (signatures.views.ts), or null. */
  signForm: VNode | null;
}

/** Whole percent of `part` in `whole` (whole > 0), rounded down. */
export function percentOf(part: number, whole: number): number {
  if (whole <= 0 || part <= 0) return 0;
  return Math.floor((part * 100) / whole);
}

const percentFormats = new Map<string, Intl.NumberFormat>();
/** `12` → `12%` / `12 %` in the reader's locale (the counter script formats the same way). */
function percentText(locale: string, percent: number): string {
  let f = percentFormats.get(locale);
  if (!f) percentFormats.set(locale, (f = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 })));
  return f.format(percent / 100);
}

/** The world map's messages from this module's catalog (`campaigns.map.*`). */
function mapTranslator(tr: Translator): Translator {
  return { ...tr, t: (id, values) => tr.t(id.startsWith('map.') ? `campaigns.${id}` : id, values) };
}

/** Countries listed in the table before the rest are summed in one row (the map shows them all). */
export const TOP_COUNTRIES = 40;

/** The query string of a page link keeping the chosen language. */
function pageHref(slug: string, o: { lang?: string | null; after?: string | null; countries?: 'all'; fragment?: string }): string {
  const q = new URLSearchParams();
  if (o.lang) q.set('lang', o.lang);
  if (o.countries) q.set('countries', o.countries);
  if (o.after) q.set('after', o.after);
  const s = q.toString();
  return `/campaigns/${slug}${s ? `?${s}` : ''}${o.fragment ? `#${o.fragment}` : ''}`;
}

/**
 * The links to the appeal's other language versions (each named in its own language, with
 * `hreflang`), the shown one marked, and the credit line: the original, or whose translation.
 */
function languagesBlock(ctx: PageContext, d: CampaignPageData): VNode {
  const { t } = ctx.tr;
  const original = d.texts.find((x) => x.original);
  const credit = d.text.original
    ? t('campaigns.page.credit_original', { language: ctx.tr.language(d.text.lang) })
    : d.text.translator
      ? ctx.tr.tRich('campaigns.page.credit_translated_by', { language: ctx.tr.language(original?.lang ?? d.campaign.original_lang), translator: html`<${U}>${d.text.translator}<//>` })
      : t('campaigns.page.credit_translated', { language: ctx.tr.language(original?.lang ?? d.campaign.original_lang) });
  return html`<div class="campaign-languages">
    ${d.texts.length > 1
      ? html`<nav aria-label=${t('campaigns.page.languages')}>
          <p>${dotted(
            d.texts.map(
              (x) => html`<span>${x.lang === d.text.lang
                ? html`<strong lang=${x.lang} aria-current="true">${autonym(x.lang)}</strong>`
                : html`<a href=${pageHref(d.campaign.slug, { lang: x.lang })} hreflang=${x.lang} lang=${x.lang}>${autonym(x.lang)}</a>`}${x.original ? html` <span class="badge">${t('campaigns.page.original')}</span>` : null}</span>`,
            ),
          )}</p>
        </nav>`
      : null}
    <p class="meta">${credit}</p>
  </div>`;
}

/**
 * The live counter: the total (confirmed supporters plus tallies), the split, and with a goal a
 * native `<progress>` with the percent reached. Elements marked `data-live` are updated by
 * `/static/campaign-counter.js`, which polls `data-counts-url` every 10 s (progressive
 * enhancement: without the script the numbers are those of the page load).
 */
function counterSection(ctx: PageContext, d: CampaignPageData): VNode {
  const { t } = ctx.tr;
  const c = d.counts;
  const goal = d.campaign.goal === null ? null : Number(d.campaign.goal);
  const percent = goal ? percentOf(c.total, goal) : 0;
  return html`<section id="counter" class="campaign-counter" aria-labelledby="counter-title" data-counts-url=${`/api/v1/campaigns/${d.campaign.slug}/counts`}>
    <h2 id="counter-title">${t('campaigns.counter.title')}</h2>
    <p class="progress-text counter-total"><data value=${String(c.total)} data-live="total">${ctx.tr.number(c.total)}</data></p>
    <p class="meta">${ctx.tr.tRich('campaigns.counter.split', {
      online: html`<span data-live="online">${ctx.tr.number(c.online)}</span>`,
      tallies: html`<span data-live="tallies">${ctx.tr.number(c.tallies)}</span>`,
    })}</p>
    ${goal
      ? html`<progress class="goal" max=${String(goal)} value=${String(Math.min(c.total, goal))} data-live="progress" aria-labelledby="goal-text">${percentText(ctx.tr.locale, percent)}</progress>
          <p id="goal-text" class="progress-text">${ctx.tr.tRich('campaigns.counter.goal', { percent: html`<span data-live="percent">${percentText(ctx.tr.locale, percent)}</span>`, goal })}</p>`
      : null}
    <script type="module" src="/static/campaign-counter.js"></script>
  </section>`;
}

/**
 * Signatures by country: the table (online, tallies, total) and the server-drawn map of totals.
 * Unless `all`, the table lists the {@link TOP_COUNTRIES} countries with most signatures and sums
 * the others in one row, with a link to the full table: a petition signed in 200 countries keeps
 * the page within its weight budget.
 */
function countriesSection(ctx: PageContext, d: CampaignPageData, o: { lang: string | null; all: boolean }): VNode {
  const { t } = ctx.tr;
  const c = d.counts;
  const n = (v: number) => ctx.tr.number(v);
  const cut = !o.all && c.byCountry.length > TOP_COUNTRIES + 1;
  const rows = cut ? c.byCountry.slice(0, TOP_COUNTRIES) : c.byCountry;
  const rest = cut ? c.byCountry.slice(TOP_COUNTRIES) : [];
  const sum = (k: 'online' | 'tallies' | 'total') => rest.reduce((s, r) => s + r[k], 0);
  return html`<section id="countries">
    <h2 id="countries-title">${t('campaigns.countries.title')}</h2>
    ${c.byCountry.length
      ? html`<p class="hint" id="countries-note">${t('campaigns.countries.note')}</p>
          <div class="table-scroll" role="region" aria-labelledby="countries-title" tabindex="0">
            <table class="campaign-countries" aria-labelledby="countries-title" aria-describedby="countries-note">
              <thead><tr>
                <th scope="col">${t('campaigns.countries.country')}</th>
                <th scope="col" class="num">${t('campaigns.countries.online')}</th>
                <th scope="col" class="num">${t('campaigns.countries.tallies')}</th>
                <th scope="col" class="num">${t('campaigns.countries.total')}</th>
              </tr></thead>
              <tbody>
                ${rows.map(
                  (r) => html`<tr data-country=${r.country}><th scope="row">${ctx.tr.country(r.country)}</th><td class="num">${n(r.online)}</td><td class="num">${n(r.tallies)}</td><td class="num">${n(r.total)}</td></tr>`,
                )}
                ${cut
                  ? html`<tr class="other-countries"><th scope="row">${t('campaigns.countries.others', { count: rest.length })}</th><td class="num">${n(sum('online'))}</td><td class="num">${n(sum('tallies'))}</td><td class="num">${n(sum('total'))}</td></tr>`
                  : null}
              </tbody>
              <tfoot><tr><th scope="row">${t('campaigns.countries.all')}</th><td class="num">${n(c.online)}</td><td class="num">${n(c.tallies)}</td><td class="num">${n(c.total)}</td></tr></tfoot>
            </table>
          </div>
          ${cut ? html`<p><a href=${pageHref(d.campaign.slug, { lang: o.lang, countries: 'all', fragment: 'countries' })}>${t('campaigns.countries.show_all', { count: c.byCountry.length })}</a></p>` : null}
          ${worldMapSvg(new Map(c.byCountry.map((r) => [r.country, r.total])), mapTranslator(ctx.tr), { id: 'campaign-map' })}`
      : html`<p>${t('campaigns.countries.none')}</p>`}
  </section>`;
}

/** The confirmed endorsements (organizations that signed), grouped by country, each with its statement. */
function endorsementsSection(ctx: PageContext, d: CampaignPageData): VNode {
  const { t } = ctx.tr;
  const count = d.endorsements.reduce((s, g) => s + g.endorsements.length, 0);
  return html`<section id="endorsements" aria-labelledby="endorsements-title">
    <h2 id="endorsements-title">${t('campaigns.endorsements.public_title')}</h2>
    ${count ? html`<p class="count">${t('campaigns.endorsements.public_count', { count, countries: d.endorsements.length })}</p>` : html`<p>${t('campaigns.endorsements.public_none')}</p>`}
    ${d.endorsements.map(
      (g) => html`<h3 id=${`endorsements-${g.country}`}>${ctx.tr.country(g.country)}</h3>
        <ul class="cards endorsements" aria-labelledby=${`endorsements-${g.country}`}>
          ${g.endorsements.map(
            (e) => html`<li>
              <a href=${`/organizations/${e.organization.slug}`}><${U}>${e.organization.name}<//></a>
              ${e.statement ? html`<blockquote lang=${e.statementLang ?? undefined} dir="auto" class="prose">${e.statement}</blockquote>` : null}
            </li>`,
          )}
        </ul>`,
    )}
    ${d.canEndorse ? html`<p><a href=${d.endorseHref}>${t('campaigns.endorsements.endorse_link')}</a></p>` : null}
  </section>`;
}

/** The public list of supporters who agreed to be listed: name, city, country, affiliation; newest first, paged. */
function supportersSection(ctx: PageContext, d: CampaignPageData, lang: string | null): VNode {
  const { t } = ctx.tr;
  const s = d.supporters;
  return html`<section id="supporters" aria-labelledby="supporters-title">
    <h2 id="supporters-title">${t('campaigns.supporters.title')}</h2>
    ${s.total ? html`<p class="count">${t('campaigns.supporters.count', { count: s.total })}</p>` : html`<p>${t('campaigns.supporters.none')}</p>`}
    ${s.later ? html`<p><a href=${pageHref(d.campaign.slug, { lang, fragment: 'supporters' })}>${t('campaigns.supporters.newest')}</a></p>` : null}
    ${s.items.length
      ? html`<ul class="cards supporters">
          ${s.items.map(
            (p) => html`<li><strong><${U}>${p.name}<//></strong><br /><span class="meta">${dotted([p.city ? html`<${U}>${p.city}<//>` : null, ctx.tr.country(p.country), p.affiliation ? html`<${U}>${p.affiliation}<//>` : null])}</span></li>`,
          )}
        </ul>`
      : null}
    ${s.next ? html`<nav class="pager" aria-label=${t('pager.label')}><a rel="next" href=${pageHref(d.campaign.slug, { lang, after: s.next, fragment: 'supporters' })}>${t('campaigns.supporters.more')}</a></nav>` : null}
  </section>`;
}

/** The signing part: the form while the campaign is open, else why there is none. */
function signSection(ctx: PageContext, d: CampaignPageData): VNode | null {
  const { t } = ctx.tr;
  if (d.campaign.status === 'closed') return html`<p class="notice" id="sign">${t('campaigns.page.closed')}</p>`;
  if (d.campaign.status === 'draft') return html`<p class="notice" id="sign">${t('campaigns.page.draft')}</p>`;
  return d.signForm ? html`<section id="sign" aria-labelledby="sign-title"><h2 id="sign-title">${t('campaigns.page.sign_title')}</h2>${d.signForm}</section>` : null;
}

/**
 * A campaign's public page: the appeal in the chosen language (its title and text carry that
 * `lang`; the page chrome stays in the UI language), links to the other language versions with
 * the original marked and the translator credited, the live counter with the goal bar, the
 * signing form, signatures by country (table and map), the organizations that signed grouped by
 * country, and the public list of supporters. Coordinators also get the links to their pages.
 * `lang` is the `?lang=` the reader chose (kept in the page's links), or null; `allCountries`
 * (`?countries=all`) lists every country in the table.
 */
export function campaignPageView(ctx: PageContext, d: CampaignPageData, o: { lang: string | null; allCountries?: boolean }): VNode {
  const { t } = ctx.tr;
  const c = d.campaign;
  return html`<article class="campaign">
    <h1 lang=${d.text.lang} dir="auto"><${U}>${d.text.title}<//></h1>
    ${d.coordinator ? campaignNav(ctx, c.slug, { current: 'campaign', pending: d.pending }) : null}
    ${doneNotice(ctx, CAMPAIGN_NOTICES)}
    <p class="meta">${dotted([
      campaignStatusLabel(ctx, c.status),
      periodText(ctx, c.starts_on, c.ends_on),
      d.issuers.length
        ? ctx.tr.tRich('campaigns.page.issued_by', { organizations: html`${d.issuers.flatMap((i, n) => [n ? ', ' : '', html`<a href=${`/organizations/${i.slug}`}><${U}>${i.name}<//></a>`])}` })
        : null,
      c.visibility !== 'public' ? t(`visibility.${c.visibility}`) : null,
    ])}</p>
    ${languagesBlock(ctx, d)}
    ${counterSection(ctx, d)}
    <div class="prose appeal" lang=${d.text.lang} dir="auto">${d.text.appeal}</div>
    ${signSection(ctx, d)}
    ${countriesSection(ctx, d, { lang: o.lang, all: !!o.allCountries })}
    ${endorsementsSection(ctx, d)}
    ${supportersSection(ctx, d, o.lang)}
  </article>`;
}
