import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { dlRow, doneNotice, dotted, nextPageLink, vocabularyOptions } from '../../web/components.ts';
import type { CampaignStatus } from '../../db/schema.ts';
import { VISIBILITIES } from '../organizations/organizations.service.ts';
import { CAMPAIGN_STATUSES, pickText, type CampaignText } from './campaigns.service.ts';
import type { CampaignListRow } from './campaigns.repo.ts';
import { campaignHeading, campaignNav } from './campaign-nav.views.ts';

export type CampaignFormValues = Record<string, string | undefined>;

/** Confirmations after a form POST on the campaign's pages (`?done=…`, see `withNotice`). */
export const CAMPAIGN_NOTICES: Record<string, string> = {
  created: 'campaigns.notices.created',
  updated: 'campaigns.notices.updated',
  translation_saved: 'campaigns.notices.translation_saved',
  endorsed: 'campaigns.notices.endorsed',
  withdrawn: 'campaigns.notices.withdrawn',
};

/** The status of a campaign as a label. */
export function campaignStatusLabel(ctx: PageContext, status: CampaignStatus): VNode {
  return html`<span class=${`status campaign-${status}`}>${ctx.tr.t(`campaigns.statuses.${status}`)}</span>`;
}

/** "From 1 Mar 2026" / "1 Mar – 30 Jun 2026" (date-only values, no time zone shift). */
export function periodText(ctx: PageContext, startsOn: string, endsOn: string | null): string {
  return endsOn
    ? ctx.tr.t('campaigns.page.period_range', { start: ctx.tr.date(startsOn), end: ctx.tr.date(endsOn) })
    : ctx.tr.t('campaigns.page.period_open', { start: ctx.tr.date(startsOn) });
}

const autonyms = new Map<string, string>();

/** A language's name in that language (`de` → `Deutsch`), for links between language versions. */
export function autonym(tag: string): string {
  let name = autonyms.get(tag);
  if (name === undefined) {
    try {
      const n = new Intl.DisplayNames([tag], { type: 'language' }).of(tag) ?? tag;
      name = n.charAt(0).toLocaleUpperCase(tag) + n.slice(1);
    } catch {
      name = tag;
    }
    autonyms.set(tag, name);
  }
  return name;
}

/** The campaigns list: status filter, each campaign's title in the reader's language and its signatures. */
export function campaignListView(ctx: PageContext, o: { status: string | undefined; items: CampaignListRow[]; total: number; nextCursor: string | null; canStart: boolean }) {
  const { t } = ctx.tr;
  const none: ErrorMap = new Map();
  return html`<h1>${t('campaigns.list.title')}</h1>
    <p>${t('campaigns.list.intro')}</p>
    ${o.canStart ? html`<p><a class="button" href="/campaigns/new">${t('campaigns.list.new')}</a></p>` : null}
    <form method="get" action="/campaigns" class="filters" role="search">
      ${field(ctx, none, { name: 'status', label: 'campaigns.fields.status', value: o.status, options: vocabularyOptions(ctx, 'campaigns.statuses', CAMPAIGN_STATUSES), empty: 'filters.any' })}
      <button type="submit">${t('filters.apply')}</button>
    </form>
    <p class="count" role="status">${t('campaigns.list.count', { count: o.total })}</p>
    <ul class="cards">
      ${o.items.map((c) => {
        const shown = pickText(
          c.titles.map((x) => ({ lang: x.lang, title: x.title, appeal: '', original: x.original, translator: null, updatedAt: '' })),
          { locale: ctx.tr.locale },
        );
        return html`<li>
          <a href=${`/campaigns/${c.slug}`} lang=${shown.lang}><${U}>${shown.title}<//></a>
          <span class="meta">${dotted([
            campaignStatusLabel(ctx, c.status),
            periodText(ctx, c.startsOn, c.endsOn),
            c.organization ? html`<a href=${`/organizations/${c.organization.slug}`}><${U}>${c.organization.name}<//></a>` : null,
            c.goal ? t('campaigns.list.signatures_goal', { count: c.total, goal: c.goal }) : t('campaigns.list.signatures', { count: c.total }),
          ])}</span>
        </li>`;
      })}
    </ul>
    ${nextPageLink(ctx, '/campaigns', { status: o.status }, o.nextCursor)}`;
}

