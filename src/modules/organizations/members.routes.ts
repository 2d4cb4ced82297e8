import fp from 'fastify-plugin';

/** Placeholder until this module's routes are written. */
export const membersRoutes = fp(async () => {}, { name: 'members-routes', dependencies: ['request-context'] });
