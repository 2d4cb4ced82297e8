import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { countryOptions, doneNotice, dotted } from '../../web/components.ts';
import { countryCodes } from '../../lib/countries.ts';
import type { FollowTarget } from '../../db/schema.ts';
import type { FollowListing, FollowOption } from './follows.service.ts';
import type { Notification } from './notifications.repo.ts';
import { notificationSentence } from './notifications.messages.ts';

/** What a follow control needs: the followed record and the organizations the reader may follow it for. */
export interface FollowControl {
  kind: FollowTarget;
  /** Slug of the struggle, call or network; the country code for a country. */
  target: string;
  /** From `followOptions`; empty: nothing is shown. */
  options: FollowOption[];
  /** Where the forms return to (a local path, the page the control is on). */
  next: string;
}

/** Confirmations after following or unfollowing from a follow control (`?done=…`, see `withNotice`). */
export const FOLLOW_NOTICES: Record<string, string> = {
  followed: 'follows.following.done.followed',
  unfollowed: 'follows.following.done.unfollowed',
};

/**
 * The follow control of a struggle, call, network or country (`id="follow"`, where its forms
 * return to): one small form per organization the reader may follow for — "Follow for <org>", or
 * "<org> follows this" with an unfollow button; for a country, both name it ("For <org>:
 * [Follow Congo - Kinshasa]", "<org> follows Congo - Kinshasa [Unfollow]"), since the page (a
 * filtered list) is not the country's own — the organization beside the button, not in it, so
 * the label stays on one line at 320 CSS px; screen readers hear "Follow Congo - Kinshasa (for
 * <org>)". After a
 * follow or unfollow (`?done=`) a polite confirmation. Nothing for anonymous readers or readers
 * without a publishing role (no options).
 */
export function followControl(ctx: PageContext, f: FollowControl | null | undefined): VNode | null {
  if (!f || !f.options.length) return null;
  const { t } = ctx.tr;
  const name = (o: FollowOption) => html`<${U}>${o.name}<//>`;
  const country = f.kind === 'country' ? ctx.tr.country(f.target) : null;
  return html`<div class="follow" id="follow" lang=${ctx.tr.locale}>
    ${doneNotice(ctx, FOLLOW_NOTICES)}
    ${f.options.map((o) =>
      o.followId
        ? html`<form method="post" action=${`/organizations/${o.slug}/following/${o.followId}/unfollow`} class="inline unfollow">
            ${csrfField(ctx)}
            <input type="hidden" name="next" value=${f.next} />
            <span>${country
              ? ctx.tr.tRich('follows.control.following_country', { organization: name(o), country })
              : ctx.tr.tRich('follows.control.following', { organization: name(o) })}</span>
            <button type="submit" class="secondary">${t('follows.control.unfollow')}<span class="visually-hidden"> ${ctx.tr.tRich('follows.control.unfollow_for', { organization: name(o) })}</span></button>
          </form>`
        : html`<form method="post" action=${`/organizations/${o.slug}/following`} class="inline">
            ${csrfField(ctx)}
            <input type="hidden" name="kind" value=${f.kind} />
            <input type="hidden" name="target" value=${f.target} />
            <input type="hidden" name="next" value=${f.next} />
            ${country
              ? html`<span>${ctx.tr.tRich('follows.control.for_organization', { organization: name(o) })}</span>
                  <button type="submit">${t('follows.control.follow_country', { country })}<span class="visually-hidden"> ${ctx.tr.tRich('follows.control.unfollow_for', { organization: name(o) })}</span></button>`
              : html`<button type="submit">${ctx.tr.tRich('follows.control.follow_for', { organization: name(o) })}</button>`}
          </form>`,
    )}
  </div>`;
}

/** Where a followed record's page is, or null for one the reader can no longer see. */
function targetHref(kind: FollowTarget, slug: string | null): string | null {
  if (!slug) return null;
  switch (kind) {
    case 'struggle':
      return `/struggles/${slug}`;
    case 'call':
      return `/calls/${slug}`;
    case 'network':
      return `/networks/${slug}`;
    case 'country':
      return `/struggles?country=${encodeURIComponent(slug)}`;
  }
}

