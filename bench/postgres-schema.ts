import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb, type DbHandle } from '../src/db/client.ts';

/**
 * Runs `fn` on a fresh schema `bench_<random>` of the PostgreSQL server at `url` (a pool of
 * `poolSize` connections whose search path is that schema) and drops the schema afterwards — also
 * when the run is interrupted with Ctrl-C or SIGTERM, so a benchmark leaves nothing behind.
 */
export async function withBenchSchema(url: string, poolSize: number, fn: (handle: DbHandle, schema: string) => Promise<void>): Promise<void> {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const run = async (query: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(query);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE SCHEMA ${schema}`);
  const dropSchema = () => run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  const interrupted = () => void dropSchema().finally(() => process.exit(130));
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const handle = await openDb({ engine: 'postgres', url, schema, poolSize });
  try {
    await fn(handle, schema);
  } finally {
    await handle.close();
    await dropSchema();
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}
