import { html } from 'htm/preact';
import type { OpenCallSummary, UpcomingActionDaySummary } from './home.repo.ts';
import type { PageContext } from '../../web/context.ts';
import { U } from '../../web/layout.ts';
import { worldMapSvg } from '../../web/world-map.ts';
import { struggleItem } from '../struggles/struggles.views.ts';
import type { StruggleSummary } from '../struggles/struggles.repo.ts';
import type { NetworkSummary } from '../networks/networks.repo.ts';

export interface HomeData {
  /** Open solidarity calls (soonest deadline first). */
  calls: OpenCallSummary[];
  /** Action days that have not ended. */
  actionDays: UpcomingActionDaySummary[];
  recent: StruggleSummary[];
  total: number;
  byCountry: { key: string; count: number }[];
  bySector: { key: string; count: number }[];
  networks: NetworkSummary[];
  needsSetup: boolean;
}

/** Top rows of a count table, with a link per row. */
function countTable(ctx: PageContext, o: { caption: string; head: string; rows: { key: string; count: number }[]; label: (k: string) => string; href: (k: string) => string; limit: number }) {
  const { t } = ctx.tr;
  return html`<table>
    <caption class="meta">${o.caption}</caption>
    <thead><tr><th scope="col">${o.head}</th><th scope="col" class="num">${t('home.count')}</th></tr></thead>
    <tbody>
      ${o.rows.slice(0, o.limit).map(
        (r) => html`<tr><td><a href=${o.href(r.key)}>${o.label(r.key)}</a></td><td class="num">${ctx.tr.number(r.count)}</td></tr>`,
      )}
    </tbody>
  </table>`;
}

/** The home page: map, recent struggles, counts by country and sector, networks. */
export function homeView(ctx: PageContext, d: HomeData) {
  const { t } = ctx.tr;
  const counts = new Map(d.byCountry.map((r) => [r.key, r.count]));
  return html`<h1>${t('home.title')}</h1>
    ${d.needsSetup ? html`<p class="flash" role="status"><a href="/setup">${t('home.needs_setup')}</a></p>` : null}
    <p>${t('home.intro', { count: d.total, countries: d.byCountry.length })}</p>
    ${d.calls.length || d.actionDays.length
      ? html`<section aria-labelledby="coordination-h" class="coordination">
          <h2 id="coordination-h">${t('home.coordination')}</h2>
          <div class="grid">
            <div>
              <h3>${t('home.open_calls')}</h3>
              ${d.calls.length
                ? html`<ul class="cards">
                    ${d.calls.map(
                      (c) => html`<li>
                        <a href=${`/calls/${c.slug}`} lang=${c.lang}><${U}>${c.title}<//></a>
                        <span class="meta"><${U}>${c.struggleTitle}<//> · ${ctx.tr.country(c.struggleCountry)}${c.deadline ? html` · ${t('home.call_deadline', { date: ctx.tr.date(c.deadline) })}` : null}</span>
                      </li>`,
                    )}
                  </ul>`
                : html`<p>${t('home.no_open_calls')}</p>`}
              <p><a href="/calls">${t('home.all_calls')}</a></p>
            </div>
            <div>
              <h3>${t('home.upcoming_action_days')}</h3>
              ${d.actionDays.length
                ? html`<ul class="cards">
                    ${d.actionDays.map(
                      (a) => html`<li>
                        <a href=${`/action-days/${a.slug}`} lang=${a.lang}><${U}>${a.title}<//></a>
                        <span class="meta">${a.startDate === a.endDate ? ctx.tr.date(a.startDate) : t('home.date_range', { start: ctx.tr.date(a.startDate), end: ctx.tr.date(a.endDate) })}</span>
                      </li>`,
                    )}
                  </ul>`
                : html`<p>${t('home.no_action_days')}</p>`}
              <p><a href="/action-days">${t('home.all_action_days')}</a></p>
            </div>
          </div>
        </section>`
      : null}
    <section aria-labelledby="map-h">
      <h2 id="map-h">${t('home.map_title')}</h2>
      ${worldMapSvg(counts, ctx.tr, { linkFor: (c) => `/struggles?country=${c}` })}
    </section>
    <div class="grid">
      <section aria-labelledby="recent-h">
        <h2 id="recent-h">${t('home.recent')}</h2>
        ${d.recent.length ? html`<ul class="cards">${d.recent.map((s) => struggleItem(ctx, s))}</ul>` : null}
        <p><a href="/struggles">${t(d.recent.length ? 'home.all_struggles' : 'home.report_first')}</a></p>
      </section>
      ${d.total > 0
        ? html`<section aria-labelledby="counts-h">
            <h2 id="counts-h">${t('home.by_country_sector')}</h2>
            ${countTable(ctx, { caption: t('home.top_countries'), head: t('struggles.fields.country'), rows: d.byCountry, label: (k) => ctx.tr.country(k), href: (k) => `/struggles?country=${k}`, limit: 10 })}
            ${countTable(ctx, { caption: t('home.top_sectors'), head: t('struggles.fields.sector'), rows: d.bySector, label: (k) => t(`sectors.${k}`), href: (k) => `/struggles?sector=${k}`, limit: 10 })}
          </section>`
        : null}
      <section aria-labelledby="networks-h">
        <h2 id="networks-h">${t('home.networks')}</h2>
        ${d.networks.length
          ? html`<ul class="cards">
              ${d.networks.map(
                (n) => html`<li><a href=${`/networks/${n.slug}`}><${U}>${n.name}<//></a>
                  <span class="meta">${t(`sectors.${n.sector}`)} · ${t('home.network_members', { count: n.member_count })}</span></li>`,
              )}
            </ul>`
          : html`<p><a href="/networks">${t('home.no_networks')}</a></p>`}
      </section>
    </div>`;
}
