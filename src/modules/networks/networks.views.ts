import { html } from 'htm/preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { vocabularyOptions, nextPageLink, feedLinks } from '../../web/components.ts';
import { SECTOR_CODES } from '../../lib/sectors.ts';
import type { NetworkDetail, NetworkMember, NetworkSummary } from './networks.repo.ts';
import { followControl, type FollowControl } from '../follows/follows.views.ts';

/** The networks list with its sector filter. */
export function networkListView(
  ctx: PageContext,
  o: { query: { sector?: string }; items: NetworkSummary[]; total: number; nextCursor: string | null; canCreate: boolean },
) {
  const { t } = ctx.tr;
  const none: ErrorMap = new Map();
  return html`<h1>${t('networks.list.title')}</h1>
    <p>${t('networks.list.intro')}</p>
    ${o.canCreate ? html`<p><a class="button" href="/networks/new">${t('networks.list.create')}</a></p>` : null}
    <form method="get" action="/networks" class="filters" role="search">
      ${field(ctx, none, { name: 'sector', label: 'networks.fields.sector', value: o.query.sector, options: vocabularyOptions(ctx, 'sectors', SECTOR_CODES), empty: 'filters.any' })}
      <button type="submit">${t('filters.apply')}</button>
    </form>
    <p class="count" role="status">${t('networks.list.count', { count: o.total })}</p>
    <ul class="cards">
      ${o.items.map(
        (n) => html`<li>
          <a href=${`/networks/${n.slug}`}><${U}>${n.name}<//></a>
          <span class="meta">${t(`sectors.${n.sector}`)} · ${t('networks.list.members', { count: n.member_count })}</span>
        </li>`,
      )}
    </ul>
    ${nextPageLink(ctx, '/networks', { ...o.query }, o.nextCursor)}`;
}

export type NetworkFormValues = Record<string, string | undefined>;

/** What the detail page may offer the viewer besides reading. */
export interface NetworkDetailOptions {
  /** The viewer may edit the network and manage every membership. */
  canManage: boolean;
  /** Following the network, for a signed-in reader. */
  follow?: FollowControl | null;
  /**
   * The form to add a membership: `organizations` null means a free slug field (network
   * managers), else a choice among the viewer's own organizations. Absent: no form.
   */
  join?: {
    organizations: { slug: string; name: string }[] | null;
    roles: readonly string[];
    values: NetworkFormValues;
    errors: ErrorMap;
  };
  /** Memberships (by id) the viewer may end. */
  canEnd: (m: NetworkMember) => boolean;
  /** A failed attempt to end a membership, shown at its row. */
  endFailure?: { membershipId: string; values: NetworkFormValues; errors: ErrorMap };
}

function period(ctx: PageContext, m: NetworkMember) {
  const since = html`<time datetime=${m.since}>${ctx.tr.date(m.since)}</time>`;
  if (!m.until) return html`${ctx.tr.tRich('networks.membership.since', { date: since })}`;
  return html`${since} – <time datetime=${m.until}>${ctx.tr.date(m.until)}</time>`;
}

function endForm(ctx: PageContext, network: NetworkDetail, m: NetworkMember, failure: NetworkDetailOptions['endFailure']) {
  const { t } = ctx.tr;
  const mine = failure?.membershipId === m.membershipId ? failure : undefined;
  const errors: ErrorMap = mine?.errors ?? new Map();
  const err = errors.get('until');
  const id = `end-${m.membershipId}`;
  return html`<form method="post" action=${`/networks/${network.slug}/members/${m.membershipId}/end`} class="inline end-membership">
    ${csrfField(ctx)}
    <label for=${id}>${t('networks.end.until')}</label>
    <input id=${id} name="until" type="date" required value=${mine?.values.until ?? m.until ?? ''} min=${m.since}
      aria-invalid=${err ? 'true' : undefined} aria-describedby=${err ? `${id}-error` : undefined} />
    <button type="submit">${t('networks.end.submit')}</button>
    ${err ? html`<p class="error" id=${`${id}-error`}>${t(err.messageId, err.values)}</p>` : null}
  </form>`;
}

