import fp from 'fastify-plugin';
import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../../http/request-context.ts';
import { AppError, formFieldErrors, type FieldError } from '../../http/errors.ts';
import { clientErrorCode, sendProblem } from '../../http/error-handler.ts';
import { requireJson } from '../../http/api.ts';
import { errorMap } from '../../web/forms.ts';
import { redirectAfterPost, safeLocalPath, sendPage } from '../../web/reply.ts';
import { loadPendingSession, secondFactorsOf, type PendingSession } from './second-factor.service.ts';
import { completeSignInWithRecoveryCode, completeSignInWithTotp, confirmTotp, disableTotp, regenerateRecoveryCodes, totpSetupFor } from './totp.service.ts';
import {
  completeSignInWithPasskey,
  listPasskeys,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  registerPasskey,
  removePasskey,
  type RelyingParty,
} from './passkeys.service.ts';
import { recoveryCodesView, securityView, secondStepView, type SecurityPageData } from './second-factor.views.ts';

type Form = Record<string, string | undefined>;

// The package's `exports` names only its entry points: find its folder from the CommonJS entry
// (`<package>/script/index.js`).
const VENDOR_DIR = join(dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')), '..');
/** @simplewebauthn/browser's UMD bundle (sets `globalThis.SimpleWebAuthnBrowser`), served as is. */
const VENDOR_FILE = join(VENDOR_DIR, 'dist/bundle/index.umd.min.js');
const VENDOR_VERSION = (JSON.parse(readFileSync(join(VENDOR_DIR, 'package.json'), 'utf8')) as { version: string }).version;
const VENDOR_PATH = '/static/vendor/simplewebauthn-browser.js';
/** The version in the query string changes the URL on every upgrade, so a year-long cache is safe. */
const script = { vendorUrl: `${VENDOR_PATH}?v=${VENDOR_VERSION}` };

/** Pages with secrets (TOTP key, recovery codes) or one-time state are never stored by caches. */
function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
}

/**
 * Errors of the JSON endpoints as RFC 9457 problem documents (the site-wide handler answers
 * HTML outside `/api/`): typed errors and any 4xx keep their status, a validation failure is 400
 * with translated field details; anything else goes on to the site-wide handler (logged, 500).
 */
function jsonErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const tr = request.tr;
  if (err instanceof AppError) {
    const fields: FieldError[] = formFieldErrors(err) ?? [];
    return sendProblem(reply, {
      status: err.status === 422 ? 400 : err.status,
      code: err.code,
      title: tr.t(fields[0]?.messageId ?? err.messageId, fields[0]?.values),
      errors: fields.map((e) => ({ field: e.field, code: e.messageId.replace(/^.*\./, ''), detail: tr.t(e.messageId, e.values) })),
    });
  }
  const status = err.validation ? 400 : err.statusCode;
  if (status && status >= 400 && status < 500) {
    const { code, messageId } = clientErrorCode(status);
    return sendProblem(reply, { status, code, title: tr.t(messageId) });
  }
  throw err;
}

/** Field errors with their error keys prefixed (`disable-code`), for the forms that share names. */
function prefixed(errors: FieldError[], prefix: string): FieldError[] {
  return errors.map((e) => ({ ...e, field: `${prefix}-${e.field}` }));
}

/**
 * Second factor: the account's security page (`/account/security`: TOTP per RFC 6238 with
 * recovery codes, passkeys per W3C WebAuthn Level 3) and the second step of the sign-in
 * (`/sign-in/second-factor`), which works with the pending session that the password step
 * created (`loadViewer` treats it as anonymous).
 *
 * CSRF: forms carry the usual `_csrf` field. The passkey JSON endpoints are called by
 * `static/passkeys.js` with `Content-Type: application/json` and the page's CSRF token in the
 * `x-csrf-token` header, and both are checked: the token proves the call comes from our page,
 * and the JSON content type cannot be sent cross-site without a CORS preflight (never granted),
 * so either alone would stop a forged request; together they also cover a token leak.
 */
