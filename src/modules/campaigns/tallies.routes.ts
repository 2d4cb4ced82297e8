import fp from 'fastify-plugin';

/** Routes for paper-list tallies of campaigns. */
export const talliesRoutes = fp(async () => {}, { name: 'talliesRoutes' });
