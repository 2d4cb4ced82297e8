import { html } from 'htm/preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { countryOptions, vocabularyOptions, nextPageLink, dlRow, dotted, feedLinks } from '../../web/components.ts';
import { countryCodes } from '../../lib/countries.ts';
import { ORGANIZATION_KINDS, VISIBILITIES } from './organizations.service.ts';
import type { OrganizationDetail, OrganizationSummary } from './organizations.repo.ts';

export interface OrganizationListQuery {
  q?: string;
  country?: string;
  kind?: string;
}

/** The organizations list with its filter form. */
export function organizationListView(
  ctx: PageContext,
  o: { query: OrganizationListQuery; items: OrganizationSummary[]; total: number; nextCursor: string | null; canCreate: boolean },
) {
  const { t } = ctx.tr;
  const none: ErrorMap = new Map();
  return html`<h1>${t('organizations.list.title')}</h1>
    ${o.canCreate ? html`<p><a class="button" href="/organizations/new">${t('organizations.list.create')}</a></p>` : null}
    <form method="get" action="/organizations" class="filters" role="search">
      ${field(ctx, none, { name: 'q', label: 'organizations.filters.q', type: 'search', value: o.query.q })}
      ${field(ctx, none, { name: 'country', label: 'organizations.fields.country', value: o.query.country, options: countryOptions(ctx, countryCodes()), empty: 'filters.any' })}
      ${field(ctx, none, { name: 'kind', label: 'organizations.fields.kind', value: o.query.kind, options: vocabularyOptions(ctx, 'organizations.kinds', ORGANIZATION_KINDS), empty: 'filters.any' })}
      <button type="submit">${t('filters.apply')}</button>
    </form>
    <p class="count" role="status">${t('organizations.list.count', { count: o.total })}</p>
    <ul class="cards">
      ${o.items.map(
        (org) => html`<li>
          <a href=${`/organizations/${org.slug}`}><${U}>${org.name}<//></a>
          <span class="meta">${dotted([t(`organizations.kinds.${org.kind}`), org.city ? html`<${U}>${org.city}<//>, ${ctx.tr.country(org.country)}` : ctx.tr.country(org.country)])}</span>
        </li>`,
      )}
    </ul>
    ${nextPageLink(ctx, '/organizations', { ...o.query }, o.nextCursor)}`;
}

