import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { ledgerTable, makeBarePact } from '../../../test/helpers/ledger.ts';
import {
  InvalidEntry,
  NotReversible,
  Overdraft,
  PactClosed,
  isAppendOnlyRefusal,
  monthlyTotals,
  pactBalances,
  recordEntries,
  recordExchange,
  recordTransfer,
  reverseEntry,
  reverseGroup,
  type NewEntry,
} from './ledger.service.ts';
import { checkIntegrity } from './integrity.service.ts';
import { ValidationFailed } from '../../http/errors.ts';

const external = { kind: 'external' as const, name: 'Bank' };
const contribution = (amountMinor: number, currency: string, valueDate: string, extra: Partial<NewEntry> = {}): NewEntry => ({
  kind: 'contribution',
  amountMinor,
  currency,
  valueDate,
  counterparty: external,
  ...extra,
});
const fee = (amountMinor: number, currency: string, valueDate: string): NewEntry => ({ kind: 'fee', amountMinor, currency, valueDate, counterparty: external });
const disbursement = (amountMinor: number, currency: string, valueDate: string): NewEntry => ({ kind: 'disbursement', amountMinor, currency, valueDate, counterparty: external });

for (const engine of ENGINES) {
  describe(`ledger (${engine})`, () => {
    let t: TestDb;
    let orgId: string;
    before(async () => {
      t = await createTestDb(engine);
      orgId = (await makeOrganization(t.db)).id;
    });
    after(() => t.drop());

    test('entries of one event share a group; balances per currency and the running balance follow the sequence', async () => {
      const pact = await makeBarePact(t.db, orgId);
      await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(10000, 'EUR', '2026-03-02'), fee(-150, 'EUR', '2026-03-02')] });
      await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(5000, 'JPY', '2026-03-05')] });
      await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(12345, 'KWD', '2026-04-01')] });
      await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [disbursement(-4000, 'EUR', '2026-04-10')] });
      assert.equal(
        await ledgerTable(t.db, pact.id),
        [
          'seq  kind          flow          amount  cur  value_date  balance  rev  grp',
          '1    contribution  contribution   10000  EUR  2026-03-02    10000       A',
          '2    fee           fee             -150  EUR  2026-03-02     9850       A',
          '3    contribution  contribution    5000  JPY  2026-03-05     5000       B',
          '4    contribution  contribution   12345  KWD  2026-04-01    12345       C',
          '5    disbursement  disbursement   -4000  EUR  2026-04-10     5850       D',
        ].join('\n'),
      );
      assert.deepEqual(await pactBalances(t.db, pact.id), [
        { currency: 'EUR', balanceMinor: 5850, entryCount: 3 },
        { currency: 'JPY', balanceMinor: 5000, entryCount: 1 },
        { currency: 'KWD', balanceMinor: 12345, entryCount: 1 },
      ]);
      const months = await monthlyTotals(t.db, pact.id);
      assert.deepEqual(
        months.map((m) => [m.month, m.currency, m.inMinor, m.outMinor, m.feesMinor, m.closingMinor]),
        [
          ['2026-03', 'EUR', 10000, 0, -150, 9850],
          ['2026-03', 'JPY', 5000, 0, 0, 5000],
          ['2026-04', 'EUR', 0, -4000, 0, 5850],
          ['2026-04', 'KWD', 12345, 0, 0, 12345],
        ],
      );
      assert.deepEqual(await checkIntegrity(t.db), []);
    });

    test('a reversal mirrors the original, counts under its flow, and cannot itself be reversed or repeated', async () => {
      const pact = await makeBarePact(t.db, orgId);
      const [c] = await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(2500, 'USD', '2026-05-03')] });
      const r = await reverseEntry(t.db, { pactId: pact.id, entryId: c!.id, valueDate: '2026-06-01', recordedBy: null });
      assert.equal(Number(r.amount_minor), -2500);
      assert.equal(r.flow, 'contribution');
      await assert.rejects(reverseEntry(t.db, { pactId: pact.id, entryId: r.id, valueDate: '2026-06-01', recordedBy: null }), NotReversible);
      await assert.rejects(reverseEntry(t.db, { pactId: pact.id, entryId: c!.id, valueDate: '2026-06-01', recordedBy: null }), NotReversible);
      const months = await monthlyTotals(t.db, pact.id);
      assert.deepEqual(months.map((m) => [m.month, m.inMinor, m.closingMinor]), [['2026-05', 2500, 2500], ['2026-06', -2500, 0]]);
      assert.equal(
        await ledgerTable(t.db, pact.id),
        [
          'seq  kind          flow          amount  cur  value_date  balance  rev  grp',
          '1    contribution  contribution    2500  USD  2026-05-03     2500       A',
          '2    reversal      contribution   -2500  USD  2026-06-01        0  1    B',
        ].join('\n'),
      );
    });

    test('reversing a contribution with its fee puts the fee back first, so the group never overdraws', async () => {
      const pact = await makeBarePact(t.db, orgId);
      const entries = await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(1000, 'EUR', '2026-05-01'), fee(-30, 'EUR', '2026-05-01')] });
      const reversals = await reverseGroup(t.db, { pactId: pact.id, groupId: entries[0]!.group_id, valueDate: '2026-05-02', recordedBy: null });
      assert.deepEqual(reversals.map((r) => Number(r.amount_minor)), [30, -1000]);
      assert.deepEqual(await pactBalances(t.db, pact.id), [{ currency: 'EUR', balanceMinor: 0, entryCount: 4 }]);
      assert.deepEqual(await reverseGroup(t.db, { pactId: pact.id, groupId: entries[0]!.group_id, valueDate: '2026-05-02', recordedBy: null }), []);
    });

    test('an outflow may not overdraw its currency (other currencies do not count); a fee may', async () => {
      const pact = await makeBarePact(t.db, orgId);
      await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(1000, 'EUR', '2026-05-01'), contribution(100000, 'TRY', '2026-05-01')] });
      await assert.rejects(recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [disbursement(-1001, 'EUR', '2026-05-02')] }), (err: unknown) => {
        assert.ok(err instanceof Overdraft);
        assert.equal(err.balanceMinor, 1000);
        return true;
      });
      // Nothing of the refused call was written.
      assert.deepEqual((await pactBalances(t.db, pact.id)).map((b) => [b.currency, b.balanceMinor, b.entryCount]), [['EUR', 1000, 1], ['TRY', 100000, 1]]);
      await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [fee(-5, 'USD', '2026-05-02')] });
      assert.deepEqual((await pactBalances(t.db, pact.id)).find((b) => b.currency === 'USD')?.balanceMinor, -5);
    });

    test('signs must match kinds; zero and unsafe amounts are refused', async () => {
      const pact = await makeBarePact(t.db, orgId);
      for (const bad of [contribution(-1, 'EUR', '2026-01-01'), contribution(0, 'EUR', '2026-01-01'), disbursement(5, 'EUR', '2026-01-01'), fee(5, 'EUR', '2026-01-01'), contribution(2 ** 53, 'EUR', '2026-01-01'), contribution(1.5, 'EUR', '2026-01-01')])
        await assert.rejects(recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [bad] }), InvalidEntry);
    });

    test('a balance that would pass 2^53 − 1 minor units is refused as too large, nothing written', async () => {
      const pact = await makeBarePact(t.db, orgId);
      const max = Number.MAX_SAFE_INTEGER;
      await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(max, 'JPY', '2026-01-01')] });
      await assert.rejects(recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(max, 'JPY', '2026-01-02')] }), (err: unknown) => {
        assert.ok(err instanceof ValidationFailed);
        assert.deepEqual(err.errors, [{ field: 'amount', messageId: 'money.amount.too_large' }]);
        return true;
      });
      assert.deepEqual(await pactBalances(t.db, pact.id), [{ currency: 'JPY', balanceMinor: max, entryCount: 1 }]);
      assert.deepEqual((await checkIntegrity(t.db)).filter((v) => v.pact === pact.slug), []);
    });

    test('the database refuses to change or delete an entry', async () => {
      const pact = await makeBarePact(t.db, orgId);
      const [e] = await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(700, 'EUR', '2026-01-01')] });
      await assert.rejects(t.db.updateTable('ledger_entries').set({ amount_minor: 1 }).where('id', '=', e!.id).execute(), (err) => isAppendOnlyRefusal(err));
      await assert.rejects(t.db.deleteFrom('ledger_entries').where('id', '=', e!.id).execute(), (err) => isAppendOnlyRefusal(err));
    });

    test('an external reference is recorded once: repeating the call adds nothing', async () => {
      const pact = await makeBarePact(t.db, orgId);
      const batch = [contribution(100, 'EUR', '2026-01-01', { externalRef: 'x:1' }), contribution(200, 'EUR', '2026-01-02', { externalRef: 'x:2' })];
      assert.equal((await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: batch })).length, 2);
      assert.equal((await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: batch })).length, 0);
      assert.deepEqual(await pactBalances(t.db, pact.id), [{ currency: 'EUR', balanceMinor: 300, entryCount: 2 }]);
    });

    test('exchange and transfer groups are balanced; a closed pact takes no entry', async () => {
      const a = await makeBarePact(t.db, orgId);
      const b = await makeBarePact(t.db, orgId);
      await recordEntries(t.db, { pactId: a.id, recordedBy: null, entries: [contribution(10000, 'EUR', '2026-02-01')] });
      await recordExchange(t.db, {
        pactId: a.id,
        from: { currency: 'EUR', amountMinor: 5000 },
        to: { currency: 'USD', amountMinor: 5626 },
        conversion: { rate: '1.1252', source: 'ECB', date: '2025-05-09' },
        valueDate: '2026-02-02',
        counterparty: external,
        recordedBy: null,
      });
      await recordTransfer(t.db, { fromPactId: a.id, toPactId: b.id, amountMinor: 2000, currency: 'EUR', valueDate: '2026-02-03', recordedBy: null });
      assert.deepEqual((await pactBalances(t.db, a.id)).map((x) => [x.currency, x.balanceMinor]), [['EUR', 3000], ['USD', 5626]]);
      assert.deepEqual((await pactBalances(t.db, b.id)).map((x) => [x.currency, x.balanceMinor]), [['EUR', 2000]]);
      assert.deepEqual(await checkIntegrity(t.db), []);
      // The ledger core lets one leg be reversed alone (the coordinator service never does): the check finds it.
      const usd = (await t.db.selectFrom('ledger_entries').select('id').where('pact_id', '=', a.id).where('kind', '=', 'exchange').where('currency', '=', 'USD').executeTakeFirstOrThrow()).id;
      await reverseEntry(t.db, { pactId: a.id, entryId: usd, valueDate: '2026-02-03', recordedBy: null });
      assert.deepEqual((await checkIntegrity(t.db)).map((v) => [v.check, v.detail.replace(/group=\S+ /, '')]), [['partial_reversal', 'kind=exchange legs=2 reversed=1']]);
      const eur = (await t.db.selectFrom('ledger_entries').select('id').where('pact_id', '=', a.id).where('kind', '=', 'exchange').where('currency', '=', 'EUR').executeTakeFirstOrThrow()).id;
      await reverseEntry(t.db, { pactId: a.id, entryId: eur, valueDate: '2026-02-03', recordedBy: null });
      assert.deepEqual(await checkIntegrity(t.db), []);
      await t.db.updateTable('pacts').set({ status: 'closed', closed_at: new Date().toISOString() }).where('id', '=', b.id).execute();
      await assert.rejects(recordEntries(t.db, { pactId: b.id, recordedBy: null, entries: [contribution(1, 'EUR', '2026-02-04')] }), PactClosed);
      await assert.rejects(recordTransfer(t.db, { fromPactId: a.id, toPactId: b.id, amountMinor: 1, currency: 'EUR', valueDate: '2026-02-04', recordedBy: null }), PactClosed);
      assert.deepEqual((await pactBalances(t.db, a.id)).map((x) => [x.currency, x.balanceMinor]), [['EUR', 8000], ['USD', 0]], 'the refused transfer left nothing behind');
    });

    test('check-integrity finds tampering with the kept balances, month totals and sequence', async () => {
      const pact = await makeBarePact(t.db, orgId, 'tampered');
      await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(900, 'EUR', '2026-07-01')] });
      assert.deepEqual(await checkIntegrity(t.db), []);
      await t.db.updateTable('pact_balances').set({ balance_minor: 901 }).where('pact_id', '=', pact.id).execute();
      await t.db.updateTable('pact_month_totals').set({ total_minor: 1 }).where('pact_id', '=', pact.id).execute();
      await t.db.updateTable('pact_sequences').set({ last_seq: 7 }).where('pact_id', '=', pact.id).execute();
      const found = await checkIntegrity(t.db);
      assert.deepEqual(found.map((v) => [v.check, v.pact]).sort(), [['balance', 'tampered'], ['month_totals', 'tampered'], ['sequence', 'tampered']]);
      assert.match(found.find((v) => v.check === 'balance')!.detail, /kept=901 sum=900/);
      // Put it back for the other tests of this file.
      await t.db.updateTable('pact_balances').set({ balance_minor: 900 }).where('pact_id', '=', pact.id).execute();
      await t.db.updateTable('pact_month_totals').set({ total_minor: 900 }).where('pact_id', '=', pact.id).execute();
      await t.db.updateTable('pact_sequences').set({ last_seq: 1 }).where('pact_id', '=', pact.id).execute();
    });

    test('check-integrity finds an entry on a closed pact recorded after closing, and a reversal of a reversal', async () => {
      const pact = await makeBarePact(t.db, orgId, 'closed-late');
      const [c] = await recordEntries(t.db, { pactId: pact.id, recordedBy: null, entries: [contribution(500, 'EUR', '2026-07-01')] });
      const r = await reverseEntry(t.db, { pactId: pact.id, entryId: c!.id, valueDate: '2026-07-02', recordedBy: null });
      // Written behind the service's back (the triggers stop UPDATE and DELETE, not INSERT).
      const rr = { ...r, id: `${r.id.slice(0, -4)}ffff`, seq: Number(r.seq) + 1, reverses_id: r.id, amount_minor: 500, balance_after_minor: 500 };
      await t.db.insertInto('ledger_entries').values(rr).execute();
      await t.db.updateTable('pact_sequences').set({ last_seq: Number(r.seq) + 1 }).where('pact_id', '=', pact.id).execute();
      await t.db.updateTable('pact_balances').set({ balance_minor: 500, entry_count: 3, last_seq: Number(r.seq) + 1 }).where('pact_id', '=', pact.id).execute();
      await t.db.updateTable('pact_month_totals').set({ total_minor: 500, entry_count: 3 }).where('pact_id', '=', pact.id).where('month', '=', '2026-07').execute();
      await t.db.updateTable('pacts').set({ status: 'closed', closed_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', pact.id).execute();
      const found = (await checkIntegrity(t.db)).filter((v) => v.pact === 'closed-late');
      assert.deepEqual([...new Set(found.map((v) => v.check))].sort(), ['closed_pact', 'reversal']);
      assert.match(found.find((v) => v.check === 'reversal')!.detail, /reversal of a reversal/);
    });
  });
}
