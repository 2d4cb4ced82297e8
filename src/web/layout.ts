import { html } from 'htm/preact';
import { render } from 'preact-render-to-string';
import type { ComponentChildren, VNode } from 'preact';
import type { PageContext } from './context.ts';
import { LOCALES } from '../i18n/i18n.ts';

/** Hidden CSRF field for a form. */
export function csrfField(ctx: PageContext): VNode {
  return html`<input type="hidden" name="_csrf" value=${ctx.csrfToken} />`;
}

/** A user-supplied value, isolated for bidirectional text (`<bdi>`, HTML Living Standard §4.5.23). */
export function U({ children }: { children?: ComponentChildren }): VNode {
  return html`<bdi>${children}</bdi>`;
}

function nav(ctx: PageContext): VNode {
  const { t } = ctx.tr;
  const items: [string, string][] = [
    ['/', 'nav.home'],
    ['/struggles', 'nav.struggles'],
    ['/calls', 'nav.calls'],
    ['/action-days', 'nav.action_days'],
    ['/pacts', 'nav.pacts'],
    ['/campaigns', 'nav.campaigns'],
    ['/organizations', 'nav.organizations'],
    ['/networks', 'nav.networks'],
  ];
  const current = (href: string) =>
    href === '/' ? ctx.path === '/' : ctx.path === href || ctx.path.startsWith(`${href}/`);
  return html`<nav aria-label=${t('nav.label')}>
    <ul>
      ${items.map(
        ([href, id]) =>
          html`<li><a href=${href} aria-current=${current(href) ? 'page' : undefined}>${t(id)}</a></li>`,
      )}
    </ul>
  </nav>`;
}

/**
 * The signed-in reader's notifications link, with the unread count when there is one (over 99
 * shown as "99+"); the accessible name says "Notifications (3 unread)", the eye reads "(3)".
 */
function notificationsLink(ctx: PageContext): VNode {
  const { t } = ctx.tr;
  const n = ctx.unreadNotifications ?? 0;
  return html`<a href="/notifications" aria-current=${ctx.path === '/notifications' ? 'page' : undefined}>${t('follows.header.link')}${n > 0
    ? html` <span class="unread-count">(${n > 99 ? '99+' : String(n)}<span class="visually-hidden"> ${t('follows.header.unread')}</span>)</span>`
    : null}</a>`;
}

function account(ctx: PageContext): VNode {
  const { t } = ctx.tr;
  if (!ctx.viewer) {
    return html`<a class="signin" href=${`/sign-in?next=${encodeURIComponent(ctx.url)}`}>${t('nav.sign_in')}</a>`;
  }
  return html`<form method="post" action="/sign-out" class="inline">
    ${csrfField(ctx)}
    ${notificationsLink(ctx)}
    <a class="who" href="/account" aria-current=${ctx.path === '/account' ? 'page' : undefined}><${U}>${ctx.viewer.displayName}<//></a>
    <a href="/account/security" aria-current=${ctx.path === '/account/security' ? 'page' : undefined}>${t('security.nav.link')}</a>
    <button type="submit" class="link">${t('nav.sign_out')}</button>
  </form>`;
}

/**
 * A signed-in admin of an organization that requires a second factor gets only the member role
 * until the session proves one (`loadViewer`). Say so, with the way out: set a second factor up,
 * or — when the account has one but this session did not use it — sign in again.
 */
function heldBackNotice(ctx: PageContext): VNode | null {
  const v = ctx.viewer;
  if (!v || v.heldBackRoles.size === 0) return null;
  const { t } = ctx.tr;
  const count = v.heldBackRoles.size;
  return html`<p class="held-back" role="status">
    ${v.hasSecondFactor
      ? html`${t('security.held_back.header_sign_in_again', { count })} <a href=${`/sign-in?next=${encodeURIComponent(ctx.url)}`}>${t('security.held_back.sign_in_link')}</a>`
      : html`${t('security.held_back.header_set_up', { count })} <a href="/account/security">${t('security.held_back.set_up_link')}</a>`}
  </p>`;
}

function languageSwitch(ctx: PageContext): VNode {
  const { t } = ctx.tr;
  return html`<form method="post" action="/locale" class="inline lang">
    ${csrfField(ctx)}
    <input type="hidden" name="next" value=${ctx.url} />
    ${LOCALES.map(
      (l) =>
        html`<button type="submit" name="locale" value=${l} lang=${l} class="link" aria-pressed=${l === ctx.tr.locale ? 'true' : 'false'}>
          ${t(`locale.${l}`)}
        </button>`,
    )}
  </form>`;
}

/**
 * A whole HTML document: `<html lang dir>`, header with navigation, account and language switch,
 * the main content, and a footer. Styles come from `/static/style.css`; no inline script or style
 * (the Content-Security-Policy forbids both).
 */
export function renderPage(ctx: PageContext, opts: { title: string; children: ComponentChildren; description?: string }): string {
  const { t } = ctx.tr;
  const doc = html`<html lang=${ctx.tr.locale} dir=${ctx.tr.dir}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>${opts.title} · ${t('app.name')}</title>
      ${opts.description ? html`<meta name="description" content=${opts.description} />` : null}
      <link rel="stylesheet" href="/static/style.css" />
      <link rel="icon" href="/static/icon.svg" type="image/svg+xml" />
    </head>
    <body>
      <a class="skip" href="#main">${t('nav.skip')}</a>
      <header class="site">
        <a class="brand" href="/">${t('app.name')}</a>
        ${nav(ctx)}
        <div class="tools">${languageSwitch(ctx)} ${account(ctx)}</div>
        ${heldBackNotice(ctx)}
      </header>
      <main id="main">
        ${ctx.flash ? html`<p class="flash" role="status">${ctx.flash}</p>` : null}
        ${opts.children}
      </main>
      <footer class="site"><p>${t('app.footer')}</p></footer>
    </body>
  </html>`;
  return `<!doctype html>${render(doc)}`;
}
