import fp from 'fastify-plugin';

/** Network pages (`/networks…`) and API (`/api/v1/networks…`). */
export const networksRoutes = fp(async () => {}, { name: 'networks-routes', dependencies: ['request-context'] });
