import fp from 'fastify-plugin';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { NotFound, ValidationFailed } from '../../http/errors.ts';
import { decodeCursor, encodeCursor } from '../../lib/cursor.ts';
import { sendPage } from '../../web/reply.ts';
import { isolate } from '../../i18n/i18n.ts';
import { canReadAuditLog, findOrganizationBySlug, listAuditEvents } from './audit.repo.ts';
import { actionLabel, auditLogView } from './audit.views.ts';
import { AuditListOut, AuditListQuery, AuditParams } from './audit.schemas.ts';

const PAGE_SIZE = 50;

/**
 * An organization's audit log, as a page (`GET /organizations/:slug/audit`) and JSON
 * (`GET /api/v1/organizations/:slug/audit`). Readable by the organization's admins (effective
 * role, so an admin held back for a missing second factor is not one) and instance admins;
 * everyone else — and an unknown slug — gets 404, so the log's existence is not revealed.
 * Newest first with keyset pagination (`before` = the previous page's `next`).
 */
export const auditRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    const page = async (request: FastifyRequest, slug: string, q: { before?: string; limit?: number }) => {
      const org = await findOrganizationBySlug(app.db, slug);
      if (!org || !canReadAuditLog(request.viewer, org.id)) throw new NotFound();
      const cursor = decodeCursor(q.before, 2);
      if (q.before && !cursor) throw new ValidationFailed([{ field: 'before', messageId: 'validation.cursor' }]);
      const limit = q.limit ?? PAGE_SIZE;
      const rows = await listAuditEvents(app.db, org.id, { before: cursor ? { at: cursor[0]!, id: cursor[1]! } : undefined, limit: limit + 1 });
      const entries = rows.slice(0, limit);
      const last = entries.at(-1);
      return { org, entries, next: rows.length > limit && last ? encodeCursor([last.at, last.id]) : null };
    };

    app.get<{ Params: { slug: string }; Querystring: { before?: string } }>('/organizations/:slug/audit', { schema: { hide: true } }, async (request, reply) => {
      const r = await page(request, request.params.slug, { before: typeof request.query.before === 'string' ? request.query.before : undefined });
      reply.header('cache-control', 'no-store');
      return sendPage(request, reply, (ctx) => ctx.tr.t('audit.page.title', { organization: isolate(r.org.name) }), (ctx) =>
        auditLogView(ctx, { organization: r.org, entries: r.entries, next: r.next }),
      );
    });

    app.get(
      '/api/v1/organizations/:slug/audit',
      { schema: { tags: ['organizations'], summary: "An organization's audit log (its admins and instance admins)", params: AuditParams, querystring: AuditListQuery, response: { 200: AuditListOut } } },
      async (request, reply) => {
        const r = await page(request, request.params.slug, request.query);
        reply.header('cache-control', 'no-store');
        return {
          items: r.entries.map((e) => ({
            id: e.id,
            at: e.at,
            actor: e.actor ? { id: e.actor.id, displayName: e.actor.erased ? null : e.actor.displayName, erased: e.actor.erased } : null,
            sessionRef: e.sessionRef,
            action: e.action,
            actionLabel: actionLabel(request.tr, e.action),
            subjectType: e.subjectType,
            subjectId: e.subjectId,
            subjectName: e.subjectErased ? null : e.subjectName,
            details: e.details,
          })),
          next: r.next,
        };
      },
    );
  },
  { name: 'audit-routes', dependencies: ['request-context'] },
);
