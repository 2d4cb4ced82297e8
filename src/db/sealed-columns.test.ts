import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINES, createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { makeOrganization } from '../../test/helpers/factories.ts';
import { openDb, type Db } from './client.ts';
import { migrateToLatest } from './migrate.ts';
import { newId } from '../lib/ids.ts';
import { generateDataKeyLine, needsReseal, open, openJson, parseDataKeys, seal, sealedKeyId, type Keyring } from '../lib/sealed.ts';
import { beneficiaryAad, rotateSealedColumns, SEALED_COLUMNS } from './sealed-columns.ts';

const NOW = '2026-11-30T12:00:00.000Z';

/** A pact (owned by a new organization) to hang beneficiaries on. */
async function makePact(db: Db, title = 'Families of the Kolwezi miners'): Promise<string> {
  const org = await makeOrganization(db);
  const id = newId();
  await db
    .insertInto('pacts')
    .values({
      id,
      slug: `pact-${id}`,
      organization_id: org.id,
      title,
      description: 'Support for miners’ families',
      lang: 'en',
      beneficiary_group: 'families of miners',
      country: 'CD',
      goal_minor: null,
      goal_currency: null,
      period_start: '2026-01-01',
      period_end: null,
      status: 'open',
      closed_at: null,
      visibility: 'private',
      search_text: title.toLowerCase(),
      created_by: null,
      created_at: NOW,
      updated_at: NOW,
    })
    .execute();
  return id;
}

/** A beneficiary whose personal fields are sealed the way the pact module stores them. */
async function addBeneficiary(db: Db, keyring: Keyring, pactId: string, code: string, personal: object): Promise<string> {
  const id = newId();
  await db
    .insertInto('beneficiaries')
    .values({
      id,
      pact_id: pactId,
      code,
      kind: 'household',
      household_size: 4,
      sealed_personal: seal(keyring, personal, beneficiaryAad(id)),
      archived_at: null,
      created_by: null,
      created_at: NOW,
      updated_at: NOW,
    })
    .execute();
  return id;
}

describe('SEALED_COLUMNS', () => {
  test('lists beneficiaries.sealed_personal with the aad beneficiaries:<id>, the supporters\' addresses and the uploaded supporter files', () => {
    assert.deepEqual(
      SEALED_COLUMNS.map((c) => `${c.table}.${c.column}`),
      ['beneficiaries.sealed_personal', 'supporters.email_sealed', 'supporter_imports.file_sealed'],
    );
    assert.equal(SEALED_COLUMNS[0]!.aad({ id: 'abc' }), 'beneficiaries:abc');
    assert.equal(SEALED_COLUMNS[1]!.aad({ id: 'abc' }), 'supporters:abc');
    assert.equal(SEALED_COLUMNS[2]!.aad({ id: 'abc' }), 'supporter_imports:abc');
  });
});

