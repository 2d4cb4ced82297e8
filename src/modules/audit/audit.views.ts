import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import type { Translator } from '../../i18n/i18n.ts';
import { MissingMessage } from '../../i18n/i18n.ts';
import { U } from '../../web/layout.ts';
import type { AuditEntry } from './audit.repo.ts';

/** The message `id`, or `fallback` when no catalog defines it (actions added later still show). */
function tOr(tr: Translator, id: string, fallback: string): string {
  try {
    return tr.t(id);
  } catch (err) {
    if (err instanceof MissingMessage) return fallback;
    throw err;
  }
}

/** The translated label of an action (`organization.updated` → "Organization updated"), or the raw action name. */
export function actionLabel(tr: Translator, action: string): string {
  return tOr(tr, `audit.actions.${action}`, action);
}

/** Who acted: the isolated name, "former member" for an erased account, "system" for none. */
export function actorNode(tr: Translator, actor: AuditEntry['actor']): VNode | string {
  if (!actor) return tr.t('audit.actor.system');
  if (actor.erased || !actor.displayName) return tr.t('account.former_member');
  return html`<${U}>${actor.displayName}<//>`;
}

const SUBJECT_PATHS: Record<string, string> = { organization: '/organizations/', network: '/networks/', struggle: '/struggles/' };

function subjectNode(tr: Translator, e: AuditEntry): VNode {
  const type = tOr(tr, `audit.subjects.${e.subjectType}`, e.subjectType);
  let name: VNode | string | null = null;
  if (e.subjectErased) name = tr.t('account.former_member');
  else if (e.subjectName !== null) {
    const path = SUBJECT_PATHS[e.subjectType];
    name = path && e.subjectSlug ? html`<a href=${path + e.subjectSlug}><${U}>${e.subjectName}<//></a>` : html`<${U}>${e.subjectName}<//>`;
  } else if (e.subjectId) name = html`<code>${e.subjectId.slice(0, 13)}…</code>`;
  return html`<span>${type}${name ? ': ' : null}${name}</span>`;
}

function detailValue(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
  if (v === null || v === undefined) return '–';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function detailsNode(tr: Translator, details: Record<string, unknown>): VNode | null {
  const entries = Object.entries(details);
  if (!entries.length) return null;
  return html`<ul class="details">
    ${entries.map(([k, v]) => html`<li>${tOr(tr, `audit.details.${k}`, k)}: <code><${U}>${detailValue(v)}<//></code></li>`)}
  </ul>`;
}

/**
 * An organization's audit log: newest first, one row per event with time (in the viewer's time
 * zone), actor, session reference, action, subject and details, and a link to older events.
 */
export function auditLogView(
  ctx: PageContext,
  o: { organization: { slug: string; name: string }; entries: AuditEntry[]; next: string | null },
): VNode {
  const { t } = ctx.tr;
  const tz = ctx.viewer?.timeZone;
  return html`<h1>${ctx.tr.tRich('audit.page.title', { organization: html`<${U}>${o.organization.name}<//>` })}</h1>
    <p class="meta">
      <a href=${`/organizations/${o.organization.slug}`}>${t('audit.page.back')}</a>
      ${' · '}${t('audit.page.time_zone', { zone: tz ?? 'UTC' })}
    </p>
    ${o.entries.length
      ? html`<table>
          <caption>${t('audit.page.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('audit.columns.time')}</th>
              <th scope="col">${t('audit.columns.actor')}</th>
              <th scope="col">${t('audit.columns.session')}</th>
              <th scope="col">${t('audit.columns.action')}</th>
              <th scope="col">${t('audit.columns.subject')}</th>
              <th scope="col">${t('audit.columns.details')}</th>
            </tr>
          </thead>
          <tbody>
            ${o.entries.map(
              (e) => html`<tr>
                <td><time datetime=${e.at}>${ctx.tr.instant(e.at, tz)}</time></td>
                <td>${actorNode(ctx.tr, e.actor)}</td>
                <td>${e.sessionRef ? html`<code>${e.sessionRef}</code>` : '–'}</td>
                <td>${actionLabel(ctx.tr, e.action)}</td>
                <td>${subjectNode(ctx.tr, e)}</td>
                <td>${detailsNode(ctx.tr, e.details)}</td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : html`<p>${t('audit.page.empty')}</p>`}
    ${o.next
      ? html`<nav class="pager" aria-label=${t('pager.label')}>
          <a rel="next" href=${`/organizations/${o.organization.slug}/audit?before=${encodeURIComponent(o.next)}`}>${t('audit.page.older')}</a>
        </nav>`
      : null}`;
}
