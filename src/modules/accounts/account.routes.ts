import fp from 'fastify-plugin';

/** Placeholder until this module's routes are written. */
export const accountRoutes = fp(async () => {}, { name: 'account-routes', dependencies: ['request-context'] });