/** The followed record as a link: its title or name, or the country's name in the UI language. */
function targetLink(ctx: PageContext, kind: FollowTarget, slug: string | null, label: string | null): VNode | string {
  const href = targetHref(kind, slug);
  if (!href) return ctx.tr.t('follows.following.hidden_target');
  return kind === 'country' ? html`<a href=${href}>${ctx.tr.country(slug!)}</a>` : html`<a href=${href}><${U}>${label ?? slug}<//></a>`;
}

/** The following page of an organization. */
export interface FollowingPage {
  org: { slug: string; name: string };
  follows: FollowListing[];
  /** The reader may follow and unfollow for the organization (not the read-only `viewer` role). */
  canFollow: boolean;
  /** A failed follow (HTTP 422): the submitted fields and their errors. */
  values: Record<string, string | undefined>;
  errors: ErrorMap;
  /** Catalog id of a confirmation to show. */
  notice?: string;
}

const FOLLOW_LABELS: Record<string, string> = { target: 'follows.following.country', kind: 'follows.following.country' };

/**
 * What an organization follows (newest first), each with a link to it, since when, and an
 * unfollow button; and the form to follow a country. Re-rendered with field errors on HTTP 422.
 */
export function followingView(ctx: PageContext, p: FollowingPage) {
  const { t } = ctx.tr;
  const org = html`<${U}>${p.org.name}<//>`;
  const zone = ctx.viewer?.timeZone ?? 'UTC';
  const item = (f: FollowListing) => html`<li>
    ${targetLink(ctx, f.kind, f.slug, f.label)}
    <span class="meta">${dotted([t(`follows.kinds.${f.kind}`), t('follows.following.since', { time: ctx.tr.instant(f.createdAt, zone) })])}</span>
    ${p.canFollow
      ? html`<form method="post" action=${`/organizations/${p.org.slug}/following/${f.id}/unfollow`} class="inline unfollow">
          ${csrfField(ctx)}
          <button type="submit" class="secondary">${t('follows.control.unfollow')}<span class="visually-hidden"> ${t('follows.following.unfollow_hidden', {
            target: f.kind === 'country' ? ctx.tr.country(f.targetId) : (f.label ?? t('follows.following.hidden_target')),
          })}</span></button>
        </form>`
      : null}
  </li>`;
  return html`<h1>${ctx.tr.tRich('follows.following.title', { organization: org })}</h1>
    <p><a href=${`/organizations/${p.org.slug}`}>${ctx.tr.tRich('follows.following.back', { organization: org })}</a></p>
    ${p.notice ? html`<p class="flash" role="status">${t(p.notice)}</p>` : null}
    <p>${t('follows.following.intro')} <a href="/notifications">${t('follows.following.notifications_link')}</a></p>
    ${p.follows.length ? html`<ul class="cards" id="follows">${p.follows.map(item)}</ul>` : html`<p>${t('follows.following.none')}</p>`}
    ${p.canFollow
      ? html`<section id="follow-country">
          <h2>${t('follows.following.country_title')}</h2>
          ${errorSummary(ctx, p.errors, FOLLOW_LABELS)}
          <form method="post" action=${`/organizations/${p.org.slug}/following#follow-country`} class="narrow" novalidate>
            ${csrfField(ctx)}
            <input type="hidden" name="kind" value="country" />
            ${field(ctx, p.errors, {
              name: 'target',
              label: 'follows.following.country',
              required: true,
              value: p.values.kind === 'country' ? p.values.target : undefined,
              options: countryOptions(ctx, countryCodes()),
              empty: 'forms.choose',
              hint: 'follows.following.country_hint',
            })}
            <button type="submit">${t('follows.following.country_submit')}</button>
          </form>
        </section>`
      : null}`;
}

/** One notification as shown: with whether it is new and what brought it. */
export interface NotificationItem {
  n: Notification;
  /** Recorded after the account's read mark. */
  unread: boolean;
  /** The following organization (one of the reader's), and what it follows as the reader sees it. */
  because: { organization: { slug: string; name: string } | null; slug: string | null; label: string | null };
}

/** The notifications page. */
export interface NotificationsPage {
  items: NotificationItem[];
  /** The account's read mark (ISO 8601 UTC) or null. */
  readAt: string | null;
  /** Cursor of the next (older) page, or null on the last page. */
  nextCursor: string | null;
  /** The reader's organizations, linking to what each follows. */
  organizations: { slug: string; name: string }[];
  /** When the page was made (ISO 8601 UTC): "mark all as read" marks up to here. */
  until: string;
}

