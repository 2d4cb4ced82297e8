import fp from 'fastify-plugin';

/** Placeholder until this module's routes are written. */
export const feedsRoutes = fp(async () => {}, { name: 'feeds-routes', dependencies: ['request-context'] });
