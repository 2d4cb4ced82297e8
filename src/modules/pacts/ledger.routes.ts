import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError, Conflict, NotFound, ValidationFailed, type FieldError } from '../../http/errors.ts';
import { apiWrite } from '../../http/api.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, withNotice } from '../../web/reply.ts';
import { minorDigits } from '../../lib/money.ts';
import { getPact, getPactForCoordinator, isPactCoordinator, type PactRecord } from './pacts.service.ts';
import { InvalidEntry, pactBalances } from './ledger.service.ts';
import { recordContribution, recordExchangeAsCoordinator, proposeTransferAsCoordinator, reverseEntryAsCoordinator } from './entries.service.ts';
import { entryView, entryViews, ledgerPage, transferTargets, type EntryView } from './pacts.repo.ts';
import { ledgerView, type ReverseState } from './ledger.views.ts';
import {
  BalancesOut,
  ContributionBody,
  EntriesOut,
  EntryListOut,
  EntryListQuery,
  EntryOut,
  EntryParams,
  ExchangeBody,
  moneyOut,
  PactParams,
  refuseNumericAmounts,
  ReversalBody,
  TransferBody,
  TransferProposalOut,
} from './pacts.schemas.ts';

const LEDGER_PAGE_SIZE = 50;
/** Pacts the transfer form offers as choices; with more, it asks for the address name instead. */
const TRANSFER_CHOICES = 200;
type Form = Record<string, string | undefined>;
/** A form of the ledger page coming back with what was typed and why it was refused. */
type FormState = { values: Form; errors: FieldError[] };

/**
 * 405 for a change or removal of a ledger entry: the ledger is append-only, a correction is a
 * reversal (`POST …/entries/:id/reversal`). RFC 9110 §15.5.6: the answer names the methods the
 * resource supports in `Allow`.
 */
export class EntryImmutable extends AppError {
  constructor() {
    super(405, 'method_not_allowed', 'pacts.errors.entry_immutable');
  }
}

/** An entry as the API shows it (see `EntryOut`). */
export function entryToApi(e: EntryView) {
  return {
    id: e.id,
    seq: e.seq,
    groupId: e.groupId,
    kind: e.kind,
    flow: e.flow,
    ...moneyOut(e.amountMinor, e.currency),
    valueDate: e.valueDate,
    balanceAfter: moneyOut(e.balanceAfterMinor, e.currency),
    counterparty: { kind: e.counterparty.kind, name: e.counterparty.name, organization: e.counterparty.organization, pact: e.counterparty.pact, beneficiary: e.counterparty.beneficiary },
    reference: e.reference,
    description: e.description,
    pledge: e.pledgeId,
    conversion: e.conversion,
    reverses: e.reverses,
    reversedBy: e.reversedBy,
    recordedAt: e.recordedAt,
    recordedBy: e.recordedBy,
  };
}

/**
 * A refused ledger form as something to show at the form: field errors of a `ValidationFailed`
 * (422); a conflict such as an overdraft, an entry already reversed or a closed pact (409) as one
 * error on the conflict's field (renamed by `rename` where the form calls it otherwise, e.g. an
 * overdraft's `amount` is an exchange's `fromAmount`) or else on `field`; an invalid entry (422)
 * on `field`. Null for anything else (rethrown).
 */
function ledgerFormFailure(err: unknown, field: string, rename: Record<string, string> = {}): { status: number; errors: FieldError[] } | null {
  if (err instanceof ValidationFailed) return { status: 422, errors: err.errors };
  if (err instanceof Conflict) return { status: 409, errors: [{ field: err.field ? (rename[err.field] ?? err.field) : field, messageId: err.messageId }] };
  if (err instanceof InvalidEntry) return { status: 422, errors: [{ field, messageId: err.messageId }] };
  return null;
}

/**
 * The ledger of a pact: its page (`/pacts/:slug/ledger`, with the contribution, exchange,
 * transfer and reverse forms for coordinators) and its API (`/api/v1/pacts/:slug/balances`,
 * `…/entries`, `…/exchanges`, `…/transfers`). Registered by `pactsRoutes`.
 */
