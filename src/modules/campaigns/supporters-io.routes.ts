import fp from 'fastify-plugin';
import { create as contentDisposition } from 'content-disposition';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationFailed, type FieldError } from '../../http/errors.ts';
import { uploadForm } from '../../http/upload.ts';
import { errorMap } from '../../web/forms.ts';
import { redirectAfterPost, sendPage, withNotice } from '../../web/reply.ts';
import { getCampaignForCoordinator, type CampaignRecord } from './campaigns.access.ts';
import { campaignTitle } from './campaigns.routes.ts';
import { exportSupporters } from './supporters-export.ts';
import { checkMapping } from './supporters-import.ts';
import {
  createSupporterImport,
  discardSupporterImport,
  getSupporterImport,
  importView,
  listSupporterImports,
  previewImport,
  readUpload,
  resumableImports,
  runStoredImport,
  saveImportChoices,
  SUPPORTER_FILE_MAX_BYTES,
} from './supporters-import-jobs.ts';
import { mappingFromForm, type ImportStartFormValues } from './supporters-io.schemas.ts';
import { importPreviewView, importProgressView, importReportView, supportersIoView } from './supporters-io.views.ts';

/** Background runs of this process, per app (tests wait for them with {@link supporterImportsIdle}). */
const runs = new WeakMap<FastifyInstance, Map<string, Promise<void>>>();

/** Resolves when the app's background supporter imports have ended. */
export async function supporterImportsIdle(app: FastifyInstance): Promise<void> {
  const map = runs.get(app);
  while (map?.size) await Promise.allSettled([...map.values()]);
}

/** Stops reading an upload that will not be stored (the client's bytes are drained, not kept). */
function discardUpload(request: FastifyRequest): void {
  const stream = request.upload?.stream;
  if (stream && !stream.destroyed && !stream.readableEnded) stream.resume();
}

/**
 * Import and export of a campaign's supporters, for its coordinators (everyone else: 404 when
 * the campaign is invisible to them, else 401/403):
 * - `GET /campaigns/:slug/supporters/import`: the export link and the upload form, recent imports;
 * - `POST /campaigns/:slug/supporters/import`: multipart upload (CSRF checked before the file is
 *   read; at most {@link SUPPORTER_FILE_MAX_BYTES}), stored sealed for preview;
 * - `GET /campaigns/:slug/supporters/import/:id`: the preview (mapping, consent basis, findings),
 *   the progress of a running import (refreshing itself), or the report;
 * - `POST /campaigns/:slug/supporters/import/:id`: check again with a mapping, or start — the import
 *   then runs in the background of this process;
 * - `POST /campaigns/:slug/supporters/import/:id/discard`: delete a preview with its file;
 * - `GET /campaigns/:slug/supporters.csv`: the formula-safe export (every download audited).
 * Imports left `running` by a stopped process are continued when the app is ready.
 */
