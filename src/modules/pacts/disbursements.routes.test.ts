import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, formSession, loginAs, postForm } from '../../../test/helpers/app.ts';
import { ledgerTable } from '../../../test/helpers/ledger.ts';
import { mainOf, multipart, pactWorld, PDF, type Part } from '../../../test/helpers/pacts.ts';
import { recordEntries } from './ledger.service.ts';
import { addBeneficiary } from './beneficiaries.service.ts';
import { viewerForAccount } from '../accounts/accounts.service.ts';
import { setPactStatus } from './pacts.service.ts';

/**
 * Disbursements through the pages and the API on every engine: one coordinator proposes with a
 * receipt upload (one multipart form with its CSRF token), a second approves, the ledger gets the
 * entry; refusing, withdrawing, overdrafts and rejected uploads leave nothing half-written; the
 * receipt goes back to coordinators only.
 */

/** Every stored file under `dir` (the incoming directory included). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

for (const engine of ENGINES) {
  describe(`disbursements (${engine})`, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const json = (url: string, body: unknown, cookie: string) => t.app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', cookie } });
    const count = async (table: 'disbursements' | 'pact_documents' | 'ledger_entries') => Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    /** The world with 500.00 EUR on the pact and one household in the register. */
    const funded = async () => {
      const w = await pactWorld(t);
      await recordEntries(db(), { pactId: w.pact.id, recordedBy: null, entries: [{ kind: 'contribution', amountMinor: 50_000, currency: 'EUR', valueDate: '2026-03-02', counterparty: { kind: 'external', name: 'Collection at the gate' }, reference: 'March collection' }] });
      const { code } = await addBeneficiary(db(), t.app.keyring, await viewerForAccount(db(), w.coordinator.userId), w.pact.slug, { kind: 'household', householdSize: '5', name: 'Famille Ilunga' });
      return { ...w, code };
    };

    /** Posts the proposal form of the disbursements page as the browser sends it (multipart, CSRF first, file last). */
    const proposeForm = async (slug: string, cookie: string, fields: Record<string, string>, file?: { filename: string; type: string; data: Buffer }) => {
      const s = await formSession(t, `/pacts/${slug}/disbursements`, cookie);
      const parts: Part[] = [{ name: '_csrf', value: s.csrf }, ...Object.entries(fields).map(([name, value]) => ({ name, value }))];
      parts.push(file ? { name: 'receipt', ...file } : { name: 'receipt', filename: '', type: 'application/octet-stream', data: Buffer.alloc(0) });
      const { payload, contentType } = multipart(parts);
      return t.app.inject({ method: 'POST', url: `/pacts/${slug}/disbursements`, payload, headers: { cookie: s.cookie, 'content-type': contentType } });
    };

    test('the two-person flow through the pages: propose with a receipt, the proposer cannot approve, a second coordinator approves; the receipt goes to coordinators only', async () => {
      const w = await funded();
      const slug = w.pact.slug;
      const page = await get(`/pacts/${slug}/disbursements`, w.coordinator.cookie);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<form method="post" action="\/pacts\/kamoto-families\/disbursements#propose" enctype="multipart\/form-data"/);
      assert.match(page.body, /<option value="H-0001">H-0001 \(Household\)<\/option>/);
      assert.match(mainOf(page), /Available: €500\.00/);

      const proposed = await proposeForm(slug, w.coordinator.cookie, { beneficiary: w.code, payee: '', amount: '120.50', currency: 'EUR', purpose: 'Food parcels for March', valueDate: '2026-03-20' }, { filename: 'quittung-märz.pdf', type: 'application/pdf', data: PDF });
      assert.equal(proposed.statusCode, 303, proposed.body);
      assert.equal(proposed.headers.location, `/pacts/${slug}/disbursements?done=proposed`);
      const d = await db().selectFrom('disbursements').selectAll().executeTakeFirstOrThrow();
      assert.equal(d.status, 'proposed');
      assert.equal(Number(d.amount_minor), 12_050);
      assert.equal(d.proposed_by, w.coordinator.userId);
      const doc = await db().selectFrom('pact_documents').selectAll().executeTakeFirstOrThrow();
      assert.equal(d.document_id, doc.id);
      assert.equal(doc.content_type, 'application/pdf');
      assert.equal(doc.filename, 'quittung-märz.pdf');
      assert.equal(Number(doc.size_bytes), PDF.length);
      assert.equal(doc.sha256, createHash('sha256').update(PDF).digest('hex'));
      assert.ok(filesUnder(t.app.documents.dir).includes(join(t.app.documents.dir, doc.storage_key)));
      assert.equal(await count('ledger_entries'), 1, 'nothing is paid before the second person approves');
      const audit = await db().selectFrom('audit_events').select('action').where('subject_type', '=', 'pact').orderBy('at').execute();
      assert.deepEqual(audit.map((a) => a.action), ['pact.created', 'pact.beneficiary_added', 'pact.document_uploaded', 'pact.disbursement_proposed']);

      // The proposer sees the proposal waiting, without an approve button.
      const mine = mainOf(await get(`/pacts/${slug}/disbursements?done=proposed`, w.coordinator.cookie));
      assert.match(mine, /The disbursement has been proposed\./);
      assert.match(mine, /You proposed this disbursement\. It is waiting for a second coordinator to approve it\./);
      assert.doesNotMatch(mine, /\/approve/);
      assert.match(mine, /Withdraw my proposal/);
      assert.match(mine, /€120\.50 · <code>H-0001<\/code>/);
      assert.match(mine, /Receipt: <bdi>quittung-märz\.pdf<\/bdi>/);
      const self = await postForm(t, `/pacts/${slug}/disbursements`, `/pacts/${slug}/disbursements/${d.id}/approve`, {}, w.coordinator.cookie);
      assert.equal(self.statusCode, 403);
      assert.match(mainOf(self), /A second coordinator must approve a disbursement; you proposed this one/);
      assert.equal((await db().selectFrom('disbursements').select('status').executeTakeFirstOrThrow()).status, 'proposed');

      // The second coordinator approves: the entry is recorded, with the receipt as its document.
      const theirs = mainOf(await get(`/pacts/${slug}/disbursements`, w.second.cookie));
      assert.match(theirs, new RegExp(`action="/pacts/${slug}/disbursements/${d.id}/approve#d-${d.id}"`));
      assert.match(theirs, /proposed by <bdi>Coco Ordinator<\/bdi>/);
      const approved = await postForm(t, `/pacts/${slug}/disbursements`, `/pacts/${slug}/disbursements/${d.id}/approve`, {}, w.second.cookie);
      assert.equal(approved.statusCode, 303, approved.body);
      assert.equal(approved.headers.location, `/pacts/${slug}/disbursements?done=approved`);
      const after = await db().selectFrom('disbursements').selectAll().executeTakeFirstOrThrow();
      assert.equal(after.status, 'approved');
      assert.equal(after.decided_by, w.second.userId);
      const entry = await db().selectFrom('ledger_entries').selectAll().where('id', '=', after.entry_id!).executeTakeFirstOrThrow();
      assert.equal(entry.document_id, doc.id);
      assert.equal(entry.counterparty_kind, 'beneficiary');
      assert.equal(
        await ledgerTable(db(), w.pact.id),
        [
          'seq  kind          flow          amount  cur  value_date  balance  rev  grp',
          '1    contribution  contribution   50000  EUR  2026-03-02    50000       A',
          '2    disbursement  disbursement  -12050  EUR  2026-03-20    37950       B',
        ].join('\n'),
      );
      const history = mainOf(await get(`/pacts/${slug}/disbursements?done=approved`, w.second.cookie));
      assert.match(history, /The disbursement has been approved and recorded on the ledger\./);
      assert.match(history, /approved by <bdi>Dora Second<\/bdi>/);
      assert.match(history, new RegExp(`href="/pacts/${slug}/ledger\\?before=3#entry-2">No\\. 2</a>`));
      assert.match(history, new RegExp(`href="/pacts/${slug}/documents/${doc.id}"`));
      assert.match(history, /No proposal is waiting\./);

      // The receipt: the bytes for coordinators; 404 for the member, the outsider and anonymous readers.
      const download = await get(`/pacts/${slug}/documents/${doc.id}`, w.second.cookie);
      assert.equal(download.statusCode, 200);
      assert.deepEqual(download.rawPayload, PDF);
      assert.equal(download.headers['content-type'], 'application/pdf');
      assert.equal(download.headers['content-disposition'], `attachment; filename="quittung-m?rz.pdf"; filename*=UTF-8''quittung-m%C3%A4rz.pdf`);
      assert.equal(download.headers['x-content-type-options'], 'nosniff');
      assert.equal(download.headers['cache-control'], 'private, no-store');
      assert.equal(download.headers['content-length'], String(PDF.length));
      for (const cookie of [w.member.cookie, w.viewer.cookie, w.outsider.cookie, undefined]) {
        const denied = await get(`/pacts/${slug}/documents/${doc.id}`, cookie);
        assert.equal(denied.statusCode, 404);
        assert.ok(!denied.rawPayload.includes(PDF), 'no byte of the receipt');
      }
      assert.equal((await get(`/pacts/${slug}/documents/0190ffff-0000-7000-8000-000000000abc`, w.second.cookie)).statusCode, 404);

      // The page itself: 403 for a member who sees the pact, 401 for anonymous readers; the public ledger names only the code's kind.
      assert.equal((await get(`/pacts/${slug}/disbursements`, w.member.cookie)).statusCode, 403);
      assert.equal((await get(`/pacts/${slug}/disbursements`)).statusCode, 401);
      const ledger = mainOf(await get(`/pacts/${slug}/ledger`));
      assert.match(ledger, /a beneficiary/);
      assert.doesNotMatch(ledger, /H-0001|Food parcels/);
    });

    test('refusing needs a note; the proposer withdraws their own; an overdraft and a closed pact are refused at the form', async () => {
      const w = await funded();
      const slug = w.pact.slug;
      const api = await json(`/api/v1/pacts/${slug}/disbursements`, { payee: 'Pharmacie Espoir', amount: '50.00', currency: 'EUR', purpose: 'Medicine', valueDate: '2026-03-21' }, w.coordinator.cookie);
      assert.equal(api.statusCode, 201, api.body);
      const id = api.json().id as string;
      assert.equal(api.json().receipt, null);
      assert.deepEqual(api.json().canApprove, false);

      const noNote = await postForm(t, `/pacts/${slug}/disbursements`, `/pacts/${slug}/disbursements/${id}/decline`, { note: '' }, w.second.cookie);
      assert.equal(noNote.statusCode, 422);
      assert.match(mainOf(noNote), /This field is required/);
      assert.match(mainOf(noNote), /<details class="reverse" open>/);
      const refused = await postForm(t, `/pacts/${slug}/disbursements`, `/pacts/${slug}/disbursements/${id}/decline`, { note: 'Paid from another fund' }, w.second.cookie);
      assert.equal(refused.statusCode, 303);
      assert.equal(refused.headers.location, `/pacts/${slug}/disbursements?done=rejected`);
      const row = await db().selectFrom('disbursements').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.status, 'rejected');
      assert.equal(row.decision_note, 'Paid from another fund');
      const page = mainOf(await get(`/pacts/${slug}/disbursements`, w.coordinator.cookie));
      assert.match(page, /refused by <bdi>Dora Second<\/bdi>/);
      assert.match(page, /Paid from another fund/);

      const again = await json(`/api/v1/pacts/${slug}/disbursements`, { payee: 'School of Kolwezi', amount: '30', currency: 'EUR', purpose: 'School fees' }, w.coordinator.cookie);
      const withdrawn = await postForm(t, `/pacts/${slug}/disbursements`, `/pacts/${slug}/disbursements/${again.json().id}/decline`, {}, w.coordinator.cookie);
      assert.equal(withdrawn.headers.location, `/pacts/${slug}/disbursements?done=withdrawn`);
      assert.equal((await db().selectFrom('disbursements').select('status').where('id', '=', again.json().id).executeTakeFirstOrThrow()).status, 'withdrawn');

      const tooMuch = await proposeForm(slug, w.coordinator.cookie, { beneficiary: '', payee: 'Someone', amount: '500.01', currency: 'EUR', purpose: 'Too much' });
      assert.equal(tooMuch.statusCode, 422);
      assert.match(mainOf(tooMuch), /Amount: This would take the pact's balance in this currency below zero/);
      assert.match(mainOf(tooMuch), /value="500.01"/, 'the form keeps what was typed');
      const neither = await proposeForm(slug, w.coordinator.cookie, { beneficiary: '', payee: '', amount: '10', currency: 'EUR', purpose: 'x' });
      assert.match(mainOf(neither), /Choose a registered beneficiary or name who is paid/);
      assert.equal(await count('ledger_entries'), 1);
      assert.equal(await count('disbursements'), 2);

      await setPactStatus(db(), await viewerForAccount(db(), w.coordinator.userId), slug, 'closed');
      const closed = mainOf(await get(`/pacts/${slug}/disbursements`, w.coordinator.cookie));
      assert.match(closed, /This pact is closed\./);
      assert.doesNotMatch(closed, /Propose a disbursement/);
      const late = await json(`/api/v1/pacts/${slug}/disbursements`, { payee: 'Pharmacie Espoir', amount: '5', currency: 'EUR', purpose: 'Medicine' }, w.coordinator.cookie);
      assert.equal(late.statusCode, 409);
      assert.equal(late.json().code, 'pact_closed');
    });

    test('a refused upload stores nothing; a valid receipt with a refused proposal is removed again', async () => {
      const w = await funded();
      const slug = w.pact.slug;
      const stored = filesUnder(t.app.documents.dir);
      const fake = await proposeForm(slug, w.coordinator.cookie, { payee: 'Pharmacie', amount: '10', currency: 'EUR', purpose: 'Medicine' }, { filename: 'receipt.pdf', type: 'application/pdf', data: Buffer.from('=HYPERLINK("https://evil.example") not a pdf at all') });
      assert.equal(fake.statusCode, 422);
      assert.match(mainOf(fake), /Receipt: This kind of file cannot be stored/);
      assert.match(mainOf(fake), /please choose it again/);
      const badFields = await proposeForm(slug, w.coordinator.cookie, { payee: 'Pharmacie', amount: '10.001', currency: 'EUR', purpose: '' }, { filename: 'receipt.pdf', type: 'application/pdf', data: PDF });
      assert.equal(badFields.statusCode, 422);
      assert.match(mainOf(badFields), /Purpose: This field is required/);
      assert.match(mainOf(badFields), /EUR has 2 decimals/);
      assert.equal(await count('disbursements'), 0);
      assert.equal(await count('pact_documents'), 0);
      assert.deepEqual(filesUnder(t.app.documents.dir), stored, 'no stored file and no temporary one');

      // A member's forged form: 403 before a byte is stored.
      const byMember = await proposeForm(slug, w.member.cookie, { payee: 'Pharmacie', amount: '10', currency: 'EUR', purpose: 'Medicine' }, { filename: 'receipt.pdf', type: 'application/pdf', data: PDF });
      assert.equal(byMember.statusCode, 403);
      assert.deepEqual(filesUnder(t.app.documents.dir), stored);
    });

    test('the API: propose as multipart with the receipt (CSRF token required), approve as the second person, a second decision is a 409', async () => {
      const w = await funded();
      const slug = w.pact.slug;
      const s = await formSession(t, `/pacts/${slug}/disbursements`, w.coordinator.cookie);
      const fields: Part[] = [
        { name: 'beneficiary', value: w.code },
        { name: 'amount', value: '75.25' },
        { name: 'currency', value: 'eur' },
        { name: 'purpose', value: 'Rent for April' },
        { name: 'receipt', filename: 'rent.pdf', type: 'application/pdf', data: PDF },
      ];
      const forged = multipart(fields);
      const refused = await t.app.inject({ method: 'POST', url: `/api/v1/pacts/${slug}/disbursements`, payload: forged.payload, headers: { cookie: s.cookie, 'content-type': forged.contentType } });
      assert.equal(refused.statusCode, 403);
      assert.equal(await count('pact_documents'), 0);
      const ok = await t.app.inject({ method: 'POST', url: `/api/v1/pacts/${slug}/disbursements`, payload: forged.payload, headers: { cookie: s.cookie, 'content-type': forged.contentType, 'x-csrf-token': s.csrf } });
      assert.equal(ok.statusCode, 201, ok.body);
      const body = ok.json();
      assert.deepEqual({ amountMinor: body.amountMinor, amount: body.amount, currency: body.currency, beneficiary: body.beneficiary, status: body.status }, { amountMinor: 7525, amount: '75.25', currency: 'EUR', beneficiary: 'H-0001', status: 'proposed' });
      assert.equal(body.receipt.contentType, 'application/pdf');
      assert.equal(body.receipt.url, `/pacts/${slug}/documents/${body.receipt.id}`);

      const own = await json(`/api/v1/pacts/${slug}/disbursements/${body.id}/approve`, {}, w.coordinator.cookie);
      assert.equal(own.statusCode, 403);
      assert.equal(own.json().code, 'second_person_required');
      const approved = await json(`/api/v1/pacts/${slug}/disbursements/${body.id}/approve`, {}, w.second.cookie);
      assert.equal(approved.statusCode, 200, approved.body);
      assert.equal(approved.json().status, 'approved');
      assert.equal(approved.json().entry.seq, 2);
      assert.equal(approved.json().decidedBy, 'Dora Second');
      const twice = await json(`/api/v1/pacts/${slug}/disbursements/${body.id}/decline`, { note: 'late' }, w.second.cookie);
      assert.equal(twice.statusCode, 409);
      assert.equal(twice.json().code, 'disbursement_decided');
      const list = await get(`/api/v1/pacts/${slug}/disbursements`, w.second.cookie);
      assert.deepEqual(list.json().items.map((x: { status: string; amount: string }) => [x.status, x.amount]), [['approved', '75.25']]);
      assert.equal((await get(`/api/v1/pacts/${slug}/disbursements`, w.member.cookie)).statusCode, 403);
      assert.equal((await json(`/api/v1/pacts/${slug}/disbursements`, { payee: 'x', amount: 10, currency: 'EUR', purpose: 'x' }, w.coordinator.cookie)).statusCode, 400, 'a JSON number amount is refused');
    });

    test('an approval that comes too late or would overdraw: the page says so at the top', async () => {
      const w = await funded();
      const slug = w.pact.slug;
      const third = await loginAs(t, { name: 'Tari Third', roles: [[w.union.id, 'coordinator']] });
      const propose = async (amount: string, purpose: string) => {
        const res = await json(`/api/v1/pacts/${slug}/disbursements`, { payee: 'Pharmacie Kolwezi', amount, currency: 'EUR', purpose }, w.coordinator.cookie);
        assert.equal(res.statusCode, 201, res.body);
        return res.json().id as string;
      };
      const first = await propose('300', 'Medicine for March');
      const other = await propose('300', 'Medicine for April');
      // Dora approves the first one; Tari's approval of it comes a moment later.
      const approved = await postForm(t, `/pacts/${slug}/disbursements`, `/pacts/${slug}/disbursements/${first}/approve`, {}, w.second.cookie);
      assert.equal(approved.statusCode, 303, approved.body);
      const late = await postForm(t, `/pacts/${slug}/disbursements`, `/pacts/${slug}/disbursements/${first}/approve`, {}, third.cookie);
      assert.equal(late.statusCode, 409);
      assert.match(mainOf(late), /<div class="error-summary" role="alert" id="decision-error"><p>The decision was not recorded:<\/p><ul><li>This disbursement has been decided already<\/li><\/ul><\/div>/);
      // 500 − 300 = 200 left: the other proposal no longer fits, and it stays waiting.
      const overdraw = await postForm(t, `/pacts/${slug}/disbursements`, `/pacts/${slug}/disbursements/${other}/approve`, {}, third.cookie);
      assert.equal(overdraw.statusCode, 409);
      assert.match(mainOf(overdraw), /<div class="error-summary" role="alert" id="decision-error"><p>The decision was not recorded:<\/p><ul><li>This would take the pact(&#39;|')s balance in this currency below zero<\/li><\/ul><\/div>/);
      assert.deepEqual((await db().selectFrom('disbursements').select(['purpose', 'status', 'decided_by']).orderBy('purpose').execute()).map((d) => ({ ...d })), [
        { purpose: 'Medicine for April', status: 'proposed', decided_by: null },
        { purpose: 'Medicine for March', status: 'approved', decided_by: w.second.userId },
      ]);
      assert.equal(await count('ledger_entries'), 2);
      const de = mainOf(await postForm(t, `/pacts/${slug}/disbursements`, `/pacts/${slug}/disbursements/${first}/decline`, { note: 'zu spät' }, `${third.cookie}; locale=de`));
      assert.match(de, /<p>Die Entscheidung wurde nicht gespeichert:<\/p>/);
    });

    test('a private pact: 404 for everyone who cannot see it; the page in German', async () => {
      const w = await pactWorld(t, { visibility: 'private' });
      for (const cookie of [w.member.cookie, w.outsider.cookie, undefined]) {
        assert.equal((await get(`/pacts/${w.pact.slug}/disbursements`, cookie)).statusCode, 404);
        assert.equal((await get(`/api/v1/pacts/${w.pact.slug}/disbursements`, cookie)).statusCode, 404);
      }
      const de = mainOf(await get(`/pacts/${w.pact.slug}/disbursements`, `${w.coordinator.cookie}; locale=de`));
      assert.match(de, /<h1 class="pact-heading">Auszahlungen: <span lang="en"><bdi>Families of the Kamoto miners<\/bdi><\/span><\/h1>/);
      assert.match(de, /Auszahlung vorschlagen/);
      assert.match(de, /Kein Vorschlag wartet\./);
      assert.match(de, /höchstens 10 MB/);
    });
  });
}
