import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ENGINES } from '../../../test/helpers/db.ts';
import { formSession, form, useTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import type { MailMessage, Mailer } from '../../mail/mailer.ts';
import { open } from '../../lib/sealed.ts';
import { supporterAad } from './supporter-keys.ts';
import { drainSupporterMails } from './supporter-mail.ts';
import { CONSENT_VERSIONS } from './supporters.store.ts';

/**
 * The signing path end to end on every engine: the API and the form, double opt-in through the
 * links of the mails, the privacy-preserving "already signed" flow (identical answers, throttled
 * mails), withdrawal, draft and closed campaigns, and the cases B10 (Gmail aliases are one signer,
 * the first typed address kept) and B14 (concurrent identical submits are one signature).
 */

const B10 = JSON.parse(readFileSync(new URL('../../../test/fixtures/cases/B10.json', import.meta.url), 'utf8')) as {
  same_signer_pairs: [string, string][];
  different_signer_pairs: [string, string][];
};

const HIGH = { perAddressPerMinute: 100_000, perPrefixPerMinute: 100_000, unconfirmedPerDomainPerHour: 100_000 };

/** A mailer that keeps what it is given. */
export function captureMailer(): { sent: MailMessage[]; mailer: Mailer } {
  const sent: MailMessage[] = [];
  return {
    sent,
    mailer: {
      configured: true,
      async send(m) {
        sent.push(m);
        return { delivered: true };
      },
      close() {},
    },
  };
}

/** The confirm or withdraw link of a mail: `{ path, id, token }`. */
export function linkOf(mail: MailMessage, purpose: 'confirm' | 'withdraw'): { path: string; id: string; token: string } {
  const m = new RegExp(`http://localhost:3000(/campaigns/[^/]+/signatures/([0-9a-f-]+)/${purpose})\\?token=([A-Za-z0-9_.-]+)`).exec(mail.text);
  assert.ok(m, `no ${purpose} link in ${mail.text}`);
  return { path: m[1]!, id: m[2]!, token: m[3]! };
}

for (const engine of ENGINES) {
  describe(`signing (${engine})`, () => {
    const t: TestApp = useTestApp(engine, { signingLimits: HIGH });
    const db = () => t.db.db;
    const sign = (slug: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${slug}/signatures`, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
    const api = (url: string, body: unknown) => t.app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const drain = async () => {
      const c = captureMailer();
      const summary = await drainSupporterMails({ db: db(), engine: t.db.engine, keyring: t.app.keyring, mailer: c.mailer, baseUrl: t.app.baseUrl });
      return { ...c, summary };
    };
    const counts = async (campaignId: string) =>
      Object.fromEntries((await db().selectFrom('campaign_counts').select(['country', 'supporters']).where('campaign_id', '=', campaignId).orderBy('country').execute()).map((r) => [r.country, r.supporters]));
    const campaign = async (o: Parameters<typeof insertCampaign>[2] = {}) => {
      const org = await makeOrganization(db(), { name: `Union ${Math.random()}` });
      t.app.signingCampaigns.clear();
      return insertCampaign(db(), org.id, o);
    };

    test('API: 202 with the same body for a new signer; a pending row, consent versions and times, a sealed address; a confirmation mail with confirm and withdraw links', async () => {
      const c = await campaign({ title: 'Support the port strike' });
      const res = await sign(c.slug, { name: 'Amina Diallo', email: 'Amina.Diallo@Example.org', country: 'sn', city: 'Dakar', listPublicly: true, contactOk: false }, { 'accept-language': 'de' });
      assert.equal(res.statusCode, 202, res.body);
      const body = res.json();
      assert.equal(body.status, 'received');
      assert.match(body.message, /^Erhalten\. Eine E-Mail mit einem Link zur Bestätigung/);
      const row = await db().selectFrom('supporters').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.status, 'pending');
      assert.equal(row.source, 'online');
      assert.equal(row.country, 'SN');
      assert.equal(row.city, 'Dakar');
      assert.equal(row.lang, 'de', 'the negotiated language');
      assert.equal(row.list_publicly, 1);
      assert.equal(row.list_consent_version, CONSENT_VERSIONS.list);
      assert.equal(row.list_consented_at, row.created_at);
      assert.equal(row.contact_ok, 0);
      assert.equal(row.contact_consent_version, null);
      assert.equal(row.contact_consented_at, null);
      assert.equal(row.confirmed_at, null);
      assert.equal(Date.parse(row.expires_at!) - Date.parse(row.created_at), 7 * 86_400_000);
      assert.ok(!JSON.stringify(row).toLowerCase().includes('diallo@'), 'no address in clear');
      assert.equal(open(t.app.keyring, row.email_sealed, supporterAad(row.id)), 'Amina.Diallo@Example.org');
      const queued = await db().selectFrom('supporter_mails').selectAll().execute();
      assert.deepEqual(queued.map((m) => [m.supporter_id, m.kind, m.sent_at]), [[row.id, 'confirm', null]]);

      const { sent, summary } = await drain();
      assert.deepEqual(summary, { sent: 1, logged: 0, skipped: 0, failed: 0, expired: 0 });
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.to, 'Amina.Diallo@Example.org');
      const de = await db().selectFrom('campaign_translations').select('title').where('campaign_id', '=', c.id).where('lang', '=', 'de').executeTakeFirstOrThrow();
      assert.equal(sent[0]!.subject, `Bitte bestätigen Sie Ihre Unterschrift: \u2068${de.title}\u2069`, 'in the signer\'s language, with the German title');
      assert.match(sent[0]!.text, /^Guten Tag \u2068Amina Diallo\u2069,/);
      const confirm = linkOf(sent[0]!, 'confirm');
      const withdraw = linkOf(sent[0]!, 'withdraw');
      assert.equal(confirm.id, row.id);
      assert.equal(withdraw.id, row.id);
      assert.notEqual(confirm.token, withdraw.token);
      const mailRow = await db().selectFrom('supporter_mails').selectAll().executeTakeFirstOrThrow();
      assert.ok(mailRow.sent_at);
      assert.equal(mailRow.last_error, null);
      assert.equal(mailRow.attempts, 1);
    });

    test('double opt-in: the link page only shows a button (GET changes nothing); POST confirms once and counts once; API confirm agrees', async () => {
      const c = await campaign();
      await sign(c.slug, { name: 'Kemal Yıldız', email: 'kemal@example.org', country: 'TR' });
      const { sent } = await drain();
      const link = linkOf(sent[0]!, 'confirm');
      const page = await t.app.inject({ method: 'GET', url: `${link.path}?token=${link.token}` });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Press the button to confirm your signature/);
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      assert.equal((await db().selectFrom('supporters').select('status').executeTakeFirstOrThrow()).status, 'pending', 'a GET (mail scanner) confirms nothing');
      assert.deepEqual(await counts(c.id), {});

      const s = await formSession(t, `${link.path}?token=${link.token}`);
      const post = () => t.app.inject({ method: 'POST', url: link.path, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ _csrf: s.csrf, token: link.token }) });
      const [a, b] = await Promise.all([post(), post()]);
      assert.deepEqual([a.statusCode, b.statusCode], [303, 303]);
      assert.equal(a.headers.location, `/campaigns/${c.slug}/sign/confirmed`);
      assert.deepEqual(await counts(c.id), { TR: 1 }, 'two confirmations count once');
      const row = await db().selectFrom('supporters').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.status, 'confirmed');
      assert.ok(row.confirmed_at);
      assert.equal(row.expires_at, null);
      const again = await api(`/api/v1/campaigns/${c.slug}/signatures/${link.id}/confirm`, { token: link.token });
      assert.equal(again.statusCode, 200);
      assert.deepEqual(again.json(), { status: 'already_confirmed' });
      assert.deepEqual(await counts(c.id), { TR: 1 });
      const confirmedPage = await t.app.inject({ method: 'GET', url: `/campaigns/${c.slug}/sign/confirmed` });
      assert.match(confirmedPage.body, /Your signature is confirmed and counted/);
      const shown = await t.app.inject({ method: 'GET', url: `${link.path}?token=${link.token}` });
      assert.match(shown.body, /Your signature is confirmed already and counted/);
    });

    test('confirmation refused once the campaign closed (409, nothing counted) or the signature expired (404 "no longer valid")', async () => {
      const c = await campaign();
      await sign(c.slug, { name: 'Late', email: 'late@example.org', country: 'DE' });
      await sign(c.slug, { name: 'Slow', email: 'slow@example.org', country: 'DE' });
      const { sent } = await drain();
      const late = linkOf(sent.find((m) => m.to === 'late@example.org')!, 'confirm');
      const slow = linkOf(sent.find((m) => m.to === 'slow@example.org')!, 'confirm');
      await db().updateTable('supporters').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', slow.id).execute();
      const expired = await api(`/api/v1/campaigns/${c.slug}/signatures/${slow.id}/confirm`, { token: slow.token });
      assert.equal(expired.statusCode, 404);
      const expiredPage = await t.app.inject({ method: 'GET', url: `${slow.path}?token=${slow.token}` });
      assert.equal(expiredPage.statusCode, 404);
      assert.match(expiredPage.body, /This link is no longer valid/);
      await db().updateTable('campaigns').set({ status: 'closed' }).where('id', '=', c.id).execute();
      const closed = await api(`/api/v1/campaigns/${c.slug}/signatures/${late.id}/confirm`, { token: late.token });
      assert.deepEqual([closed.statusCode, closed.json().code], [409, 'campaign_closed']);
      const page = await t.app.inject({ method: 'GET', url: `${late.path}?token=${late.token}` });
      assert.equal(page.statusCode, 409);
      assert.match(page.body, /This campaign is not open for signatures any more, so your signature cannot be confirmed\./);
      assert.deepEqual(await counts(c.id), {});
      // Withdrawing still works on a closed campaign.
      const w = linkOf(sent.find((m) => m.to === 'late@example.org')!, 'withdraw');
      assert.equal((await api(`/api/v1/campaigns/${c.slug}/signatures/${w.id}/withdraw`, { token: w.token })).statusCode, 200);
    });

    test('wrong tokens: the confirm token does not withdraw, a changed token or another id is 404 and changes nothing', async () => {
      const c = await campaign();
      await sign(c.slug, { name: 'Lena Vogt', email: 'lena@example.org', country: 'DE' });
      const { sent } = await drain();
      const confirm = linkOf(sent[0]!, 'confirm');
      const withdraw = linkOf(sent[0]!, 'withdraw');
      assert.equal((await api(`/api/v1/campaigns/${c.slug}/signatures/${confirm.id}/withdraw`, { token: confirm.token })).statusCode, 404);
      assert.equal((await api(`/api/v1/campaigns/${c.slug}/signatures/${confirm.id}/confirm`, { token: withdraw.token })).statusCode, 404);
      assert.equal((await api(`/api/v1/campaigns/${c.slug}/signatures/${confirm.id}/confirm`, { token: `${confirm.token.slice(0, -2)}xx` })).statusCode, 404);
      assert.equal((await t.app.inject({ method: 'GET', url: `${confirm.path}?token=nope` })).statusCode, 404);
      const other = await campaign();
      assert.equal((await api(`/api/v1/campaigns/${other.slug}/signatures/${confirm.id}/confirm`, { token: confirm.token })).statusCode, 404, 'the signature of another campaign');
      assert.equal((await db().selectFrom('supporters').select('status').executeTakeFirstOrThrow()).status, 'pending');
    });

    test('withdrawal: from any mail, GET shows a button, POST deletes the row and its mails and lowers the count; a second withdrawal is 404', async () => {
      const c = await campaign();
      await sign(c.slug, { name: 'Ana Souza', email: 'ana@example.org', country: 'BR' });
      await sign(c.slug, { name: 'Bo Chen', email: 'bo@example.org', country: 'BR' });
      const { sent } = await drain();
      for (const m of sent) {
        const l = linkOf(m, 'confirm');
        assert.equal((await api(`/api/v1/campaigns/${c.slug}/signatures/${l.id}/confirm`, { token: l.token })).statusCode, 200);
      }
      assert.deepEqual(await counts(c.id), { BR: 2 });
      const ana = sent.find((m) => m.to === 'ana@example.org')!;
      const w = linkOf(ana, 'withdraw');
      const page = await t.app.inject({ method: 'GET', url: `${w.path}?token=${w.token}` });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Press the button to withdraw your signature/);
      assert.equal((await db().selectFrom('supporters').select('id').execute()).length, 2, 'GET withdraws nothing');
      const s = await formSession(t, `${w.path}?token=${w.token}`);
      const res = await t.app.inject({ method: 'POST', url: w.path, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ _csrf: s.csrf, token: w.token }) });
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, `/campaigns/${c.slug}/sign/withdrawn`);
      assert.deepEqual(await counts(c.id), { BR: 1 });
      assert.deepEqual((await db().selectFrom('supporters').select('name').execute()).map((r) => r.name), ['Bo Chen']);
      assert.equal((await db().selectFrom('supporter_mails').select('id').where('supporter_id', '=', w.id).execute()).length, 0);
      assert.equal((await api(`/api/v1/campaigns/${c.slug}/signatures/${w.id}/withdraw`, { token: w.token })).statusCode, 404);
      const gone = await t.app.inject({ method: 'GET', url: `${w.path}?token=${w.token}` });
      assert.equal(gone.statusCode, 404);
      assert.match(gone.body, /This link is no longer valid/);
      // The API withdraws too, and a pending signature goes without touching the counts.
      await sign(c.slug, { name: 'Cleo', email: 'cleo@example.org', country: 'FR' });
      const cleo = (await drain()).sent[0]!;
      const cw = linkOf(cleo, 'withdraw');
      const r = await api(`/api/v1/campaigns/${c.slug}/signatures/${cw.id}/withdraw`, { token: cw.token });
      assert.deepEqual([r.statusCode, r.json()], [200, { status: 'withdrawn' }]);
      assert.deepEqual(await counts(c.id), { BR: 1 });
    });

    test('already signed: the answer is identical; a pending repeat gets the confirmation again only after 15 minutes; a confirmed one an already-signed mail at most hourly', async () => {
      const c = await campaign({ title: 'Free the five' });
      const body = { name: 'Ruth Okafor', email: 'ruth@example.org', country: 'NG' };
      const first = await sign(c.slug, body);
      const second = await sign(c.slug, { ...body, name: 'Someone Else', country: 'DE' });
      assert.equal(first.statusCode, 202);
      assert.equal(second.statusCode, 202);
      assert.equal(second.body, first.body, 'identical answers');
      assert.deepEqual(Object.keys(first.headers).sort(), Object.keys(second.headers).sort());
      assert.equal((await db().selectFrom('supporter_mails').select('id').execute()).length, 1, 'no second confirmation within 15 minutes');
      const row = await db().selectFrom('supporters').selectAll().executeTakeFirstOrThrow();
      assert.deepEqual([row.name, row.country], ['Ruth Okafor', 'NG'], 'the first signature stays as it was');

      // 16 minutes later, the pending signer gets the confirmation mail again.
      await db().updateTable('supporter_mails').set({ created_at: new Date(Date.now() - 16 * 60_000).toISOString() }).execute();
      await sign(c.slug, body);
      assert.deepEqual((await db().selectFrom('supporter_mails').select('kind').execute()).map((m) => m.kind), ['confirm', 'confirm']);
      const { sent } = await drain();
      assert.equal(sent.length, 2);
      const l = linkOf(sent[1]!, 'confirm');
      assert.equal((await api(`/api/v1/campaigns/${c.slug}/signatures/${l.id}/confirm`, { token: l.token })).statusCode, 200);

      // Confirmed: signing again queues one already-signed mail, then nothing for an hour.
      const third = await sign(c.slug, body);
      assert.equal(third.body, first.body);
      await sign(c.slug, body);
      const kinds = async () => (await db().selectFrom('supporter_mails').select('kind').orderBy('created_at').orderBy('kind').execute()).map((m) => m.kind).sort();
      assert.deepEqual(await kinds(), ['already_signed', 'confirm', 'confirm']);
      const mail = (await drain()).sent[0]!;
      assert.equal(mail.to, 'ruth@example.org');
      assert.equal(mail.subject, 'You have signed already: \u2068Free the five\u2069');
      assert.match(mail.text, /tried to sign “\u2068Free the five\u2069” again with this address/);
      assert.ok(!mail.text.includes('/confirm?token='), 'no confirm link');
      assert.equal(linkOf(mail, 'withdraw').id, l.id, 'the withdraw link');
      await db().updateTable('supporter_mails').set({ created_at: new Date(Date.now() - 61 * 60_000).toISOString() }).where('kind', '=', 'already_signed').execute();
      await sign(c.slug, body);
      assert.deepEqual(await kinds(), ['already_signed', 'already_signed', 'confirm', 'confirm']);
      assert.deepEqual(await counts(c.id), { NG: 1 });
    });

    test('B10 through the endpoint: Gmail pairs are one supporter keeping the first typed address (the second gets the already-signed flow); other domains give two', async () => {
      const c = await campaign();
      for (const [first, second] of B10.same_signer_pairs) {
        await db().deleteFrom('supporters').execute();
        const a = await sign(c.slug, { name: 'Soli Kreis', email: first, country: 'DE' });
        const { sent } = await drain();
        const l = linkOf(sent[0]!, 'confirm');
        await api(`/api/v1/campaigns/${c.slug}/signatures/${l.id}/confirm`, { token: l.token });
        const b = await sign(c.slug, { name: 'Soli Kreis', email: second, country: 'DE' });
        assert.deepEqual([a.statusCode, b.statusCode], [202, 202]);
        assert.equal(b.body, a.body);
        const rows = await db().selectFrom('supporters').select(['id', 'email_sealed', 'email_hash']).where('campaign_id', '=', c.id).execute();
        assert.equal(rows.length, 1, `${first} / ${second}: one supporter`);
        assert.equal(open(t.app.keyring, rows[0]!.email_sealed, supporterAad(rows[0]!.id)), first, 'the address first typed is kept');
        const again = (await drain()).sent;
        assert.deepEqual(again.map((m) => [m.to, m.subject.startsWith('You have signed already')]), [[first, true]], 'already-signed mail to the first address');
      }
      await db().deleteFrom('supporters').execute();
      for (const [x, y] of B10.different_signer_pairs) {
        assert.equal((await sign(c.slug, { name: 'Soli Kreis', email: x, country: 'DE' })).statusCode, 202);
        assert.equal((await sign(c.slug, { name: 'Soli Kreis', email: y, country: 'DE' })).statusCode, 202);
      }
      const rows = await db().selectFrom('supporters').select(['id', 'email_sealed']).where('campaign_id', '=', c.id).execute();
      assert.deepEqual(rows.map((r) => open(t.app.keyring, r.email_sealed, supporterAad(r.id))).sort(), B10.different_signer_pairs.flat().sort());
    });

    test('B14: 20 parallel identical submits give one signature and at most one confirmation mail; 50 parallel distinct ones confirmed give count 51, DE bucket 51', async () => {
      const c = await campaign({ slug: 'pet-b14' });
      const identical = { email: 'doppelt@example.org', name: 'Test Eins', country: 'DE', listPublicly: true };
      const burst1 = await Promise.all(Array.from({ length: 20 }, () => sign(c.slug, identical)));
      assert.deepEqual(burst1.map((r) => r.statusCode), Array(20).fill(202), 'all 20 answers 2xx, none 5xx');
      assert.equal(new Set(burst1.map((r) => r.body)).size, 1);
      assert.equal((await db().selectFrom('supporters').select('id').where('campaign_id', '=', c.id).execute()).length, 1, 'exactly one signature');
      const mails = await db().selectFrom('supporter_mails').select('kind').where('kind', '=', 'confirm').execute();
      assert.ok(mails.length <= 1, `at most one confirmation mail queued, got ${mails.length}`);
      const one = (await drain()).sent;
      assert.equal(one.length, 1);
      const l = linkOf(one[0]!, 'confirm');
      assert.equal((await api(`/api/v1/campaigns/${c.slug}/signatures/${l.id}/confirm`, { token: l.token })).statusCode, 200);
      assert.deepEqual(await counts(c.id), { DE: 1 });

      const burst2 = await Promise.all(Array.from({ length: 50 }, (_, i) => sign(c.slug, { email: `unterschrift-${i + 1}@example.org`, name: `Unterschrift ${i + 1}`, country: 'DE', listPublicly: true })));
      assert.deepEqual(burst2.map((r) => r.statusCode), Array(50).fill(202));
      const { sent } = await drain();
      assert.equal(sent.length, 50);
      const confirmations = await Promise.all(sent.map((m) => linkOf(m, 'confirm')).map((x) => api(`/api/v1/campaigns/${c.slug}/signatures/${x.id}/confirm`, { token: x.token })));
      assert.deepEqual(confirmations.map((r) => r.statusCode), Array(50).fill(200));
      assert.deepEqual(await counts(c.id), { DE: 51 }, 'count 51, DE bucket 51');
      assert.equal((await db().selectFrom('supporters').select('id').where('status', '=', 'confirmed').execute()).length, 51);
    });

    test('the form: a standalone page with the consent wording; errors re-render with field errors in the reader\'s language; success 303 to the thanks page', async () => {
      const c = await campaign({ title: 'Port strike' });
      const page = await t.app.inject({ method: 'GET', url: `/campaigns/${c.slug}/sign`, headers: { 'accept-language': 'de' } });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<h1>Unterschreiben: <bdi lang="de">Kampagne /);
      assert.match(page.body, /Solidarität mit den Beschäftigten\./);
      assert.match(page.body, /Meinen Namen in der öffentlichen Liste der Unterstützer·innen dieser Kampagne zeigen/);
      assert.match(page.body, /<div class="hp-field" aria-hidden="true">/);
      assert.match(page.body, /<input type="hidden" name="lang" value="de"\/>/);
      const s = await formSession(t, `/campaigns/${c.slug}/sign`);
      const post = (values: Record<string, string>, lang = 'de') =>
        t.app.inject({ method: 'POST', url: `/campaigns/${c.slug}/sign`, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang }, payload: form({ _csrf: s.csrf, ...values }) });
      const bad = await post({ name: '', email: 'not-an-address', country: 'XX', lang: 'de' });
      assert.equal(bad.statusCode, 422);
      assert.match(bad.body, /Dieses Feld ist erforderlich|erforderlich/);
      assert.match(bad.body, /id="sign-email-error"/);
      assert.match(bad.body, /value="not-an-address"/, 'the values are kept');
      assert.equal((await db().selectFrom('supporters').select('id').execute()).length, 0);
      const ok = await post({ name: 'Jana Novák', email: 'jana@example.org', country: 'CZ', listPublicly: '1', contactOk: '1', lang: 'de', website: '' });
      assert.equal(ok.statusCode, 303, ok.body);
      assert.equal(ok.headers.location, `/campaigns/${c.slug}/sign/thanks`);
      const row = await db().selectFrom('supporters').selectAll().executeTakeFirstOrThrow();
      assert.deepEqual([row.name, row.country, row.lang, row.list_publicly, row.contact_ok, row.contact_consent_version], ['Jana Novák', 'CZ', 'de', 1, 1, CONSENT_VERSIONS.contact]);
      const thanks = await t.app.inject({ method: 'GET', url: ok.headers.location as string, headers: { 'accept-language': 'de' } });
      assert.match(thanks.body, /Bitte sehen Sie in Ihr Postfach/);
      // A repeat through the form: the same redirect.
      const again = await post({ name: 'Jana Novák', email: 'JANA@example.org', country: 'CZ', lang: 'de' });
      assert.deepEqual([again.statusCode, again.headers.location], [303, `/campaigns/${c.slug}/sign/thanks`]);
      assert.equal((await db().selectFrom('supporters').select('id').execute()).length, 1);
    });

    test('draft and closed campaigns: 409 with a clear message (API and form); invisible or unknown ones 404; nothing stored', async () => {
      const draft = await campaign({ status: 'draft' });
      const closed = await campaign({ status: 'closed' });
      const hidden = await campaign({ visibility: 'members' });
      const body = { name: 'N', email: 'n@example.org', country: 'DE' };
      const d = await sign(draft.slug, body);
      assert.equal(d.statusCode, 409);
      assert.equal(d.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.deepEqual([d.json().code, d.json().title], ['campaign_draft', 'This campaign is not open for signatures yet.']);
      const cl = await sign(closed.slug, body);
      assert.deepEqual([cl.statusCode, cl.json().code, cl.json().title], [409, 'campaign_closed', 'This campaign is closed; it no longer takes signatures.']);
      assert.equal((await sign(hidden.slug, body)).statusCode, 404);
      assert.equal((await sign('no-such-campaign', body)).statusCode, 404);
      const page = await t.app.inject({ method: 'GET', url: `/campaigns/${closed.slug}/sign` });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /This campaign is closed; it no longer takes signatures\./);
      assert.ok(!page.body.includes('name="email"'), 'no form');
      const dp = await t.app.inject({ method: 'GET', url: `/campaigns/${draft.slug}/sign` });
      assert.match(dp.body, /This campaign is not open for signatures yet\./);
      assert.ok(!dp.body.includes('name="email"'), 'a draft shows no form');
      // Closed after the cache saw it open: the batch refuses it.
      const c = await campaign();
      assert.equal((await sign(c.slug, body)).statusCode, 202);
      await db().updateTable('campaigns').set({ status: 'closed' }).where('id', '=', c.id).execute();
      const late = await sign(c.slug, { ...body, email: 'late@example.org' });
      assert.equal(late.statusCode, 409);
      assert.equal((await db().selectFrom('supporters').select('id').execute()).length, 1);
    });

    test('validation: bad input is a 400 problem naming each field; unknown fields are refused', async () => {
      const c = await campaign();
      const r = await sign(c.slug, { name: 'A <b>', email: 'x@y', country: 'ZZ', city: 'x'.repeat(201), lang: 'not a tag!' });
      assert.equal(r.statusCode, 400);
      assert.deepEqual(
        r.json().errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`).sort(),
        ['city:too_long', 'country:country', 'email:email', 'lang:language', 'name:name_characters'],
      );
      const u = await sign(c.slug, { name: 'A', email: 'a@example.org', country: 'DE', consent: true });
      assert.equal(u.statusCode, 400);
      assert.deepEqual(u.json().errors, [{ field: 'consent', code: 'unknown_field', detail: 'This field is not known' }]);
      const nj = await t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${c.slug}/signatures`, payload: 'name=A', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(nj.statusCode, 415);
      assert.equal((await db().selectFrom('supporters').select('id').execute()).length, 0);
    });
  });
}
