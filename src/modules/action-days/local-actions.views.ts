import { html } from 'htm/preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { errorSummary, type ErrorMap } from '../../web/forms.ts';
import { dlRow } from '../../web/components.ts';
import type { ActionDayRow, LocalActionView } from './action-days.repo.ts';
import { LOCAL_ACTION_LABELS, localActionFields, localActionItem, type FormValues } from './action-days.views.ts';

// Pages to change and to withdraw one registered local action (split from action-days.views.ts,
// which holds the action day pages and the registration form these reuse).

/** Where a local action's pages live: `/action-days/:slug/local-actions/:id`. */
export function localActionPath(daySlug: string, id: string): string {
  return `/action-days/${daySlug}/local-actions/${id}`;
}

/**
 * The change form's values for a stored local action, as the organizers entered them: wall-clock
 * times (`YYYY-MM-DDTHH:MM`) with their IANA zone for timed actions, the dates (date-only) for
 * all-day ones — never the UTC instants.
 */
export function localActionFormValues(a: LocalActionView): FormValues {
  const allDay = !!a.all_day;
  return {
    title: a.title,
    kind: a.kind,
    city: a.city,
    country: a.country,
    venue: a.venue ?? '',
    allDay: allDay ? '1' : '',
    startDate: allDay ? a.start_date : '',
    endDate: allDay ? a.end_date : '',
    startLocal: allDay ? '' : (a.start_local ?? ''),
    endLocal: allDay ? '' : (a.end_local ?? ''),
    ...(a.time_zone ? { timeZone: a.time_zone } : {}),
    expectedParticipants: a.expected_participants === null ? '' : String(a.expected_participants),
    contact: a.contact ?? '',
    visibility: a.visibility,
  };
}

function backLink(ctx: PageContext, day: ActionDayRow, anchor: string) {
  return html`<p class="meta"><a href=${`/action-days/${day.slug}#${anchor}`}>${ctx.tr.tRich('action_days.local.back', { title: html`<${U}>${day.title}<//>` })}</a></p>`;
}

/**
 * The form to change a local action, prefilled with its values (see {@link localActionFormValues})
 * or, after a refused submission (HTTP 422), with what was sent and the translated field errors.
 * The organization is shown, not offered: it cannot be changed.
 */
export function localActionEditView(ctx: PageContext, o: { day: ActionDayRow; action: LocalActionView; values: FormValues; errors: ErrorMap }) {
  const { t } = ctx.tr;
  const path = localActionPath(o.day.slug, o.action.id);
  return html`<h1>${t('action_days.local.edit_title')}</h1>
    ${backLink(ctx, o.day, `local-action-${o.action.id}`)}
    ${errorSummary(ctx, o.errors, LOCAL_ACTION_LABELS)}
    <form method="post" action=${`${path}/edit`} class="narrow" novalidate>
      ${csrfField(ctx)}
      <div class="field fixed">
        <dl>${dlRow(t('action_days.fields.participating_organization'), o.action.organization ? html`<${U}>${o.action.organization.name}<//>` : null)}</dl>
        <p class="hint">${t('action_days.local.organization_fixed')}</p>
      </div>
      ${localActionFields(ctx, o.values, o.errors, { firstDate: o.day.start_date })}
      <button type="submit">${t('action_days.local.save')}</button>
    </form>
    <p><a href=${`${path}/remove`}>${t('action_days.local.withdraw_long')}</a></p>`;
}

/**
 * The confirmation step before a local action is withdrawn: what will go, where it will
 * disappear, and a POST form (no script needed) with a button that says what it does.
 */
export function localActionRemoveView(ctx: PageContext, o: { day: ActionDayRow; action: LocalActionView }) {
  const { t } = ctx.tr;
  return html`<h1>${t('action_days.local.remove_title')}</h1>
    ${backLink(ctx, o.day, `local-action-${o.action.id}`)}
    <ul class="local-actions">${localActionItem(ctx, o.action)}</ul>
    <p>${t('action_days.local.remove_explain')}</p>
    <form method="post" action=${`${localActionPath(o.day.slug, o.action.id)}/remove`} class="inline">
      ${csrfField(ctx)}
      <button type="submit" class="danger">${t('action_days.local.withdraw_long')}</button>
      <a href=${`/action-days/${o.day.slug}#local-action-${o.action.id}`}>${t('action_days.local.cancel')}</a>
    </form>`;
}
