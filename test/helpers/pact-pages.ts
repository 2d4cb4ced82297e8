import { DateTime } from 'luxon';
import type { Db } from '../../src/db/client.ts';
import type { Keyring } from '../../src/lib/sealed.ts';
import type { DocumentStore } from '../../src/lib/document-store.ts';
import { newId } from '../../src/lib/ids.ts';
import { todayIn } from '../../src/lib/time.ts';
import { createUser, setOrganizationRole, viewerForAccount } from '../../src/modules/accounts/accounts.service.ts';
import { recordEntries } from '../../src/modules/pacts/ledger.service.ts';
import { addBeneficiary } from '../../src/modules/pacts/beneficiaries.service.ts';
import { approveDisbursement, declineDisbursement, proposeDisbursement } from '../../src/modules/pacts/disbursements.service.ts';
import { addPactDocument } from '../../src/modules/pacts/documents.service.ts';
import { createPact, getPact } from '../../src/modules/pacts/pacts.service.ts';
import { proposeTransferAsCoordinator, recordExchangeAsCoordinator } from '../../src/modules/pacts/entries.service.ts';
import { PDF } from './pacts.ts';

/**
 * The money side of the page tests' pact (seedPages): pledges with fulfilled, overdue and open
 * periods (dates relative to today, as pledge periods are), three households in the register, a
 * receipt, an approved and a refused disbursement and one waiting for a second coordinator
 * (proposed by a seeded coordinator, so the admin of the page tests may approve it), ECB
 * rates for USD ending before the last month, so the report shows a stale rate, two currency
 * exchanges (ECB and booked rate) and a transfer to a second pact of the owner.
 */
