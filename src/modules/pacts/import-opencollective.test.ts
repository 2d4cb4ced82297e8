import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { loadCatalog } from '../../i18n/catalogs.ts';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { ledgerTable, makeBarePact } from '../../../test/helpers/ledger.ts';
import { checkIntegrity } from './integrity.service.ts';
import { importOpenCollective, OC_REJECT_REASONS, OcImportFileError } from './import-opencollective.ts';
import { pactBalances, recordEntries } from './ledger.service.ts';

/** The real export (test/fixtures/README.md): 1,916 transactions 2017–2026, newest first. */
const REAL = fileURLToPath(new URL('../../../test/fixtures/ledgers/opencollective_transactions_pseudonymized.csv', import.meta.url));

const HEADER =
  'datetime,shortId,shortGroup,description,type,kind,isRefund,isRefunded,shortRefundId,displayAmount,amount,paymentProcessorFee,netAmount,balance,currency,' +
  'accountSlug,accountName,oppositeAccountSlug,oppositeAccountName,paymentMethodService,paymentMethodType,expenseType,expenseTags,payoutMethodType,merchantId,orderMemo,taxAmount';

/** One line of a hand-made export, in the real file's column order. */
function row(r: {
  at: string;
  id: string;
  group: string;
  description: string;
  type: string;
  kind: string;
  refundOf?: string;
  amount: string;
  fee?: string;
  net: string;
  balance: string;
  name: string;
  processor?: string;
  currency?: string;
}): string {
  const quoted = `"${r.description.replace(/"/g, '""')}"`;
  const isRefund = r.refundOf !== undefined ? 'REFUND' : '';
  return [
    r.at, r.id, r.group, quoted, r.type, r.kind, isRefund, '', r.refundOf ?? '', '', r.amount, r.fee ?? '0', r.net, r.balance, r.currency ?? 'USD',
    'fund', 'Fund', '', r.name, r.processor ?? '', '', '', '', '', '', '', '0',
  ].join(',');
}
const csv = (lines: string[], eol = '\n') => [HEADER, ...lines].join(eol) + eol;

/**
 * A small export, newest first: an old-style contribution with the host fee folded into its net,
 * a contribution, one with its HOST_FEE row, an expense, a refund of the second contribution
 * (contribution, processor-fee cover and host fee refunded) and a last expense whose processor
 * fee the final balance does not contain yet.
 */
