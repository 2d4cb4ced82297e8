import fp from 'fastify-plugin';

/** Placeholder until this module's routes are written. */
export const invitationsRoutes = fp<{ secureCookies: boolean }>(async () => {}, { name: 'invitations-routes', dependencies: ['request-context'] });
