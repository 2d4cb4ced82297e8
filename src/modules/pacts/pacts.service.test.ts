import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeOrganization, makeStruggle } from '../../../test/helpers/factories.ts';
import { ledgerTable } from '../../../test/helpers/ledger.ts';
import { Forbidden } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import { createUser, setOrganizationRole, viewerForAccount } from '../accounts/accounts.service.ts';
import { createPact, getPact, setPactStatus, validatePact } from './pacts.service.ts';
import { proposeTransferAsCoordinator, recordContribution, recordExchangeAsCoordinator, reverseEntryAsCoordinator } from './entries.service.ts';
import { createPledge, listPledges, pledgePeriods } from './pledges.service.ts';
import { AlreadyDecided, SecondPersonRequired, approveDisbursement, declineDisbursement, listDisbursements, proposeDisbursement } from './disbursements.service.ts';
import { Overdraft, PactClosed, pactBalances } from './ledger.service.ts';
import { checkIntegrity } from './integrity.service.ts';
import { fieldErrors } from '../../../test/helpers/errors.ts';

const base = { organization: 'kolwezi-union', title: 'Families of the Kamoto miners', description: 'Monthly support.', beneficiaryGroup: 'Families of miners of the Kamoto cooperative', periodStart: '2026-01-01' };

describe('validatePact', () => {
  test('the goal is stored in minor units of its currency (ISO 4217 digits)', () => {
    assert.equal(validatePact({ ...base, goalAmount: '25000', goalCurrency: 'eur' }).goalMinor, 2500000);
    assert.equal(validatePact({ ...base, goalAmount: '500000', goalCurrency: 'JPY' }).goalMinor, 500000);
    assert.equal(validatePact({ ...base, goalAmount: '12.345', goalCurrency: 'KWD' }).goalMinor, 12345);
  });

  test('a goal with more decimals than its currency has is refused, never rounded; amount and currency go together', async () => {
    assert.deepEqual(await fieldErrors(() => validatePact({ ...base, goalAmount: '5000.7', goalCurrency: 'JPY' })), [['goalAmount', 'money.amount.too_many_decimals']]);
    assert.deepEqual(await fieldErrors(() => validatePact({ ...base, goalAmount: '100' })), [['goalCurrency', 'validation.required']]);
    assert.deepEqual(await fieldErrors(() => validatePact({ ...base, goalAmount: '100', goalCurrency: 'XYZ' })), [['goalCurrency', 'money.currency.unknown']]);
    assert.deepEqual(await fieldErrors(() => validatePact({ ...base, periodEnd: '2025-12-31' })), [['periodEnd', 'validation.end_before_start']]);
  });
});

describe('pledgePeriods', () => {
  const monthly = { frequency: 'monthly' as const, start_date: '2026-01-15', end_date: null, cancelled_at: null, amount_minor: 5000 };
  test('monthly periods are calendar months from the start; a short payment leaves an ended month overdue', () => {
    const periods = pledgePeriods(monthly, [{ valueDate: '2026-01-20', amountMinor: 5000 }, { valueDate: '2026-02-03', amountMinor: 2000 }], '2026-03-10');
    assert.deepEqual(
      periods.map((p) => [p.start, p.end, p.fulfilledMinor, p.state]),
      [
        ['2026-01-15', '2026-01-31', 5000, 'fulfilled'],
        ['2026-02-01', '2026-02-28', 2000, 'overdue'],
        ['2026-03-01', '2026-03-31', 0, 'open'],
      ],
    );
  });

  test('quarterly periods are calendar quarters; a reversal takes its contribution back; an end date stops them', () => {
    const q = { ...monthly, frequency: 'quarterly' as const, start_date: '2026-02-10', end_date: '2026-06-30' };
    const periods = pledgePeriods(q, [{ valueDate: '2026-03-01', amountMinor: 5000 }, { valueDate: '2026-03-05', amountMinor: -5000 }, { valueDate: '2026-04-01', amountMinor: 6000 }], '2026-11-30');
    assert.deepEqual(periods.map((p) => [p.start, p.end, p.fulfilledMinor, p.state]), [['2026-02-10', '2026-03-31', 0, 'overdue'], ['2026-04-01', '2026-06-30', 6000, 'fulfilled']]);
  });

  test('a one-off pledge is due by its end date', () => {
    const once = { ...monthly, frequency: 'once' as const, start_date: '2026-05-01', end_date: '2026-05-31' };
    assert.equal(pledgePeriods(once, [], '2026-05-10')[0]!.state, 'open');
    assert.equal(pledgePeriods(once, [], '2026-06-01')[0]!.state, 'overdue');
  });
});

