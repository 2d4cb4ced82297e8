import fp from 'fastify-plugin';

/** Personal, revocable feed links and the feeds read through them. */
export const feedTokensRoutes = fp(async () => {}, { name: 'feed-tokens-routes', dependencies: ['request-context'] });
