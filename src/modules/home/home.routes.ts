import fp from 'fastify-plugin';
import { sendPage } from '../../web/reply.ts';
import { todayIn } from '../../lib/time.ts';
import { countStrugglesBy, listStruggles } from '../struggles/struggles.repo.ts';
import { listNetworks } from '../networks/networks.repo.ts';
import { homeView } from './home.views.ts';
import { openCalls, upcomingActionDays } from './home.repo.ts';

/** The home page (`/`): everything on it goes through the same visibility-filtered repositories. */
export const homeRoutes = fp(
  async (app) => {
    app.get('/', { schema: { hide: true } }, async (request, reply) => {
      const viewer = request.viewer;
      const today = todayIn(viewer?.timeZone ?? 'UTC');
      const [calls, actionDays, recent, byCountry, bySector, networks, needsSetup] = await Promise.all([
        openCalls(app.db, viewer, today),
        upcomingActionDays(app.db, viewer, today),
        listStruggles(app.db, viewer, {}, { limit: 8 }),
        countStrugglesBy(app.db, viewer, 'country'),
        countStrugglesBy(app.db, viewer, 'sector'),
        listNetworks(app.db, viewer, { limit: 20, today: todayIn('UTC') }),
        app.needsSetup(),
      ]);
      const total = byCountry.reduce((sum, r) => sum + r.count, 0);
      return sendPage(request, reply, request.tr.t('home.title'), (ctx) => homeView(ctx, { calls, actionDays, recent, total, byCountry, bySector, networks, needsSetup }));
    });
  },
  { name: 'home-routes', dependencies: ['request-context', 'accounts-routes'] },
);
