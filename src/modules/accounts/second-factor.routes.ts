import fp from 'fastify-plugin';

/** Placeholder until this module's routes are written. */
export const secondFactorRoutes = fp<{ secureCookies: boolean }>(async () => {}, { name: 'second-factor-routes', dependencies: ['request-context'] });
