import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import type { MailMessage, Mailer } from '../../mail/mailer.ts';
import { createSupporterMailWorker, drainSupporterMails, MAX_ATTEMPTS, pickTranslation, supporterMail, type DrainOptions } from './supporter-mail.ts';
import { SignBatcher } from './sign-batcher.ts';
import { prepareSignature } from './signatures.service.ts';

/**
 * The supporter mail worker on every engine: the mail in the signer's language with the campaign
 * title in that language (else the original), user values isolated (case B23); claims that two
 * passes never share; a failed send released with an address-free error and tried again; claims
 * of a crashed process released; nothing personal in the log without an SMTP server; expiry of
 * unconfirmed signatures; the worker kicked by a committed batch.
 */

const B23 = JSON.parse(readFileSync(new URL('../../../test/fixtures/cases/B23.json', import.meta.url), 'utf8')) as { cases: { actor: string; title: string }[] };

function capture(o: { fail?: (m: MailMessage) => boolean; delayMs?: number } = {}): { sent: MailMessage[]; mailer: Mailer } {
  const sent: MailMessage[] = [];
  return {
    sent,
    mailer: {
      configured: true,
      async send(m) {
        if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
        if (o.fail?.(m)) throw Object.assign(new Error(`550 5.1.1 <${m.to}>: Recipient address rejected`), { code: 'EENVELOPE', responseCode: 550 });
        sent.push(m);
        return { delivered: true };
      },
      close() {},
    },
  };
}

describe('supporterMail', () => {
  test('B23: names and titles are isolated in plain text (U+2068…U+2069) and in <bdi> in HTML; a U+202E cannot escape', () => {
    const [arabic, rlo] = B23.cases;
    const m = supporterMail({ to: 'x@example.org', kind: 'confirm', lang: 'en', name: arabic!.actor, title: rlo!.actor, titleLang: 'en', confirmUrl: 'http://localhost:3000/c', withdrawUrl: 'http://localhost:3000/w' });
    assert.equal(m.subject, `Please confirm your signature: \u2068${rlo!.actor}\u2069`);
    assert.ok(m.text.startsWith(`Hello \u2068${arabic!.actor}\u2069,\n\nthank you for signing “\u2068${rlo!.actor}\u2069”.`), m.text);
    assert.match(m.html!, new RegExp(`<bdi>${arabic!.actor}</bdi>`));
    assert.match(m.html!, /<bdi lang="en">Kollektiv\u202e Nord<\/bdi>/);
    assert.match(m.text, /Confirm your signature with this link \(valid for 7 days\):\nhttp:\/\/localhost:3000\/c/);
    assert.match(m.text, /To withdraw your signature at any time:\nhttp:\/\/localhost:3000\/w/);
    const a = supporterMail({ to: 'x@example.org', kind: 'already_signed', lang: 'de-AT', name: 'Jo', title: 'Titel', titleLang: 'de', confirmUrl: null, withdrawUrl: 'http://localhost:3000/w' });
    assert.equal(a.subject, 'Sie haben bereits unterschrieben: \u2068Titel\u2069');
    assert.ok(!a.text.includes('/c'), 'no confirm link');
    assert.match(a.text, /So ziehen Sie Ihre Unterschrift jederzeit zurück:\nhttp:\/\/localhost:3000\/w/);
  });

  test('pickTranslation: exact tag, then the base language, then the original', () => {
    const rows = [
      { lang: 'en', is_original: 1 },
      { lang: 'pt-BR', is_original: 0 },
      { lang: 'de', is_original: 0 },
    ];
    assert.equal(pickTranslation(rows, 'pt-br')!.lang, 'pt-BR');
    assert.equal(pickTranslation(rows, 'de-AT')!.lang, 'de');
    assert.equal(pickTranslation(rows, 'pt')!.lang, 'pt-BR');
    assert.equal(pickTranslation(rows, 'fr')!.lang, 'en');
  });
});

