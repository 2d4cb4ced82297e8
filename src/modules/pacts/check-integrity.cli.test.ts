import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type DbTarget } from '../../db/client.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { makeBarePact } from '../../../test/helpers/ledger.ts';
import { CLI_TIMEOUT_MS, cliSchema, showRun, solidaris } from '../../../test/helpers/cli.ts';
import { recordEntries } from './ledger.service.ts';

/** A ledger with a contribution and a fee, then `check-integrity` before and after tampering with the kept balance. */
async function scenario(target: DbTarget, env: Record<string, string | undefined>): Promise<void> {
  const h = await openDb(target);
  try {
    await migrateToLatest(h.db);
    const org = await makeOrganization(h.db);
    const pact = await makeBarePact(h.db, org.id, 'cli-pact');
    await recordEntries(h.db, {
      pactId: pact.id,
      recordedBy: null,
      entries: [
        { kind: 'contribution', amountMinor: 5000, currency: 'EUR', valueDate: '2026-05-01', counterparty: { kind: 'external', name: 'A' } },
        { kind: 'fee', amountMinor: -120, currency: 'EUR', valueDate: '2026-05-01', counterparty: { kind: 'external', name: null } },
      ],
    });
    const ok = await solidaris(['check-integrity'], env);
    assert.equal(ok.code, 0, showRun(ok));
    assert.match(ok.stdout, /11 checks run: the ledgers are consistent\./, showRun(ok));
    await h.db.updateTable('pact_balances').set({ balance_minor: 4900 }).where('pact_id', '=', pact.id).execute();
  } finally {
    await h.close();
  }
  const bad = await solidaris(['check-integrity'], env);
  assert.equal(bad.code, 1, showRun(bad));
  assert.match(bad.stdout, /^balance\tcli-pact\tcurrency=EUR kept=4900 sum=4880 /m, showRun(bad));
  assert.match(bad.stdout, /1 violation\./, showRun(bad));
  const de = await solidaris(['check-integrity'], { ...env, LANG: 'de_DE.UTF-8' });
  assert.match(de.stdout, /11 Prüfungen ausgeführt: 1 Verstoß\./, showRun(de));
}

describe('solidaris check-integrity', { timeout: 10 * CLI_TIMEOUT_MS }, () => {
  test('on SQLite: exit 0 on a sound ledger, 1 with the violation listed after tampering', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-integrity-'));
    try {
      const path = join(dir, 'i.sqlite');
      await scenario({ engine: 'sqlite', path }, { SQLITE_PATH: path, DATABASE_URL: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('on PostgreSQL', { skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL is not set (the CLI needs a server)' }, async () => {
    const s = await cliSchema(process.env.TEST_DATABASE_URL!);
    after(() => s.drop());
    await scenario({ engine: 'postgres', url: process.env.TEST_DATABASE_URL!, schema: s.schema }, { DATABASE_URL: s.databaseUrl, SQLITE_PATH: undefined });
  });

  test('a missing SQLite file is refused with exit 2, nothing created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-integrity-'));
    try {
      const r = await solidaris(['check-integrity'], { SQLITE_PATH: join(dir, 'none.sqlite'), DATABASE_URL: '' });
      assert.equal(r.code, 2, showRun(r));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
