import { html } from 'htm/preact';
import type { PageContext } from '../../web/context.ts';
import type { Translator } from '../../i18n/i18n.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { countryOptions, vocabularyOptions, nextPageLink, dlRow, dotted, doneNotice, feedLinks } from '../../web/components.ts';
import { worldMapSvg } from '../../web/world-map.ts';
import { countryCodes } from '../../lib/countries.ts';
import { TIME_ZONES } from '../../lib/time.ts';
import { instantIn } from '../../lib/zoned-time.ts';
import { VISIBILITIES } from '../organizations/organizations.service.ts';
import { LOCAL_ACTION_KINDS } from './action-days.service.ts';
import type { ActionDayDetail, ActionDaySummary, LocalActionView } from './action-days.repo.ts';

export type FormValues = Record<string, string | undefined>;

/**
 * A date-only range as calendar dates (`tr.date`, never shifted by a zone): one date when the
 * range is a single day, else "start – end".
 */
export function dateRange(ctx: PageContext, start: string, end: string): string {
  return start === end ? ctx.tr.date(start) : ctx.tr.t('action_days.detail.range', { start: ctx.tr.date(start), end: ctx.tr.date(end) });
}

/** The action days list: upcoming first, then past ones. */
export function actionDayListView(
  ctx: PageContext,
  o: { items: (ActionDaySummary & { part: 'upcoming' | 'past' })[]; total: number; nextCursor: string | null; canCreate: boolean },
) {
  const { t } = ctx.tr;
  const item = (d: ActionDaySummary) => html`<li>
    <a href=${`/action-days/${d.slug}`} lang=${d.lang}><${U}>${d.title}<//></a>
    <span class="meta">${dotted([
      html`<time datetime=${d.start_date}>${dateRange(ctx, d.start_date, d.end_date)}</time>`,
      t('action_days.list.local_actions', { count: d.local_actions }),
      t(`visibility.${d.visibility}`),
    ])}</span>
  </li>`;
  const upcoming = o.items.filter((d) => d.part === 'upcoming');
  const past = o.items.filter((d) => d.part === 'past');
  return html`<h1>${t('action_days.list.title')}</h1>
    ${o.canCreate ? html`<p><a class="button" href="/action-days/new">${t('action_days.list.create')}</a></p>` : null}
    <p class="count" role="status">${t('action_days.list.count', { count: o.total })}</p>
    ${upcoming.length ? html`<h2>${t('action_days.list.upcoming')}</h2><ul class="cards" id="upcoming">${upcoming.map(item)}</ul>` : null}
    ${past.length ? html`<h2>${t('action_days.list.past')}</h2><ul class="cards" id="past">${past.map(item)}</ul>` : null}
    ${nextPageLink(ctx, '/action-days', {}, o.nextCursor)}`;
}

/**
 * When a local action happens: all-day ones as stored calendar dates (no zone); timed ones as
 * the organizers' wall-clock times with their IANA zone and UTC offset, and — for a signed-in
 * reader in another zone — also in the reader's account zone.
 */
export function localActionWhen(ctx: PageContext, a: LocalActionView) {
  const { t } = ctx.tr;
  if (a.all_day || !a.starts_at || !a.ends_at || !a.time_zone) {
    return html`<span class="when"><time datetime=${a.start_date}>${dateRange(ctx, a.start_date, a.end_date)}</time> (${t('action_days.detail.all_day')})</span>`;
  }
  const zone = a.time_zone;
  const local = html`<span class="when local">${t('action_days.detail.local_time', {
    start: ctx.tr.instant(a.starts_at, zone),
    end: ctx.tr.instant(a.ends_at, zone),
    zone,
    offset: instantIn(a.starts_at, zone).offset,
  })}</span>`;
  const reader = ctx.viewer?.timeZone;
  if (!reader || reader === zone) return local;
  return html`${local}<br /><span class="when reader">${t('action_days.detail.your_time', {
    start: ctx.tr.instant(a.starts_at, reader),
    end: ctx.tr.instant(a.ends_at, reader),
    zone: reader,
  })}</span>`;
}

/**
 * "Change" and "Withdraw" links of a local action (for those who may change it); the title,
 * visually hidden, tells the links of one action from the next for screen readers.
 */
