import fp from 'fastify-plugin';
import { html } from 'htm/preact';
import { create as contentDisposition } from 'content-disposition';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest, preValidationHookHandler } from 'fastify';
import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Conflict, NotFound, ValidationFailed, type FieldError } from '../../http/errors.ts';
import { requireJson, requireSignIn } from '../../http/api.ts';
import { readMultipartForm, uploadForm } from '../../http/upload.ts';
import { errorMap } from '../../web/forms.ts';
import { sendPage, redirectAfterPost, withNotice } from '../../web/reply.ts';
import { getPactForCoordinator, isPactCoordinator, type PactRecord } from './pacts.service.ts';
import { InvalidEntry, pactBalances } from './ledger.service.ts';
import { approveDisbursement, declineDisbursement, listDisbursements, proposeDisbursement, SecondPersonRequired, type DisbursementView } from './disbursements.service.ts';
import { beneficiaryCodes } from './beneficiaries.service.ts';
import { addPactDocument, documentPath, openPactDocument, pactDocuments, type PactDocumentView } from './documents.service.ts';
import { moneyOut, PactParams, refuseNumericAmounts } from './pacts.schemas.ts';
import { DeclineBody, DisbursementBody, DisbursementListOut, DisbursementOut, DisbursementParams } from './disbursements.schemas.ts';
import { disbursementsView, type DecisionState } from './disbursements.views.ts';
import type { PactSection } from './pacts.views.ts';

type Form = Record<string, string | undefined>;

/** What the pages and the API show besides the disbursements: receipts and ledger entries by id. */
async function related(db: Db, pactId: string, items: DisbursementView[]): Promise<{ docs: Map<string, PactDocumentView>; seqs: Map<string, number> }> {
  const entryIds = items.map((d) => d.entryId).filter((id): id is string => !!id);
  const [docs, entries] = await Promise.all([
    pactDocuments(db, pactId, items.map((d) => d.documentId).filter((id): id is string => !!id)),
    entryIds.length ? db.selectFrom('ledger_entries').select(['id', 'seq']).where('pact_id', '=', pactId).where('id', 'in', entryIds).execute() : [],
  ]);
  return { docs, seqs: new Map(entries.map((e) => [e.id, Number(e.seq)])) };
}

/** A disbursement as the API shows it (see `DisbursementOut`). */
function disbursementToApi(slug: string, d: DisbursementView, viewerId: string, docs: Map<string, PactDocumentView>, seqs: Map<string, number>) {
  const doc = d.documentId ? docs.get(d.documentId) : undefined;
  const seq = d.entryId ? seqs.get(d.entryId) : undefined;
  return {
    id: d.id,
    status: d.status,
    ...moneyOut(d.amountMinor, d.currency),
    purpose: d.purpose,
    valueDate: d.valueDate,
    beneficiary: d.beneficiaryCode,
    payee: d.payeeName,
    toPact: d.toPact,
    transfer: d.transfer,
    receipt: doc ? { id: doc.id, filename: doc.filename, contentType: doc.contentType, sizeBytes: doc.sizeBytes, sha256: doc.sha256, url: documentPath(slug, doc.id) } : null,
    proposedBy: d.proposedBy,
    proposedAt: d.proposedAt,
    decidedBy: d.decidedBy,
    decidedAt: d.decidedAt,
    decisionNote: d.decisionNote,
    entry: d.entryId && seq !== undefined ? { id: d.entryId, seq } : null,
    canApprove: d.status === 'proposed' && d.proposedById !== viewerId,
  };
}

/** Stops reading an upload that will not be stored (the client's bytes are drained, not kept). */
function discardUpload(request: FastifyRequest): void {
  const stream = request.upload?.stream;
  if (stream && !stream.destroyed && !stream.readableEnded) stream.resume();
}

/**
 * Refused writes that a page shows at its form or proposal instead of an error page: field errors
 * (422), a conflict such as an overdraft, a decided proposal or a closed pact (409), the proposer
 * approving their own proposal (403). Null for anything else (rethrown).
 */
function refusal(err: unknown, field: string): { status: number; errors: FieldError[] } | null {
  if (err instanceof ValidationFailed) return { status: 422, errors: err.errors };
  if (err instanceof Conflict) return { status: 409, errors: [{ field: err.field ?? field, messageId: err.messageId }] };
  if (err instanceof SecondPersonRequired) return { status: 403, errors: [{ field, messageId: err.messageId }] };
  if (err instanceof InvalidEntry) return { status: 422, errors: [{ field, messageId: err.messageId }] };
  return null;
}

/**
 * The disbursement parts of the pact page for its coordinators: a link to the disbursements page,
 * and a notice when proposals wait for a second coordinator.
 */
