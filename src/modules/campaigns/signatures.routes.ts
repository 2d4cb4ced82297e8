import fp from 'fastify-plugin';
import { isIPv4 } from 'node:net';
import { normalizeIP } from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formFieldErrors, NotFound, type FieldError } from '../../http/errors.ts';
import { requireJson } from '../../http/api.ts';
import { sendProblem } from '../../http/error-handler.ts';
import { errorMap } from '../../web/forms.ts';
import { redirectAfterPost, sendPage } from '../../web/reply.ts';
import { getCampaign } from './campaigns.access.ts';
import { SignBatcher } from './sign-batcher.ts';
import { createSupporterMailWorker, type SupporterMailWorker } from './supporter-mail.ts';
import { PENDING_DAYS } from './supporters.store.ts';
import {
  CampaignCache,
  CampaignNotOpen,
  campaignText,
  confirmSignature,
  DEFAULT_SIGNING_LIMITS,
  DomainCapReached,
  signatureForLink,
  signCampaign,
  withdrawSignature,
  type SigningDeps,
  type SigningLimits,
} from './signatures.service.ts';
import { ConfirmOut, HONEYPOT_FIELD, Problem, SignAccepted, SignatureParams, SignBody, SignParams, TokenBody, WithdrawOut } from './signatures.schemas.ts';
import { confirmPage, doneSignaturePage, signPage, thanksPage, withdrawPage, type CampaignTextView, type LinkState } from './signatures.views.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The group-commit queue of sign requests (sign-batcher.ts). */
    signBatcher: SignBatcher;
    /** The supporter mail worker; `serve` starts it (main.ts), tests drain with `drainSupporterMails`. */
    supporterMails: SupporterMailWorker;
    /** Campaigns by slug for anonymous sign requests (one second). */
    signingCampaigns: CampaignCache;
  }
}

/**
 * The network prefix a client address belongs to, for the per-prefix limit: IPv4 /24, IPv6 /48
 * (an IPv4-mapped IPv6 address counts as IPv4).
 */
export function networkPrefix(ip: string): string {
  const n = normalizeIP(ip, 48);
  if (isIPv4(n)) return `${n.slice(0, n.lastIndexOf('.'))}.0/24`;
  return `${n}/48`;
}

type Form = Record<string, string | undefined>;

const received = new Map<string, string>();
/** The 202 answer's message in the request's language (formatted once per locale: it is the same for every signer). */
function receivedMessage(request: FastifyRequest): string {
  let m = received.get(request.tr.locale);
  if (m === undefined) received.set(request.tr.locale, (m = request.tr.t('campaigns.signing.api.received', { days: PENDING_DAYS })));
  return m;
}

/** A 429 for the error handler (problem+json for the API, a translated page for forms). */
function tooManyRequests(): Error {
  return Object.assign(new Error('rate limited'), { statusCode: 429 });
}

/**
 * Routes of the signing path. Pages: `GET|POST /campaigns/:slug/sign` (the form; 303 to
 * `…/sign/thanks`), `GET /campaigns/:slug/sign/{thanks,confirmed,withdrawn}`, and the pages the mail
 * links open, `GET|POST /campaigns/:slug/signatures/:id/{confirm,withdraw}` (GET shows a button,
 * POST with the link's token changes state). API: `POST /api/v1/campaigns/:slug/signatures` (202,
 * the same answer for every accepted request), `POST …/signatures/:id/confirm` and `…/withdraw`
 * with `{ token }`.
 *
 * Abuse limits ({@link SigningLimits}): per client address (each write route its own counter;
 * IPv6 per /64), per network prefix (IPv4 /24, IPv6 /48; the form and the API share one counter),
 * both per minute, kept in this process's memory (with several processes each keeps its own);
 * the per-domain cap on unconfirmed signatures is checked in the batch. Behind a reverse proxy the
 * client address is the proxy's unless Fastify's `trustProxy` is set.
 */
