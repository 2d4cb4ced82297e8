import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { errorSummary, field, type ErrorMap } from '../../web/forms.ts';
import type { FeedTokenSummary } from './feed-tokens.service.ts';

/** The addresses of a token just made, shown once. All absolute. */
export interface NewFeedLinks {
  label: string;
  /** `…/feeds/<token>/following.ics` */
  following: string;
  /** `…/feeds/<token>/notifications.atom` */
  notifications: string;
  /** `?token=<token>`, to add to any feed address. */
  query: string;
  /** A feed of one of the account's organizations with the token, or null when it has none. */
  example: string | null;
}

const LABELS = { label: 'feed_tokens.page.label' };

/** `<time>` with the instant in the viewer's time zone. */
function instant(ctx: PageContext, iso: string): VNode {
  return html`<time datetime=${iso}>${ctx.tr.instant(iso, ctx.viewer?.timeZone)}</time>`;
}

/** An address to copy: selectable, never translated, never wrapped at a hyphen. */
function address(url: string): VNode {
  return html`<p><code translate="no">${url}</code></p>`;
}

/**
 * `/account/feeds`: what a personal feed link is and the warning that it reads as the account;
 * after creating one, its addresses (once); the create form (label); the account's links, one
 * list item each (label; created, last used and status as a definition list that stacks on
 * narrow screens; a revoke button naming the link for screen readers) — a table would not
 * reflow at 320 CSS px (WCAG 1.4.10).
 */
export function feedTokensView(
  ctx: PageContext,
  o: { tokens: FeedTokenSummary[]; created?: NewFeedLinks; label?: string; errors?: ErrorMap; notice?: 'revoked' },
): VNode {
  const { t } = ctx.tr;
  const errors = o.errors ?? new Map();
  return html`<h1>${t('feed_tokens.page.title')}</h1>
    ${o.notice === 'revoked' ? html`<p class="flash" role="status">${t('feed_tokens.page.revoked_notice')}</p>` : null}
    <p>${t('feed_tokens.page.intro')}</p>
    <p class="notice">${t('feed_tokens.page.warning')}</p>

    ${o.created
      ? html`<section aria-labelledby="new-link-h" role="status">
          <h2 id="new-link-h">${ctx.tr.tRich('feed_tokens.new.title', { label: html`<${U}>${o.created.label}<//>` })}</h2>
          <p><strong>${t('feed_tokens.new.once')}</strong></p>
          <p>${t('feed_tokens.new.following')}</p>
          ${address(o.created.following)}
          <p>${t('feed_tokens.new.notifications')}</p>
          ${address(o.created.notifications)}
          <p>${t('feed_tokens.new.any_feed')}</p>
          ${address(o.created.query)}
          ${o.created.example ? address(o.created.example) : null}
        </section>`
      : null}

    <section aria-labelledby="create-h">
      <h2 id="create-h">${t('feed_tokens.page.create_title')}</h2>
      ${errorSummary(ctx, errors, LABELS)}
      <form method="post" action="/account/feeds" class="narrow" novalidate>
        ${csrfField(ctx)}
        ${field(ctx, errors, { name: 'label', label: LABELS.label, value: o.label ?? '', required: true, hint: 'feed_tokens.page.label_hint', autocomplete: 'off' })}
        <button type="submit">${t('feed_tokens.page.create')}</button>
      </form>
    </section>

    <section aria-labelledby="links-h">
      <h2 id="links-h">${t('feed_tokens.page.list_title')}</h2>
      ${o.tokens.length
        ? html`<ul class="cards feed-links">
            ${o.tokens.map(
              (k) => html`<li>
                <h3><${U}>${k.label}<//></h3>
                <dl>
                  <dt>${t('feed_tokens.page.created')}</dt><dd>${instant(ctx, k.createdAt)}</dd>
                  <dt>${t('feed_tokens.page.last_used')}</dt><dd>${k.lastUsedAt ? instant(ctx, k.lastUsedAt) : t('feed_tokens.page.never')}</dd>
                  <dt>${t('feed_tokens.page.status')}</dt><dd>${k.revokedAt ? ctx.tr.tRich('feed_tokens.page.revoked_at', { time: instant(ctx, k.revokedAt) }) : t('feed_tokens.page.active')}</dd>
                </dl>
                ${k.revokedAt
                  ? null
                  : html`<form method="post" action=${`/account/feeds/${encodeURIComponent(k.id)}/revoke`} class="inline">
                      ${csrfField(ctx)}
                      <button type="submit" class="secondary">${t('feed_tokens.page.revoke')}<span class="visually-hidden"> <${U}>${k.label}<//></span></button>
                    </form>`}
              </li>`,
            )}
          </ul>`
        : html`<p>${t('feed_tokens.page.none')}</p>`}
    </section>`;
}