const SUBJECT_PATH: Record<Notification['subject']['type'], string> = { struggle: '/struggles/', call: '/calls/', action_day: '/action-days/' };

/**
 * The sentence of a notification (see `notificationSentence`, shared with the Atom feed): the
 * subject and the actor as links, other user-written text isolated (`<bdi>`), dates as `<time>`.
 */
function sentence(ctx: PageContext, n: Notification): (string | VNode)[] {
  const { id, values } = notificationSentence<VNode>(ctx.tr, n, {
    subject: (x) => html`<a href=${`${SUBJECT_PATH[x.subject.type]}${x.subject.slug}`}><${U}>${x.subject.title}<//></a>`,
    actor: (a) => html`<a href=${`/organizations/${a.slug}`}><${U}>${a.name}<//></a>`,
    user: (text) => html`<${U}>${text}<//>`,
    date: (iso, text) => html`<time datetime=${iso}>${text}</time>`,
  });
  return ctx.tr.tRich(id, values);
}

/** An update's text, shortened for the list (the struggle page has it whole). */
function excerpt(text: string, max = 280): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
}

/**
 * The reader's notifications, newest first: a sentence per event with links, the time in the
 * reader's time zone, what brought it, and "New" (as text) on those after the read mark; a
 * "mark all as read" form, an "older" link, and an empty state that says how to follow things.
 */
export function notificationsView(ctx: PageContext, p: NotificationsPage) {
  const { t } = ctx.tr;
  const zone = ctx.viewer?.timeZone ?? 'UTC';
  const hasUnread = p.items.some((i) => i.unread) || (ctx.unreadNotifications ?? 0) > 0;
  const because = (i: NotificationItem) => {
    const r = i.n.reason;
    const org = i.because.organization ? html`<a href=${`/organizations/${i.because.organization.slug}/following`}><${U}>${i.because.organization.name}<//></a>` : '';
    const target = r.kind === 'country' ? ctx.tr.country(r.targetId) : targetHref(r.kind, i.because.slug) ? targetLink(ctx, r.kind, i.because.slug, i.because.label) : t('follows.notifications.hidden_target');
    return ctx.tr.tRich('follows.notifications.because', { organization: org, target });
  };
  const item = (i: NotificationItem) => html`<li class=${i.unread ? 'unread' : undefined}>
    <p>${i.unread ? html`<strong class="new">${t('follows.notifications.new')}</strong>${': '}` : null}${sentence(ctx, i.n)}</p>
    ${i.n.kind === 'struggle_update' && i.n.detail ? html`<p class="prose" dir="auto">${excerpt(i.n.detail)}</p>` : null}
    <p class="meta">${dotted([html`<time datetime=${i.n.at}>${ctx.tr.instant(i.n.at, zone)}</time>`, because(i)])}</p>
  </li>`;
  return html`<h1>${t('follows.notifications.title')}</h1>
    <p>${t('follows.notifications.intro')}</p>
    ${p.readAt ? html`<p class="meta">${t('follows.notifications.read_at', { time: ctx.tr.instant(p.readAt, zone) })}</p>` : null}
    ${hasUnread
      ? html`<form method="post" action="/notifications/read" class="inline">
          ${csrfField(ctx)}
          <input type="hidden" name="until" value=${p.until} />
          <button type="submit">${t('follows.notifications.mark_read')}</button>
        </form>`
      : null}
    ${p.items.length
      ? html`<ol class="cards" id="notifications">${p.items.map(item)}</ol>`
      : html`<p><strong>${t('follows.notifications.empty')}</strong></p>
          <p>${t('follows.notifications.empty_how')}</p>
          ${p.organizations.length ? null : html`<p>${t('follows.notifications.no_organization')}</p>`}`}
    ${p.nextCursor
      ? html`<nav class="pager" aria-label=${t('pager.label')}><a rel="next" href=${`/notifications?before=${encodeURIComponent(p.nextCursor)}`}>${t('follows.notifications.older')}</a></nav>`
      : null}
    ${p.organizations.length
      ? html`<p class="meta">${t('follows.notifications.your_organizations')} ${p.organizations.flatMap((o, n) => [
          n ? ' · ' : '',
          html`<a href=${`/organizations/${o.slug}/following`}><${U}>${o.name}<//></a>`,
        ])}</p>`
      : null}`;
}
