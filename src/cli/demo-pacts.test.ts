import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDb, ENGINES, type TestDb } from '../../test/helpers/db.ts';
import { Keyring } from '../lib/sealed.ts';
import { loadConfig } from '../config/config.ts';
import { viewerForAccount } from '../modules/accounts/accounts.service.ts';
import { listBeneficiaries } from '../modules/pacts/beneficiaries.service.ts';
import { checkIntegrity } from '../modules/pacts/integrity.service.ts';
import { pactBalances } from '../modules/pacts/ledger.service.ts';
import { getPact } from '../modules/pacts/pacts.service.ts';
import { listPledges } from '../modules/pacts/pledges.service.ts';
import { transparencyReport } from '../modules/pacts/report.service.ts';
import { buildDemoScenario, DEMO_CONGO_STRUGGLE } from './demo-scenario.ts';
import { buildDemoPacts, DEMO_PACT, demoKeyring, type DemoPactsSummary } from './demo-pacts.ts';

const userId = async (t: TestDb, email: string) => (await t.db.selectFrom('users').select('id').where('email', '=', `${email}@demo.solidaris.invalid`).executeTakeFirstOrThrow()).id;

for (const engine of ENGINES) {
  describe(`demo solidarity pact (${engine})`, () => {
    let t: TestDb;
    let built: DemoPactsSummary;
    let pactId: string;
    const keyring = new Keyring([['demo-test', randomBytes(32)]]);
    before(async () => {
      t = await createTestDb(engine);
      await buildDemoScenario(t.db);
      built = await buildDemoPacts(t.db, keyring);
      pactId = (await t.db.selectFrom('pacts').select('id').where('slug', '=', DEMO_PACT).executeTakeFirstOrThrow()).id;
    });
    after(() => t.drop());

    test('what was built, and the integrity check finds nothing', async () => {
      assert.deepEqual(built, {
        pact: DEMO_PACT,
        rates: 61045,
        pledges: 6,
        contributions: 25,
        beneficiaries: 8,
        disbursements: { approved: 10, refused: 1, waiting: 1 },
        reversals: 3,
      });
      assert.deepEqual(await checkIntegrity(t.db), []);
    });

    test('the pact: owned by the Kolwezi union with Solidarität Grenzenlos, linked to the Congo strike, goal 20,000 EUR', async () => {
      const pact = await getPact(t.db, null, DEMO_PACT);
      assert.equal(pact.title, 'Families of the Kolwezi miners');
      assert.equal(pact.country, 'CD');
      assert.equal(pact.goal_minor, 2_000_000);
      assert.equal(pact.goal_currency, 'EUR');
      assert.equal(pact.period_start, '2025-01-01');
      assert.equal(pact.visibility, 'public');
      assert.equal(pact.status, 'open');
      const orgs = await t.db.selectFrom('organizations').select(['id', 'slug']).where('id', 'in', pact.initiatorIds).execute();
      const owner = orgs.find((o) => o.id === pact.organization_id)!;
      assert.equal(owner.slug, 'smk-kolwezi');
      assert.deepEqual(orgs.map((o) => o.slug).sort(), ['smk-kolwezi', 'solidaritaet-grenzenlos']);
      const struggles = await t.db
        .selectFrom('pact_struggles')
        .innerJoin('struggles', 'struggles.id', 'pact_struggles.struggle_id')
        .select('struggles.slug')
        .where('pact_id', '=', pact.id)
        .execute();
      assert.deepEqual(struggles.map((s) => s.slug), [DEMO_CONGO_STRUGGLE]);
    });

    test('balances per currency equal the story added up by hand (minor units)', async () => {
      // CDF: Mamans du Cuivre 5 × 500,000.00 (fee 7,500.00 each) + 750,000.00 in 2026; paid out
      // 3 × 250,000 + 300,000 (bounced, reversed) + 300,000 + 400,000 + 500,000 (2026).
      const cdf = (5 * 500_000_00 - 5 * 7_500_00 + 750_000_00) - (3 * 250_000_00 + 300_000_00 + 300_000_00 + 400_000_00 + 500_000_00) + 300_000_00;
      // EUR: Grenzenlos 4 × 1,000, Neckartal 4 × 250 + 480 (2026), a person 3 × 25 less 3 × 0.85 fees; a hospital bill of 400.
      const eur = 4 * 1_000_00 + 4 * 250_00 + 480_00 + 3 * 25_00 - 3 * 85 - 400_00;
      // USD: ABC 3 × 400 less 3 × 18 (the duplicate of March and its fee reversed), Liwanag 150 less 12; paid out 300 + 250.
      const usd = 3 * 400_00 - 3 * 18_00 + 150_00 - 12_00 - 300_00 - 250_00;
      // TRY: Özgür Metal 2 × 15,000 less 2 × 250 fees; nothing paid out in lira.
      const tryMinor = 2 * 15_000_00 - 2 * 250_00;
      assert.deepEqual(
        (await pactBalances(t.db, pactId)).map((b) => [b.currency, b.balanceMinor]),
        [['CDF', cdf], ['EUR', eur], ['TRY', tryMinor], ['USD', usd]],
      );
      assert.deepEqual([cdf, eur, tryMinor, usd], [126_250_000, 515_245, 2_950_000, 73_400]);
    });

    test('three reversals: the duplicate contribution with its fee, and the bounced disbursement', async () => {
      const reversals = await t.db
        .selectFrom('ledger_entries as r')
        .innerJoin('ledger_entries as o', 'o.id', 'r.reverses_id')
        .select(['o.kind', 'r.amount_minor', 'r.currency', 'r.value_date', 'r.description', 'r.group_id'])
        .where('r.pact_id', '=', pactId)
        .where('r.kind', '=', 'reversal')
        .orderBy('r.seq')
        .execute();
      assert.deepEqual(
        reversals.map((r) => [r.kind, Number(r.amount_minor), r.currency, r.value_date]),
        [
          ['fee', 1800, 'USD', '2025-03-27'],
          ['contribution', -40000, 'USD', '2025-03-27'],
          ['disbursement', 30_000_000, 'CDF', '2025-05-02'],
        ],
      );
      assert.equal(reversals[0]!.group_id, reversals[1]!.group_id);
      assert.match(reversals[2]!.description ?? '', /bounced/);
    });

    test('pledges in EUR, USD, TRY and CDF: all fulfilled except the Brazilian union’s, overdue May–July 2025', async () => {
      const grenzenlos = await viewerForAccount(t.db, await userId(t, 'grenzenlos'));
      const pact = await getPact(t.db, grenzenlos, DEMO_PACT);
      const pledges = await listPledges(t.db, grenzenlos, pact, '2026-11-30');
      // Recorded in one moment: listed in no particular order among themselves, so sorted here.
      const key = (p: { currency: string; organizationSlug: string | null }) => `${p.currency} ${p.organizationSlug ?? '~person'}`;
      pledges.sort((a, b) => (key(a) < key(b) ? -1 : 1));
      const summary = pledges.map((p) => [p.pledgerKind, p.organizationSlug, p.currency, p.frequency, p.periods.map((x) => x.state[0]).join(''), p.overdue]);
      assert.deepEqual(summary, [
        ['organization', 'mamans-du-cuivre', 'CDF', 'monthly', 'fffff', 0],
        ['organization', 'basisgruppe-autoarbeiter-neckartal', 'EUR', 'monthly', 'ffff', 0],
        ['organization', 'solidaritaet-grenzenlos', 'EUR', 'monthly', 'ffff', 0],
        ['person', null, 'EUR', 'monthly', 'fff', 0],
        ['organization', 'ozgur-metal-emekcileri-sendikasi', 'TRY', 'quarterly', 'ff', 0],
        ['organization', 'sindicato-livre-automotivos-abc', 'USD', 'monthly', 'fffooo', 3],
      ]);
      // March of the Brazilian pledge counts once: the duplicate and its reversal cancel out.
      assert.equal(pledges[5]!.periods[1]!.fulfilledMinor, 40000);
      assert.deepEqual(pledges[5]!.periods.slice(3).map((p) => [p.start, p.fulfilledMinor]), [['2025-05-01', 0], ['2025-06-01', 0], ['2025-07-01', 0]]);
      assert.equal(pledges[3]!.pledgerName, 'Demo-Mitglied Freundeskreis');
    });

    test('disbursements: proposed in Kolwezi, decided in Essen; one refused, one waiting for the second coordinator', async () => {
      const [kolwezi, grenzenlos] = [await userId(t, 'kolwezi'), await userId(t, 'grenzenlos')];
      const rows = await t.db.selectFrom('disbursements').select(['status', 'currency', 'proposed_by', 'decided_by', 'entry_id', 'decision_note']).where('pact_id', '=', pactId).execute();
      assert.equal(rows.length, 12);
      assert.ok(rows.every((r) => r.proposed_by === kolwezi));
      const approved = rows.filter((r) => r.status === 'approved');
      assert.equal(approved.length, 10);
      assert.ok(approved.every((r) => r.decided_by === grenzenlos && r.entry_id));
      assert.deepEqual(new Set(approved.map((r) => r.currency)), new Set(['CDF', 'USD', 'EUR']));
      const rejected = rows.filter((r) => r.status === 'rejected');
      assert.equal(rejected.length, 1);
      assert.equal(rejected[0]!.decided_by, grenzenlos);
      assert.ok(rejected[0]!.decision_note);
      const waiting = rows.filter((r) => r.status === 'proposed');
      assert.deepEqual(waiting.map((r) => [r.currency, r.decided_by, r.entry_id]), [['USD', null, null]]);
    });

    test('the register: eight fictional households, sealed in the database, open for a coordinator with the same keyring', async () => {
      const kolwezi = await viewerForAccount(t.db, await userId(t, 'kolwezi'));
      const register = await listBeneficiaries(t.db, keyring, kolwezi, DEMO_PACT);
      assert.equal(register.length, 8);
      assert.deepEqual(register.map((b) => b.code), ['H-0001', 'H-0002', 'H-0003', 'H-0004', 'H-0005', 'H-0006', 'H-0007', 'H-0008']);
      assert.ok(register.every((b) => b.personal.name.endsWith('(fictive)')));
      // H-0006: the bounced 300,000 CDF does not count, the cash payment does.
      assert.deepEqual(register[5]!.allocations, [{ currency: 'CDF', totalMinor: 30_000_000 }]);
      assert.deepEqual(register[0]!.allocations, [{ currency: 'CDF', totalMinor: 75_000_000 }]);
      const raw = await t.db.selectFrom('beneficiaries').select('sealed_personal').where('pact_id', '=', pactId).execute();
      for (const r of raw) {
        assert.match(r.sealed_personal, /^v1\.demo-test\./);
        assert.doesNotMatch(r.sealed_personal, /fictive|Famille|Kolwezi/);
      }
    });

    test('transparency report in EUR: fresh ECB rates for January–April 2025, stale ones after the file ends, CDF never converted', async () => {
      const report = await transparencyReport(t.db, { id: pactId, goal_currency: 'EUR' }, { today: '2026-11-30' });
      assert.equal(report.currency, 'EUR');
      assert.equal(report.householdsSupported, 8);
      const byMonth = new Map(report.months.map((m) => [m.month, m]));
      assert.equal(report.months[0]!.month, '2025-01');
      assert.equal(report.months.at(-1)!.month, '2026-04');
      // January 2025: only the local collection in francs, which the ECB does not publish.
      assert.equal(byMonth.get('2025-01')!.converted, null);
      assert.deepEqual(byMonth.get('2025-01')!.unconverted, ['CDF']);
      for (const month of ['2025-02', '2025-03', '2025-04']) {
        const m = byMonth.get(month)!;
        assert.deepEqual(m.unconverted, ['CDF'], month);
        assert.ok(m.rates.length > 0 && m.rates.every((r) => !r.stale && r.source === 'ECB'), month);
      }
      // April 2025: USD and TRY at the rates of 30 April 2025 (the month's last TARGET day).
      assert.deepEqual(
        byMonth.get('2025-04')!.rates.map((r) => [r.currency, r.rateDate]),
        [['TRY', '2025-04-30'], ['USD', '2025-04-30']],
      );
      for (const month of ['2025-05', '2026-03']) {
        const m = byMonth.get(month)!;
        assert.ok(m.rates.every((r) => r.stale && r.rateDate === '2025-05-09'), month);
      }
      // February 2026: only EUR moved (480 in), converted at identity.
      assert.equal(byMonth.get('2026-02')!.converted!.inMinor, 48000);
    });
  });
}

describe('demo keyring', () => {
  test('the demo keyring is the one the served demo loads for the same SQLite file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-demo-keys-'));
    try {
      const path = join(dir, 'demo.sqlite');
      const env = { PORT: '3999' };
      const served = loadConfig({ ...env, SQLITE_PATH: path }).dataKeys;
      assert.deepEqual(served, { kind: 'dev-file', path: join(dir, 'data-keys') });
      const notices: { created: boolean }[] = [];
      const ring = demoKeyring(path, { env, onDevKeyFile: (n) => notices.push(n) });
      assert.ok(existsSync(join(dir, 'data-keys')));
      assert.deepEqual(notices, [{ path: join(dir, 'data-keys'), created: true }]);
      assert.equal(ring.currentId, readFileSync(join(dir, 'data-keys'), 'utf8').split('\n').find((l) => l && !l.startsWith('#'))!.split(':')[0]);
      // DATABASE_URL in the shell does not move the demo's keys away from its SQLite file.
      assert.equal(demoKeyring(path, { env: { ...env, DATABASE_URL: 'postgres://x@127.0.0.1/y' } }), ring);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
