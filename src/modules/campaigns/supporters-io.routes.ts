import fp from 'fastify-plugin';

/** Routes for import and export of supporters. */
export const supportersIoRoutes = fp(async () => {}, { name: 'supportersIoRoutes' });