for (const engine of ENGINES) {
  describe(`supporter mail worker (${engine})`, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    let n = 0;
    const sign = (slug: string, body: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${slug}/signatures`, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const campaign = async (title?: string) => insertCampaign(db(), (await makeOrganization(db(), { name: `Union ${++n}` })).id, { title });
    const drain = (mailer: Mailer, o: Partial<DrainOptions> = {}) => drainSupporterMails({ db: db(), engine: t.db.engine, keyring: t.app.keyring, mailer, baseUrl: t.app.baseUrl, ...o });

    test('in the signer\'s language: German mail with the German title; an unknown language gets English and the original title', async () => {
      const c = await campaign('Support the port strike');
      await sign(c.slug, { name: 'Jana', email: 'jana@example.org', country: 'DE', lang: 'de-CH' });
      await sign(c.slug, { name: 'Aïcha', email: 'aicha@example.org', country: 'SN', lang: 'wo' });
      const { sent, mailer } = capture();
      await drain(mailer);
      const de = sent.find((m) => m.to === 'jana@example.org')!;
      const deTitle = (await db().selectFrom('campaign_translations').select('title').where('campaign_id', '=', c.id).where('lang', '=', 'de').executeTakeFirstOrThrow()).title;
      assert.equal(de.subject, `Bitte bestätigen Sie Ihre Unterschrift: \u2068${deTitle}\u2069`);
      assert.match(de.html!, /<html lang="de" dir="ltr">/);
      const wo = sent.find((m) => m.to === 'aicha@example.org')!;
      assert.equal(wo.subject, 'Please confirm your signature: \u2068Support the port strike\u2069');
      assert.match(wo.text, /^Hello \u2068Aïcha\u2069,/);
    });

    test('a failed send is released with the error code only (no address), attempts counted, and sent by the next pass; given up after the last attempt', async () => {
      const c = await campaign();
      await sign(c.slug, { name: 'Ines', email: 'ines@bounce.example', country: 'PT' });
      await sign(c.slug, { name: 'Omar', email: 'omar@example.org', country: 'EG' });
      const failing = capture({ fail: (m) => m.to.endsWith('@bounce.example') });
      const s1 = await drain(failing.mailer);
      assert.deepEqual([s1.sent, s1.failed], [1, 1]);
      const row = await db().selectFrom('supporter_mails as m').innerJoin('supporters as s', 's.id', 'm.supporter_id').select(['m.sent_at', 'm.last_error', 'm.attempts']).where('s.name', '=', 'Ines').executeTakeFirstOrThrow();
      assert.deepEqual(row, { sent_at: null, last_error: 'EENVELOPE 550', attempts: 1 });
      const ok = capture();
      const s2 = await drain(ok.mailer);
      assert.equal(s2.sent, 1);
      assert.deepEqual(ok.sent.map((m) => m.to), ['ines@bounce.example']);
      const after = await db().selectFrom('supporter_mails').select(['sent_at', 'last_error', 'attempts']).where('attempts', '=', 2).executeTakeFirstOrThrow();
      assert.ok(after.sent_at);
      assert.equal(after.last_error, null);

      // Always failing: tried MAX_ATTEMPTS times, then left alone.
      await sign(c.slug, { name: 'Never', email: 'never@bounce.example', country: 'PT' });
      for (let i = 0; i < MAX_ATTEMPTS + 2; i++) await drain(failing.mailer);
      const never = await db().selectFrom('supporter_mails as m').innerJoin('supporters as s', 's.id', 'm.supporter_id').select(['m.sent_at', 'm.attempts']).where('s.name', '=', 'Never').executeTakeFirstOrThrow();
      assert.deepEqual(never, { sent_at: null, attempts: MAX_ATTEMPTS });
    });

    test('two passes at once never send a row twice; a claim left by a crashed process is released after 10 minutes', async () => {
      const c = await campaign();
      for (let i = 0; i < 30; i++) await sign(c.slug, { name: `P${i}`, email: `p${i}@example.org`, country: 'DE' });
      const a = capture({ delayMs: 2 });
      const b = capture({ delayMs: 2 });
      await Promise.all([drain(a.mailer, { batchSize: 7 }), drain(b.mailer, { batchSize: 7 })]);
      const all = [...a.sent, ...b.sent].map((m) => m.to).sort();
      assert.equal(all.length, 30);
      assert.equal(new Set(all).size, 30, 'each exactly once');

      await sign(c.slug, { name: 'Crash', email: 'crash@example.org', country: 'DE' });
      const stuck = (at: number) => db().updateTable('supporter_mails').set({ sent_at: new Date(Date.now() - at).toISOString(), last_error: 'claim:dead-process', attempts: 1 }).where('sent_at', 'is', null).execute();
      await stuck(60_000);
      const early = capture();
      await drain(early.mailer);
      assert.equal(early.sent.length, 0, 'a recent claim is left to its process');
      await db().updateTable('supporter_mails').set({ sent_at: new Date(Date.now() - 11 * 60_000).toISOString() }).where('last_error', '=', 'claim:dead-process').execute();
      const late = capture();
      await drain(late.mailer);
      assert.deepEqual(late.sent.map((m) => m.to), ['crash@example.org']);
    });

    test('without SMTP: only id and kind are logged, never the address or a link; a confirmation for a signature confirmed meanwhile is skipped', async () => {
      const c = await campaign();
      await sign(c.slug, { name: 'Quiet', email: 'quiet.person@example.org', country: 'DE' });
      const lines: unknown[] = [];
      const log = { info: (...a: unknown[]) => lines.push(a), warn: (...a: unknown[]) => lines.push(a), error: (...a: unknown[]) => lines.push(a) };
      const logged = await drain({ configured: false, send: async () => ({ delivered: false }), close() {} }, { log });
      assert.equal(logged.logged, 1);
      const text = JSON.stringify(lines);
      assert.match(text, /supporter mail not sent: no SMTP_URL configured/);
      assert.ok(!text.includes('quiet.person'), text);
      assert.ok(!text.includes('token'), text);

      await sign(c.slug, { name: 'Done', email: 'done@example.org', country: 'DE' });
      await db().updateTable('supporters').set({ status: 'confirmed', confirmed_at: new Date().toISOString(), expires_at: null }).where('name', '=', 'Done').execute();
      const { sent, mailer } = capture();
      const s = await drain(mailer);
      assert.deepEqual([s.sent, s.skipped, sent.length], [0, 1, 0]);
    });

    test('without SMTP but with logUnsentMails (development, demo): the whole mail with its working confirmation link is logged at warn', async () => {
      const c = await campaign();
      await sign(c.slug, { name: 'Demo', email: 'demo.person@example.org', country: 'DE' });
      const warned: unknown[] = [];
      const log = { info: () => {}, warn: (...a: unknown[]) => warned.push(a), error: () => {} };
      const s = await drain({ configured: false, send: async () => ({ delivered: false }), close() {} }, { log, logUnsentMails: true });
      assert.deepEqual([s.logged, s.sent], [1, 0]);
      const text = JSON.stringify(warned);
      assert.match(text, /demo\.person@example\.org/);
      const link = /(\/campaigns\/[^"\\\s]+\/signatures\/[0-9a-f-]+\/confirm\?token=[A-Za-z0-9_.-]+)/.exec(text);
      assert.ok(link, text);
      const page = await t.app.inject({ method: 'GET', url: link[1]! });
      assert.equal(page.statusCode, 200);
    });

    test('expiry: unconfirmed signatures past expires_at are deleted with their mails; confirmed and unexpired ones stay; old sent outbox rows are purged', async () => {
      const c = await campaign();
      for (const name of ['Old', 'New', 'Kept']) await sign(c.slug, { name, email: `${name.toLowerCase()}@example.org`, country: 'DE' });
      await db().updateTable('supporters').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('name', 'in', ['Old', 'Kept']).execute();
      await db().updateTable('supporters').set({ status: 'confirmed', confirmed_at: new Date().toISOString(), expires_at: null }).where('name', '=', 'Kept').execute();
      const { mailer } = capture();
      const s = await drain(mailer);
      assert.equal(s.expired, 1);
      assert.deepEqual((await db().selectFrom('supporters').select('name').orderBy('name').execute()).map((r) => r.name), ['Kept', 'New']);
      assert.equal((await db().selectFrom('supporter_mails').select('id').execute()).length, 2);
      await db().updateTable('supporter_mails').set({ sent_at: new Date(Date.now() - 3 * 86_400_000).toISOString() }).execute();
      await drain(mailer);
      assert.equal((await db().selectFrom('supporter_mails').select('id').execute()).length, 0);
    });

    test('the worker, once started, sends soon after a committed batch kicks it; stop waits for its pass', async () => {
      const c = await campaign();
      const { sent, mailer } = capture();
      const worker = createSupporterMailWorker({ db: db(), engine: t.db.engine, keyring: t.app.keyring, mailer, baseUrl: t.app.baseUrl });
      const batcher = new SignBatcher({ db: db(), engine: t.db.engine, unconfirmedPerDomainPerHour: 100, onMailsQueued: () => worker.kick() });
      const item = () => prepareSignature(t.app.keyring, c.id, { name: 'Kick', email: 'kick@example.org', country: 'DE' }, 'en');
      // Not started: a kick does nothing.
      await batcher.submit(item());
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(sent.length, 0);
      worker.start(60_000);
      for (let i = 0; i < 100 && !sent.length; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(sent.map((m) => m.to), ['kick@example.org'], 'the first pass right after start');
      await db().updateTable('supporter_mails').set({ created_at: new Date(Date.now() - 16 * 60_000).toISOString() }).execute();
      const outcome = await batcher.submit(item());
      assert.deepEqual([outcome.kind, outcome.kind === 'repeat' && outcome.mail], ['repeat', 'confirm']);
      for (let i = 0; i < 100 && sent.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(sent.length, 2, 'kicked by the batch');
      await worker.stop();
      await batcher.close();
    });
  });
}