const SMALL = [
  row({ at: '2025-01-25T09:00:00', id: 'e2', group: 'g4', description: 'Expense from Supporter 3', type: 'DEBIT', kind: 'EXPENSE', amount: '-30', fee: '-0.5', net: '-30.5', balance: '186.9', name: 'Supporter 3', processor: 'PAYPAL' }),
  row({ at: '2025-01-20T08:00:01', id: 'hr1', group: 'g3', description: 'Refund of "Host Fee"', type: 'CREDIT', kind: 'HOST_FEE', refundOf: 'h1', amount: '10', net: '10', balance: '216.9', name: 'Host' }),
  row({ at: '2025-01-20T08:00:01', id: 'p1', group: 'g3', description: 'Cover of Payment Processor Fee', type: 'CREDIT', kind: 'PAYMENT_PROCESSOR_COVER', refundOf: '', amount: '3.2', net: '3.2', balance: '206.9', name: 'Host', processor: 'STRIPE' }),
  row({ at: '2025-01-20T08:00:02', id: 'r1', group: 'g3', description: 'Refund of "Contribution"', type: 'DEBIT', kind: 'CONTRIBUTION', refundOf: 'c1', amount: '-100', net: '-100', balance: '203.7', name: 'Supporter 1', processor: 'STRIPE' }),
  row({ at: '2025-01-10T12:00:00', id: 'e1', group: 'g2', description: 'Expense from Supporter 2', type: 'DEBIT', kind: 'EXPENSE', amount: '-20', fee: '-0.25', net: '-20.25', balance: '303.7', name: 'Supporter 2', processor: 'WISE' }),
  row({ at: '2025-01-05T10:00:00', id: 'h1', group: 'g1', description: 'Host Fee', type: 'DEBIT', kind: 'HOST_FEE', amount: '-10', net: '-10', balance: '323.95', name: 'Host' }),
  row({ at: '2025-01-05T10:00:01', id: 'c1', group: 'g1', description: 'Contribution from Supporter 1', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '100', fee: '-3.2', net: '96.8', balance: '333.95', name: 'Supporter 1', processor: 'STRIPE' }),
  row({ at: '2025-01-02T09:00:00', id: 'c0', group: 'g0', description: 'Contribution from Supporter 0', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '200', fee: '-6.1', net: '193.9', balance: '237.15', name: 'Supporter 0', processor: 'STRIPE' }),
  row({ at: '2024-12-01T00:00:00', id: 'c00', group: 'g00', description: 'Contribution from Supporter 4', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '50', fee: '-1.75', net: '43.25', balance: '43.25', name: 'Supporter 4' }),
];
const SMALL_TABLE = [
  'seq  kind          flow          amount  cur  value_date  balance  rev  grp',
  '1    contribution  contribution    5000  USD  2024-12-01     5000       A',
  '2    fee           fee             -175  USD  2024-12-01     4825       A',
  '3    fee           fee             -500  USD  2024-12-01     4325       A',
  '4    contribution  contribution   20000  USD  2025-01-02    24325       B',
  '5    fee           fee             -610  USD  2025-01-02    23715       B',
  '6    contribution  contribution   10000  USD  2025-01-05    33715       C',
  '7    fee           fee             -320  USD  2025-01-05    33395       C',
  '8    fee           fee            -1000  USD  2025-01-05    32395       C',
  '9    disbursement  disbursement   -2000  USD  2025-01-10    30395       D',
  '10   fee           fee              -25  USD  2025-01-10    30370       D',
  '11   reversal      contribution  -10000  USD  2025-01-20    20370  6    E',
  '12   reversal      fee              320  USD  2025-01-20    20690  7    E',
  '13   reversal      fee             1000  USD  2025-01-20    21690  8    E',
  '14   disbursement  disbursement   -3000  USD  2025-01-25    18690       F',
];

test('every reject reason has a message in English and German', () => {
  for (const locale of ['en', 'de']) {
    const catalog = loadCatalog(locale);
    for (const reason of OC_REJECT_REASONS) assert.ok(catalog.has(`pacts.import.reject.${reason}`), `${locale}: ${reason}`);
  }
});