for (const engine of ENGINES) {
  describe(`rotate data key (${engine})`, () => {
    let t: TestDb;
    before(async () => {
      t = await createTestDb(engine);
    });
    after(async () => {
      await t.drop();
    });
    beforeEach(async () => {
      await t.reset();
    });

    test('re-seals every value of the old key with the new one, in batches; a second run changes nothing', async () => {
      const oldLine = generateDataKeyLine('old');
      const newLine = generateDataKeyLine('new');
      const oldRing = parseDataKeys(oldLine, 'test');
      const pact = await makePact(t.db);
      const people = Array.from({ length: 7 }, (_, i) => ({ name: `Person ${i} Ngalula`, phone: `+24381000000${i}` }));
      const ids: string[] = [];
      for (const [i, p] of people.entries()) ids.push(await addBeneficiary(t.db, oldRing, pact, `H-${String(i).padStart(4, '0')}`, p));

      // The new key goes first; the old one stays so old values can still be opened.
      const rotated = parseDataKeys(`${newLine}\n${oldLine}`, 'test');
      // One value was already sealed with the new key (e.g. written after the servers restarted).
      const already = await addBeneficiary(t.db, rotated, pact, 'H-0099', { name: 'Already new' });
      const batches: number[] = [];
      const [count] = await rotateSealedColumns(t.db, rotated, { batchSize: 3, onBatch: (c) => c.table === 'beneficiaries' && batches.push(c.scanned) });
      assert.deepEqual(count!, { table: 'beneficiaries', column: 'sealed_personal', scanned: 8, resealed: 7, current: 1, failed: [] });
      assert.deepEqual(batches, [3, 6, 8], 'three batches of at most three rows');

      const rows = await t.db.selectFrom('beneficiaries').select(['id', 'sealed_personal', 'updated_at']).orderBy('code').execute();
      for (const row of rows) {
        assert.equal(sealedKeyId(row.sealed_personal), 'new');
        assert.equal(needsReseal(rotated, row.sealed_personal), false);
        assert.equal(row.updated_at, NOW, 're-sealing is not an edit');
      }
      // Only the new key is needed from now on: the old line can be removed.
      const newOnly = parseDataKeys(newLine, 'test');
      for (const [i, id] of ids.entries()) {
        const row = rows.find((r) => r.id === id)!;
        assert.deepEqual(openJson(newOnly, row.sealed_personal, beneficiaryAad(id)), people[i]);
      }
      assert.deepEqual(openJson(newOnly, rows.find((r) => r.id === already)!.sealed_personal, beneficiaryAad(already)), { name: 'Already new' });

      const [again] = await rotateSealedColumns(t.db, rotated, { batchSize: 3 });
      assert.deepEqual(again!, { table: 'beneficiaries', column: 'sealed_personal', scanned: 8, resealed: 0, current: 8, failed: [] });
    });

    test('a value that cannot be opened is reported by id and left as it was; the others are re-sealed', async () => {
      const oldLine = generateDataKeyLine('old');
      const oldRing = parseDataKeys(oldLine, 'test');
      const pact = await makePact(t.db);
      const good = await addBeneficiary(t.db, oldRing, pact, 'H-0001', { name: 'Good' });
      const moved = await addBeneficiary(t.db, oldRing, pact, 'H-0002', { name: 'Moved' });
      // A value copied from another row: its aad names the other row.
      const copied = (await t.db.selectFrom('beneficiaries').select('sealed_personal').where('id', '=', good).executeTakeFirstOrThrow()).sealed_personal;
      await t.db.updateTable('beneficiaries').set({ sealed_personal: copied }).where('id', '=', moved).execute();
      const rotated = parseDataKeys(`${generateDataKeyLine('new')}\n${oldLine}`, 'test');
      const [count] = await rotateSealedColumns(t.db, rotated);
      assert.equal(count!.resealed, 1);
      assert.deepEqual(count!.failed, [{ id: moved, code: 'auth_failed' }]);
      const after = await t.db.selectFrom('beneficiaries').select('sealed_personal').where('id', '=', moved).executeTakeFirstOrThrow();
      assert.equal(after.sealed_personal, copied);
      assert.equal(open(rotated, (await t.db.selectFrom('beneficiaries').select('sealed_personal').where('id', '=', good).executeTakeFirstOrThrow()).sealed_personal, beneficiaryAad(good)), '{"name":"Good"}');
    });
  });
}