for (const engine of ENGINES) {
  describe(`pacts, pledges and disbursements (${engine})`, () => {
    let t: TestDb;
    let alice: Viewer; // coordinator of the owning union
    let bob: Viewer; // admin of the co-initiating union
    let carla: Viewer; // member of the owning union (not a coordinator)
    let dana: Viewer; // member of a pledging organization elsewhere
    let n = 0;
    async function person(roles: [string, 'admin' | 'coordinator' | 'member' | 'viewer'][]): Promise<Viewer> {
      n += 1;
      const id = await createUser(t.db, { email: `pact${n}-${engine}@example.org`, displayName: `Person ${n}`, password: 'correct horse battery' });
      for (const [org, role] of roles) await setOrganizationRole(t.db, org, id, role);
      return (await viewerForAccount(t.db, id))!;
    }

    before(async () => {
      t = await createTestDb(engine);
      const union = await makeOrganization(t.db, { name: 'Kolwezi Union', slug: 'kolwezi-union', country: 'CD' });
      const berlin = await makeOrganization(t.db, { name: 'Berlin Solidarity', slug: 'berlin-solidarity' });
      const istanbul = await makeOrganization(t.db, { name: 'Istanbul Miners', slug: 'istanbul-miners', country: 'TR' });
      await makeStruggle(t.db, { title: 'Kamoto strike', slug: 'kamoto-strike' });
      alice = await person([[union.id, 'coordinator']]);
      bob = await person([[berlin.id, 'admin']]);
      carla = await person([[union.id, 'member']]);
      dana = await person([[istanbul.id, 'member']]);
    });
    after(() => t.drop());

    test('a pact needs a leading role in its owner and every co-initiator', async () => {
      await assert.rejects(createPact(t.db, carla, base), Forbidden);
      assert.deepEqual(await fieldErrors(() => createPact(t.db, alice, { ...base, initiators: 'berlin-solidarity' })), [['initiators', 'pacts.validation.initiator_not_led']]);
      const made = await createPact(t.db, alice, { ...base, struggles: 'kamoto-strike', goalAmount: '25000', goalCurrency: 'EUR' });
      assert.equal(made.slug, 'families-of-the-kamoto-miners');
      const pact = await getPact(t.db, null, made.slug);
      assert.equal(pact.goal_minor, 2500000);
      assert.deepEqual(await checkIntegrity(t.db), []);
    });

    test('two coordinators run a disbursement; the proposer cannot approve; approval cannot overdraw', async () => {
      // Bob leads both unions for this pact: admin of Berlin, co-initiator.
      const bobBoth = await person([]);
      const union = await t.db.selectFrom('organizations').select('id').where('slug', '=', 'kolwezi-union').executeTakeFirstOrThrow();
      await setOrganizationRole(t.db, union.id, bobBoth.userId, 'admin');
      const second = (await viewerForAccount(t.db, bobBoth.userId))!;
      const { slug } = await createPact(t.db, alice, { ...base, title: 'Strike fund Kamoto' });
      await assert.rejects(recordContribution(t.db, carla, slug, { amount: '100', currency: 'EUR' }), Forbidden);
      await recordContribution(t.db, alice, slug, { amount: '300.00', currency: 'EUR', valueDate: '2026-03-01', contributorKind: 'organization', organization: 'berlin-solidarity', fee: '2.50' });
      assert.deepEqual(await fieldErrors(() => proposeDisbursement(t.db, alice, slug, { payee: 'Pharmacy', amount: '400', currency: 'EUR', purpose: 'Medicine' })), [['amount', 'pacts.errors.overdraft']]);
      const a = await proposeDisbursement(t.db, alice, slug, { payee: 'Pharmacy', amount: '200', currency: 'EUR', purpose: 'Medicine', valueDate: '2026-03-10' });
      const b = await proposeDisbursement(t.db, alice, slug, { payee: 'School', amount: '150', currency: 'EUR', purpose: 'School fees', valueDate: '2026-03-11' });
      await assert.rejects(approveDisbursement(t.db, alice, slug, a.id), SecondPersonRequired);
      await approveDisbursement(t.db, second, slug, a.id);
      await assert.rejects(approveDisbursement(t.db, second, slug, a.id), AlreadyDecided);
      // 297.50 − 200 = 97.50 left: the second proposal no longer fits.
      await assert.rejects(approveDisbursement(t.db, second, slug, b.id), Overdraft);
      const pactId = (await getPact(t.db, null, slug)).id;
      assert.deepEqual(await pactBalances(t.db, pactId), [{ currency: 'EUR', balanceMinor: 9750, entryCount: 3 }]);
      assert.deepEqual(await fieldErrors(() => declineDisbursement(t.db, second, slug, b.id, {})), [['note', 'validation.required']]);
      assert.deepEqual(await declineDisbursement(t.db, second, slug, b.id, { note: 'Not enough left' }), { status: 'rejected' });
      const reversal = await reverseEntryAsCoordinator(t.db, alice, slug, (await t.db.selectFrom('ledger_entries').select('id').where('pact_id', '=', pactId).where('kind', '=', 'disbursement').executeTakeFirstOrThrow()).id, { reason: 'Paid twice by mistake', valueDate: '2026-03-12' });
      assert.equal(reversal.length, 1);
      assert.equal(
        await ledgerTable(t.db, pactId),
        [
          'seq  kind          flow          amount  cur  value_date  balance  rev  grp',
          '1    contribution  contribution   30000  EUR  2026-03-01    30000       A',
          '2    fee           fee             -250  EUR  2026-03-01    29750       A',
          '3    disbursement  disbursement  -20000  EUR  2026-03-10     9750       B',
          '4    reversal      disbursement   20000  EUR  2026-03-12    29750  3    C',
        ].join('\n'),
      );
      assert.deepEqual(await checkIntegrity(t.db), []);
    });

    test('two approvals at the same moment record one entry', async () => {
      const third = await person([]);
      const union = await t.db.selectFrom('organizations').select('id').where('slug', '=', 'kolwezi-union').executeTakeFirstOrThrow();
      await setOrganizationRole(t.db, union.id, third.userId, 'coordinator');
      const fourth = await person([]);
      await setOrganizationRole(t.db, union.id, fourth.userId, 'coordinator');
      const [v3, v4] = [(await viewerForAccount(t.db, third.userId))!, (await viewerForAccount(t.db, fourth.userId))!];
      const { slug } = await createPact(t.db, alice, { ...base, title: 'Race pact' });
      await recordContribution(t.db, alice, slug, { amount: '50', currency: 'USD', valueDate: '2026-04-01' });
      const d = await proposeDisbursement(t.db, alice, slug, { payee: 'Rent', amount: '40', currency: 'USD', purpose: 'Rent', valueDate: '2026-04-02' });
      const results = await Promise.allSettled([approveDisbursement(t.db, v3, slug, d.id), approveDisbursement(t.db, v4, slug, d.id)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const pactId = (await getPact(t.db, null, slug)).id;
      assert.deepEqual(await pactBalances(t.db, pactId), [{ currency: 'USD', balanceMinor: 1000, entryCount: 2 }]);
    });

    test('pledges: organizations through their members, persons for themselves; names stay with coordinators', async () => {
      const { slug } = await createPact(t.db, alice, { ...base, title: 'Pledge pact' });
      await assert.rejects(createPledge(t.db, carla, slug, { pledgerKind: 'organization', organization: 'istanbul-miners', amount: '10', currency: 'TRY', startDate: '2026-01-01' }), Forbidden);
      const p = await createPledge(t.db, dana, slug, { pledgerKind: 'organization', organization: 'istanbul-miners', amount: '1500', currency: 'TRY', frequency: 'monthly', startDate: '2026-01-01' });
      await createPledge(t.db, carla, slug, { pledgerKind: 'person', amount: '25', currency: 'EUR', frequency: 'quarterly', startDate: '2026-01-01' });
      assert.deepEqual(await fieldErrors(() => createPledge(t.db, carla, slug, { pledgerKind: 'person', name: 'Someone else', amount: '5', currency: 'EUR', startDate: '2026-01-01' })), [['name', 'pacts.validation.pledge_name_coordinators']]);
      assert.deepEqual(await fieldErrors(() => createPledge(t.db, dana, slug, { pledgerKind: 'organization', organization: 'istanbul-miners', amount: '5000.7', currency: 'JPY', startDate: '2026-01-01' })), [['amount', 'money.amount.too_many_decimals']]);
      await recordContribution(t.db, alice, slug, { amount: '1500', currency: 'TRY', valueDate: '2026-01-05', pledge: p.id });
      assert.deepEqual(await fieldErrors(() => recordContribution(t.db, alice, slug, { amount: '1500', currency: 'EUR', pledge: p.id })), [['pledge', 'pacts.validation.pledge_currency']]);
      const pact = await getPact(t.db, alice, slug);
      const asCoordinator = await listPledges(t.db, alice, pact, '2026-03-15');
      const org = asCoordinator.find((x) => x.pledgerKind === 'organization')!;
      assert.deepEqual(org.periods.map((x) => x.state), ['fulfilled', 'overdue', 'open']);
      assert.equal(org.overdue, 1);
      assert.equal(asCoordinator.find((x) => x.pledgerKind === 'person')!.pledgerName, carla.displayName);
      assert.ok(asCoordinator.every((x) => x.canManage), 'running pledges can be cancelled');
      assert.ok((await listPledges(t.db, alice, pact, '2099-01-01')).every((x) => x.canManage), 'open-ended pledges never end by themselves');
      const ended = await createPledge(t.db, dana, slug, { pledgerKind: 'organization', organization: 'istanbul-miners', amount: '100', currency: 'TRY', frequency: 'monthly', startDate: '2026-01-01', endDate: '2026-02-28' });
      assert.equal((await listPledges(t.db, alice, pact, '2026-03-15')).find((x) => x.id === ended.id)!.canManage, false, 'an ended pledge has nothing left to cancel');
      const anonymous = await listPledges(t.db, null, pact, '2026-03-15');
      assert.equal(anonymous.find((x) => x.pledgerKind === 'person')!.pledgerName, null);
      assert.equal(anonymous.find((x) => x.pledgerKind === 'organization')!.pledgerName, 'Istanbul Miners');
    });

    test('an exchange records both legs with the rate used: booked by the bank, or the ECB rate of the day', async () => {
      const { slug } = await createPact(t.db, alice, { ...base, title: 'Exchange pact' });
      const pactId = (await getPact(t.db, null, slug)).id;
      await recordContribution(t.db, alice, slug, { amount: '1000', currency: 'EUR', valueDate: '2025-05-02' });
      await t.db.insertInto('exchange_rates').values({ source: 'ECB', base: 'EUR', quote: 'USD', rate_date: '2025-05-09', rate: '1.1252', imported_at: '2026-01-01T00:00:00.000Z' }).execute();
      // ECB: 100.00 EUR × 1.1252 = 112.52 USD on a Saturday, with Friday's rate.
      const ecb = await recordExchangeAsCoordinator(t.db, alice, slug, { fromCurrency: 'EUR', fromAmount: '100', toCurrency: 'USD', valueDate: '2025-05-10' });
      assert.deepEqual(ecb.map((e) => [Number(e.amount_minor), e.currency, e.rate, e.rate_source, e.rate_date]), [[-10000, 'EUR', '1.1252', 'ECB', '2025-05-09'], [11252, 'USD', '1.1252', 'ECB', '2025-05-09']]);
      // Booked: 200.00 EUR became 221.50 USD at the bank: rate 1.1075.
      const booked = await recordExchangeAsCoordinator(t.db, alice, slug, { fromCurrency: 'EUR', fromAmount: '200', toCurrency: 'USD', toAmount: '221.50', valueDate: '2025-05-12' });
      assert.deepEqual(booked.map((e) => [e.rate, e.rate_source, e.rate_date]), [['1.1075', 'booked', '2025-05-12'], ['1.1075', 'booked', '2025-05-12']]);
      assert.deepEqual(await fieldErrors(() => recordExchangeAsCoordinator(t.db, alice, slug, { fromCurrency: 'EUR', fromAmount: '1', toCurrency: 'TRY', valueDate: '2025-05-12' })), [['valueDate', 'rates.no_rate_for']]);
      assert.deepEqual(await fieldErrors(() => recordExchangeAsCoordinator(t.db, alice, slug, { fromCurrency: 'EUR', fromAmount: '1', toCurrency: 'EUR' })), [['toCurrency', 'pacts.validation.same_currency']]);
      await assert.rejects(recordExchangeAsCoordinator(t.db, alice, slug, { fromCurrency: 'EUR', fromAmount: '800', toCurrency: 'USD', toAmount: '880' }), Overdraft);
      assert.deepEqual((await pactBalances(t.db, pactId)).map((b) => [b.currency, b.balanceMinor]), [['EUR', 70000], ['USD', 33402]]);
      assert.deepEqual(await checkIntegrity(t.db), []);
      // One leg of an exchange is never reversed alone.
      const both = await reverseEntryAsCoordinator(t.db, alice, slug, booked[1]!.id, { reason: 'Wrong amount booked' });
      assert.deepEqual(both.map((r) => r.reverses_id).sort(), booked.map((e) => e.id).sort());
      assert.deepEqual((await pactBalances(t.db, pactId)).map((b) => [b.currency, b.balanceMinor]), [['EUR', 90000], ['USD', 11252]]);
      assert.deepEqual(await checkIntegrity(t.db), []);
    });

    test('a transfer moves money to another pact only once a second coordinator approves it, as one balanced group', async () => {
      const union = await t.db.selectFrom('organizations').select('id').where('slug', '=', 'kolwezi-union').executeTakeFirstOrThrow();
      const second = await person([[union.id, 'coordinator']]);
      const a = await createPact(t.db, alice, { ...base, title: 'Transfer source' });
      const b = await createPact(t.db, alice, { ...base, title: 'Transfer target' });
      const [pa, pb] = [await getPact(t.db, null, a.slug), await getPact(t.db, null, b.slug)];
      await recordContribution(t.db, alice, a.slug, { amount: '50', currency: 'EUR', valueDate: '2026-01-10' });
      assert.deepEqual(await fieldErrors(() => proposeTransferAsCoordinator(t.db, alice, a.slug, { toPact: a.slug, amount: '1', currency: 'EUR', description: 'x' })), [['toPact', 'pacts.validation.same_pact']]);
      assert.deepEqual(await fieldErrors(() => proposeTransferAsCoordinator(t.db, alice, a.slug, { toPact: 'no-such-pact', amount: '1', currency: 'EUR', description: 'x' })), [['toPact', 'pacts.validation.pact_unknown']]);
      assert.deepEqual(await fieldErrors(() => proposeTransferAsCoordinator(t.db, alice, a.slug, { toPact: b.slug, amount: '1', currency: 'EUR' })), [['description', 'validation.required']]);
      assert.deepEqual(await fieldErrors(() => proposeTransferAsCoordinator(t.db, alice, a.slug, { toPact: b.slug, amount: '50.01', currency: 'EUR', description: 'x' })), [['amount', 'pacts.errors.overdraft']]);
      await assert.rejects(proposeTransferAsCoordinator(t.db, carla, a.slug, { toPact: b.slug, amount: '1', currency: 'EUR', description: 'x' }), Forbidden);
      // One recipient only: a transfer proposal names no beneficiary or payee, and a payee excludes a beneficiary.
      assert.deepEqual(await fieldErrors(() => proposeDisbursement(t.db, alice, a.slug, { toPact: b.slug, payee: 'Pharmacy', amount: '1', currency: 'EUR', purpose: 'x' })), [['beneficiary', 'pacts.validation.one_recipient']]);
      assert.deepEqual(await fieldErrors(() => proposeDisbursement(t.db, alice, a.slug, { beneficiary: 'H-0001', payee: 'Pharmacy', amount: '1', currency: 'EUR', purpose: 'x' })), [['beneficiary', 'pacts.validation.one_recipient']]);

      const proposal = await proposeTransferAsCoordinator(t.db, alice, a.slug, { toPact: b.slug, amount: '20', currency: 'EUR', valueDate: '2026-01-11', description: 'The target fund ran dry' });
      // Nothing moves before the second person approves; the proposer cannot approve.
      assert.deepEqual((await pactBalances(t.db, pa.id)).map((x) => x.balanceMinor), [5000]);
      assert.deepEqual(await pactBalances(t.db, pb.id), []);
      await assert.rejects(approveDisbursement(t.db, alice, a.slug, proposal.id), SecondPersonRequired);
      const { items } = await listDisbursements(t.db, alice, a.slug);
      assert.deepEqual(items.map((d) => [d.status, d.toPact, d.transfer, d.beneficiaryCode, d.payeeName, d.purpose]), [['proposed', { slug: b.slug, title: 'Transfer target' }, true, null, null, 'The target fund ran dry']]);

      const { entryId } = await approveDisbursement(t.db, second, a.slug, proposal.id);
      const legs = await t.db.selectFrom('ledger_entries').selectAll().where('kind', '=', 'transfer').where('pact_id', 'in', [pa.id, pb.id]).execute();
      assert.deepEqual(legs.map((e) => [e.pact_id, Number(e.amount_minor), e.currency, e.value_date, e.description, e.recorded_by]).sort((x, y) => Number(x[1]) - Number(y[1])), [
        [pa.id, -2000, 'EUR', '2026-01-11', 'The target fund ran dry', second.userId],
        [pb.id, 2000, 'EUR', '2026-01-11', 'The target fund ran dry', second.userId],
      ]);
      assert.equal(legs[0]!.group_id, legs[1]!.group_id);
      assert.equal(entryId, legs.find((e) => e.pact_id === pa.id)!.id, 'the proposal keeps the source leg as its entry');
      assert.deepEqual((await pactBalances(t.db, pa.id)).map((x) => x.balanceMinor), [3000]);
      assert.deepEqual((await pactBalances(t.db, pb.id)).map((x) => x.balanceMinor), [2000]);
      assert.deepEqual(await checkIntegrity(t.db), []);

      // Reversing one leg reverses both, on both pacts, as one group.
      const outgoing = legs.find((e) => Number(e.amount_minor) < 0)!;
      const reversals = await reverseEntryAsCoordinator(t.db, alice, a.slug, outgoing.id, { reason: 'Sent to the wrong pact', valueDate: '2026-01-12' });
      assert.deepEqual(reversals.map((r) => Number(r.amount_minor)).sort((x, y) => x - y), [-2000, 2000]);
      assert.equal(reversals[0]!.group_id, reversals[1]!.group_id);
      assert.deepEqual((await pactBalances(t.db, pa.id)).map((x) => x.balanceMinor), [5000]);
      assert.deepEqual((await pactBalances(t.db, pb.id)).map((x) => x.balanceMinor), [0]);
      assert.deepEqual(await checkIntegrity(t.db), []);
    });

    test('money cannot have moved after today; a pledge starts within the pact period', async () => {
      const { slug } = await createPact(t.db, alice, { ...base, title: 'Dates pact', periodEnd: '2030-12-31' });
      assert.deepEqual(await fieldErrors(() => recordContribution(t.db, alice, slug, { amount: '1', currency: 'EUR', valueDate: '2099-01-01' })), [['valueDate', 'pacts.validation.value_date_future']]);
      assert.deepEqual(await fieldErrors(() => createPledge(t.db, carla, slug, { pledgerKind: 'person', amount: '5', currency: 'EUR', startDate: '2025-12-31' })), [['startDate', 'pacts.validation.before_pact_start']]);
      assert.deepEqual(await fieldErrors(() => createPledge(t.db, carla, slug, { pledgerKind: 'person', amount: '5', currency: 'EUR', startDate: '2031-01-01' })), [['startDate', 'pacts.validation.after_pact_end']]);
    });

    test('closing is final: no more entries, waiting disbursements are withdrawn', async () => {
      const { slug } = await createPact(t.db, alice, { ...base, title: 'Closing pact' });
      await recordContribution(t.db, alice, slug, { amount: '10', currency: 'EUR', valueDate: '2026-02-01' });
      const d = await proposeDisbursement(t.db, alice, slug, { payee: 'X', amount: '5', currency: 'EUR', purpose: 'Y' });
      await setPactStatus(t.db, alice, slug, 'closed');
      await assert.rejects(recordContribution(t.db, alice, slug, { amount: '10', currency: 'EUR' }), PactClosed);
      const row = await t.db.selectFrom('disbursements').select('status').where('id', '=', d.id).executeTakeFirstOrThrow();
      assert.equal(row.status, 'withdrawn');
      await assert.rejects(setPactStatus(t.db, alice, slug, 'open'), (err: unknown) => err instanceof Error && /pact_closed/.test(err.message));
      assert.deepEqual(await checkIntegrity(t.db), []);
    });
  });
}