/** An organization's page: facts, sub-organizations, networks and struggles. */
export function organizationDetailView(ctx: PageContext, org: OrganizationDetail, canEdit: boolean) {
  const { t } = ctx.tr;
  return html`<article>
    <h1><${U}>${org.name}<//></h1>
    <p class="meta">${dotted([
      t(`organizations.kinds.${org.kind}`),
      org.city ? html`<${U}>${org.city}<//>, ${ctx.tr.country(org.country)}` : ctx.tr.country(org.country),
      t(`visibility.${org.visibility}`),
    ])}</p>
    ${canEdit ? html`<p><a class="button" href=${`/organizations/${org.slug}/edit`}>${t('actions.edit')}</a></p>` : null}
    ${ctx.viewer && (ctx.viewer.isAdmin || ctx.viewer.roles.has(org.id))
      ? html`<p class="actions">
          <a href=${`/organizations/${org.slug}/members`}>${t('members.link')}</a>
          ${' · '}<a href=${`/organizations/${org.slug}/following`}>${t('follows.following.link')}</a>
          ${ctx.viewer.isAdmin || ctx.viewer.roles.get(org.id) === 'admin' ? html` · <a href=${`/organizations/${org.slug}/audit`}>${t('audit.page.link')}</a>` : null}
        </p>`
      : null}
    ${org.visibility === 'public' ? feedLinks(ctx, { calendar: `/organizations/${org.slug}/calendar.ics`, atom: `/organizations/${org.slug}/feed.atom` }) : null}
    ${org.description ? html`<div class="prose" lang=${org.description_lang} dir="auto">${org.description}</div>` : null}
    <dl>
      ${dlRow(t('organizations.fields.languages'), org.languages.map((l) => ctx.tr.language(l)).join(', '))}
      ${dlRow(t('fields.slug'), html`<code>${org.slug}</code>`)}
      ${dlRow(t('organizations.fields.website'), org.website ? html`<a href=${org.website} rel="nofollow noopener">${org.website}</a>` : null)}
      ${dlRow(t('organizations.fields.contact_email'), org.contact_email ? html`<a href=${`mailto:${org.contact_email}`}>${org.contact_email}</a>` : null)}
      ${dlRow(t('organizations.fields.parent'), org.parent ? html`<a href=${`/organizations/${org.parent.slug}`}><${U}>${org.parent.name}<//></a>` : null)}
    </dl>
    ${org.children.length
      ? html`<section><h2>${t('organizations.detail.children')}</h2><ul>
          ${org.children.map((c) => html`<li><a href=${`/organizations/${c.slug}`}><${U}>${c.name}<//></a> (${t(`organizations.kinds.${c.kind}`)})</li>`)}
        </ul></section>`
      : null}
    <section>
      <h2>${t('organizations.detail.networks')}</h2>
      ${org.networks.length
        ? html`<ul>${org.networks.map(
            (n) => html`<li>${dotted([
              html`<a href=${`/networks/${n.slug}`}><${U}>${n.name}<//></a>`,
              t(`networks.roles.${n.role}`),
              n.until ? `${ctx.tr.date(n.since)} – ${ctx.tr.date(n.until)}` : t('networks.membership.since', { date: ctx.tr.date(n.since) }),
            ])}</li>`,
          )}</ul>`
        : html`<p>${t('organizations.detail.no_networks')}</p>`}
    </section>
    <section>
      <h2>${t('organizations.detail.struggles')}</h2>
      ${org.struggles.length
        ? html`<ul>${org.struggles.map(
            (s) => html`<li>${dotted([
              html`<a href=${`/struggles/${s.slug}`}><${U}>${s.title}<//></a>`,
              t(`struggles.roles.${s.role}`),
              ctx.tr.date(s.start_date),
              t(`struggles.statuses.${s.status}`),
            ])}</li>`,
          )}</ul>`
        : html`<p>${t('organizations.detail.no_struggles')}</p>`}
    </section>
  </article>`;
}

export type OrganizationFormValues = Record<string, string | undefined>;

const ORGANIZATION_LABELS: Record<string, string> = {
  name: 'organizations.fields.name',
  kind: 'organizations.fields.kind',
  country: 'organizations.fields.country',
  city: 'organizations.fields.city',
  languages: 'organizations.fields.languages',
  website: 'organizations.fields.website',
  contactEmail: 'organizations.fields.contact_email',
  description: 'organizations.fields.description',
  descriptionLang: 'fields.text_language',
  visibility: 'fields.visibility',
  parent: 'organizations.fields.parent',
  slug: 'fields.slug',
};

/** Create/edit form; re-rendered with field errors and HTTP 422 on bad input. */
export function organizationFormView(ctx: PageContext, o: { action: string; values: OrganizationFormValues; errors: ErrorMap; editing: boolean }) {
  const { t } = ctx.tr;
  const v = o.values;
  const e = o.errors;
  return html`<h1>${t(o.editing ? 'organizations.form.edit_title' : 'organizations.form.new_title')}</h1>
    ${errorSummary(ctx, e, ORGANIZATION_LABELS)}
    <form method="post" action=${o.action} novalidate>
      ${csrfField(ctx)}
      ${field(ctx, e, { name: 'name', label: 'organizations.fields.name', value: v.name, required: true })}
      ${field(ctx, e, { name: 'kind', label: 'organizations.fields.kind', value: v.kind, required: true, options: vocabularyOptions(ctx, 'organizations.kinds', ORGANIZATION_KINDS), empty: 'forms.choose' })}
      ${field(ctx, e, { name: 'country', label: 'organizations.fields.country', value: v.country, required: true, options: countryOptions(ctx, countryCodes()), empty: 'forms.choose' })}
      ${field(ctx, e, { name: 'city', label: 'organizations.fields.city', value: v.city })}
      ${field(ctx, e, { name: 'languages', label: 'organizations.fields.languages', value: v.languages, hint: 'organizations.fields.languages_hint' })}
      ${field(ctx, e, { name: 'website', label: 'organizations.fields.website', type: 'url', value: v.website })}
      ${field(ctx, e, { name: 'contactEmail', label: 'organizations.fields.contact_email', type: 'email', value: v.contactEmail })}
      ${field(ctx, e, { name: 'description', label: 'organizations.fields.description', value: v.description, multiline: true })}
      ${field(ctx, e, { name: 'descriptionLang', label: 'fields.text_language', value: v.descriptionLang, hint: 'fields.text_language_hint' })}
      ${field(ctx, e, { name: 'visibility', label: 'fields.visibility', value: v.visibility ?? 'public', options: vocabularyOptions(ctx, 'visibility', VISIBILITIES) })}
      ${field(ctx, e, { name: 'parent', label: 'organizations.fields.parent', value: v.parent, hint: 'organizations.fields.parent_hint' })}
      ${o.editing ? field(ctx, e, { name: 'slug', label: 'fields.slug', value: v.slug, hint: 'fields.slug_hint' }) : null}
      <button type="submit">${t('actions.save')}</button>
    </form>`;
}