describe('beneficiary personal fields in a SQLite file', () => {
  test('neither the database file nor its WAL contains the plaintext (a plain column next to it does)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-sealed-'));
    const path = join(dir, 'grep.sqlite');
    const name = 'Mireille Kabwe-Tshibangu';
    const phone = '+243991234567';
    const street = 'Avenue Lumumba 17';
    const needles = [name, phone, street, 'Kabwe'];
    const keyring = parseDataKeys(generateDataKeyLine('k1'), 'test');
    try {
      const h = await openDb({ engine: 'sqlite', path });
      try {
        await migrateToLatest(h.db);
        // The pact title is a plain column: it must be found, which proves the grep sees the data.
        const pact = await makePact(h.db, 'Kolwezi families pact plain marker');
        const id = await addBeneficiary(h.db, keyring, pact, 'H-0001', { name, phone, address: street, notes: 'Drei Kinder' });
        const wal = readFileSync(`${path}-wal`);
        const main = readFileSync(path);
        const both = Buffer.concat([main, wal]);
        assert.ok(both.includes('Kolwezi families pact plain marker'), 'the plain control value is in the file or WAL');
        for (const needle of needles) {
          assert.equal(both.includes(Buffer.from(needle, 'utf8')), false, `${needle} in the open database`);
          assert.equal(both.includes(Buffer.from(needle, 'utf16le')), false, `${needle} (UTF-16) in the open database`);
        }
        const stored = await h.db.selectFrom('beneficiaries').select('sealed_personal').where('id', '=', id).executeTakeFirstOrThrow();
        assert.equal(openJson<{ name: string }>(keyring, stored.sealed_personal, beneficiaryAad(id)).name, name);
      } finally {
        await h.close();
      }
      const files = [path, `${path}-wal`].filter((f) => existsSync(f));
      const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
      assert.ok(bytes.includes('Kolwezi families pact plain marker'), 'checkpointed into the main file');
      for (const needle of needles) assert.equal(bytes.includes(Buffer.from(needle, 'utf8')), false, `${needle} in the closed database`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const BIN = fileURLToPath(new URL('../../bin/solidaris.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `solidaris ...args` as a process (the pinned Node) with `env` on top of a clean environment. */
function solidaris(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const full: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'en_US.UTF-8', LOG_LEVEL: 'silent', ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: full, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

describe('solidaris generate-data-key / rotate-data-key', { timeout: 180_000 }, () => {
  test('a generated key put first, rotate re-seals, a second run re-seals nothing; production without keys fails clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-rotate-'));
    try {
      const path = join(dir, 'db.sqlite');
      const keyFile = join(dir, 'data-keys');
      const oldLine = generateDataKeyLine('old');
      const h = await openDb({ engine: 'sqlite', path });
      let id: string;
      try {
        await migrateToLatest(h.db);
        id = await addBeneficiary(h.db, parseDataKeys(oldLine, 'test'), await makePact(h.db), 'H-0001', { name: 'Mireille' });
      } finally {
        await h.close();
      }

      const generated = await solidaris(['generate-data-key', '--id', 'new'], {});
      assert.equal(generated.code, 0, generated.stderr);
      const newLine = generated.stdout.trim();
      assert.match(newLine, /^new:[A-Za-z0-9+/]{43}=$/);
      assert.match(generated.stderr, /rotate-data-key/);
      writeFileSync(keyFile, `${newLine}\n${oldLine}\n`, { mode: 0o600 });

      const env = { SQLITE_PATH: path, DATA_KEY_FILE: keyFile };
      const first = await solidaris(['rotate-data-key', '--batch-size', '10'], env);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /Current data key: new/);
      assert.match(first.stdout, /beneficiaries\.sealed_personal: 1 value re-sealed, 0 already current, 0 could not be opened/);
      const second = await solidaris(['rotate-data-key'], env);
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.match(second.stdout, /0 values re-sealed, 1 already current/);

      const h2 = await openDb({ engine: 'sqlite', path });
      try {
        const row = await h2.db.selectFrom('beneficiaries').select('sealed_personal').where('id', '=', id).executeTakeFirstOrThrow();
        assert.deepEqual(openJson(parseDataKeys(newLine, 'test'), row.sealed_personal, beneficiaryAad(id)), { name: 'Mireille' });
      } finally {
        await h2.close();
      }

      // In production nothing is made up: no key file appears beside the database (where development would put one).
      rmSync(keyFile);
      const none = await solidaris(['rotate-data-key'], { SQLITE_PATH: path, NODE_ENV: 'production' });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no data key is configured: set DATA_KEY_FILE/);
      assert.equal(existsSync(keyFile), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
