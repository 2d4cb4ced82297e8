import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField } from '../../web/layout.ts';
import { errorMap, errorSummary, field, type ErrorMap } from '../../web/forms.ts';
import { countryOptions } from '../../web/components.ts';
import { countryCodes } from '../../lib/countries.ts';
import { CONSENT_MESSAGE_IDS, PENDING_DAYS } from './supporters.store.ts';
import { HONEYPOT_FIELD } from './signatures.schemas.ts';

/**
 * Pages of the signing path: the signing form (standalone page, and embedded on the campaign
 * page through {@link signForm}), the thanks page, and the confirmation and withdrawal pages that
 * the links of the mails open (a GET shows a button; only the POST changes anything, because mail
 * scanners fetch links). User text (titles, appeals) is isolated with `dir="auto"`/`<bdi>` and
 * carries its language tag.
 */

/** The campaign text a page shows, in the reader's language where one exists. */
export interface CampaignTextView {
  title: string;
  appeal?: string;
  /** BCP 47 tag of the text. */
  lang: string;
}

const LABELS: Record<string, string> = {
  name: 'campaigns.signing.fields.name',
  email: 'campaigns.signing.fields.email',
  country: 'campaigns.signing.fields.country',
  city: 'campaigns.signing.fields.city',
  affiliation: 'campaigns.signing.fields.affiliation',
  lang: 'campaigns.signing.fields.lang',
};

const checked = (v: string | undefined) => v === '1' || v === 'on' || v === 'true';

/**
 * The signing form of campaign `slug` (posts to `/campaigns/<slug>/sign`), with the values and
 * field errors of a previous attempt. Embedded on the campaign's public page. Field ids start with
 * `sign-`; the honeypot field is hidden by the `hp-field` class of style.css (no inline style).
 */
export function signForm(ctx: PageContext, slug: string, o: { values?: Record<string, string>; errors?: ErrorMap } = {}): VNode | null {
  const { t } = ctx.tr;
  const v = o.values ?? {};
  const e = o.errors ?? errorMap();
  const p = 'sign';
  return html`<form method="post" action=${`/campaigns/${encodeURIComponent(slug)}/sign`} class="narrow sign-form" novalidate>
    ${csrfField(ctx)}
    <input type="hidden" name="lang" value=${v.lang || ctx.tr.locale} />
    ${errorSummary(ctx, e, LABELS, p)}
    ${field(ctx, e, { name: 'name', label: LABELS.name!, value: v.name, required: true, autocomplete: 'name', hint: 'campaigns.signing.fields.name_hint', idPrefix: p })}
    ${field(ctx, e, { name: 'email', label: LABELS.email!, value: v.email, type: 'email', required: true, autocomplete: 'email', hint: 'campaigns.signing.fields.email_hint', idPrefix: p })}
    ${field(ctx, e, { name: 'country', label: LABELS.country!, value: v.country, required: true, options: countryOptions(ctx, countryCodes()), empty: 'campaigns.signing.fields.country_choose', autocomplete: 'country', idPrefix: p })}
    ${field(ctx, e, { name: 'city', label: LABELS.city!, value: v.city, autocomplete: 'address-level2', idPrefix: p })}
    ${field(ctx, e, { name: 'affiliation', label: LABELS.affiliation!, value: v.affiliation, autocomplete: 'organization', hint: 'campaigns.signing.fields.affiliation_hint', idPrefix: p })}
    <div class="field">
      <label class="check"><input type="checkbox" name="listPublicly" value="1" checked=${checked(v.listPublicly)} /> ${t(CONSENT_MESSAGE_IDS.list)}</label>
    </div>
    <div class="field">
      <label class="check"><input type="checkbox" name="contactOk" value="1" checked=${checked(v.contactOk)} /> ${t(CONSENT_MESSAGE_IDS.contact)}</label>
    </div>
    <div class="hp-field" aria-hidden="true">
      <label for=${`${p}-${HONEYPOT_FIELD}`}>${t('campaigns.signing.fields.honeypot')}</label>
      <input id=${`${p}-${HONEYPOT_FIELD}`} type="text" name=${HONEYPOT_FIELD} value="" tabindex="-1" autocomplete="off" />
    </div>
    <p class="hint">${t('campaigns.signing.form.privacy', { days: PENDING_DAYS })}</p>
    <button type="submit">${t('campaigns.signing.form.submit')}</button>
  </form>`;
}

/** The appeal as paragraphs (blank lines separate them), in its language, direction from its text. */
function appealText(text: CampaignTextView): VNode | null {
  if (!text.appeal) return null;
  return html`<div class="prose" lang=${text.lang} dir="auto">${text.appeal.split(/\n\s*\n/).map((para) => html`<p>${para}</p>`)}</div>`;
}

function heading(ctx: PageContext, id: string, text: CampaignTextView | null): VNode {
  return html`<h1>${text ? ctx.tr.tRich(id, { title: html`<bdi lang=${text.lang}>${text.title}</bdi>` }) : ctx.tr.t(`${id}_untitled`)}</h1>`;
}