const CAMPAIGN_LABELS: Record<string, string> = {
  organization: 'campaigns.fields.organization',
  issuers: 'campaigns.fields.issuers',
  slug: 'fields.slug',
  lang: 'campaigns.fields.lang',
  title: 'campaigns.fields.title',
  appeal: 'campaigns.fields.appeal',
  startsOn: 'campaigns.fields.starts_on',
  endsOn: 'campaigns.fields.ends_on',
  goal: 'campaigns.fields.goal',
  status: 'campaigns.fields.status',
  visibility: 'fields.visibility',
};

/**
 * Start/change form; re-rendered with field errors and HTTP 422. When `editing`, the owner and
 * the original language are shown, not offered (they stay), and the coordinators' links lead on.
 */
export function campaignFormView(
  ctx: PageContext,
  o: {
    action: string;
    values: CampaignFormValues;
    errors: ErrorMap;
    editing: { slug: string; owner: string; lang: string; title: string; pending: number } | null;
    organizations: { slug: string; name: string }[];
  },
) {
  const { t } = ctx.tr;
  const v = o.values;
  const e = o.errors;
  return html`${o.editing
      ? html`${campaignHeading(ctx, 'campaigns.form.edit_title', { title: o.editing.title, lang: o.editing.lang })}${campaignNav(ctx, o.editing.slug, { current: 'edit', pending: o.editing.pending })}`
      : html`<h1>${t('campaigns.form.new_title')}</h1>`}
    ${errorSummary(ctx, e, CAMPAIGN_LABELS)}
    <form method="post" action=${o.action} novalidate>
      ${csrfField(ctx)}
      ${o.editing
        ? html`<div class="field fixed"><dl>
            ${dlRow(t('campaigns.fields.organization'), html`<${U}>${o.editing.owner}<//>`)}
            ${dlRow(t('campaigns.fields.lang'), ctx.tr.language(o.editing.lang))}
          </dl></div>`
        : html`${field(ctx, e, { name: 'organization', label: 'campaigns.fields.organization', value: v.organization, required: true, options: o.organizations.map((x): [string, string] => [x.slug, x.name]), empty: 'forms.choose', hint: 'campaigns.fields.organization_hint' })}
            ${field(ctx, e, { name: 'lang', label: 'campaigns.fields.lang', value: v.lang, required: true, hint: 'campaigns.fields.lang_hint' })}`}
      ${field(ctx, e, { name: 'issuers', label: 'campaigns.fields.issuers', value: v.issuers, hint: 'campaigns.fields.issuers_hint' })}
      ${field(ctx, e, { name: 'title', label: 'campaigns.fields.title', value: v.title, required: true })}
      ${field(ctx, e, { name: 'appeal', label: 'campaigns.fields.appeal', value: v.appeal, required: true, multiline: true })}
      ${o.editing ? null : field(ctx, e, { name: 'slug', label: 'fields.slug', value: v.slug, hint: 'campaigns.fields.slug_hint' })}
      ${field(ctx, e, { name: 'startsOn', label: 'campaigns.fields.starts_on', type: 'date', value: v.startsOn, required: true })}
      ${field(ctx, e, { name: 'endsOn', label: 'campaigns.fields.ends_on', type: 'date', value: v.endsOn, hint: 'campaigns.fields.ends_on_hint' })}
      ${field(ctx, e, { name: 'goal', label: 'campaigns.fields.goal', value: v.goal, hint: 'campaigns.fields.goal_hint' })}
      ${field(ctx, e, { name: 'status', label: 'campaigns.fields.status', value: v.status ?? 'draft', options: vocabularyOptions(ctx, 'campaigns.statuses', CAMPAIGN_STATUSES), hint: 'campaigns.fields.status_hint' })}
      ${field(ctx, e, { name: 'visibility', label: 'fields.visibility', value: v.visibility ?? 'public', options: vocabularyOptions(ctx, 'visibility', VISIBILITIES) })}
      <button type="submit">${t(o.editing ? 'actions.save' : 'campaigns.form.submit_new')}</button>
    </form>`;
}