export async function disbursementSections(db: Db, viewer: Viewer | null, pact: PactRecord): Promise<PactSection[]> {
  if (!isPactCoordinator(viewer, pact)) return [];
  const row = await db
    .selectFrom('disbursements')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('pact_id', '=', pact.id)
    .where('status', '=', 'proposed')
    .executeTakeFirstOrThrow();
  const waiting = Number(row.n);
  const href = `/pacts/${pact.slug}/disbursements`;
  const sections: PactSection[] = [{ id: 'disbursements-link', slot: 'links', render: (ctx) => html`<a href=${href}>${ctx.tr.t('pacts.nav.disbursements')}</a>` }];
  if (waiting > 0) {
    sections.push({ id: 'disbursements-waiting', slot: 'progress', render: (ctx) => html`<p class="notice"><a href=${href}>${ctx.tr.t('pacts.disbursements.waiting_notice', { count: waiting })}</a></p>` });
  }
  return sections;
}

/**
 * Pages (`/pacts/:slug/disbursements`) and API (`/api/v1/pacts/:slug/disbursements…`) of
 * disbursements, for the pact's coordinators: propose (with a receipt upload), approve by a second
 * coordinator, refuse with a note, withdraw one's own proposal.
 */
export const disbursementsRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const render = async (request: FastifyRequest, reply: FastifyReply, slug: string, o: { proposal?: { values: Form; errors: FieldError[] }; decision?: DecisionState } = {}, status = 200) => {
      const { pact, items } = await listDisbursements(app.db, request.viewer, slug);
      const viewer = request.requireViewer();
      const [{ docs, seqs }, codes, balances] = await Promise.all([related(app.db, pact.id, items), beneficiaryCodes(app.db, pact.id), pactBalances(app.db, pact.id)]);
      return sendPage(request, reply, (ctx) => ctx.tr.t('pacts.disbursements.title', { pact: pact.title }), (ctx) =>
        disbursementsView(ctx, pact, {
          items,
          viewerId: viewer.userId,
          docs,
          entrySeqs: seqs,
          codes,
          balances,
          maxMb: Number((app.documents.maxBytes / 1_048_576).toPrecision(3)),
          proposal: { values: o.proposal?.values ?? {}, errors: errorMap(o.proposal?.errors) },
          decision: o.decision,
        }), status);
    };

    /**
     * Proposes a disbursement from form or API fields; with an uploaded receipt the document is
     * stored and the proposal recorded in one transaction (the file removed again if it fails).
     */
    const propose = async (request: FastifyRequest, pact: PactRecord, input: Record<string, unknown>): Promise<string> => {
      const viewer = request.viewer;
      const fields = { beneficiary: input.beneficiary, payee: input.payee, toPact: input.toPact, amount: input.amount, currency: input.currency, purpose: input.purpose, valueDate: input.valueDate };
      const upload = request.upload;
      if (!upload) return (await proposeDisbursement(app.db, viewer, pact.slug, fields)).id;
      if (upload.field !== 'receipt') {
        discardUpload(request);
        throw new ValidationFailed([{ field: 'receipt', messageId: 'validation.unknown_field' }]);
      }
      const { result } = await addPactDocument(app.db, app.documents, viewer, pact, { source: upload.stream, filename: upload.filename, declaredType: upload.declaredType }, {
        field: 'receipt',
        then: (tx, document) => proposeDisbursement(tx, viewer, pact.slug, { ...fields, document }),
      });
      return result.id;
    };

    // ---- pages
    app.get<{ Params: { slug: string } }>('/pacts/:slug/disbursements', { schema: { hide: true } }, async (request, reply) => {
      await getPactForCoordinator(app.db, request.viewer, request.params.slug);
      return render(request, reply, request.params.slug);
    });

    app.post<{ Params: { slug: string }; Body: Form }>('/pacts/:slug/disbursements', { preValidation: uploadForm(app), schema: { hide: true } }, async (request, reply) => {
      let pact: PactRecord;
      try {
        // Who may not see the pact or does not coordinate it learns nothing, and nothing is stored.
        pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
      } catch (err) {
        discardUpload(request);
        throw err;
      }
      const { _csrf, ...input } = request.body ?? {};
      try {
        await propose(request, pact, input);
        return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}/disbursements`, 'proposed'));
      } catch (err) {
        discardUpload(request);
        const failure = refusal(err, 'amount');
        if (!failure) throw err;
        return render(request, reply, pact.slug, { proposal: { values: input, errors: failure.errors } }, failure.status);
      }
    });

    app.post<{ Params: { slug: string; id: string } }>('/pacts/:slug/disbursements/:id/approve', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
      try {
        await approveDisbursement(app.db, request.viewer, pact.slug, request.params.id);
        return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}/disbursements`, 'approved'));
      } catch (err) {
        const failure = refusal(err, 'decision');
        if (!failure) throw err;
        return render(request, reply, pact.slug, { decision: { id: request.params.id, values: {}, errors: failure.errors } }, failure.status);
      }
    });

    app.post<{ Params: { slug: string; id: string }; Body: Form }>('/pacts/:slug/disbursements/:id/decline', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
      const note = request.body?.note;
      try {
        const { status } = await declineDisbursement(app.db, request.viewer, pact.slug, request.params.id, { note });
        return redirectAfterPost(reply, withNotice(`/pacts/${pact.slug}/disbursements`, status));
      } catch (err) {
        const failure = refusal(err, 'decision');
        if (!failure) throw err;
        return render(request, reply, pact.slug, { decision: { id: request.params.id, values: { note }, errors: failure.errors } }, failure.status);
      }
    });

    /**
     * A stored document (a receipt), as a download for the pact's coordinators only (404 for
     * everyone else): the stored content type, never rendered by the browser (`attachment`,
     * `nosniff`), never kept by a shared cache.
     */
    app.get<{ Params: { slug: string; id: string } }>('/pacts/:slug/documents/:id', { schema: { hide: true } }, async (request, reply) => {
      const { document, stream, size } = await openPactDocument(app.db, app.documents, request.viewer, request.params.slug, request.params.id);
      return reply
        .type(document.content_type)
        .header('content-length', String(size))
        .header('content-disposition', contentDisposition(document.filename))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .send(stream);
    });

    // ---- API
    const one = async (request: FastifyRequest, slug: string, id: string) => {
      const { pact, items } = await listDisbursements(app.db, request.viewer, slug);
      const viewer = request.requireViewer();
      const d = items.find((x) => x.id === id);
      if (!d) throw new NotFound();
      const { docs, seqs } = await related(app.db, pact.id, [d]);
      return disbursementToApi(pact.slug, d, viewer.userId, docs, seqs);
    };

    app.get(
      '/api/v1/pacts/:slug/disbursements',
      { schema: { tags: ['pacts'], summary: "A pact's disbursements (coordinators): waiting proposals first, then newest first", params: PactParams, response: { 200: DisbursementListOut } } },
      async (request) => {
        const { pact, items } = await listDisbursements(app.db, request.viewer, request.params.slug);
        const viewer = request.requireViewer();
        const { docs, seqs } = await related(app.db, pact.id, items);
        return { items: items.map((d) => disbursementToApi(pact.slug, d, viewer.userId, docs, seqs)) };
      },
    );

    // JSON, or multipart with the receipt: a multipart post can come from any site's form, so it
    // needs the session's CSRF token like every form (JSON cannot be sent cross-site without CORS).
    const jsonOrUpload: preValidationHookHandler[] = [
      requireSignIn,
      async (request) => {
        if (request.isMultipart()) await readMultipartForm(request);
        else await requireJson(request);
      },
      (request, reply, done) => {
        if (request.isMultipart()) app.csrfProtection(request, reply, done);
        else done();
      },
      async (request) => {
        if (request.isMultipart() && request.body && typeof request.body === 'object') delete (request.body as Record<string, unknown>)._csrf;
      },
      refuseNumericAmounts('amount'),
    ];

    app.post(
      '/api/v1/pacts/:slug/disbursements',
      {
        preValidation: jsonOrUpload,
        schema: {
          tags: ['pacts'],
          summary: 'Propose a disbursement (coordinators); a second coordinator approves it',
          description: 'JSON, or multipart/form-data with these fields as text parts followed by the receipt (PDF, JPEG, PNG, WebP, HEIC) as the file part `receipt`; a multipart request also carries the session’s CSRF token (`_csrf` part or `x-csrf-token` header).',
          params: PactParams,
          body: DisbursementBody,
          response: { 201: DisbursementOut },
        },
      },
      async (request, reply) => {
        let pact: PactRecord;
        try {
          pact = await getPactForCoordinator(app.db, request.viewer, request.params.slug);
        } catch (err) {
          discardUpload(request);
          throw err;
        }
        try {
          const id = await propose(request, pact, request.body);
          return reply.status(201).send(await one(request, pact.slug, id));
        } finally {
          discardUpload(request);
        }
      },
    );

    app.post(
      '/api/v1/pacts/:slug/disbursements/:id/approve',
      { preValidation: [requireSignIn, requireJson], schema: { tags: ['pacts'], summary: 'Approve a proposed disbursement (a coordinator other than the proposer); records the ledger entry', params: DisbursementParams, response: { 200: DisbursementOut } } },
      async (request) => {
        await approveDisbursement(app.db, request.viewer, request.params.slug, request.params.id);
        return one(request, request.params.slug, request.params.id);
      },
    );

    app.post(
      '/api/v1/pacts/:slug/disbursements/:id/decline',
      { preValidation: [requireSignIn, requireJson], schema: { tags: ['pacts'], summary: 'Refuse a proposed disbursement with a note (another coordinator) or withdraw your own', params: DisbursementParams, body: DeclineBody, response: { 200: DisbursementOut } } },
      async (request) => {
        await declineDisbursement(app.db, request.viewer, request.params.slug, request.params.id, { note: request.body?.note });
        return one(request, request.params.slug, request.params.id);
      },
    );
  },
  { name: 'disbursements-routes', dependencies: ['request-context'] },
);

