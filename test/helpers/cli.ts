import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/**
 * Runs the `solidaris` CLI (bin/solidaris.js) as a real process for end-to-end tests.
 * `process.execPath` is the pinned Node 24 when the suite runs through npm/npx.
 */
const BIN = fileURLToPath(new URL('../../bin/solidaris.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_TIMEOUT_MS = 60_000;

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `solidaris ...args` with the test's environment plus `env` (undefined removes a variable); never rejects. */
export function solidaris(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  delete inherited.SOLIDARIS_ADMIN_PASSWORD;
  delete inherited.NODE_TEST_CONTEXT; // the child is not a test file
  const full: NodeJS.ProcessEnv = { ...inherited, LANG: 'en_US.UTF-8', LC_ALL: '', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete full[k];
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: full, timeout: CLI_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, signal: (err as { signal?: NodeJS.Signals } | null)?.signal ?? null, stdout, stderr });
    });
    child.stdin?.end(); // no terminal: a prompt must not wait forever
  });
}

/** A readable summary of a run for assertion messages. */
export const showRun = (r: Run) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/**
 * A schema of its own on the PostgreSQL server at `url` for a CLI test, with the DATABASE_URL
 * whose connections use it (libpq `options`), and a function that drops it.
 */
export async function cliSchema(url: string): Promise<{ schema: string; databaseUrl: string; drop(): Promise<void> }> {
  const schema = `c_${randomBytes(5).toString('hex')}`;
  const run = async (q: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE SCHEMA ${schema}`);
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return { schema, databaseUrl: u.toString(), drop: () => run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}
