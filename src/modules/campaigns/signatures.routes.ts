import fp from 'fastify-plugin';

/** Routes for signing, confirming and withdrawing signatures. */
export const signaturesRoutes = fp(async () => {}, { name: 'signaturesRoutes' });