/** Why a campaign cannot be signed now, or null when it is open. */
function notOpenNotice(ctx: PageContext, status: string): VNode | null {
  if (status === 'open') return null;
  return html`<p class="notice" role="status">${ctx.tr.t(status === 'draft' ? 'campaigns.signing.errors.draft' : 'campaigns.signing.errors.closed')}</p>`;
}

/** The standalone signing page: heading, appeal, the form (or why the campaign cannot be signed). */
export function signPage(ctx: PageContext, o: { slug: string; status: string; text: CampaignTextView | null; values?: Record<string, string>; errors?: ErrorMap }): VNode {
  return html`${heading(ctx, 'campaigns.signing.page.title', o.text)}
    ${o.text ? appealText(o.text) : null}
    ${notOpenNotice(ctx, o.status) ?? html`<h2>${ctx.tr.t('campaigns.signing.page.form_title')}</h2>${signForm(ctx, o.slug, { values: o.values, errors: o.errors })}`}
    <p><a href=${`/campaigns/${encodeURIComponent(o.slug)}`}>${ctx.tr.t('campaigns.signing.page.back')}</a></p>`;
}

/** After signing (the same for every signer): check your mail, the link's validity, what if nothing comes. */
export function thanksPage(ctx: PageContext, o: { slug: string; text: CampaignTextView | null }): VNode {
  const { t } = ctx.tr;
  return html`${heading(ctx, 'campaigns.signing.thanks.title', o.text)}
    <p role="status">${t('campaigns.signing.thanks.check_mail', { days: PENDING_DAYS })}</p>
    <p>${t('campaigns.signing.thanks.no_mail')}</p>
    <p><a href=${`/campaigns/${encodeURIComponent(o.slug)}`}>${t('campaigns.signing.page.back')}</a></p>`;
}

/** State of a signature reached through a mail link. */
export type LinkState = 'pending' | 'confirmed' | 'gone' | 'not_open';

/**
 * The page a confirmation link opens: a button that confirms (POST with the token), or what
 * happened already (confirmed, gone, campaign not open).
 */
export function confirmPage(ctx: PageContext, o: { slug: string; id: string; token: string; state: LinkState; text: CampaignTextView | null }): VNode {
  const { t } = ctx.tr;
  const base = `/campaigns/${encodeURIComponent(o.slug)}/signatures/${encodeURIComponent(o.id)}`;
  let body: VNode;
  if (o.state === 'pending') {
    body = html`<p>${t('campaigns.signing.confirm.explain')}</p>
      <form method="post" action=${`${base}/confirm`}>
        ${csrfField(ctx)}
        <input type="hidden" name="token" value=${o.token} />
        <button type="submit">${t('campaigns.signing.confirm.submit')}</button>
      </form>`;
  } else if (o.state === 'confirmed') body = html`<p role="status">${t('campaigns.signing.confirm.already')}</p>`;
  else if (o.state === 'not_open') body = html`<p class="notice" role="status">${t('campaigns.signing.confirm.not_open')}</p>`;
  else body = html`<p class="notice" role="status">${t('campaigns.signing.link_gone')}</p>`;
  return html`${heading(ctx, 'campaigns.signing.confirm.title', o.text)}
    ${body}
    <p><a href=${`/campaigns/${encodeURIComponent(o.slug)}`}>${t('campaigns.signing.page.back')}</a></p>`;
}

/** The page a withdrawal link opens: a button that withdraws (POST with the token), or that nothing is left to withdraw. */
export function withdrawPage(ctx: PageContext, o: { slug: string; id: string; token: string; state: LinkState; text: CampaignTextView | null }): VNode {
  const { t } = ctx.tr;
  const base = `/campaigns/${encodeURIComponent(o.slug)}/signatures/${encodeURIComponent(o.id)}`;
  const body =
    o.state === 'gone'
      ? html`<p class="notice" role="status">${t('campaigns.signing.link_gone')}</p>`
      : html`<p>${t('campaigns.signing.withdraw.explain')}</p>
          <form method="post" action=${`${base}/withdraw`}>
            ${csrfField(ctx)}
            <input type="hidden" name="token" value=${o.token} />
            <button type="submit">${t('campaigns.signing.withdraw.submit')}</button>
          </form>`;
  return html`${heading(ctx, 'campaigns.signing.withdraw.title', o.text)}
    ${body}
    <p><a href=${`/campaigns/${encodeURIComponent(o.slug)}`}>${t('campaigns.signing.page.back')}</a></p>`;
}

/** After a confirmation or a withdrawal (no token, no personal data: safe to reload or bookmark). */
export function doneSignaturePage(ctx: PageContext, o: { slug: string; what: 'confirmed' | 'withdrawn'; text: CampaignTextView | null }): VNode {
  const { t } = ctx.tr;
  return html`${heading(ctx, `campaigns.signing.${o.what}.title`, o.text)}
    <p role="status">${t(`campaigns.signing.${o.what}.body`)}</p>
    <p><a href=${`/campaigns/${encodeURIComponent(o.slug)}`}>${t('campaigns.signing.page.back')}</a></p>`;
}