export const secondFactorRoutes = fp<{ secureCookies: boolean }>(
  async (app, opts) => {
    const jsonWrite = { preValidation: [requireJson, app.csrfProtection], errorHandler: jsonErrors };

    /**
     * The WebAuthn relying party of this request: the RP ID is the host name (no port) and the
     * origin is scheme, host and port as the browser sees them. Behind a TLS-terminating proxy
     * (`secureCookies`) the browser's scheme is https even though the proxy talks http to us.
     */
    const relyingParty = (request: FastifyRequest): RelyingParty => {
      // HTTP/1.0 requests may come without a Host header: there is no RP ID to check against then.
      if (!request.hostname) throw new AppError(400, 'bad_request', 'errors.bad_request');
      return { rpID: request.hostname, origin: `${opts.secureCookies ? 'https' : request.protocol}://${request.host}` };
    };

    const pendingOf = (request: FastifyRequest): Promise<PendingSession | null> => loadPendingSession(app.db, request.cookies[SESSION_COOKIE]);

    // ---- vendor script

    app.get(VENDOR_PATH, { schema: { hide: true } }, async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=31536000, immutable');
      reply.type('text/javascript; charset=utf-8');
      return reply.send(createReadStream(VENDOR_FILE));
    });

    // ---- security page

    const securityPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      extra: Pick<SecurityPageData, 'failed' | 'errors'> = {},
      status = 200,
    ) => {
      const viewer = request.requireViewer();
      const user = await app.db.selectFrom('users').select('totp_enabled_at').where('id', '=', viewer.userId).executeTakeFirstOrThrow();
      const factors = await secondFactorsOf(app.db, viewer.userId);
      const heldBack = viewer.heldBackRoles.size
        ? (await app.db.selectFrom('organizations').select('name').where('id', 'in', [...viewer.heldBackRoles]).orderBy('name').execute()).map((o) => o.name)
        : [];
      const data: SecurityPageData = {
        totpEnabledAt: user.totp_enabled_at === null ? null : String(user.totp_enabled_at),
        recoveryCodesLeft: factors.recoveryCodes,
        setup: user.totp_enabled_at ? null : await totpSetupFor(app.db, viewer),
        passkeys: await listPasskeys(app.db, viewer.userId),
        heldBack,
        script,
        ...extra,
      };
      noStore(reply);
      return sendPage(request, reply, request.tr.t('security.page.title'), (ctx) => securityView(ctx, data), status);
    };

    app.get('/account/security', { schema: { hide: true } }, async (request, reply) => securityPage(request, reply));

    const showCodes = (request: FastifyRequest, reply: FastifyReply, codes: string[], firstTime: boolean) => {
      noStore(reply);
      return sendPage(request, reply, request.tr.t('security.recovery.title'), (ctx) => recoveryCodesView(ctx, { codes, firstTime }));
    };

    app.post<{ Body: Form }>(
      '/account/security/totp',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const viewer = request.requireViewer();
        try {
          const codes = await confirmTotp(app.db, viewer, request.body?.code);
          return showCodes(request, reply, codes, true);
        } catch (err) {
          const errors = formFieldErrors(err);
          if (!errors) throw err;
          return securityPage(request, reply, { failed: 'confirm', errors: errorMap(errors) }, 422);
        }
      },
    );

    app.post<{ Body: Form }>(
      '/account/security/totp/disable',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const viewer = request.requireViewer();
        try {
          await disableTotp(app.db, viewer, { password: request.body?.password, code: request.body?.code });
          return redirectAfterPost(reply, '/account/security');
        } catch (err) {
          const errors = formFieldErrors(err);
          if (!errors) throw err;
          return securityPage(request, reply, { failed: 'disable', errors: errorMap(prefixed(errors, 'disable')) }, 422);
        }
      },
    );

    app.post<{ Body: Form }>(
      '/account/security/recovery-codes',
      { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const viewer = request.requireViewer();
        try {
          const codes = await regenerateRecoveryCodes(app.db, viewer, { password: request.body?.password, code: request.body?.code });
          return showCodes(request, reply, codes, false);
        } catch (err) {
          const errors = formFieldErrors(err);
          if (!errors) throw err;
          return securityPage(request, reply, { failed: 'regenerate', errors: errorMap(prefixed(errors, 'regenerate')) }, 422);
        }
      },
    );

    app.post<{ Params: { id: string } }>(
      '/account/security/passkeys/:id/remove',
      { preValidation: app.csrfProtection, schema: { hide: true } },
      async (request, reply) => {
        await removePasskey(app.db, request.requireViewer(), request.params.id);
        return redirectAfterPost(reply, '/account/security');
      },
    );

    app.post(
      '/account/security/passkeys/options',
      { ...jsonWrite, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        noStore(reply);
        return passkeyRegistrationOptions(app.db, request.requireViewer(), relyingParty(request));
      },
    );

    app.post<{ Body: { name?: unknown; response?: unknown } | null }>(
      '/account/security/passkeys',
      { ...jsonWrite, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const viewer = request.requireViewer();
        const body = request.body && typeof request.body === 'object' ? request.body : {};
        const passkey = await registerPasskey(app.db, viewer, { name: body.name, response: body.response }, relyingParty(request));
        reply.status(201);
        return { id: passkey.id, name: passkey.name, createdAt: passkey.createdAt };
      },
    );

    // ---- second step of the sign-in

    const secondStepPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      pending: PendingSession,
      next: string,
      extra: { failed?: 'totp' | 'recovery'; errors?: FieldError[] } = {},
      status = 200,
    ) => {
      const f = await secondFactorsOf(app.db, pending.userId);
      noStore(reply);
      return sendPage(
        request,
        reply,
        request.tr.t('security.second_step.title'),
        (ctx) =>
          secondStepView(ctx, {
            next,
            totp: f.totp,
            passkeys: f.passkeys > 0,
            recoveryCodes: f.recoveryCodes > 0,
            failed: extra.failed,
            errors: extra.errors ? errorMap(extra.errors) : undefined,
            script,
          }),
        status,
      );
    };

    /** Without a pending session: a signed-in person goes on to `next`, anyone else back to the password. */
    const noPending = (request: FastifyRequest, reply: FastifyReply, next: string) =>
      reply.redirect(request.viewer ? next : `/sign-in?next=${encodeURIComponent(next)}`, 303);

    app.get<{ Querystring: { next?: string } }>('/sign-in/second-factor', { schema: { hide: true } }, async (request, reply) => {
      const next = safeLocalPath(request.query.next);
      const pending = await pendingOf(request);
      if (!pending) return noPending(request, reply, next);
      return secondStepPage(request, reply, pending, next);
    });

    /** The second step with a code (`totp`: the app's code; `recovery`: a one-time recovery code). */
    const secondStepWith = (failed: 'totp' | 'recovery', complete: (pending: PendingSession, body: Form) => Promise<unknown>) =>
      async (request: FastifyRequest<{ Body: Form }>, reply: FastifyReply) => {
        const next = safeLocalPath(request.body?.next);
        const pending = await pendingOf(request);
        if (!pending) return noPending(request, reply, next);
        try {
          await complete(pending, request.body ?? {});
        } catch (err) {
          const errors = formFieldErrors(err);
          if (!errors) throw err;
          return secondStepPage(request, reply, pending, next, { failed, errors }, 422);
        }
        return redirectAfterPost(reply, next);
      };
    const codeRoute = { preValidation: app.csrfProtection, config: { rateLimit: {} }, schema: { hide: true } };
    app.post<{ Body: Form }>('/sign-in/second-factor', codeRoute, secondStepWith('totp', (pending, body) => completeSignInWithTotp(app.db, pending, body.code)));
    app.post<{ Body: Form }>(
      '/sign-in/second-factor/recovery',
      codeRoute,
      secondStepWith('recovery', (pending, body) => completeSignInWithRecoveryCode(app.db, pending, body.recoveryCode)),
    );

    /** The pending session of a JSON request, or a 401 problem. */
    const requirePending = async (request: FastifyRequest): Promise<PendingSession> => {
      const pending = await pendingOf(request);
      if (!pending) throw new PendingSessionRequired();
      return pending;
    };

    app.post(
      '/sign-in/second-factor/passkey/options',
      { ...jsonWrite, config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        const pending = await requirePending(request);
        noStore(reply);
        return passkeyAuthenticationOptions(app.db, pending, relyingParty(request));
      },
    );

    app.post<{ Body: { response?: unknown; next?: unknown } | null }>(
      '/sign-in/second-factor/passkey',
      { ...jsonWrite, config: { rateLimit: {} }, schema: { hide: true } },
      async (request) => {
        const pending = await requirePending(request);
        const body = request.body && typeof request.body === 'object' ? request.body : {};
        await completeSignInWithPasskey(app.db, pending, body.response, relyingParty(request));
        return { redirect: safeLocalPath(body.next) };
      },
    );
  },
  { name: 'second-factor-routes', dependencies: ['request-context'] },
);

/** 401 for a second-step JSON call without a pending sign-in (expired, finished or never started). */
class PendingSessionRequired extends AppError {
  constructor() {
    super(401, 'sign_in_required', 'security.errors.pending_expired');
  }
}
