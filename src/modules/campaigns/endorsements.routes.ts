import fp from 'fastify-plugin';

/** Routes for organization endorsements of campaigns. */
export const endorsementsRoutes = fp(async () => {}, { name: 'endorsementsRoutes' });
