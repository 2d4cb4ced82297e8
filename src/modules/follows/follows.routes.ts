import fp from 'fastify-plugin';

/** Follow buttons, an organization's follows, the notification list, and their API. */
export const followsRoutes = fp(async () => {}, { name: 'follows-routes', dependencies: ['request-context'] });