export const signaturesRoutes = fp<{ signingLimits?: Partial<SigningLimits>; logUnsentMails?: boolean }>(
  async (fastify, opts) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const limits: SigningLimits = { ...DEFAULT_SIGNING_LIMITS, ...opts.signingLimits };

    const worker = createSupporterMailWorker({ db: app.db, engine: app.dbEngine, get keyring() { return app.keyring; }, mailer: app.mailer, baseUrl: app.baseUrl, log: app.log, logUnsentMails: opts.logUnsentMails ?? false });
    const batcher = new SignBatcher({
      db: app.db,
      engine: app.dbEngine,
      unconfirmedPerDomainPerHour: limits.unconfirmedPerDomainPerHour,
      onMailsQueued: () => worker.kick(),
      log: app.log,
    });
    const campaigns = new CampaignCache();
    app.decorate('signBatcher', batcher);
    app.decorate('supporterMails', worker);
    app.decorate('signingCampaigns', campaigns);
    app.addHook('onClose', async () => {
      await batcher.close();
      await worker.stop();
    });
    const deps = (): SigningDeps => ({ db: app.db, keyring: app.keyring, batcher, campaigns });

    const perAddress = { rateLimit: { max: limits.perAddressPerMinute, timeWindow: 60_000 } };
    const prefixLimiter = app.createRateLimit({ max: limits.perPrefixPerMinute, timeWindow: 60_000, keyGenerator: (req) => networkPrefix(req.ip) });
    const perPrefix = async (request: FastifyRequest, reply: FastifyReply) => {
      const r = await prefixLimiter(request);
      if (!r.isAllowed && r.isExceeded) {
        reply.header('retry-after', r.ttlInSeconds);
        throw tooManyRequests();
      }
    };

    const textOf = async (campaignId: string, request: FastifyRequest): Promise<CampaignTextView | null> => campaignText(app.db, campaignId, request.tr.locale);
    const visibleText = async (request: FastifyRequest, slug: string): Promise<CampaignTextView | null> => {
      try {
        const campaign = await getCampaign(app.db, request.viewer, slug);
        return await textOf(campaign.id, request);
      } catch (err) {
        if (err instanceof NotFound) return null;
        throw err;
      }
    };
    const titleOf = (request: FastifyRequest, id: string, text: CampaignTextView | null) =>
      text ? request.tr.t(id, { title: text.title }) : request.tr.t(`${id}_untitled`);

    const renderSign = async (request: FastifyRequest, reply: FastifyReply, slug: string, o: { values?: Form; errors?: FieldError[] } = {}, status = 200) => {
      const campaign = await getCampaign(app.db, request.viewer, slug);
      const text = await textOf(campaign.id, request);
      return sendPage(
        request,
        reply,
        titleOf(request, 'campaigns.signing.page.title', text),
        (ctx) => signPage(ctx, { slug: campaign.slug, status: campaign.status, text, values: o.values as Record<string, string>, errors: errorMap(o.errors) }),
        status,
      );
    };

    // ---- the signing form
    app.get<{ Params: { slug: string } }>('/campaigns/:slug/sign', { schema: { hide: true } }, async (request, reply) => renderSign(request, reply, request.params.slug));

    app.post<{ Params: { slug: string }; Body: Form }>(
      '/campaigns/:slug/sign',
      { preValidation: app.csrfProtection, onRequest: perPrefix, config: perAddress, schema: { hide: true } },
      async (request, reply) => {
        const { _csrf, [HONEYPOT_FIELD]: honeypot, ...input } = request.body ?? {};
        const slug = request.params.slug;
        try {
          await signCampaign(deps(), request.viewer, slug, input, { lang: request.tr.locale, honeypot });
          return redirectAfterPost(reply, `/campaigns/${encodeURIComponent(slug)}/sign/thanks`);
        } catch (err) {
          if (err instanceof CampaignNotOpen) return renderSign(request, reply, slug, {}, 409);
          if (err instanceof DomainCapReached) return renderSign(request, reply, slug, { values: input, errors: [{ field: 'email', messageId: err.messageId }] }, 429);
          const errors = formFieldErrors(err);
          if (!errors) throw err;
          return renderSign(request, reply, slug, { values: input, errors }, 422);
        }
      },
    );

    app.get<{ Params: { slug: string } }>('/campaigns/:slug/sign/thanks', { schema: { hide: true } }, async (request, reply) => {
      const campaign = await getCampaign(app.db, request.viewer, request.params.slug);
      const text = await textOf(campaign.id, request);
      return sendPage(request, reply, titleOf(request, 'campaigns.signing.thanks.title', text), (ctx) => thanksPage(ctx, { slug: campaign.slug, text }));
    });

    for (const what of ['confirmed', 'withdrawn'] as const) {
      app.get<{ Params: { slug: string } }>(`/campaigns/:slug/sign/${what}`, { schema: { hide: true } }, async (request, reply) => {
        const text = await visibleText(request, request.params.slug);
        return sendPage(request, reply, titleOf(request, `campaigns.signing.${what}.title`, text), (ctx) => doneSignaturePage(ctx, { slug: request.params.slug, what, text }));
      });
    }

    // ---- the pages of the mail links (GET shows a button; only the POST changes anything)
    type LinkRequest = { Params: { slug: string; id: string }; Querystring: { token?: string } };
    app.get<LinkRequest>('/campaigns/:slug/signatures/:id/confirm', { schema: { hide: true } }, async (request, reply) => {
      const token = typeof request.query.token === 'string' ? request.query.token : '';
      const linked = await signatureForLink(app.db, app.keyring, 'confirm', request.params.slug, request.params.id, token);
      const s = linked.supporter;
      const state: LinkState = !s || s.expired ? 'gone' : s.status === 'confirmed' ? 'confirmed' : linked.campaign.status !== 'open' ? 'not_open' : 'pending';
      const text = await textOf(linked.campaign.id, request);
      const status = state === 'gone' ? 404 : state === 'not_open' ? 409 : 200;
      reply.header('referrer-policy', 'no-referrer');
      return sendPage(request, reply, titleOf(request, 'campaigns.signing.confirm.title', text), (ctx) => confirmPage(ctx, { slug: linked.campaign.slug, id: request.params.id, token, state, text }), status);
    });

    app.post<{ Params: { slug: string; id: string }; Body: Form }>(
      '/campaigns/:slug/signatures/:id/confirm',
      { preValidation: app.csrfProtection, config: perAddress, schema: { hide: true } },
      async (request, reply) => {
        await confirmSignature(deps(), request.params.slug, request.params.id, request.body?.token);
        return redirectAfterPost(reply, `/campaigns/${encodeURIComponent(request.params.slug)}/sign/confirmed`);
      },
    );

    app.get<LinkRequest>('/campaigns/:slug/signatures/:id/withdraw', { schema: { hide: true } }, async (request, reply) => {
      const token = typeof request.query.token === 'string' ? request.query.token : '';
      const linked = await signatureForLink(app.db, app.keyring, 'withdraw', request.params.slug, request.params.id, token);
      const state: LinkState = linked.supporter ? linked.supporter.status : 'gone';
      const text = await textOf(linked.campaign.id, request);
      reply.header('referrer-policy', 'no-referrer');
      return sendPage(request, reply, titleOf(request, 'campaigns.signing.withdraw.title', text), (ctx) => withdrawPage(ctx, { slug: linked.campaign.slug, id: request.params.id, token, state, text }), state === 'gone' ? 404 : 200);
    });

    app.post<{ Params: { slug: string; id: string }; Body: Form }>(
      '/campaigns/:slug/signatures/:id/withdraw',
      { preValidation: app.csrfProtection, config: perAddress, schema: { hide: true } },
      async (request, reply) => {
        await withdrawSignature(app.db, app.keyring, request.params.slug, request.params.id, request.body?.token);
        return redirectAfterPost(reply, `/campaigns/${encodeURIComponent(request.params.slug)}/sign/withdrawn`);
      },
    );

    // ---- API
    app.post(
      '/api/v1/campaigns/:slug/signatures',
      {
        preValidation: requireJson,
        onRequest: perPrefix,
        config: perAddress,
        schema: {
          tags: ['campaigns'],
          summary: 'Sign a campaign (anonymous; double opt-in: a confirmation mail follows). The answer is the same for a new and a repeat signer.',
          params: SignParams,
          body: SignBody,
          response: { 202: SignAccepted, 429: Problem },
        },
      },
      async (request, reply) => {
        const body = request.body;
        try {
          await signCampaign(deps(), request.viewer, request.params.slug, body, { lang: request.tr.locale, honeypot: body[HONEYPOT_FIELD] });
        } catch (err) {
          if (!(err instanceof DomainCapReached)) throw err;
          const detail = request.tr.t(err.messageId);
          return reply.send(sendProblem(reply, { status: 429, code: err.code, title: detail, errors: [{ field: 'email', code: err.code, detail }] }));
        }
        return reply.status(202).send({ status: 'received', message: receivedMessage(request) });
      },
    );

    app.post(
      '/api/v1/campaigns/:slug/signatures/:id/confirm',
      {
        preValidation: requireJson,
        config: perAddress,
        schema: { tags: ['campaigns'], summary: 'Confirm a signature with the token of the confirmation mail (counts once)', params: SignatureParams, body: TokenBody, response: { 200: ConfirmOut } },
      },
      async (request) => ({ status: await confirmSignature(deps(), request.params.slug, request.params.id, request.body.token) }),
    );

    app.post(
      '/api/v1/campaigns/:slug/signatures/:id/withdraw',
      {
        preValidation: requireJson,
        config: perAddress,
        schema: { tags: ['campaigns'], summary: 'Withdraw a signature with the token of any of its mails (the signature is deleted)', params: SignatureParams, body: TokenBody, response: { 200: WithdrawOut } },
      },
      async (request) => {
        await withdrawSignature(app.db, app.keyring, request.params.slug, request.params.id, request.body.token);
        return { status: 'withdrawn' as const };
      },
    );
  },
  { name: 'signaturesRoutes', dependencies: ['request-context'] },
);
