import fp from 'fastify-plugin';

/** Placeholder until this module's routes are written. */
export const callsRoutes = fp(async () => {}, { name: 'calls-routes', dependencies: ['request-context'] });
