import fp from 'fastify-plugin';

/** Placeholder until this module's routes are written. */
export const actionDaysRoutes = fp(async () => {}, { name: 'action-days-routes', dependencies: ['request-context'] });