for (const engine of ENGINES) {
  describe(`Open Collective import (${engine})`, () => {
    let t: TestDb;
    let orgId: string;
    before(async () => {
      t = await createTestDb(engine);
      orgId = (await makeOrganization(t.db)).id;
    });
    after(() => t.drop());

    const entryCount = async (pactId: string) => Number((await t.db.selectFrom('ledger_entries').select((eb) => eb.fn.countAll().as('n')).where('pact_id', '=', pactId).executeTakeFirstOrThrow()).n);

    test('the real export reproduces the final balance to the cent; a re-import records nothing', async () => {
      const data = readFileSync(REAL);
      // An independent reading of the file: csv-parse with named columns, cents by rounding.
      const file = parse(data, { columns: true, bom: true }) as Record<string, string>[];
      const cents = (s: string) => Math.round(Number(s) * 100);
      const direct = file.filter((r) => r.isRefund === '');
      const expected = {
        contribution: file.filter((r) => r.kind === 'CONTRIBUTION' && r.type === 'CREDIT').length,
        disbursement: direct.filter((r) => r.type === 'DEBIT' && (r.kind === 'EXPENSE' || r.kind === 'CONTRIBUTION')).length,
        // Processor fees (one still pending), HOST_FEE rows, host fees folded into older contributions' net.
        fee:
          direct.filter((r) => cents(r.paymentProcessorFee!) !== 0).length -
          1 +
          direct.filter((r) => r.kind === 'HOST_FEE').length +
          direct.filter((r) => cents(r.netAmount!) !== cents(r.amount!) + cents(r.paymentProcessorFee!)).length,
        reversal: file.filter((r) => r.isRefund === 'REFUND').length,
      };
      assert.deepEqual(expected, { contribution: 1035, disbursement: 59, fee: 2125, reversal: 6 });
      const sumNet = file.reduce((s, r) => s + cents(r.netAmount!), 0);
      assert.equal(sumNet, 568829);
      assert.equal(cents(file[0]!.balance!), 568942, 'the newest row states the final balance before its own processor fee');
      assert.equal(sumNet - cents(file[0]!.paymentProcessorFee!), 568942);

      const pact = await makeBarePact(t.db, orgId);
      const report = await importOpenCollective(t.db, { pactId: pact.id, data });
      assert.deepEqual(report, {
        rows: 1916,
        recorded: 3225,
        alreadyPresent: 0,
        reversals: 6,
        pendingFees: [{ line: 2, amountMinor: -113 }],
        rejected: [],
        finalBalanceMinor: 568942,
        fileFinalBalanceMinor: 568942,
        currency: 'USD',
        imported: true,
        refusal: null,
      });
      assert.deepEqual(await pactBalances(t.db, pact.id), [{ currency: 'USD', balanceMinor: 568942, entryCount: 3225 }]);
      assert.deepEqual(await checkIntegrity(t.db), []);

      const byKind = await t.db
        .selectFrom('ledger_entries')
        .select(['kind', (eb) => eb.fn.countAll().as('n'), (eb) => eb.fn.sum('amount_minor').as('total')])
        .where('pact_id', '=', pact.id)
        .groupBy('kind')
        .execute();
      const kinds = Object.fromEntries(byKind.map((k) => [k.kind, Number(k.n)]));
      assert.deepEqual(kinds, expected);
      const totals = Object.fromEntries(byKind.map((k) => [k.kind, Number(k.total)]));
      assert.equal(totals.contribution, file.filter((r) => r.kind === 'CONTRIBUTION' && r.type === 'CREDIT').reduce((s, r) => s + cents(r.amount!), 0));
      assert.equal(totals.reversal, file.filter((r) => r.isRefund === 'REFUND').reduce((s, r) => s + cents(r.amount!), 0));

      // The refunds reversed exactly the refunded entries: two contributions, their processor fees, two host fees.
      const reversed = await t.db
        .selectFrom('ledger_entries as r')
        .innerJoin('ledger_entries as o', 'o.id', 'r.reverses_id')
        .select(['r.external_ref as refund', 'o.external_ref as original'])
        .where('r.pact_id', '=', pact.id)
        .orderBy('r.seq')
        .execute();
      assert.deepEqual(
        reversed.map((x) => `${x.refund}→${x.original}`),
        ['oc:cb2ce4bc→oc:7a45ef80', 'oc:9f533e2c→oc:7a45ef80:fee', 'oc:e7e2ee51→oc:91f6359e', 'oc:e222504a→oc:308f29b6', 'oc:98cc4e2d→oc:308f29b6:fee', 'oc:55ed8d62→oc:c7457818'],
      );

      // The running balance follows the file: at the end of every Open Collective group the ledger
      // holds the file's balance, or that minus the processor fee Open Collective books a moment later.
      const entries = await t.db.selectFrom('ledger_entries').select(['external_ref', 'seq', 'balance_after_minor']).where('pact_id', '=', pact.id).execute();
      const lastOfRow = new Map<string, { seq: number; balance: number }>();
      for (const e of entries) {
        const id = e.external_ref!.split(':')[1]!;
        const seen = lastOfRow.get(id);
        if (!seen || Number(e.seq) > seen.seq) lastOfRow.set(id, { seq: Number(e.seq), balance: Number(e.balance_after_minor) });
      }
      const groupEnd = new Map<string, Record<string, string>>();
      for (const r of file) if (!groupEnd.has(r.shortGroup!)) groupEnd.set(r.shortGroup!, r); // newest first: the group's last booking
      let exact = 0;
      let feeLater = 0;
      for (const [group, r] of groupEnd) {
        const ids = file.filter((x) => x.shortGroup === group).map((x) => x.shortId!);
        const ledger = Math.max(...ids.map((id) => lastOfRow.get(id)!.seq));
        const balance = [...lastOfRow.values()].find((v) => v.seq === ledger)!.balance;
        if (balance === cents(r.balance!)) exact += 1;
        else if (balance === cents(r.balance!) + cents(r.paymentProcessorFee!)) feeLater += 1;
        else assert.fail(`group ${group}: ledger ${balance}, file ${r.balance}`);
      }
      // 1,096 groups; the last one is exact because its fee is pending, not recorded.
      assert.deepEqual([exact, feeLater], [1063, 33]);

      // The value date is the UTC date of `datetime`; fields of one row.
      const expense = await t.db.selectFrom('ledger_entries').selectAll().where('pact_id', '=', pact.id).where('external_ref', '=', 'oc:4cab822d').executeTakeFirstOrThrow();
      assert.deepEqual(
        [expense.kind, Number(expense.amount_minor), expense.value_date, expense.counterparty_kind, expense.counterparty_name, expense.reference, expense.recorded_by],
        ['disbursement', -45499, '2026-07-07', 'external', 'Supporter 001', '4cab822d', null],
      );
      assert.equal(expense.description, 'Expense from Supporter 001 - #1825 bounties x 4, + 4.99 paypal fee x 1');

      const again = await importOpenCollective(t.db, { pactId: pact.id, data });
      assert.equal(again.imported, true);
      assert.equal(again.recorded, 0);
      assert.equal(again.alreadyPresent, 3225);
      assert.deepEqual(again.pendingFees, [{ line: 2, amountMinor: -113 }]);
      assert.deepEqual(await pactBalances(t.db, pact.id), [{ currency: 'USD', balanceMinor: 568942, entryCount: 3225 }]);

      // A newer export whose next row's balance contains the held-back fee records it, in the expense's group.
      const text = data.toString('utf8');
      const newer = text.replace(
        /\r\n/,
        `\r\n${row({ at: '2026-07-08T10:00:00', id: 'newer001', group: 'newgroup', description: 'Contribution from Supporter 999', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '5', fee: '-0.45', net: '4.55', balance: '5692.84', name: 'Supporter 999', processor: 'STRIPE' })}\r\n`,
      );
      const third = await importOpenCollective(t.db, { pactId: pact.id, data: newer });
      assert.equal(third.imported, true, JSON.stringify(third.refusal));
      assert.deepEqual([third.recorded, third.alreadyPresent, third.pendingFees], [3, 3225, []]);
      assert.deepEqual(await pactBalances(t.db, pact.id), [{ currency: 'USD', balanceMinor: 569284, entryCount: 3228 }]);
      const fee = await t.db.selectFrom('ledger_entries').select(['group_id', 'amount_minor', 'counterparty_name']).where('pact_id', '=', pact.id).where('external_ref', '=', 'oc:4cab822d:fee').executeTakeFirstOrThrow();
      assert.deepEqual([Number(fee.amount_minor), fee.group_id, fee.counterparty_name], [-113, expense.group_id, 'WISE']);
      assert.deepEqual(await checkIntegrity(t.db), []);
    });

    test('a small export as a ledger: fees, host fees, an expense, a refund as reversals, a pending fee', async () => {
      const pact = await makeBarePact(t.db, orgId);
      const report = await importOpenCollective(t.db, { pactId: pact.id, data: csv(SMALL) });
      assert.deepEqual(report, {
        rows: 9,
        recorded: 14,
        alreadyPresent: 0,
        reversals: 3,
        pendingFees: [{ line: 2, amountMinor: -50 }],
        rejected: [],
        finalBalanceMinor: 18690,
        fileFinalBalanceMinor: 18690,
        currency: 'USD',
        imported: true,
        refusal: null,
      });
      assert.equal(await ledgerTable(t.db, pact.id), SMALL_TABLE.join('\n'));
      const rows = await t.db.selectFrom('ledger_entries').selectAll().where('pact_id', '=', pact.id).orderBy('seq').execute();
      assert.deepEqual(
        rows.map((r) => [r.external_ref, r.counterparty_name, r.reference]),
        [
          ['oc:c00', 'Supporter 4', 'c00'],
          ['oc:c00:fee', null, 'c00'],
          ['oc:c00:host_fee', null, 'c00'],
          ['oc:c0', 'Supporter 0', 'c0'],
          ['oc:c0:fee', 'STRIPE', 'c0'],
          ['oc:c1', 'Supporter 1', 'c1'],
          ['oc:c1:fee', 'STRIPE', 'c1'],
          ['oc:h1', 'Host', 'h1'],
          ['oc:e1', 'Supporter 2', 'e1'],
          ['oc:e1:fee', 'WISE', 'e1'],
          ['oc:r1', 'Supporter 1', 'c1'],
          ['oc:p1', 'STRIPE', 'c1'],
          ['oc:hr1', 'Host', 'h1'],
          ['oc:e2', 'Supporter 3', 'e2'],
        ],
      );
      assert.equal(rows[10]!.description, 'Refund of "Contribution"');
      assert.deepEqual(await checkIntegrity(t.db), []);

      const again = await importOpenCollective(t.db, { pactId: pact.id, data: csv(SMALL, '\r\n') });
      assert.deepEqual([again.imported, again.recorded, again.alreadyPresent, again.reversals], [true, 0, 14, 0]);
      assert.equal(await ledgerTable(t.db, pact.id), SMALL_TABLE.join('\n'));
    });

    test('rows with errors are reported by physical line and nothing is written', async () => {
      const pact = await makeBarePact(t.db, orgId);
      const lines = [
        row({ at: '2025-03-05T10:00:00', id: 'ok1', group: 'g1', description: 'Contribution', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '20', fee: '-0.8', net: '19.2', balance: '49.2', name: 'A' }),
        row({ at: '2025-03-04T10:00:00', id: 'bad1', group: 'g2', description: 'Contribution', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '12.3x', net: '12.3', balance: '30', name: 'B' }),
        row({ at: '2025-03-03T10:00:00', id: 'ok2', group: 'g3', description: 'Expense\r\nover two lines', type: 'DEBIT', kind: 'EXPENSE', amount: '-5', net: '-5', balance: '17.7', name: 'C' }),
        row({ at: '2025-03-02T10:00:00', id: 'bad2', group: 'g4', description: 'Tip', type: 'CREDIT', kind: 'PLATFORM_TIP', amount: '2', net: '2', balance: '22.7', name: 'D' }),
        row({ at: '2025-03-01T10:00:00', id: 'bad3', group: 'g5', description: 'Refund', type: 'DEBIT', kind: 'CONTRIBUTION', refundOf: 'deadbeef', amount: '-10', net: '-10', balance: '20.7', name: 'E' }),
        row({ at: '2025-02-01T10:00:00', id: 'ok3', group: 'g6', description: 'Contribution', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '31', fee: '-0.3', net: '30.7', balance: '30.7', name: 'F' }),
      ];
      const report = await importOpenCollective(t.db, { pactId: pact.id, data: `\ufeff${csv(lines, '\r\n')}` });
      assert.deepEqual(report.rejected, [
        { line: 3, reason: 'amount', values: { column: 'amount', value: '12.3x' } },
        { line: 6, reason: 'unsupported_kind', values: { kind: 'PLATFORM_TIP', type: 'CREDIT' } },
        { line: 7, reason: 'refund_unknown_original', values: { id: 'deadbeef' } },
      ]);
      assert.deepEqual([report.rows, report.imported, report.refusal, report.recorded], [6, false, { reason: 'rejected_rows' }, 0]);
      assert.equal(await entryCount(pact.id), 0);
      assert.deepEqual(await pactBalances(t.db, pact.id), []);
    });

    test('--skip-invalid leaves out rows that move no money; a skipped row with money still refuses', async () => {
      const pact = await makeBarePact(t.db, orgId);
      const zeroTip = [
        row({ at: '2025-03-02T10:00:00', id: 'tip', group: 'g2', description: 'Tip', type: 'CREDIT', kind: 'PLATFORM_TIP', amount: '0', net: '0', balance: '9.5', name: 'A' }),
        row({ at: '2025-03-01T10:00:00', id: 'c1', group: 'g1', description: 'Contribution', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '10', fee: '-0.5', net: '9.5', balance: '9.5', name: 'A' }),
      ];
      const strict = await importOpenCollective(t.db, { pactId: pact.id, data: csv(zeroTip) });
      assert.deepEqual([strict.imported, strict.refusal], [false, { reason: 'rejected_rows' }]);
      const skipping = await importOpenCollective(t.db, { pactId: pact.id, data: csv(zeroTip), skipInvalid: true });
      assert.deepEqual([skipping.imported, skipping.recorded, skipping.rejected.map((r) => [r.line, r.reason])], [true, 2, [[2, 'unsupported_kind']]]);
      assert.deepEqual(await pactBalances(t.db, pact.id), [{ currency: 'USD', balanceMinor: 950, entryCount: 2 }]);

      const other = await makeBarePact(t.db, orgId);
      const brokenMoney = [
        row({ at: '2025-03-03T10:00:00', id: 'c3', group: 'g3', description: 'Contribution', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '1', net: '1', balance: '16', name: 'A' }),
        row({ at: '2025-03-02T10:00:00', id: 'c2', group: 'g2', description: 'Contribution', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '5.0x', net: '5', balance: '15', name: 'A' }),
        row({ at: '2025-03-01T10:00:00', id: 'c1', group: 'g1', description: 'Contribution', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '10', net: '10', balance: '10', name: 'A' }),
      ];
      const refused = await importOpenCollective(t.db, { pactId: other.id, data: csv(brokenMoney), skipInvalid: true });
      assert.equal(refused.imported, false);
      assert.deepEqual(refused.refusal, { reason: 'divergence', line: 2, ledgerMinor: 1100, fileMinor: 1600, firstRow: false, openingMinor: 0, fileOpeningMinor: 1500 });
      assert.deepEqual(refused.rejected.map((r) => r.line), [3]);
      assert.equal(await entryCount(other.id), 0);
    });

    test('a balance the rows do not explain refuses the import at that line; other entries in the currency too', async () => {
      const wrong = [...SMALL];
      wrong[4] = wrong[4]!.replace(',303.7,', ',303.69,'); // line 6: the expense e1
      const pact = await makeBarePact(t.db, orgId);
      const report = await importOpenCollective(t.db, { pactId: pact.id, data: csv(wrong) });
      assert.deepEqual(report.refusal, { reason: 'divergence', line: 6, ledgerMinor: 30370, fileMinor: 30369, firstRow: false, openingMinor: 0, fileOpeningMinor: 32394 });
      assert.deepEqual([report.imported, report.recorded, report.finalBalanceMinor, report.fileFinalBalanceMinor], [false, 0, 0, 18690]);
      assert.equal(await entryCount(pact.id), 0);

      // Money already on the pact in USD does not belong to the file's opening balance; in EUR it does not matter.
      const withUsd = await makeBarePact(t.db, orgId);
      const withEur = await makeBarePact(t.db, orgId);
      for (const [p, currency] of [[withUsd, 'USD'], [withEur, 'EUR']] as const) {
        await recordEntries(t.db, { pactId: p.id, recordedBy: null, entries: [{ kind: 'contribution', amountMinor: 1000, currency, valueDate: '2024-11-01', counterparty: { kind: 'external', name: 'Bank' } }] });
      }
      const usd = await importOpenCollective(t.db, { pactId: withUsd.id, data: csv(SMALL) });
      assert.deepEqual(usd.refusal, { reason: 'divergence', line: 10, ledgerMinor: 5325, fileMinor: 4325, firstRow: true, openingMinor: 1000, fileOpeningMinor: 0 });
      assert.deepEqual(await pactBalances(t.db, withUsd.id), [{ currency: 'USD', balanceMinor: 1000, entryCount: 1 }]);
      const eur = await importOpenCollective(t.db, { pactId: withEur.id, data: csv(SMALL) });
      assert.equal(eur.imported, true);
      assert.deepEqual(await pactBalances(t.db, withEur.id), [
        { currency: 'EUR', balanceMinor: 1000, entryCount: 1 },
        { currency: 'USD', balanceMinor: 18690, entryCount: 14 },
      ]);
    });

    test('a refund that does not mirror its original is rejected', async () => {
      const pact = await makeBarePact(t.db, orgId);
      const lines = [
        row({ at: '2025-03-02T10:00:00', id: 'r1', group: 'g2', description: 'Refund', type: 'DEBIT', kind: 'CONTRIBUTION', refundOf: 'c1', amount: '-99', net: '-99', balance: '1', name: 'A' }),
        row({ at: '2025-03-02T10:00:00', id: 'p1', group: 'g2', description: 'Cover', type: 'CREDIT', kind: 'PAYMENT_PROCESSOR_COVER', refundOf: '', amount: '1', net: '1', balance: '2', name: 'Host' }),
        row({ at: '2025-03-01T10:00:00', id: 'c1', group: 'g1', description: 'Contribution', type: 'CREDIT', kind: 'CONTRIBUTION', amount: '100', net: '100', balance: '100', name: 'A' }),
      ];
      const report = await importOpenCollective(t.db, { pactId: pact.id, data: csv(lines) });
      assert.deepEqual(report.rejected, [
        { line: 2, reason: 'refund_mismatch', values: { id: 'c1' } },
        { line: 3, reason: 'refund_mismatch', values: { id: 'c1' } },
      ]);
      assert.equal(await entryCount(pact.id), 0);
    });

    test("inside a caller's transaction a refused import leaves the caller's own writes alone", async () => {
      const pact = await makeBarePact(t.db, orgId);
      const wrong = SMALL.map((l) => l.replace(',43.25,USD', ',43.26,USD'));
      const report = await t.db.transaction().execute(async (tx) => {
        await recordEntries(tx, { pactId: pact.id, recordedBy: null, entries: [{ kind: 'contribution', amountMinor: 700, currency: 'EUR', valueDate: '2025-01-01', counterparty: { kind: 'external', name: 'Bank' } }] });
        return importOpenCollective(tx, { pactId: pact.id, data: csv(wrong) });
      });
      assert.equal(report.refusal?.reason, 'divergence');
      assert.deepEqual(await pactBalances(t.db, pact.id), [{ currency: 'EUR', balanceMinor: 700, entryCount: 1 }]);
      assert.deepEqual(await checkIntegrity(t.db), []);
    });

    test('files that are not Open Collective exports are refused as a whole', async () => {
      const pact = await makeBarePact(t.db, orgId);
      await assert.rejects(importOpenCollective(t.db, { pactId: pact.id, data: '' }), (err: unknown) => err instanceof OcImportFileError && err.code === 'empty');
      await assert.rejects(importOpenCollective(t.db, { pactId: pact.id, data: 'date,amount\n2025-01-01,5\n' }), (err: unknown) => {
        assert.ok(err instanceof OcImportFileError);
        assert.equal(err.code, 'missing_columns');
        assert.match(String(err.values.columns), /^datetime, shortId, shortGroup, /);
        return true;
      });
      await assert.rejects(importOpenCollective(t.db, { pactId: pact.id, data: csv([SMALL[0]!, '2025-01-01,"x']) }), (err: unknown) => err instanceof OcImportFileError && err.code === 'csv_syntax');
      assert.equal(await entryCount(pact.id), 0);
    });
  });
}