function localActionControls(ctx: PageContext, daySlug: string, a: LocalActionView) {
  const { t } = ctx.tr;
  const base = `/action-days/${daySlug}/local-actions/${a.id}`;
  const which = html`<span class="visually-hidden"> <${U}>${a.title}<//></span>`;
  return html`<br /><span class="local-action-controls">
    <a href=${`${base}/edit`}>${t('action_days.local.change')}${which}</a>${' · '}<a href=${`${base}/remove`}>${t('action_days.local.withdraw')}${which}</a>
  </span>`;
}

/**
 * One local action as a list item (`id="local-action-<id>"`, the anchor redirects point to): what,
 * kind, place, organization, participants, visibility, when (see {@link localActionWhen}),
 * contact; with `controls`, the "Change" and "Withdraw" links.
 */
export function localActionItem(ctx: PageContext, a: LocalActionView, controls: { daySlug: string } | null = null) {
  const { t } = ctx.tr;
  return html`<li class="local-action" id=${`local-action-${a.id}`}>
    <strong><${U}>${a.title}<//></strong>${' · '}<span class="meta">${dotted([
      t(`action_days.kinds.${a.kind}`),
      html`<${U}>${a.city}<//>, ${ctx.tr.country(a.country)}`,
      a.venue ? html`<${U}>${a.venue}<//>` : null,
      a.organization ? html`<a href=${`/organizations/${a.organization.slug}`}><${U}>${a.organization.name}<//></a>` : null,
      a.expected_participants !== null ? t('action_days.detail.expected', { count: a.expected_participants }) : null,
      a.visibility !== 'public' ? t(`visibility.${a.visibility}`) : null,
    ])}</span>
    <br />${localActionWhen(ctx, a)}
    ${a.contact ? html`<br /><span class="contact">${t('action_days.fields.contact')}: <${U}>${a.contact}<//></span>` : null}
    ${controls ? localActionControls(ctx, controls.daySlug, a) : null}
  </li>`;
}

/**
 * Confirmations after registering, changing or withdrawing a local action, shown at the top of
 * the local actions (`?done=…` on the redirect, see `withNotice`).
 */
export const LOCAL_ACTION_NOTICES: Record<string, string> = {
  registered: 'action_days.local.done.registered',
  changed: 'action_days.local.done.changed',
  withdrawn: 'action_days.local.done.withdrawn',
};

/** The map's messages, spoken about local actions instead of struggles. */
function mapTranslator(tr: Translator): Translator {
  return { ...tr, t: (id, values) => tr.t(id.startsWith('map.') ? `action_days.${id}` : id, values) };
}

/** Field → label message id of the local action form (for the error summary). */
export const LOCAL_ACTION_LABELS: Record<string, string> = {
  organization: 'action_days.fields.participating_organization',
  title: 'action_days.fields.local_title',
  kind: 'action_days.fields.kind',
  city: 'action_days.fields.city',
  country: 'action_days.fields.country',
  venue: 'action_days.fields.venue',
  allDay: 'action_days.fields.all_day',
  startDate: 'action_days.fields.local_start_date',
  endDate: 'action_days.fields.local_end_date',
  startLocal: 'action_days.fields.start_local',
  endLocal: 'action_days.fields.end_local',
  timeZone: 'action_days.fields.time_zone',
  expectedParticipants: 'action_days.fields.expected_participants',
  contact: 'action_days.fields.contact',
  visibility: 'fields.visibility',
};

export interface LocalActionFormState {
  values: FormValues;
  errors: ErrorMap;
  /** Organizations the viewer may register for (publishing role). */
  organizations: { slug: string; name: string }[];
}

/**
 * The registration form. It posts to `…/local-actions#register`: a refused submission (HTTP 422)
 * comes back scrolled to its section (`id="register"`), the error summary at its top.
 */
