import { after, before, beforeEach } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../../src/app.ts';
import { createTestDb, type TestDb, type TestEngine } from './db.ts';
import { createSession, createUser, setOrganizationRole } from '../../src/modules/accounts/accounts.service.ts';
import { generateDataKeyLine } from '../../src/lib/sealed.ts';

/** One data key per test process (sealed fields in test apps); tests may pass their own `dataKeys`. */
const TEST_DATA_KEYS = { kind: 'env', value: generateDataKeyLine('test') } as const;

export interface TestApp {
  app: FastifyInstance;
  db: TestDb;
  close(): Promise<void>;
}

/** Options a test may set on top of the defaults (e.g. `smtpUrl` of a test SMTP server). */
export type TestAppOptions = Partial<Omit<AppOptions, 'db' | 'engine'>>;

/** The application as production builds it, on a fresh test database of `engine`. */
export async function buildTestApp(engine: TestEngine, extra: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDb(engine);
  // Stored documents go to a temp directory of this app, removed on close.
  const documentsDir = mkdtempSync(join(tmpdir(), 'solidaris-documents-'));
  // Signing limits as generous as the general one (a test signs many times from one address; the abuse tests set their own).
  const app = await buildApp({ db: db.db, engine: db.engine, logLevel: 'silent', rateLimitPerMinute: 1000, signingLimits: { perAddressPerMinute: 1000, perPrefixPerMinute: 1000 }, dataKeys: TEST_DATA_KEYS, documentsDir, ...extra });
  await app.ready();
  return {
    app,
    db,
    async close() {
      await app.close();
      await db.drop();
      rmSync(documentsDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** Creates an account (optionally with organization roles) and returns its id and a session cookie header value. */
export async function loginAs(
  t: TestApp,
  o: { admin?: boolean; roles?: [organizationId: string, role: 'admin' | 'coordinator' | 'member' | 'viewer'][]; name?: string } = {},
): Promise<{ userId: string; cookie: string }> {
  counter += 1;
  const userId = await createUser(t.db.db, {
    email: `person${counter}-${Date.now()}@example.org`,
    displayName: o.name ?? `Person ${counter}`,
    password: 'correct horse battery',
    isAdmin: o.admin,
  });
  for (const [org, role] of o.roles ?? []) await setOrganizationRole(t.db.db, org, userId, role);
  const token = await createSession(t.db.db, userId);
  return { userId, cookie: `sid=${token}` };
}

/** Cookie pairs from a response's Set-Cookie headers, as one Cookie header value. */
export function cookiesFrom(res: LightMyRequestResponse): string {
  return res.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

/**
 * Loads `path` (a page with a form) and returns the CSRF token and the cookie header to send
 * with the form POST (the session cookie plus the CSRF secret cookie).
 */
export async function formSession(t: TestApp, path: string, cookie = ''): Promise<{ csrf: string; cookie: string }> {
  const res = await t.app.inject({ method: 'GET', url: path, headers: cookie ? { cookie } : {} });
  const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
  if (!m) throw new Error(`no CSRF field on ${path} (status ${res.statusCode})`);
  const jar = [cookie, cookiesFrom(res)].filter(Boolean).join('; ');
  return { csrf: m[1]!, cookie: jar };
}

/** URL-encodes a form body. */
export function form(values: Record<string, string>): string {
  return new URLSearchParams(values).toString();
}

/**
 * Registers the usual lifecycle in the current `describe`: build the app on `engine` before the
 * tests, close it after them, empty every table before each test. Returns the handle, filled in
 * once `before` has run.
 */
export function useTestApp(engine: TestEngine, extra: TestAppOptions | (() => TestAppOptions) = {}): TestApp {
  const handle = {} as TestApp;
  before(async () => {
    Object.assign(handle, await buildTestApp(engine, typeof extra === 'function' ? extra() : extra));
  });
  after(async () => {
    await handle.close();
  });
  beforeEach(async () => {
    await handle.db.reset();
  });
  return handle;
}

/**
 * Loads `page` (optionally signed in with `cookie`) for its CSRF token and posts `values` as a
 * URL-encoded form to `action`, the way a browser submits the page's form.
 */
export async function postForm(
  t: TestApp,
  page: string,
  action: string,
  values: Record<string, string>,
  cookie = '',
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const s = await formSession(t, page, cookie);
  return t.app.inject({
    method: 'POST',
    url: action,
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: form({ _csrf: s.csrf, ...values }),
  });
}
