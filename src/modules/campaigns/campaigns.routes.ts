import fp from 'fastify-plugin';

/** Routes for campaign pages and API (list, create, edit, translations, public page). */
export const campaignsRoutes = fp(async () => {}, { name: 'campaignsRoutes' });