export async function ledgerRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const renderLedger = async (
    request: FastifyRequest,
    reply: FastifyReply,
    pact: PactRecord,
    o: { before?: number; contribution?: FormState; exchange?: FormState; transfer?: FormState; reverse?: ReverseState } = {},
    status = 200,
  ) => {
    const coordinator = isPactCoordinator(request.viewer, pact);
    const writable = coordinator && pact.status !== 'closed';
    const [page, balances, targets] = await Promise.all([
      ledgerPage(app.db, request.viewer, pact, { limit: LEDGER_PAGE_SIZE, before: o.before }),
      pactBalances(app.db, pact.id),
      writable ? transferTargets(app.db, request.viewer, pact.id, TRANSFER_CHOICES) : [],
    ]);
    const state = (f: FormState | undefined) => (f ? { values: f.values, errors: errorMap(f.errors) } : undefined);
    return sendPage(request, reply, (ctx) => ctx.tr.t('pacts.ledger.title', { pact: pact.title }), (ctx) =>
      ledgerView(ctx, pact, {
        items: page.items,
        next: page.next,
        coordinator,
        balances,
        contribution: state(o.contribution),
        exchange: state(o.exchange),
        transfer: state(o.transfer),
        // More pacts than a list can sensibly offer: the form asks for the address name (null).
        transferTargets: targets.length > TRANSFER_CHOICES ? null : targets,
        reverse: o.reverse,
      }), status);
  };

  /**
   * A ledger form's POST: 404/403 before anything else for who may not see or does not coordinate
   * the pact, then `record`; on success a redirect to the ledger with the `done` notice, on a
   * refused input the page again with the form open and its errors (422, or 409 for a conflict).
   */
  const ledgerFormPost = async (
    request: FastifyRequest<{ Params: { slug: string }; Body: Form }>,
    reply: FastifyReply,
    o: {
      form: 'contribution' | 'exchange' | 'transfer';
      done: string;
      /** Where a conflict without a field of its own (a closed pact) is shown. */
      conflictField: string;
      rename?: Record<string, string>;
      record: (slug: string, input: Form) => Promise<unknown>;
    },
  ) => {
    const pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
    const { _csrf, ...input } = request.body ?? {};
    try {
      await o.record(pact.slug, input);
      return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}/ledger`, o.done));
    } catch (err) {
      const failure = ledgerFormFailure(err, o.conflictField, o.rename);
      if (!failure) throw err;
      // A pact closed meanwhile: the page comes back without the form, saying so.
      const current = await getPact(app.db, request.viewer, pact.slug);
      return renderLedger(request, reply, current, { [o.form]: { values: input, errors: failure.errors } }, failure.status);
    }
  };

  // ---- pages
  app.get<{ Params: { slug: string }; Querystring: Record<string, string> }>('/pacts/:slug/ledger', { schema: { hide: true } }, async (request, reply) => {
    const pact = await getPact(app.db, request.viewer, request.params.slug);
    const raw = request.query.before;
    // A malformed page link shows the newest entries rather than an error.
    const before = typeof raw === 'string' && /^\d{1,15}$/.test(raw) && Number(raw) > 0 ? Number(raw) : undefined;
    return renderLedger(request, reply, pact, { before });
  });

  app.post<{ Params: { slug: string }; Body: Form }>('/pacts/:slug/ledger/contributions', { preValidation: app.csrfProtection, schema: { hide: true } }, (request, reply) =>
    ledgerFormPost(request, reply, { form: 'contribution', done: 'recorded', conflictField: 'amount', record: (slug, input) => recordContribution(app.db, request.viewer, slug, input) }),
  );

  app.post<{ Params: { slug: string }; Body: Form }>('/pacts/:slug/ledger/exchanges', { preValidation: app.csrfProtection, schema: { hide: true } }, (request, reply) =>
    ledgerFormPost(request, reply, { form: 'exchange', done: 'exchanged', conflictField: 'fromAmount', rename: { amount: 'fromAmount' }, record: (slug, input) => recordExchangeAsCoordinator(app.db, request.viewer, slug, input) }),
  );

  app.post<{ Params: { slug: string }; Body: Form }>('/pacts/:slug/ledger/transfers', { preValidation: app.csrfProtection, schema: { hide: true } }, (request, reply) =>
    ledgerFormPost(request, reply, { form: 'transfer', done: 'transfer_proposed', conflictField: 'amount', record: (slug, input) => proposeTransferAsCoordinator(app.db, request.viewer, slug, input) }),
  );

  app.post<{ Params: { slug: string; id: string }; Body: Form }>('/pacts/:slug/ledger/:id/reverse', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
    const pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
    const entry = await app.db.selectFrom('ledger_entries').select(['id', 'seq']).where('pact_id', '=', pact.id).where('id', '=', request.params.id).executeTakeFirst();
    if (!entry) throw new NotFound();
    const seq = Number(entry.seq);
    const { _csrf, ...input } = request.body ?? {};
    try {
      await reverseEntryAsCoordinator(app.db, request.viewer, pact.slug, entry.id, { reason: input.reason, wholeGroup: input.wholeGroup });
      return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}/ledger`, 'reversed'));
    } catch (err) {
      const failure = ledgerFormFailure(err, 'reason');
      if (!failure) throw err;
      const current = await getPact(app.db, request.viewer, pact.slug);
      return renderLedger(request, reply, current, { before: seq + 1, reverse: { entryId: entry.id, values: input, errors: failure.errors } }, failure.status);
    }
  });

  // ---- API
  app.get(
    '/api/v1/pacts/:slug/balances',
    { schema: { tags: ['pacts'], summary: "A pact's balance per currency (never added across currencies)", params: PactParams, response: { 200: BalancesOut } } },
    async (request) => {
      const pact = await getPact(app.db, request.viewer, request.params.slug);
      const balances = await pactBalances(app.db, pact.id);
      return { items: balances.map((b) => ({ ...moneyOut(b.balanceMinor, b.currency), digits: minorDigits(b.currency), entryCount: b.entryCount })) };
    },
  );

  app.get(
    '/api/v1/pacts/:slug/entries',
    { schema: { tags: ['pacts'], summary: "A pact's ledger, newest first, paged by sequence number", params: PactParams, querystring: EntryListQuery, response: { 200: EntryListOut } } },
    async (request) => {
      const pact = await getPact(app.db, request.viewer, request.params.slug);
      const page = await ledgerPage(app.db, request.viewer, pact, { limit: request.query.limit ?? LEDGER_PAGE_SIZE, before: request.query.before });
      return { items: page.items.map(entryToApi), next: page.next };
    },
  );

  app.post(
    '/api/v1/pacts/:slug/entries',
    {
      preValidation: [...apiWrite, refuseNumericAmounts('amount', 'fee')],
      schema: { tags: ['pacts'], summary: 'Record a contribution (and its fee) on a pact (its coordinators)', params: PactParams, body: ContributionBody, response: { 201: EntriesOut } },
    },
    async (request, reply) => {
      const viewer = request.requireViewer();
      const pact = await getPactForCoordinator(app.db, viewer, request.params.slug);
      const stored = await recordContribution(app.db, viewer, pact.slug, request.body);
      const items = await entryViews(app.db, viewer, pact.id, stored, true);
      return reply.status(201).header('location', `/api/v1/pacts/${pact.slug}/entries/${items[0]!.id}`).send({ items: items.map(entryToApi) });
    },
  );

  app.post(
    '/api/v1/pacts/:slug/exchanges',
    {
      preValidation: [...apiWrite, refuseNumericAmounts('fromAmount', 'toAmount')],
      schema: {
        tags: ['pacts'],
        summary: 'Record a currency exchange inside a pact (its coordinators): the outgoing and the incoming entry, both with the rate used',
        params: PactParams,
        body: ExchangeBody,
        response: { 201: EntriesOut },
      },
    },
    async (request, reply) => {
      const viewer = request.requireViewer();
      const pact = await getPactForCoordinator(app.db, viewer, request.params.slug);
      const stored = await recordExchangeAsCoordinator(app.db, viewer, pact.slug, request.body);
      const items = await entryViews(app.db, viewer, pact.id, stored, true);
      return reply.status(201).header('location', `/api/v1/pacts/${pact.slug}/entries/${items[0]!.id}`).send({ items: items.map(entryToApi) });
    },
  );

  app.post(
    '/api/v1/pacts/:slug/transfers',
    {
      preValidation: [...apiWrite, refuseNumericAmounts('amount')],
      schema: {
        tags: ['pacts'],
        summary: "Propose a transfer of money to another pact (this pact's coordinators); a second coordinator approves it through the disbursements API, which records the entry on each pact",
        params: PactParams,
        body: TransferBody,
        response: { 201: TransferProposalOut },
      },
    },
    async (request, reply) => {
      const viewer = request.requireViewer();
      const pact = await getPactForCoordinator(app.db, viewer, request.params.slug);
      const { id } = await proposeTransferAsCoordinator(app.db, viewer, pact.slug, request.body);
      return reply.status(201).send({ id, status: 'proposed' });
    },
  );

  app.get(
    '/api/v1/pacts/:slug/entries/:id',
    { schema: { tags: ['pacts'], summary: 'One ledger entry', params: EntryParams, response: { 200: EntryOut } } },
    async (request) => {
      const pact = await getPact(app.db, request.viewer, request.params.slug);
      const e = await entryView(app.db, request.viewer, pact, request.params.id);
      if (!e) throw new NotFound();
      return entryToApi(e);
    },
  );

  // Entries are append-only: changing or removing one is refused for everyone, before anything
  // is looked up (the answer says nothing about whether the pact or the entry exists).
  app.route({
    method: ['PUT', 'PATCH', 'DELETE'],
    url: '/api/v1/pacts/:slug/entries/:id',
    schema: {
      tags: ['pacts'],
      summary: 'Not allowed: ledger entries are never changed or deleted; record a reversal instead',
      params: Type.Object({ slug: Type.String(), id: Type.String() }),
      response: { 405: Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() }, { description: 'problem+json (RFC 9457)' }) },
    },
    onRequest: async (_request, reply) => {
      reply.header('allow', 'GET, HEAD');
      throw new EntryImmutable();
    },
    handler: async () => {
      throw new EntryImmutable();
    },
  });

  app.post(
    '/api/v1/pacts/:slug/entries/:id/reversal',
    { preValidation: apiWrite, schema: { tags: ['pacts'], summary: 'Reverse an entry (or its whole event) with a new entry (coordinators)', params: EntryParams, body: ReversalBody, response: { 201: EntriesOut } } },
    async (request, reply) => {
      const viewer = request.requireViewer();
      const pact = await getPactForCoordinator(app.db, viewer, request.params.slug);
      const stored = await reverseEntryAsCoordinator(app.db, viewer, pact.slug, request.params.id, request.body);
      const items = await entryViews(app.db, viewer, pact.id, stored, true);
      return reply.status(201).send({ items: items.map(entryToApi) });
    },
  );
}
