import fp from 'fastify-plugin';

/** The home page. */
export const homeRoutes = fp(async () => {}, { name: 'home-routes', dependencies: ['request-context'] });