export const supportersIoRoutes = fp(
  async (app) => {
    const active = new Map<string, Promise<void>>();
    runs.set(app, active);
    let closing = false;

    /** Runs an import in the background (once per process), logging a failure (the import records it). */
    const launch = (id: string) => {
      if (active.has(id) || closing) return;
      const run = runStoredImport(app.db, app.keyring, id, { shouldStop: () => closing })
        .then((r) => {
          if (r?.error) app.log.error({ err: r.error, importId: id }, 'supporter import failed');
        })
        .catch((err: unknown) => app.log.error({ err, importId: id }, 'supporter import could not be recorded'))
        .finally(() => active.delete(id));
      active.set(id, run);
    };
    app.addHook('onReady', async () => {
      for (const id of await resumableImports(app.db)) launch(id);
    });
    app.addHook('preClose', async () => {
      // A run stops after its current batch; the next start continues it.
      closing = true;
      await Promise.allSettled([...active.values()]);
    });

    const maxBytes = () => Math.min(SUPPORTER_FILE_MAX_BYTES, app.documents.maxBytes);
    const title = (request: FastifyRequest, campaign: CampaignRecord) => campaignTitle(app, request, campaign.id).then((t) => ({ title: t.title, lang: t.lang }));

    const renderMain = async (request: FastifyRequest, reply: FastifyReply, campaign: CampaignRecord, errors: FieldError[] = [], status = 200) => {
      const [heading, imports, confirmed] = await Promise.all([
        title(request, campaign),
        listSupporterImports(app.db, campaign.id),
        app.db
          .selectFrom('supporters')
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .where('campaign_id', '=', campaign.id)
          .where('status', '=', 'confirmed')
          .executeTakeFirstOrThrow(),
      ]);
      return sendPage(
        request,
        reply,
        (ctx) => ctx.tr.t('supporters_io.page.title', { campaign: heading.title }),
        (ctx) => supportersIoView(ctx, { slug: campaign.slug, title: heading, confirmed: Number(confirmed.n), imports, errors: errorMap(errors), maxMb: Number((maxBytes() / 1_048_576).toPrecision(3)) }),
        status,
      );
    };

    app.get<{ Params: { slug: string } }>('/campaigns/:slug/supporters/import', { schema: { hide: true } }, async (request, reply) => {
      const campaign = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
      return renderMain(request, reply, campaign);
    });

    app.post<{ Params: { slug: string } }>(
      '/campaigns/:slug/supporters/import',
      { preValidation: uploadForm(app), config: { rateLimit: {} }, schema: { hide: true } },
      async (request, reply) => {
        let campaign: CampaignRecord;
        try {
          // Who may not see the campaign or does not coordinate it learns nothing, and nothing is stored.
          campaign = await getCampaignForCoordinator(app.db, request.viewer, request.params.slug);
        } catch (err) {
          discardUpload(request);
          throw err;
        }
        const upload = request.upload;
        if (!upload || upload.field !== 'file') {
          discardUpload(request);
          return renderMain(request, reply, campaign, [{ field: 'file', messageId: 'supporters_io.file.missing' }], 422);
        }
        const max = maxBytes();
        const bytes = await readUpload(upload.stream, max);
        // The client may still be sending the rest of a too large file: close the connection after
        // the answer, so no half-read request keeps it (and a shutting-down server) open.
        if (!bytes) reply.header('connection', 'close');
        if (!bytes) return renderMain(request, reply, campaign, [{ field: 'file', messageId: 'supporters_io.file.too_large', values: { max: Number((max / 1_048_576).toPrecision(3)) } }], 422);
        try {
          const id = await createSupporterImport(app.db, app.keyring, request.viewer, campaign.slug, { filename: upload.filename, bytes });
          return redirectAfterPost(reply, `/campaigns/${campaign.slug}/supporters/import/${id}`);
        } catch (err) {
          if (err instanceof ValidationFailed) return renderMain(request, reply, campaign, err.errors, 422);
          throw err;
        }
      },
    );

    /** The page of an import in its current state; `form` re-renders the preview with the submitted choices and errors. */
    const renderImport = async (
      request: FastifyRequest<{ Querystring: { refresh?: string } }>,
      reply: FastifyReply,
      slug: string,
      id: string,
      form?: { values: ImportStartFormValues; errors: FieldError[] },
      status = 200,
    ) => {
      const { campaign, row } = await getSupporterImport(app.db, request.viewer, slug, id);
      const heading = await title(request, campaign);
      const item = importView(row);
      if (item.status === 'preview') {
        const mapping = form ? mappingFromForm(form.values) : item.mapping;
        const preview = previewImport(app.keyring, row, campaign, mapping);
        // A guess that leaves a required field without a column says so at once.
        const errors = form?.errors ?? checkMapping(mapping, preview.header);
        return sendPage(
          request,
          reply,
          (ctx) => ctx.tr.t('supporters_io.preview.title', { campaign: heading.title }),
          (ctx) => importPreviewView(ctx, { slug: campaign.slug, title: heading, item, preview, mapping, consentBasis: form?.values.consentBasis ?? item.consentBasis ?? '', errors: errorMap(errors) }),
          status,
        );
      }
      if (item.status === 'running') {
        reply.header('cache-control', 'no-store');
        const refresh = request.query.refresh !== 'off';
        return sendPage(request, reply, (ctx) => ctx.tr.t('supporters_io.progress.title', { campaign: heading.title }), (ctx) => importProgressView(ctx, { slug: campaign.slug, title: heading, item, refresh }), status);
      }
      const titleId = item.status === 'failed' ? 'supporters_io.report.title_failed' : 'supporters_io.report.title';
      return sendPage(request, reply, (ctx) => ctx.tr.t(titleId, { campaign: heading.title }), (ctx) => importReportView(ctx, { slug: campaign.slug, title: heading, item }), status);
    };

    app.get<{ Params: { slug: string; id: string }; Querystring: { refresh?: string } }>('/campaigns/:slug/supporters/import/:id', { schema: { hide: true } }, async (request, reply) =>
      renderImport(request, reply, request.params.slug, request.params.id),
    );

    app.post<{ Params: { slug: string; id: string }; Body: ImportStartFormValues }>(
      '/campaigns/:slug/supporters/import/:id',
      { preValidation: app.csrfProtection, schema: { hide: true } },
      async (request, reply) => {
        const { slug, id } = request.params;
        const values = request.body ?? {};
        const start = values.intent === 'start';
        const here = `/campaigns/${slug}/supporters/import/${id}`;
        try {
          const started = await saveImportChoices(app.db, app.keyring, request.viewer, slug, id, { mapping: mappingFromForm(values), consentBasis: values.consentBasis }, { start });
          if (started) launch(id);
          return redirectAfterPost(reply, start ? here : `${here}#check-title`);
        } catch (err) {
          if (err instanceof ValidationFailed) return renderImport(request as FastifyRequest<{ Querystring: { refresh?: string } }>, reply, slug, id, { values, errors: err.errors }, 422);
          throw err;
        }
      },
    );

    app.post<{ Params: { slug: string; id: string } }>('/campaigns/:slug/supporters/import/:id/discard', { preValidation: app.csrfProtection, schema: { hide: true } }, async (request, reply) => {
      const { slug, id } = request.params;
      const discarded = await discardSupporterImport(app.db, request.viewer, slug, id);
      return redirectAfterPost(reply, discarded ? withNotice(`/campaigns/${slug}/supporters/import`, 'discarded') : `/campaigns/${slug}/supporters/import/${id}`);
    });

    /**
     * The confirmed supporters as formula-safe CSV (coordinators only), a download never kept by a
     * shared cache; `campaign.supporters_exported` is in the audit log before the first byte is sent.
     */
    app.get<{ Params: { slug: string } }>('/campaigns/:slug/supporters.csv', { schema: { hide: true } }, async (request, reply) => {
      const e = await exportSupporters(app.db, app.keyring, request.viewer, request.params.slug, request.tr);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', contentDisposition(e.filename))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .send(e.stream);
    });
  },
  { name: 'supportersIoRoutes', dependencies: ['request-context'] },
);
