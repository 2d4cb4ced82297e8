import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { field, errorSummary, type ErrorMap } from '../../web/forms.ts';
import { doneNotice, dotted } from '../../web/components.ts';
import type { EndorsementStatus } from '../../db/schema.ts';
import type { EndorsementRow } from './endorsements.service.ts';
import { campaignHeading, campaignNav } from './campaign-nav.views.ts';
import { CAMPAIGN_NOTICES } from './campaigns.views.ts';

/** Confirmations on the coordinators' endorsements page (`?done=…`). */
export const ENDORSEMENT_NOTICES: Record<string, string> = {
  confirmed: 'campaigns.endorsements.notices.confirmed',
  rejected: 'campaigns.endorsements.notices.rejected',
};

const LABELS: Record<string, string> = {
  organization: 'campaigns.endorsements.fields.organization',
  statement: 'campaigns.endorsements.fields.statement',
  statementLang: 'campaigns.endorsements.fields.statement_lang',
};

function statusLabel(ctx: PageContext, status: EndorsementStatus): VNode {
  return html`<span class=${`status endorsement-${status}`}>${ctx.tr.t(`campaigns.endorsements.statuses.${status}`)}</span>`;
}

function statement(e: EndorsementRow): VNode | null {
  return e.statement ? html`<blockquote lang=${e.statementLang ?? undefined} dir="auto" class="prose">${e.statement}</blockquote>` : null;
}

/**
 * The endorse page: what the reader's organizations have sent (status, withdraw button), and the
 * form to endorse for another organization the reader leads (`organizations`); when the campaign
 * is not open, a notice instead of the form. Re-rendered with errors and HTTP 422.
 */
export function endorseView(
  ctx: PageContext,
  o: {
    slug: string;
    title: { title: string; lang: string };
    open: boolean;
    own: EndorsementRow[];
    organizations: { slug: string; name: string; visibility: string }[];
    values: Record<string, string | undefined>;
    errors: ErrorMap;
  },
): VNode {
  const { t } = ctx.tr;
  const e = o.errors;
  return html`${campaignHeading(ctx, 'campaigns.endorsements.endorse_title', o.title)}
    <p><a href=${`/campaigns/${o.slug}`}>${t('campaigns.nav.back')}</a></p>
    ${doneNotice(ctx, CAMPAIGN_NOTICES)}
    <p>${t('campaigns.endorsements.endorse_intro')}</p>
    ${errorSummary(ctx, e, LABELS)}
    ${o.own.length
      ? html`<section id="own" aria-labelledby="own-title">
          <h2 id="own-title">${t('campaigns.endorsements.own_title')}</h2>
          <ul class="cards">
            ${o.own.map(
              (x) => html`<li>
                <a href=${`/organizations/${x.organization.slug}`}><${U}>${x.organization.name}<//></a>
                <span class="meta">${dotted([statusLabel(ctx, x.status), html`<time datetime=${x.endorsedAt}>${ctx.tr.instant(x.endorsedAt, ctx.viewer?.timeZone)}</time>`])}</span>
                ${statement(x)}
                <form method="post" action=${`/campaigns/${o.slug}/endorsements/${x.id}/withdraw`} class="inline">
                  ${csrfField(ctx)}
                  <button type="submit" class="danger">${t('campaigns.endorsements.withdraw')}<span class="visually-hidden"> (${x.organization.name})</span></button>
                </form>
              </li>`,
            )}
          </ul>
        </section>`
      : null}
    ${!o.open
      ? html`<p class="notice">${t('campaigns.endorsements.not_open')}</p>`
      : o.organizations.length
        ? html`<section id="endorse" aria-labelledby="endorse-title">
            <h2 id="endorse-title">${t('campaigns.endorsements.form_title')}</h2>
            <form method="post" action=${`/campaigns/${o.slug}/endorse`} novalidate>
              ${csrfField(ctx)}
              ${field(ctx, e, {
                name: 'organization',
                label: 'campaigns.endorsements.fields.organization',
                value: o.values.organization,
                required: true,
                options: o.organizations.map((x): [string, string] => [x.slug, x.visibility === 'public' ? x.name : `${x.name} (${t(`visibility.${x.visibility}`)})`]),
                empty: 'forms.choose',
                hint: 'campaigns.endorsements.fields.organization_hint',
              })}
              ${field(ctx, e, { name: 'statement', label: 'campaigns.endorsements.fields.statement', value: o.values.statement, multiline: true, hint: 'campaigns.endorsements.fields.statement_hint' })}
              ${field(ctx, e, { name: 'statementLang', label: 'campaigns.endorsements.fields.statement_lang', value: o.values.statementLang, hint: 'fields.text_language_hint' })}
              <button type="submit">${t('campaigns.endorsements.submit')}</button>
            </form>
          </section>`
        : html`<p>${t('campaigns.endorsements.nothing_to_endorse')}</p>`}`;
}

/**
 * The coordinators' endorsements page: waiting endorsements with confirm and refuse buttons,
 * then the confirmed and the refused ones.
 */
export function endorsementsAdminView(ctx: PageContext, o: { slug: string; title: { title: string; lang: string }; rows: EndorsementRow[]; error?: string | null }): VNode {
  const { t } = ctx.tr;
  const groups: [EndorsementStatus, EndorsementRow[]][] = (['pending', 'confirmed', 'rejected'] as const).map((s) => [s, o.rows.filter((r) => r.status === s)]);
  const pending = groups[0]![1].length;
  return html`${campaignHeading(ctx, 'campaigns.endorsements.admin_title', o.title)}
    ${campaignNav(ctx, o.slug, { current: 'endorsements', pending })}
    ${doneNotice(ctx, ENDORSEMENT_NOTICES)}
    ${o.error ? html`<p class="notice" role="alert">${t(o.error)}</p>` : null}
    <p>${t('campaigns.endorsements.admin_intro')}</p>
    ${groups.map(
      ([status, rows]) => html`<section id=${`endorsements-${status}`} aria-labelledby=${`endorsements-${status}-title`}>
        <h2 id=${`endorsements-${status}-title`}>${t(`campaigns.endorsements.groups.${status}`, { count: rows.length })}</h2>
        ${rows.length
          ? html`<ul class="cards">
              ${rows.map(
                (r) => html`<li>
                  <strong><${U}>${r.organization.name}<//></strong><br /><span class="meta">${dotted([ctx.tr.country(r.organization.country), html`<time datetime=${r.endorsedAt}>${ctx.tr.instant(r.endorsedAt, ctx.viewer?.timeZone)}</time>`])}</span>
                  ${statement(r)}
                  ${status === 'pending'
                    ? html`<form method="post" action=${`/campaigns/${o.slug}/endorsements/${r.id}/confirm`} class="inline">
                          ${csrfField(ctx)}<button type="submit">${t('campaigns.endorsements.confirm')}<span class="visually-hidden"> (${r.organization.name})</span></button>
                        </form>
                        <form method="post" action=${`/campaigns/${o.slug}/endorsements/${r.id}/reject`} class="inline">
                          ${csrfField(ctx)}<button type="submit" class="danger">${t('campaigns.endorsements.reject')}<span class="visually-hidden"> (${r.organization.name})</span></button>
                        </form>`
                    : null}
                </li>`,
              )}
            </ul>`
          : html`<p>${t('campaigns.endorsements.group_empty')}</p>`}
      </section>`,
    )}`;
}