function localActionForm(ctx: PageContext, d: ActionDayDetail, f: LocalActionFormState) {
  const { t } = ctx.tr;
  const v = f.values;
  const e = f.errors;
  return html`<form method="post" action=${`/action-days/${d.slug}/local-actions#register`} class="narrow" novalidate>
    <h2>${t('action_days.detail.register')}</h2>
    ${csrfField(ctx)}
    ${errorSummary(ctx, e, LOCAL_ACTION_LABELS)}
    ${field(ctx, e, { name: 'organization', label: 'action_days.fields.participating_organization', value: v.organization, required: true, options: f.organizations.map((o) => [o.slug, o.name]), empty: 'forms.choose' })}
    ${localActionFields(ctx, v, e, { firstDate: d.start_date })}
    <button type="submit">${t('action_days.detail.register_submit')}</button>
  </form>`;
}

/**
 * The fields of a local action after its organization — what, where, when (all-day dates, or
 * wall-clock times with their IANA zone, default the reader's account zone), how many, contact,
 * who may see it — for the registration form and the change form alike. The time hints' example
 * is on the action day's first date (`day.firstDate`, `YYYY-MM-DD`), in the accepted format.
 */
export function localActionFields(ctx: PageContext, v: FormValues, e: ErrorMap, day: { firstDate: string }) {
  const { t } = ctx.tr;
  const zones = TIME_ZONES.map((z): [string, string] => [z, z]);
  const allDay = ['1', 'on', 'true'].includes(v.allDay ?? '');
  return html`
    ${field(ctx, e, { name: 'title', label: 'action_days.fields.local_title', value: v.title, required: true })}
    ${field(ctx, e, { name: 'kind', label: 'action_days.fields.kind', value: v.kind, required: true, options: vocabularyOptions(ctx, 'action_days.kinds', LOCAL_ACTION_KINDS), empty: 'forms.choose' })}
    ${field(ctx, e, { name: 'city', label: 'action_days.fields.city', value: v.city, required: true })}
    ${field(ctx, e, { name: 'country', label: 'action_days.fields.country', value: v.country, required: true, options: countryOptions(ctx, countryCodes()), empty: 'forms.choose' })}
    ${field(ctx, e, { name: 'venue', label: 'action_days.fields.venue', value: v.venue })}
    <fieldset>
      <legend>${t('action_days.detail.time_legend')}</legend>
      <div class="field">
        <label><input type="checkbox" name="allDay" value="1" checked=${allDay} /> ${t('action_days.fields.all_day')}</label>
        <p class="hint">${t('action_days.fields.all_day_hint')}</p>
      </div>
      ${field(ctx, e, { name: 'startLocal', label: 'action_days.fields.start_local', value: v.startLocal, hint: 'action_days.fields.local_time_hint', hintValues: { example: `${day.firstDate}T10:00` } })}
      ${field(ctx, e, { name: 'endLocal', label: 'action_days.fields.end_local', value: v.endLocal, hint: 'action_days.fields.local_time_hint', hintValues: { example: `${day.firstDate}T12:00` } })}
      ${field(ctx, e, { name: 'timeZone', label: 'action_days.fields.time_zone', value: v.timeZone ?? ctx.viewer?.timeZone ?? 'UTC', options: zones, hint: 'action_days.fields.time_zone_hint' })}
      ${field(ctx, e, { name: 'startDate', label: 'action_days.fields.local_start_date', type: 'date', value: v.startDate })}
      ${field(ctx, e, { name: 'endDate', label: 'action_days.fields.local_end_date', type: 'date', value: v.endDate })}
    </fieldset>
    ${field(ctx, e, { name: 'expectedParticipants', label: 'action_days.fields.expected_participants', type: 'number', value: v.expectedParticipants, min: '0' })}
    ${field(ctx, e, { name: 'contact', label: 'action_days.fields.contact', value: v.contact, hint: 'action_days.fields.contact_hint' })}
    ${field(ctx, e, { name: 'visibility', label: 'fields.visibility', value: v.visibility ?? 'public', options: vocabularyOptions(ctx, 'visibility', VISIBILITIES) })}`;
}

/**
 * An action day's page: the call, the local actions the reader may see (local time with zone,
 * and the reader's own zone; "Change" and "Withdraw" links on those `canChange` allows),
 * participation per country as a table and a map, and — for signed-in people with a publishing
 * role — the form to register a local action.
 */
export function actionDayDetailView(
  ctx: PageContext,
  d: ActionDayDetail,
  o: {
    canEdit: boolean;
    register: LocalActionFormState | null;
    page?: { country?: string; offset?: number; limit?: number };
    /** Whether the reader may change or withdraw a local action (its controls are shown). */
    canChange?: (a: LocalActionView) => boolean;
  },
) {
  const { t } = ctx.tr;
  const counts = new Map(d.byCountry.map((r) => [r.country, r.count]));
  return html`<article lang=${d.lang}>
    <h1><${U}>${d.title}<//></h1>
    <p class="meta" lang=${ctx.tr.locale}>${dotted([
      html`<time datetime=${d.start_date}>${dateRange(ctx, d.start_date, d.end_date)}</time>`,
      t(`visibility.${d.visibility}`),
    ])}</p>
    ${o.canEdit ? html`<p lang=${ctx.tr.locale}><a class="button" href=${`/action-days/${d.slug}/edit`}>${t('actions.edit')}</a></p>` : null}
    ${d.visibility === 'public' ? feedLinks(ctx, { calendar: `/action-days/${d.slug}/calendar.ics` }) : null}
    <dl lang=${ctx.tr.locale}>
      ${dlRow(t('action_days.fields.organization'), d.organization ? html`<a href=${`/organizations/${d.organization.slug}`}><${U}>${d.organization.name}<//></a>` : null)}
      ${dlRow(t('action_days.fields.network'), d.network ? html`<a href=${`/networks/${d.network.slug}`}><${U}>${d.network.name}<//></a>` : null)}
      ${dlRow(t('action_days.fields.struggle'), d.struggle ? html`<a href=${`/struggles/${d.struggle.slug}`}><${U}>${d.struggle.title}<//></a>` : null)}
    </dl>
    <section><h2 lang=${ctx.tr.locale}>${t('action_days.fields.call_text')}</h2><div class="prose" dir="auto">${d.call_text}</div></section>
    <section lang=${ctx.tr.locale} id="local-actions">
      <h2>${t('action_days.detail.local_actions')}</h2>
      ${doneNotice(ctx, LOCAL_ACTION_NOTICES)}
      ${localActionsPaging(ctx, d, o.page ?? {})}
      ${d.localActions.length ? html`<ul class="local-actions">${d.localActions.map((a) => localActionItem(ctx, a, o.canChange?.(a) ? { daySlug: d.slug } : null))}</ul>` : html`<p>${t('action_days.detail.none')}</p>`}
      ${localActionsPager(ctx, d, o.page ?? {})}
    </section>
    ${d.byCountry.length
      ? html`<section lang=${ctx.tr.locale} id="participation">
          <h2>${t('action_days.detail.participation')}</h2>
          <table>
            <thead><tr><th scope="col">${t('action_days.fields.country')}</th><th scope="col">${t('action_days.detail.local_actions')}</th><th scope="col">${t('action_days.fields.expected_participants')}</th></tr></thead>
            <tbody>${d.byCountry.map(
              (r) => html`<tr data-country=${r.country}><th scope="row"><a href=${`/action-days/${d.slug}?country=${r.country}#local-actions`}>${ctx.tr.country(r.country)}</a></th><td>${ctx.tr.number(r.count)}</td><td>${r.participants === null ? t('action_days.detail.participants_unknown') : ctx.tr.number(r.participants)}</td></tr>`,
            )}</tbody>
          </table>
          ${worldMapSvg(counts, mapTranslator(ctx.tr), { id: 'action-day-map' })}
        </section>`
      : null}
    ${o.register ? html`<section lang=${ctx.tr.locale} id="register">${localActionForm(ctx, d, o.register)}</section>` : null}
  </article>`;
}

/** The count line above the local actions: all of them, a range of a page, and the country filter. */
function localActionsPaging(ctx: PageContext, d: ActionDayDetail, page: { country?: string; offset?: number; limit?: number }) {
  const { t } = ctx.tr;
  const from = (page.offset ?? 0) + 1;
  const to = (page.offset ?? 0) + d.localActions.length;
  return html`<p class="count">
    ${page.country ? html`${t('action_days.detail.in_country', { country: ctx.tr.country(page.country) })} · ` : null}
    ${t('action_days.list.local_actions', { count: d.localActionTotal })}
    ${d.localActions.length && d.localActions.length < d.localActionTotal ? html` · ${t('action_days.detail.showing', { from: ctx.tr.number(from), to: ctx.tr.number(to) })}` : null}
    ${page.country ? html` · <a href=${`/action-days/${d.slug}#local-actions`}>${t('action_days.detail.all_countries')}</a>` : null}
  </p>`;
}

/** Previous/next links through the local actions, keeping the country filter. */
function localActionsPager(ctx: PageContext, d: ActionDayDetail, page: { country?: string; offset?: number; limit?: number }) {
  const { t } = ctx.tr;
  const offset = page.offset ?? 0;
  const limit = page.limit ?? d.localActions.length;
  const href = (from: number) => {
    const q = new URLSearchParams();
    if (page.country) q.set('country', page.country);
    if (from > 0) q.set('from', String(from));
    const qs = q.toString();
    return `/action-days/${d.slug}${qs ? `?${qs}` : ''}#local-actions`;
  };
  const prev = offset > 0 ? Math.max(0, offset - limit) : null;
  const next = offset + d.localActions.length < d.localActionTotal ? offset + limit : null;
  if (prev === null && next === null) return null;
  return html`<nav class="pager" aria-label=${t('pager.label')}>
    ${prev !== null ? html`<a rel="prev" href=${href(prev)}>${t('action_days.detail.previous')}</a>` : null}
    ${next !== null ? html` <a rel="next" href=${href(next)}>${t('pager.next')}</a>` : null}
  </nav>`;
}