const TRANSLATION_LABELS: Record<string, string> = {
  lang: 'campaigns.translations.fields.lang',
  title: 'campaigns.fields.title',
  appeal: 'campaigns.fields.appeal',
  translatorName: 'campaigns.translations.fields.translator_name',
};

/**
 * The translations page (coordinators): every language version with who wrote it (the original
 * marked), links to change each, and the form to add a language or change the one `values.lang`
 * names; re-rendered with errors and HTTP 422.
 */
export function translationsView(
  ctx: PageContext,
  o: { slug: string; title: { title: string; lang: string }; texts: CampaignText[]; values: CampaignFormValues; errors: ErrorMap; editing: boolean; pending: number },
) {
  const { t } = ctx.tr;
  const e = o.errors;
  return html`${campaignHeading(ctx, 'campaigns.translations.title', o.title)}
    ${campaignNav(ctx, o.slug, { current: 'translations', pending: o.pending })}
    ${doneNotice(ctx, CAMPAIGN_NOTICES)}
    <p>${t('campaigns.translations.intro')}</p>
    <div class="table-scroll" role="region" aria-labelledby="languages-title" tabindex="0">
      <table>
        <caption id="languages-title">${t('campaigns.translations.table_caption')}</caption>
        <thead><tr>
          <th scope="col">${t('campaigns.translations.columns.lang')}</th>
          <th scope="col">${t('campaigns.fields.title')}</th>
          <th scope="col">${t('campaigns.translations.columns.by')}</th>
          <th scope="col">${t('campaigns.translations.columns.updated')}</th>
          <th scope="col">${t('campaigns.translations.columns.actions')}</th>
        </tr></thead>
        <tbody>
          ${o.texts.map(
            (x) => html`<tr>
              <th scope="row">${ctx.tr.language(x.lang)} <span class="meta">${x.lang}</span>${x.original ? html` <span class="badge">${t('campaigns.page.original')}</span>` : null}</th>
              <td lang=${x.lang}><${U}>${x.title}<//></td>
              <td>${x.translator ? html`<${U}>${x.translator}<//>` : '—'}</td>
              <td><time datetime=${x.updatedAt}>${ctx.tr.instant(x.updatedAt, ctx.viewer?.timeZone)}</time></td>
              <td>${x.original
                ? html`<a href=${`/campaigns/${o.slug}/edit`}>${t('campaigns.translations.change_original')}</a>`
                : html`<a href=${`/campaigns/${o.slug}/translations?lang=${encodeURIComponent(x.lang)}#translation-form`} aria-label=${t('campaigns.translations.edit_named', { language: ctx.tr.language(x.lang) })}>${t('actions.edit')}</a>`}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <section id="translation-form" aria-labelledby="translation-form-title">
      <h2 id="translation-form-title">${t(o.editing ? 'campaigns.translations.edit_title' : 'campaigns.translations.add_title', { language: o.values.lang ? ctx.tr.language(o.values.lang) : '' })}</h2>
      ${errorSummary(ctx, e, TRANSLATION_LABELS)}
      <form method="post" action=${`/campaigns/${o.slug}/translations`} novalidate>
        ${csrfField(ctx)}
        ${field(ctx, e, { name: 'lang', label: 'campaigns.translations.fields.lang', value: o.values.lang, required: true, hint: 'campaigns.translations.fields.lang_hint' })}
        ${field(ctx, e, { name: 'title', label: 'campaigns.fields.title', value: o.values.title, required: true })}
        ${field(ctx, e, { name: 'appeal', label: 'campaigns.fields.appeal', value: o.values.appeal, required: true, multiline: true })}
        ${field(ctx, e, { name: 'translatorName', label: 'campaigns.translations.fields.translator_name', value: o.values.translatorName, hint: 'campaigns.translations.fields.translator_name_hint' })}
        <button type="submit">${t('campaigns.translations.submit')}</button>
      </form>
    </section>`;
}
