import fp from 'fastify-plugin';

/** Placeholder until this module's routes are written. */
export const passwordResetRoutes = fp(async () => {}, { name: 'password-reset-routes', dependencies: ['request-context'] });
