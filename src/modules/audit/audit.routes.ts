import fp from 'fastify-plugin';

/** Placeholder until this module's routes are written. */
export const auditRoutes = fp(async () => {}, { name: 'audit-routes', dependencies: ['request-context'] });