function joinForm(ctx: PageContext, network: NetworkDetail, join: NonNullable<NetworkDetailOptions['join']>) {
  const { t } = ctx.tr;
  const v = join.values;
  const e = join.errors;
  const orgField = join.organizations
    ? field(ctx, e, {
        name: 'organization',
        label: 'networks.join.organization',
        value: v.organization,
        required: true,
        options: join.organizations.map((o): [string, string] => [o.slug, o.name]),
        empty: 'forms.choose',
      })
    : field(ctx, e, { name: 'organization', label: 'networks.join.organization', value: v.organization, required: true, hint: 'networks.join.organization_hint' });
  return html`<section id="join">
    <h2>${t('networks.join.title')}</h2>
    ${errorSummary(ctx, e)}
    <form method="post" action=${`/networks/${network.slug}/members`} class="narrow" novalidate>
      ${csrfField(ctx)}
      ${orgField}
      ${field(ctx, e, { name: 'role', label: 'networks.join.role', value: v.role ?? 'member', options: vocabularyOptions(ctx, 'networks.roles', join.roles) })}
      ${field(ctx, e, { name: 'since', label: 'networks.join.since', type: 'date', value: v.since, required: true })}
      ${field(ctx, e, { name: 'until', label: 'networks.join.until', type: 'date', value: v.until, hint: 'networks.join.until_hint' })}
      <button type="submit">${t('networks.join.submit')}</button>
    </form>
  </section>`;
}

/**
 * A network's page: sector, description (marked with its language), member organizations grouped
 * by country (countries sorted by their name in the UI language), the form to add a membership
 * and, per membership, the form to end it where the viewer may.
 */
export function networkDetailView(ctx: PageContext, n: NetworkDetail, o: NetworkDetailOptions) {
  const { t } = ctx.tr;
  const collator = new Intl.Collator(ctx.tr.locale);
  const countries = Object.keys(n.members)
    .map((code): [string, string] => [code, ctx.tr.country(code)])
    .sort((a, b) => collator.compare(a[1], b[1]));
  return html`<article>
    <h1><${U}>${n.name}<//></h1>
    <p class="meta">${t(`sectors.${n.sector}`)} · ${t('networks.list.members', { count: n.memberCount })}</p>
    ${o.canManage ? html`<p><a class="button" href=${`/networks/${n.slug}/edit`}>${t('actions.edit')}</a></p>` : null}
    ${followControl(ctx, o.follow)}
    ${feedLinks(ctx, { calendar: `/networks/${n.slug}/calendar.ics`, atom: `/networks/${n.slug}/feed.atom` })}
    ${n.description ? html`<div class="prose" lang=${n.description_lang} dir="auto">${n.description}</div>` : null}
    <section>
      <h2>${t('networks.detail.members')}</h2>
      ${countries.length
        ? countries.map(
            ([code, label]) => html`<section class="country">
              <h3>${label}</h3>
              <ul class="cards">
                ${n.members[code]!.map(
                  (m) => html`<li class=${m.past ? 'past' : undefined}>
                    <a href=${`/organizations/${m.slug}`}><${U}>${m.name}<//></a>
                    <span class="meta">${t(`organizations.kinds.${m.kind}`)} · ${t(`networks.roles.${m.role}`)} · ${period(ctx, m)}
                      ${m.past ? html` · <strong>${t('networks.membership.past')}</strong>` : null}
                      ${m.upcoming ? html` · <strong>${t('networks.membership.upcoming')}</strong>` : null}</span>
                    ${!m.past && o.canEnd(m) ? endForm(ctx, n, m, o.endFailure) : null}
                  </li>`,
                )}
              </ul>
            </section>`,
          )
        : html`<p>${t('networks.detail.no_members')}</p>`}
    </section>
    ${o.join ? joinForm(ctx, n, o.join) : null}
  </article>`;
}

/** Create/edit form; re-rendered with field errors and HTTP 422 on bad input. */
export function networkFormView(ctx: PageContext, o: { action: string; values: NetworkFormValues; errors: ErrorMap; editing: boolean }) {
  const { t } = ctx.tr;
  const v = o.values;
  const e = o.errors;
  return html`<h1>${t(o.editing ? 'networks.form.edit_title' : 'networks.form.new_title')}</h1>
    ${errorSummary(ctx, e)}
    <form method="post" action=${o.action} novalidate>
      ${csrfField(ctx)}
      ${field(ctx, e, { name: 'name', label: 'networks.fields.name', value: v.name, required: true })}
      ${field(ctx, e, { name: 'sector', label: 'networks.fields.sector', value: v.sector, required: true, options: vocabularyOptions(ctx, 'sectors', SECTOR_CODES), empty: 'forms.choose' })}
      ${field(ctx, e, { name: 'description', label: 'networks.fields.description', value: v.description, multiline: true })}
      ${field(ctx, e, { name: 'descriptionLang', label: 'fields.text_language', value: v.descriptionLang, hint: 'fields.text_language_hint' })}
      ${o.editing ? field(ctx, e, { name: 'slug', label: 'fields.slug', value: v.slug, hint: 'fields.slug_hint' }) : null}
      <button type="submit">${t('actions.save')}</button>
    </form>`;
}