export async function seedPactFunds(
  db: Db,
  app: { keyring: Keyring; documents: DocumentStore },
  o: { pactId: string; slug: string; owner: string; pledgers: { tr: string; child: string } },
): Promise<void> {
  const today = todayIn('UTC');
  const month = (back: number, day = 1) => DateTime.fromISO(today, { zone: 'UTC' }).startOf('month').minus({ months: back }).set({ day }).toISODate()!;
  const now = new Date().toISOString();

  // Two coordinators of the owning organization: one proposes, the other decides.
  const people: string[] = [];
  for (const [email, name] of [['pages-coordinator@example.org', 'Mbuyi Kasongo'], ['pages-treasurer@example.org', 'Claire Ngalula']] as const) {
    const id = await createUser(db, { email, displayName: name, password: 'correct horse battery' });
    await setOrganizationRole(db, o.owner, id, 'coordinator');
    people.push(id);
  }
  const proposer = (await viewerForAccount(db, people[0]!))!;
  const treasurer = (await viewerForAccount(db, people[1]!))!;

  // Pledges: Maden İşçi monthly (paid two months ago, nothing last month, part of this month),
  // a named person's quarterly pledge, the Duisburg union's one-off pledge in USD.
  const pledge = async (values: { organization_id: string | null; pledger_name: string | null; amount_minor: number; currency: string; frequency: 'once' | 'monthly' | 'quarterly'; start_date: string; end_date?: string | null; note?: string | null }) => {
    const id = newId();
    await db
      .insertInto('pledges')
      .values({ id, pact_id: o.pactId, user_id: null, end_date: null, note: null, cancelled_at: null, created_by: people[0]!, created_at: now, ...values })
      .execute();
    return id;
  };
  const monthly = await pledge({ organization_id: o.pledgers.tr, pledger_name: null, amount_minor: 50_000, currency: 'EUR', frequency: 'monthly', start_date: month(2, 5), note: 'Dayanışma aidatı, paid at the start of each month' });
  await pledge({ organization_id: null, pledger_name: 'Mama Kalenga', amount_minor: 15_000_000, currency: 'CDF', frequency: 'quarterly', start_date: month(0) });
  const once = await pledge({ organization_id: o.pledgers.child, pledger_name: null, amount_minor: 100_000, currency: 'USD', frequency: 'once', start_date: month(1), end_date: month(0, 15) });
  const org = { kind: 'organization' as const, organizationId: o.pledgers.tr };
  await recordEntries(db, { pactId: o.pactId, recordedBy: people[0]!, entries: [{ kind: 'contribution', amountMinor: 50_000, currency: 'EUR', valueDate: month(2, 8), counterparty: org, reference: 'Dayanışma aidatı', pledgeId: monthly }] });
  await recordEntries(db, { pactId: o.pactId, recordedBy: people[0]!, entries: [{ kind: 'contribution', amountMinor: 20_000, currency: 'EUR', valueDate: month(0, 1), counterparty: org, reference: 'Dayanışma aidatı (kısmi)', pledgeId: monthly }] });
  await recordEntries(db, { pactId: o.pactId, recordedBy: people[0]!, entries: [{ kind: 'contribution', amountMinor: 40_000, currency: 'USD', valueDate: month(1, 20), counterparty: { kind: 'organization', organizationId: o.pledgers.child }, reference: 'Solidaritätsspende', pledgeId: once }] });

  // The register.
  const codes: string[] = [];
  for (const b of [
    { kind: 'household', householdSize: '6', name: 'Famille Ilunga', contact: '+243 81 555 0142', address: 'Quartier Mutoshi\nAvenue 12, Kolwezi', notes: 'Father injured at the mine in January.' },
    { kind: 'household', householdSize: '4', name: 'Famille Tshibangu', contact: '+243 99 555 0178', address: 'Cité Gécamines, Kolwezi', notes: '' },
    { kind: 'person', name: 'Jeanne Mwamba', contact: 'Through the women’s committee', address: '', notes: 'Widow; school fees for two children.' },
  ]) {
    codes.push((await addBeneficiary(db, app.keyring, proposer, o.slug, b)).code);
  }

  // Disbursements: approved with a receipt, refused, and one waiting.
  const pact = await getPact(db, proposer, o.slug);
  const { result: paid } = await addPactDocument(db, app.documents, proposer, pact, { source: PDF, filename: 'Reçu pharmacie juin.pdf', declaredType: 'application/pdf' }, {
    field: 'receipt',
    then: (tx, document) => proposeDisbursement(tx, proposer, o.slug, { beneficiary: codes[0], amount: '185.40', currency: 'EUR', purpose: 'Medicine and a doctor’s visit', valueDate: '2026-06-10', document }),
  });
  await approveDisbursement(db, treasurer, o.slug, paid.id);
  const refused = await proposeDisbursement(db, proposer, o.slug, { payee: 'Garage Lualaba', amount: '900', currency: 'EUR', purpose: 'Repair of the committee’s motorbike', valueDate: '2026-06-12' });
  await declineDisbursement(db, treasurer, o.slug, refused.id, { note: 'Not what the pact is for; ask the union’s own fund.' });
  await proposeDisbursement(db, proposer, o.slug, { beneficiary: codes[2], amount: '120', currency: 'EUR', purpose: 'School fees, third term', valueDate: month(0, 1) });

  // ECB reference rates for USD (units per EUR), none after the end of May: June and later are stale.
  const rates: [string, string][] = [['2026-02-27', '1.0420'], ['2026-03-31', '1.0810'], ['2026-04-30', '1.1350'], ['2026-05-29', '1.1280']];
  for (const [date, rate] of rates) {
    await db.insertInto('exchange_rates').values({ source: 'ECB', rate_date: date, base: 'EUR', quote: 'USD', rate, imported_at: now }).execute();
  }

  // Exchanges (at the ECB rate of the day; at the rate the bank booked) and a transfer to the
  // union's strike fund, so the ledger shows rates and a link to the other pact.
  await recordExchangeAsCoordinator(db, proposer, o.slug, { fromCurrency: 'EUR', fromAmount: '500', toCurrency: 'USD', valueDate: '2026-05-29', name: 'Rawbank Kolwezi', reference: 'Change 05/2026' });
  await recordExchangeAsCoordinator(db, proposer, o.slug, { fromCurrency: 'USD', fromAmount: '300', toCurrency: 'CDF', toAmount: '855000', valueDate: '2026-05-30', name: 'Bureau de change Lualaba', reference: 'Change 05/2026 CDF' });
  const owner = await db.selectFrom('organizations').select('slug').where('id', '=', o.owner).executeTakeFirstOrThrow();
  const fund = await createPact(
    db,
    null,
    {
      organization: owner.slug, slug: 'caisse-de-greve-kamoto', lang: 'fr', title: 'Caisse de grève des mineurs de Kamoto',
      description: 'Indemnités de grève pour les mineurs.', beneficiaryGroup: 'Mineurs en grève de la coopérative de Kamoto', country: 'CD',
      periodStart: '2026-02-15', visibility: 'public',
    },
    { trusted: true },
  );
  // A transfer is a proposal too: the treasurer approves it.
  const transfer = await proposeTransferAsCoordinator(db, proposer, o.slug, { toPact: fund.slug, amount: '250', currency: 'EUR', valueDate: '2026-05-30', description: 'Agreed at the coordination meeting of 28 May' });
  await approveDisbursement(db, treasurer, o.slug, transfer.id);
}
