import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDb } from '../db/client.ts';
import { makeOrganization } from '../../test/helpers/factories.ts';
import { makeBarePact } from '../../test/helpers/ledger.ts';
import { CLI_TIMEOUT_MS, showRun, solidaris } from '../../test/helpers/cli.ts';

/**
 * End-to-end tests of `solidaris import ledger --format opencollective FILE --pact SLUG` as real
 * processes (as in cli.test.ts), on a SQLite file. The import itself is tested on every engine
 * in src/modules/pacts/import-opencollective.test.ts.
 */
const REAL = fileURLToPath(new URL('../../test/fixtures/ledgers/opencollective_transactions_pseudonymized.csv', import.meta.url));
const TIMEOUT_MS = CLI_TIMEOUT_MS;
const show = showRun;

describe('solidaris import ledger --format opencollective', { timeout: 10 * TIMEOUT_MS }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'solidaris-ledger-cli-'));
  const env = { SQLITE_PATH: join(dir, 'ledger.sqlite'), DATABASE_URL: '' };
  const entries = async () => {
    const h = await openDb({ engine: 'sqlite', path: env.SQLITE_PATH });
    try {
      const rows = await h.db.selectFrom('ledger_entries').select(['kind']).execute();
      return rows.length;
    } finally {
      await h.close();
    }
  };
  before(async () => {
    const migrated = await solidaris(['migrate'], env);
    assert.equal(migrated.code, 0, show(migrated));
    const h = await openDb({ engine: 'sqlite', path: env.SQLITE_PATH });
    try {
      const org = await makeOrganization(h.db);
      await makeBarePact(h.db, org.id, 'oc-fund');
    } finally {
      await h.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('imports the real export into the pact, reports the pending fee and the balance; a second run records nothing (German)', async () => {
    const r = await solidaris(['import', 'ledger', '--format', 'opencollective', REAL, '--pact', 'oc-fund'], env);
    assert.equal(r.code, 0, show(r));
    assert.equal(
      r.stdout,
      [
        'Importing 1,916 rows from opencollective_transactions_pseudonymized.csv into the pact oc-fund …',
        '1,916 rows: 3,225 entries recorded (6 of them reversals), 0 already present, 0 rejected',
        "Line 2: the processor fee $1.13 is not in the file's final balance yet. It is held back; importing a newer export that includes it records it.",
        "Balance USD: $5,689.42, the same as the file's final balance.",
        '',
      ].join('\n'),
    );
    assert.equal(await entries(), 3225);

    const de = await solidaris(['import', 'ledger', '--format', 'opencollective', REAL, '--pact', 'oc-fund'], { ...env, LANG: 'de_DE.UTF-8' });
    assert.equal(de.code, 0, show(de));
    assert.match(de.stdout, /^1\.916 Zeilen: 0 Buchungen erfasst \(davon 0 Stornos\), 3\.225 bereits vorhanden, 0 abgelehnt$/m, show(de));
    assert.match(de.stdout, /^Saldo USD: 5\.689,42\u00a0\$, gleich dem Endsaldo der Datei\.$/m, show(de));
    assert.equal(await entries(), 3225);

    const integrity = await solidaris(['check-integrity'], env);
    assert.equal(integrity.code, 0, show(integrity));
  });

  test('a file with rejected rows exits 1, lists them by line and writes nothing', async () => {
    const file = join(dir, 'broken.csv');
    const header = 'datetime,shortId,shortGroup,description,type,kind,isRefund,shortRefundId,amount,paymentProcessorFee,netAmount,balance,currency,oppositeAccountName';
    writeFileSync(
      file,
      [
        header,
        '2025-03-02T10:00:00,n2,g2,"Second, with a comma",CREDIT,CONTRIBUTION,,,12.3x,0,12.3,22.3,USD,B',
        '2025-03-01T10:00:00,n1,g1,First,CREDIT,CONTRIBUTION,,,10,0,10,10,USD,A',
        '',
      ].join('\n'),
    );
    const r = await solidaris(['import', 'ledger', '--format', 'opencollective', file, '--pact', 'oc-fund'], env);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /^Rejected rows:\n {2}Line 2: Column amount: “12\.3x” is not an amount in this currency$/m, show(r));
    assert.match(r.stdout, /^Import refused; nothing was written\.\nThe file has rejected rows\./m, show(r));
    assert.equal(await entries(), 3225);
  });

  test('a missing or unknown pact exits 2 with a message; so does a database that does not exist', async () => {
    const unknown = await solidaris(['import', 'ledger', '--format', 'opencollective', REAL, '--pact', 'no-such-pact'], env);
    assert.equal(unknown.code, 2, show(unknown));
    assert.equal(unknown.stderr, 'No pact with the address name no-such-pact.\n');
    const missing = await solidaris(['import', 'ledger', '--format', 'opencollective', REAL], { ...env, LANG: 'de_DE.UTF-8' });
    assert.equal(missing.code, 2, show(missing));
    assert.equal(missing.stderr, 'Geben Sie mit --pact SLUG den Pakt an, in den importiert werden soll.\n');
    const path = join(dir, 'nowhere', 'solidaris.sqlite');
    const noDb = await solidaris(['import', 'ledger', '--format', 'opencollective', REAL, '--pact', 'oc-fund'], { SQLITE_PATH: path, DATABASE_URL: '' });
    assert.equal(noDb.code, 2, show(noDb));
    assert.equal(existsSync(path), false, 'no database was created');
    const wrongFormat = await solidaris(['import', 'ledger', '--format', 'fmcs', REAL, '--pact', 'oc-fund'], env);
    assert.notEqual(wrongFormat.code, 0, show(wrongFormat));
    assert.match(wrongFormat.stderr, /ledger cannot be imported from the format fmcs; use --format opencollective/, show(wrongFormat));
  });
});