const ACTION_DAY_LABELS: Record<string, string> = {
  title: 'action_days.fields.title',
  callText: 'action_days.fields.call_text',
  lang: 'fields.text_language',
  startDate: 'action_days.fields.start_date',
  endDate: 'action_days.fields.end_date',
  organization: 'action_days.fields.organization',
  network: 'action_days.fields.network',
  struggle: 'action_days.fields.struggle',
  visibility: 'fields.visibility',
  slug: 'fields.slug',
};

/** Create/edit form of an action day; re-rendered with field errors and HTTP 422. */
export function actionDayFormView(
  ctx: PageContext,
  o: { action: string; values: FormValues; errors: ErrorMap; editing: boolean; organizations: { slug: string; name: string }[] },
) {
  const { t } = ctx.tr;
  const v = o.values;
  const e = o.errors;
  const callers: [string, string][] = o.organizations.map((x) => [x.slug, x.name]);
  if (v.organization && !callers.some(([s]) => s === v.organization)) callers.push([v.organization, v.organization]);
  return html`<h1>${t(o.editing ? 'action_days.form.edit_title' : 'action_days.form.new_title')}</h1>
    ${errorSummary(ctx, e, ACTION_DAY_LABELS)}
    <form method="post" action=${o.action} novalidate>
      ${csrfField(ctx)}
      ${field(ctx, e, { name: 'title', label: 'action_days.fields.title', value: v.title, required: true })}
      ${field(ctx, e, { name: 'callText', label: 'action_days.fields.call_text', value: v.callText, required: true, multiline: true })}
      ${field(ctx, e, { name: 'lang', label: 'fields.text_language', value: v.lang, hint: 'fields.text_language_hint' })}
      ${field(ctx, e, { name: 'startDate', label: 'action_days.fields.start_date', type: 'date', value: v.startDate, required: true })}
      ${field(ctx, e, { name: 'endDate', label: 'action_days.fields.end_date', type: 'date', value: v.endDate, hint: 'action_days.fields.end_date_hint' })}
      ${field(ctx, e, { name: 'organization', label: 'action_days.fields.organization', value: v.organization, required: true, options: callers, empty: 'forms.choose', hint: 'action_days.fields.organization_hint' })}
      ${field(ctx, e, { name: 'network', label: 'action_days.fields.network', value: v.network, hint: 'action_days.fields.network_hint' })}
      ${field(ctx, e, { name: 'struggle', label: 'action_days.fields.struggle', value: v.struggle, hint: 'action_days.fields.struggle_hint' })}
      ${field(ctx, e, { name: 'visibility', label: 'fields.visibility', value: v.visibility ?? 'public', options: vocabularyOptions(ctx, 'visibility', VISIBILITIES) })}
      ${o.editing ? field(ctx, e, { name: 'slug', label: 'fields.slug', value: v.slug, hint: 'fields.slug_hint' }) : null}
      <button type="submit">${t('actions.save')}</button>
    </form>`;
}
