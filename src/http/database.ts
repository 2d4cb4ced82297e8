import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Engine } from '../db/client.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>;
    dbEngine: Engine;
  }
}

/** Makes the database handle available as `app.db` (`app.dbEngine` names the dialect). */
export const databasePlugin = fp<{ db: Kysely<Database>; engine: Engine }>(
  async (app, opts) => {
    app.decorate('db', opts.db);
    app.decorate('dbEngine', opts.engine);
  },
  { name: 'database' },
);
