import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import type { AddressObject, ParsedMail } from 'mailparser';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, postForm } from '../../../test/helpers/app.ts';
import { useTestSmtp, uniqueAddress } from '../../../test/helpers/smtp.ts';
import { makeCall, makeOrganization, makeStruggle } from '../../../test/helpers/factories.ts';
import { createMailer, type Mailer } from '../../mail/mailer.ts';
import { openDb, type Db } from '../../db/client.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { translator } from '../../i18n/i18n.ts';
import { createUser, setOrganizationRole, viewerForAccount } from '../accounts/accounts.service.ts';
import { updateProfile, validateProfile } from '../accounts/account.service.ts';
import { addStruggleUpdate } from '../struggles/struggles.service.ts';
import { follow } from '../follows/follows.service.ts';
import type { Notification } from '../follows/notifications.repo.ts';
import { ValidationFailed } from '../../http/errors.ts';
import { ConfigError, loadConfig } from '../../config/config.ts';
import { digestMail } from './digests.mail.ts';
import { latestDigestBoundary, previousDigestBoundary, sendDueDigests, startDigestScheduler } from './digests.service.ts';

const BASE = 'https://solidaris.example';
const PAST = '2020-01-01T00:00:00.000Z';
const strip = (s: string) => s.replace(/[\u2068\u2069]/g, '');

/** Every distinct boundary a scheduler running every 5 minutes between `from` and `to` would see. */
function boundariesSeen(frequency: 'daily' | 'weekly', zone: string, from: string, to: string): string[] {
  const seen = new Set<string>();
  for (let t = Date.parse(from); t <= Date.parse(to); t += 5 * 60_000) seen.add(latestDigestBoundary(frequency, zone, new Date(t)));
  return [...seen];
}
const local = (iso: string, zone: string) => DateTime.fromISO(iso, { zone });

describe('digest boundaries', () => {
  test('daily: the latest 07:00 local at or before now', () => {
    assert.equal(latestDigestBoundary('daily', 'Europe/Berlin', '2026-06-10T10:00:00Z'), '2026-06-10T05:00:00.000Z');
    assert.equal(latestDigestBoundary('daily', 'Europe/Berlin', '2026-06-10T05:00:00Z'), '2026-06-10T05:00:00.000Z', 'a boundary equal to now counts');
    assert.equal(latestDigestBoundary('daily', 'Europe/Berlin', '2026-06-10T04:59:59.999Z'), '2026-06-09T05:00:00.000Z');
    assert.equal(latestDigestBoundary('daily', 'UTC', '2026-01-01T00:00:00Z'), '2025-12-31T07:00:00.000Z');
    assert.equal(latestDigestBoundary('daily', 'America/Los_Angeles', new Date('2026-06-10T13:59:00Z')), '2026-06-09T14:00:00.000Z');
  });

  test('daily in Europe/Berlin across the March switch: one digest a day at 07:00 wall time, 23 hours apart on the short day', () => {
    const seen = boundariesSeen('daily', 'Europe/Berlin', '2026-03-27T00:00:00Z', '2026-03-31T23:55:00Z');
    assert.deepEqual(seen, [
      '2026-03-26T06:00:00.000Z',
      '2026-03-27T06:00:00.000Z',
      '2026-03-28T06:00:00.000Z',
      '2026-03-29T05:00:00.000Z', // Sunday 29 March: clocks went from 02:00 CET to 03:00 CEST
      '2026-03-30T05:00:00.000Z',
      '2026-03-31T05:00:00.000Z',
    ]);
    for (const b of seen) assert.equal(local(b, 'Europe/Berlin').toFormat('HH:mm'), '07:00', b);
    assert.equal(new Set(seen.map((b) => local(b, 'Europe/Berlin').toISODate())).size, seen.length, 'one per day');
    assert.equal(Date.parse(seen[3]!) - Date.parse(seen[2]!), 23 * 3_600_000);
  });

  test('daily in Europe/Berlin across the October switch: still one at 07:00, 25 hours apart on the long day', () => {
    const seen = boundariesSeen('daily', 'Europe/Berlin', '2026-10-24T00:00:00Z', '2026-10-26T23:55:00Z');
    assert.deepEqual(seen, [
      '2026-10-23T05:00:00.000Z',
      '2026-10-24T05:00:00.000Z',
      '2026-10-25T06:00:00.000Z', // Sunday 25 October: clocks went from 03:00 CEST back to 02:00 CET
      '2026-10-26T06:00:00.000Z',
    ]);
    for (const b of seen) assert.equal(local(b, 'Europe/Berlin').toFormat('HH:mm'), '07:00', b);
    assert.equal(Date.parse(seen[2]!) - Date.parse(seen[1]!), 25 * 3_600_000);
  });

  test('half-hour zones: Asia/Kolkata (+05:30) and Australia/Adelaide across its April switch', () => {
    assert.equal(latestDigestBoundary('daily', 'Asia/Kolkata', '2026-05-01T01:30:00Z'), '2026-05-01T01:30:00.000Z');
    assert.equal(latestDigestBoundary('daily', 'Asia/Kolkata', '2026-05-01T01:29:59Z'), '2026-04-30T01:30:00.000Z');
    // Adelaide leaves daylight time (+10:30 → +09:30) at 03:00 on Sunday 5 April 2026.
    const seen = boundariesSeen('daily', 'Australia/Adelaide', '2026-04-03T00:00:00Z', '2026-04-06T23:55:00Z');
    assert.deepEqual(seen, [
      '2026-04-02T20:30:00.000Z',
      '2026-04-03T20:30:00.000Z',
      '2026-04-04T21:30:00.000Z',
      '2026-04-05T21:30:00.000Z',
      '2026-04-06T21:30:00.000Z',
    ]);
    for (const b of seen) assert.equal(local(b, 'Australia/Adelaide').toFormat('HH:mm'), '07:00', b);
    assert.deepEqual(boundariesSeen('weekly', 'Australia/Adelaide', '2026-04-01T00:00:00Z', '2026-04-14T00:00:00Z'), [
      '2026-03-29T20:30:00.000Z', // Monday 30 March 07:00 ACDT
      '2026-04-05T21:30:00.000Z', // Monday 6 April 07:00 ACST
      '2026-04-12T21:30:00.000Z',
    ]);
  });

  test('weekly: Monday 07:00 local, across the Berlin switches', () => {
    assert.equal(latestDigestBoundary('weekly', 'Europe/Berlin', '2026-03-29T12:00:00Z'), '2026-03-23T06:00:00.000Z');
    assert.equal(latestDigestBoundary('weekly', 'Europe/Berlin', '2026-03-30T04:59:00Z'), '2026-03-23T06:00:00.000Z');
    assert.equal(latestDigestBoundary('weekly', 'Europe/Berlin', '2026-03-30T05:00:00Z'), '2026-03-30T05:00:00.000Z');
    const seen = boundariesSeen('weekly', 'Europe/Berlin', '2026-10-15T00:00:00Z', '2026-11-05T00:00:00Z');
    assert.deepEqual(seen, ['2026-10-12T05:00:00.000Z', '2026-10-19T05:00:00.000Z', '2026-10-26T06:00:00.000Z', '2026-11-02T06:00:00.000Z']);
    for (const b of seen) assert.equal(local(b, 'Europe/Berlin').toFormat('cccc HH:mm'), 'Monday 07:00', b);
  });

  test('a zone that switches at midnight (America/Santiago) still ends its day at 07:00', () => {
    const seen = boundariesSeen('daily', 'America/Santiago', '2026-09-04T12:00:00Z', '2026-09-08T12:00:00Z');
    for (const b of seen) assert.equal(local(b, 'America/Santiago').toFormat('HH:mm'), '07:00', b);
    assert.equal(new Set(seen.map((b) => local(b, 'America/Santiago').toISODate())).size, seen.length);
  });

  test('the previous boundary is one window back in wall time; unknown zones and instants throw', () => {
    assert.equal(previousDigestBoundary('daily', 'Europe/Berlin', '2026-03-29T05:00:00.000Z'), '2026-03-28T06:00:00.000Z');
    assert.equal(previousDigestBoundary('weekly', 'Europe/Berlin', '2026-03-30T05:00:00.000Z'), '2026-03-23T06:00:00.000Z');
    assert.throws(() => latestDigestBoundary('daily', 'Mars/Olympus_Mons', '2026-01-01T00:00:00Z'), RangeError);
    assert.throws(() => latestDigestBoundary('daily', 'UTC', 'yesterday'), RangeError);
  });
});

describe('digest mail', () => {
  const item = (i: number, o: Partial<Notification> = {}): Notification => ({
    kind: 'struggle_update',
    eventId: `e${i}`,
    at: '2026-03-28T22:30:00.000Z',
    subject: { type: 'struggle', slug: 'kolwezi', title: 'Kolwezi <b>strike</b>' },
    detail: 'Day two\n\nof the strike.',
    country: 'CD',
    actor: { slug: 'kolwezi-miners', name: 'Kolwezi Miners' },
    reason: { organizationId: 'o', kind: 'struggle', targetId: 's' },
    ...o,
  });
  const base = { to: 'a@example.org', displayName: 'Ana', timeZone: 'Europe/Berlin', frequency: 'daily' as const, from: '2026-03-28T06:00:00.000Z', until: '2026-03-29T05:00:00.000Z', baseUrl: BASE };

  test('lists items as sentences with absolute links, isolates user text, escapes HTML, says how to change it', () => {
    const m = digestMail({ ...base, locale: 'en-GB', items: [item(1), item(2, { kind: 'action_day_called', subject: { type: 'action_day', slug: 'miners day', title: 'Miners day' }, detail: '2027-04-28' })], more: false });
    assert.equal(m.subject, 'Solidaris digest: 2 new items');
    const text = strip(m.text);
    // 22:30 UTC on 28 March is 23:30 in Berlin.
    assert.match(text, /- 28 Mar 2026, 23:30: Kolwezi Miners posted an update on Kolwezi <b>strike<\/b>: “Day two of the strike\.”\n {2}https:\/\/solidaris\.example\/struggles\/kolwezi\n/);
    assert.match(text, /Kolwezi Miners called the action day Miners day, beginning 28 Apr 2027\n {2}https:\/\/solidaris\.example\/action-days\/miners%20day/);
    assert.ok(m.text.includes('\u2068Kolwezi <b>strike</b>\u2069'), 'user text isolated in plain text');
    assert.match(text, /every day at 7:00 \(Europe\/Berlin\)[^\n]*\nhttps:\/\/solidaris\.example\/account\n/);
    assert.ok(!text.includes('/notifications'));
    assert.ok(m.html!.includes('<bdi>Kolwezi &lt;b>strike&lt;/b></bdi>'), m.html);
    assert.ok(!m.html!.includes('<b>strike'), 'no markup from user text');
    assert.ok(m.html!.includes('<a href="https://solidaris.example/struggles/kolwezi">'));
  });

  test('more than a hundred: the subject says so and the mail points to the notifications page', () => {
    const items = Array.from({ length: 100 }, (_, i) => item(i));
    const m = digestMail({ ...base, locale: 'de', frequency: 'weekly', items, more: true });
    assert.equal(m.subject, 'Solidaris-Übersicht: mehr als 100 neue Meldungen');
    const text = strip(m.text);
    assert.equal(text.match(/^- /gm)?.length, 100);
    assert.match(text, /Es gibt mehr, als diese Übersicht aufführen kann\.[^\n]*\nhttps:\/\/solidaris\.example\/notifications\n/);
    assert.match(text, /jeden Montag um 7:00 Uhr \(Europe\/Berlin\)/);
    assert.ok(m.html!.includes('href="https://solidaris.example/notifications"'));
  });
});

describe('profile rule for the digest', () => {
  test('digestFrequency is optional and must be off, daily or weekly', () => {
    const ok = { displayName: 'Ana', locale: 'en', timeZone: 'UTC' };
    assert.deepEqual(validateProfile({ ...ok, digestFrequency: 'weekly' }), { ...ok, digestFrequency: 'weekly' });
    assert.deepEqual(validateProfile(ok), ok);
    for (const bad of ['hourly', '', 7]) {
      try {
        validateProfile({ ...ok, digestFrequency: bad });
        assert.fail(`accepted ${String(bad)}`);
      } catch (err) {
        assert.ok(err instanceof ValidationFailed);
        assert.deepEqual(err.errors.map((e) => [e.field, e.messageId]), [['digestFrequency', 'validation.choice']]);
      }
    }
  });
});

const recipients = (m: ParsedMail) => [m.to].flat().flatMap((a) => (a as AddressObject | undefined)?.value ?? []).map((v) => v.address);

for (const engine of ENGINES) {
  describe(`e-mail digests (${engine})`, () => {
    const smtp = useTestSmtp();
    const t = useTestApp(engine, { baseUrl: BASE });
    const db = (): Db => t.db.db;
    let mailer: Mailer;
    let broken: Mailer;
    let n = 0;
    after(() => {
      mailer?.close();
      broken?.close();
    });
    const mailers = () => {
      mailer ??= createMailer({ smtpUrl: smtp.url, from: 'Solidaris <no-reply@solidaris.example>', log: t.app.log });
      // Nothing listens on port 1: every send fails with ECONNREFUSED.
      broken ??= createMailer({ smtpUrl: 'smtp://127.0.0.1:1', from: 'x@solidaris.example', log: t.app.log });
      return { mailer, broken };
    };
    const mailsTo = (address: string) => smtp.messages.filter((m) => recipients(m).includes(address));
    const markOf = async (id: string) =>
      (await db().selectFrom('users').select('digest_sent_until').where('id', '=', id).executeTakeFirstOrThrow()).digest_sent_until;

    /** An account in `orgId` with a digest and a mark set directly. */
    async function person(o: { orgId?: string; locale?: string; timeZone?: string; frequency?: 'off' | 'daily' | 'weekly'; mark?: string | null }) {
      n += 1;
      const email = uniqueAddress(`p${n}-${engine}`);
      const id = await createUser(db(), { email, displayName: `Person ${n}`, password: 'correct horse battery', locale: o.locale ?? 'en', timeZone: o.timeZone ?? 'UTC' });
      if (o.orgId) await setOrganizationRole(db(), o.orgId, id, 'member');
      await db()
        .updateTable('users')
        .set({ digest_frequency: o.frequency ?? 'daily', digest_sent_until: o.mark === undefined ? PAST : o.mark })
        .where('id', '=', id)
        .execute();
      return { id, email };
    }

    /** The Berlin union follows the Kolwezi strike (since long ago); the strike has an update and a public and a private call. */
    async function scene() {
      const follower = await makeOrganization(db(), { name: 'Berlin Union', slug: 'berlin', country: 'DE' });
      await makeOrganization(db(), { name: 'Kolwezi Miners', slug: 'kolwezi-miners', country: 'CD' });
      await makeStruggle(db(), { title: 'Kolwezi strike', slug: 'kolwezi', country: 'CD', organization: 'kolwezi-miners' });
      await db().updateTable('struggles').set({ created_at: '2019-01-01T00:00:00.000Z' }).execute();
      const admin = await createUser(db(), { email: uniqueAddress(`admin-${engine}`), displayName: 'Admin', password: 'correct horse battery' });
      await setOrganizationRole(db(), follower.id, admin, 'admin');
      await follow(db(), (await viewerForAccount(db(), admin))!, { organization: 'berlin', kind: 'struggle', target: 'kolwezi' });
      await db().updateTable('follows').set({ created_at: PAST }).execute();
      await addStruggleUpdate(db(), null, 'kolwezi', { date: '2026-03-02', body: 'Day two of the strike.' }, { trusted: true });
      await makeCall(db(), 'kolwezi', 'kolwezi-miners', { title: 'Messages to Kolwezi' });
      await makeCall(db(), 'kolwezi', 'kolwezi-miners', { title: 'Private planning', visibility: 'private' });
      return { follower };
    }
    // Two days ahead: the latest 07:00 before then lies after everything the test just recorded.
    const later = () => new Date(Date.now() + 2 * 86_400_000);

    test('a German account gets a German digest, an English one English; private items are absent; the mark advances', async () => {
      const { mailer } = mailers();
      const s = await scene();
      const de = await person({ orgId: s.follower.id, locale: 'de', timeZone: 'Europe/Berlin' });
      const en = await person({ orgId: s.follower.id, locale: 'en', timeZone: 'Asia/Kolkata' });
      const now = later();
      const summary = await sendDueDigests(db(), mailer, { now, baseUrl: BASE });
      assert.deepEqual(summary, { sent: 2, logged: 0, empty: 0, failed: 0 });

      const update = await db().selectFrom('struggle_updates').select('created_at').executeTakeFirstOrThrow();
      const [deMail] = mailsTo(de.email);
      assert.ok(deMail, 'German digest delivered');
      assert.equal(deMail.subject, 'Solidaris-Übersicht: 2 neue Meldungen');
      const deText = strip(deMail.text ?? '');
      assert.match(deText, /^Guten Tag Person \d+,/);
      assert.ok(deText.includes(`${translator('de').instant(update.created_at, 'Europe/Berlin')}: Kolwezi Miners hat Neues zu Kolwezi strike berichtet: „Day two of the strike.“`), deText);
      assert.match(deText, /hat den Solidaritätsaufruf Messages to Kolwezi für den Kampf Kolwezi strike veröffentlicht\n {2}https:\/\/solidaris\.example\/calls\//);
      assert.match(deText, /https:\/\/solidaris\.example\/struggles\/kolwezi/);
      assert.match(deText, /Um sie zu ändern oder abzubestellen, gehen Sie zu Ihrem Profil:\nhttps:\/\/solidaris\.example\/account/);
      assert.ok(!deText.includes('Private planning'), 'the private call stays with its issuers');
      assert.match(deMail.html as string, /<html lang="de"/);

      const [enMail] = mailsTo(en.email);
      assert.ok(enMail, 'English digest delivered');
      assert.equal(enMail.subject, 'Solidaris digest: 2 new items');
      const enText = strip(enMail.text ?? '');
      assert.ok(enText.includes(`${translator('en').instant(update.created_at, 'Asia/Kolkata')}: Kolwezi Miners posted an update on Kolwezi strike`), enText);
      assert.ok(!enText.includes('Private planning'));
      assert.match(enText, /every day at 7:00 \(Asia\/Kolkata\)/);

      assert.equal(await markOf(de.id), latestDigestBoundary('daily', 'Europe/Berlin', now));
      assert.equal(await markOf(en.id), latestDigestBoundary('daily', 'Asia/Kolkata', now));
      // The window is handled: a second pass sends nothing.
      assert.deepEqual(await sendDueDigests(db(), mailer, { now, baseUrl: BASE }), { sent: 0, logged: 0, empty: 0, failed: 0 });
      assert.equal(mailsTo(de.email).length, 1);
    });

    test('an empty window sends nothing but advances the mark; off and erased accounts are skipped', async () => {
      const { mailer } = mailers();
      const s = await scene();
      const idle = await person({}); // no organization: nothing can come
      const off = await person({ orgId: s.follower.id, frequency: 'off' });
      const erased = await person({ orgId: s.follower.id });
      await db().updateTable('users').set({ erased_at: PAST }).where('id', '=', erased.id).execute();
      const now = later();
      assert.deepEqual(await sendDueDigests(db(), mailer, { now, baseUrl: BASE }), { sent: 0, logged: 0, empty: 1, failed: 0 });
      assert.equal(await markOf(idle.id), latestDigestBoundary('daily', 'UTC', now));
      assert.equal(await markOf(off.id), PAST);
      assert.equal(await markOf(erased.id), PAST);
      for (const p of [idle, off, erased]) assert.equal(mailsTo(p.email).length, 0);
    });

    test('two concurrent passes deliver exactly one digest', async () => {
      const { mailer } = mailers();
      const s = await scene();
      const p = await person({ orgId: s.follower.id, timeZone: 'Europe/Berlin', frequency: 'weekly' });
      // A minute after the next Monday 07:00 in Berlin, so the week's window holds what the scene
      // just made whatever weekday the suite runs on.
      const now = new Date(Date.parse(latestDigestBoundary('weekly', 'Europe/Berlin', new Date(Date.now() + 8 * 86_400_000))) + 60_000);
      const runs = await Promise.all([sendDueDigests(db(), mailer, { now, baseUrl: BASE }), sendDueDigests(db(), mailer, { now, baseUrl: BASE })]);
      assert.equal(runs[0].sent + runs[1].sent, 1, JSON.stringify(runs));
      assert.equal(mailsTo(p.email).length, 1);
      assert.match(strip(mailsTo(p.email)[0]!.text ?? ''), /weekly digest/);
      assert.equal(await markOf(p.id), latestDigestBoundary('weekly', 'Europe/Berlin', now));
    });

    test('a failing transport puts the mark back; the next pass sends the whole window', async () => {
      const { mailer, broken } = mailers();
      const s = await scene();
      const p = await person({ orgId: s.follower.id });
      const idle = await person({});
      const now = later();
      assert.deepEqual(await sendDueDigests(db(), broken, { now, baseUrl: BASE }), { sent: 0, logged: 0, empty: 1, failed: 1 });
      assert.equal(await markOf(p.id), PAST);
      assert.equal(await markOf(idle.id), latestDigestBoundary('daily', 'UTC', now), 'the other account went on');
      assert.deepEqual(await sendDueDigests(db(), mailer, { now, baseUrl: BASE }), { sent: 1, logged: 0, empty: 0, failed: 0 });
      assert.equal(mailsTo(p.email)[0]!.subject, 'Solidaris digest: 2 new items');
    });

    test('without SMTP_URL a due digest is counted as logged, not as sent; the mark advances', async () => {
      const s = await scene();
      const p = await person({ orgId: s.follower.id });
      const logged: unknown[] = [];
      const log = { info: (o: unknown) => void logged.push(o), warn() {}, error() {} } as unknown as typeof t.app.log;
      const logOnly = createMailer({ smtpUrl: null, from: 'x@solidaris.example', log });
      const now = later();
      assert.deepEqual(await sendDueDigests(db(), logOnly, { now, baseUrl: BASE }), { sent: 0, logged: 1, empty: 0, failed: 0 });
      assert.equal(logged.length, 1, 'the digest went to the log');
      assert.equal(mailsTo(p.email).length, 0, 'nobody received it');
      assert.equal(await markOf(p.id), latestDigestBoundary('daily', 'UTC', now));
    });

    test('back after a long absence: one digest for everything since the mark, at most 100 items and a link to the rest', async () => {
      const { mailer } = mailers();
      const s = await scene();
      for (let i = 0; i < 100; i += 1) await addStruggleUpdate(db(), null, 'kolwezi', { date: '2026-03-03', body: `Update ${i}` }, { trusted: true });
      const p = await person({ orgId: s.follower.id, mark: '2021-01-01T00:00:00.000Z' });
      const now = later();
      assert.deepEqual(await sendDueDigests(db(), mailer, { now, baseUrl: BASE }), { sent: 1, logged: 0, empty: 0, failed: 0 });
      const [m] = mailsTo(p.email);
      assert.equal(m!.subject, 'Solidaris digest: more than 100 new items');
      const text = strip(m!.text ?? '');
      assert.equal(text.match(/^- /gm)?.length, 100);
      assert.match(text, /Everything is on your notifications page:\nhttps:\/\/solidaris\.example\/notifications\n/);
      assert.equal(await markOf(p.id), latestDigestBoundary('daily', 'UTC', now));
    });

    test('an account without a mark gets one window, not its whole history', async () => {
      const { mailer } = mailers();
      const s = await scene();
      const p = await person({ orgId: s.follower.id, mark: null });
      // The scene's records are now; a pass at a boundary two windows later finds them outside its window.
      const now = new Date(Date.now() + 3 * 86_400_000);
      assert.deepEqual(await sendDueDigests(db(), mailer, { now, baseUrl: BASE }), { sent: 0, logged: 0, empty: 1, failed: 0 });
      assert.equal(await markOf(p.id), latestDigestBoundary('daily', 'UTC', now));
    });

    test('the profile form offers the digest, accepts a choice and refuses an unknown value with a field error', async () => {
      const me = await loginAs(t, { name: 'Ana' });
      const page = await t.app.inject({ method: 'GET', url: '/account', headers: { cookie: me.cookie } });
      assert.match(page.body, /<select id="f-digestFrequency" name="digestFrequency" aria-describedby="f-digestFrequency-hint">/);
      assert.match(page.body, /<option value="off" selected>Off<\/option>/);

      const bad = await postForm(t, '/account', '/account/profile', { displayName: 'Ana B', locale: 'en', timeZone: 'UTC', digestFrequency: 'hourly' }, me.cookie);
      assert.equal(bad.statusCode, 422);
      assert.match(bad.body, /<p class="error" id="f-digestFrequency-error">Choose one of the offered values<\/p>/);
      assert.match(bad.body, /value="Ana B"/, 'typed values are kept');
      const row = () => db().selectFrom('users').select(['display_name', 'digest_frequency', 'digest_sent_until']).where('id', '=', me.userId).executeTakeFirstOrThrow();
      assert.deepEqual({ ...(await row()) }, { display_name: 'Ana', digest_frequency: 'off', digest_sent_until: null });

      const before = Date.now();
      const ok = await postForm(t, '/account', '/account/profile', { displayName: 'Ana', locale: 'en', timeZone: 'UTC', digestFrequency: 'weekly' }, me.cookie);
      assert.equal(ok.statusCode, 303);
      const on = await row();
      assert.equal(on.digest_frequency, 'weekly');
      assert.ok(Date.parse(on.digest_sent_until!) >= before - 1000 && Date.parse(on.digest_sent_until!) <= Date.now(), 'turning it on starts from now');
      const audit = await db().selectFrom('audit_events').select('details').where('action', '=', 'account.profile_updated').executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(audit.details), { fields: ['digestFrequency'] });
      const shown = await t.app.inject({ method: 'GET', url: '/account', headers: { cookie: me.cookie } });
      assert.match(shown.body, /<option value="weekly" selected>/);

      // Daily from weekly keeps the mark; off and on again starts from now again.
      const viewer = (await viewerForAccount(db(), me.userId))!;
      await db().updateTable('users').set({ digest_sent_until: PAST }).where('id', '=', me.userId).execute();
      await updateProfile(db(), viewer, { displayName: 'Ana', locale: 'en', timeZone: 'UTC', digestFrequency: 'daily' });
      assert.equal((await row()).digest_sent_until, PAST);
      await updateProfile(db(), viewer, { displayName: 'Ana', locale: 'en', timeZone: 'UTC', digestFrequency: 'off' });
      await updateProfile(db(), viewer, { displayName: 'Ana', locale: 'en', timeZone: 'UTC', digestFrequency: 'daily' });
      assert.ok(Date.parse((await row()).digest_sent_until!) >= before - 1000);
    });
  });
}

describe('digest scheduler', () => {
  test('runs at once, logs errors instead of throwing, and stops', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const db = {
      selectFrom() {
        calls += 1;
        throw new Error('database gone');
      },
    } as unknown as Db;
    const log = { info() {}, warn() {}, error: (o: unknown) => void errors.push(o) };
    const mailer: Mailer = { configured: false, send: async () => ({ delivered: false }), close() {} };
    const scheduler = startDigestScheduler({ db, mailer, baseUrl: BASE, log, intervalMs: 10 });
    const until = Date.now() + 5000;
    while (calls < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    await scheduler.stop();
    const seen = calls;
    assert.ok(seen >= 2, 'ran more than once');
    assert.ok(errors.length >= 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls, seen, 'no pass after stop');
  });
});

describe('DIGESTS setting', () => {
  test('on by default; off turns the scheduler in serve off; anything else is refused', () => {
    assert.equal(loadConfig({}).digests, true);
    assert.equal(loadConfig({ DIGESTS: 'on' }).digests, true);
    assert.equal(loadConfig({ DIGESTS: 'OFF' }).digests, false);
    assert.throws(() => loadConfig({ DIGESTS: 'sometimes' }), ConfigError);
  });
});

describe('solidaris send-digests', () => {
  const BIN = fileURLToPath(new URL('../../../bin/solidaris.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'solidaris-digests-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('runs one pass and prints the translated summary', { timeout: 60_000 }, async () => {
    const path = join(dir, 'cli.sqlite');
    const h = await openDb({ engine: 'sqlite', path });
    try {
      await migrateToLatest(h.db);
      const id = await createUser(h.db, { email: 'cli@example.org', displayName: 'Cli', password: 'correct horse battery' });
      await h.db.updateTable('users').set({ digest_frequency: 'daily', digest_sent_until: PAST }).where('id', '=', id).execute();
    } finally {
      await h.close();
    }
    const run = (lang: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const env: NodeJS.ProcessEnv = { ...process.env, SQLITE_PATH: path, DATABASE_URL: '', SMTP_URL: '', LOG_LEVEL: 'silent', LANG: lang, LC_ALL: '' };
        delete env.NODE_TEST_CONTEXT;
        execFile(process.execPath, [BIN, 'send-digests'], { env, timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const first = await run('en_US.UTF-8');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /E-mail digests: 0 sent, 1 with nothing new, 0 failed\./);
    const second = await run('de_DE.UTF-8');
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /E-Mail-Übersichten: 0 verschickt, 0 ohne Neues, 0 fehlgeschlagen\./);
  });

  /** Runs `solidaris send-digests` on the SQLite file `path` without SMTP_URL, in `lang`. */
  const sendDigests = (path: string, lang = 'en_US.UTF-8') =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, SQLITE_PATH: path, DATABASE_URL: '', SMTP_URL: '', BASE_URL: BASE, LOG_LEVEL: 'silent', LANG: lang, LC_ALL: '' };
      delete env.NODE_TEST_CONTEXT;
      execFile(process.execPath, [BIN, 'send-digests'], { env, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
    });

  test('without SMTP_URL a digest with news is reported as logged, not sent', { timeout: 60_000 }, async () => {
    const path = join(dir, 'logged.sqlite');
    const h = await openDb({ engine: 'sqlite', path });
    try {
      await migrateToLatest(h.db);
      const follower = await makeOrganization(h.db, { name: 'Berlin Union', slug: 'berlin', country: 'DE' });
      await makeOrganization(h.db, { name: 'Kolwezi Miners', slug: 'kolwezi-miners', country: 'CD' });
      await makeStruggle(h.db, { title: 'Kolwezi strike', slug: 'kolwezi', country: 'CD', organization: 'kolwezi-miners' });
      await h.db.updateTable('struggles').set({ created_at: PAST }).execute();
      const id = await createUser(h.db, { email: 'logged@example.org', displayName: 'Logged', password: 'correct horse battery' });
      await setOrganizationRole(h.db, follower.id, id, 'member');
      await follow(h.db, (await viewerForAccount(h.db, id))!, { organization: 'berlin', kind: 'struggle', target: 'kolwezi' });
      await h.db.updateTable('follows').set({ created_at: PAST }).execute();
      await addStruggleUpdate(h.db, null, 'kolwezi', { date: '2026-03-02', body: 'Day two of the strike.' }, { trusted: true });
      // Two days old: inside the window that ended at the latest 07:00.
      await h.db.updateTable('struggle_updates').set({ created_at: new Date(Date.now() - 2 * 86_400_000).toISOString() }).execute();
      await h.db.updateTable('users').set({ digest_frequency: 'daily', digest_sent_until: PAST }).where('id', '=', id).execute();
    } finally {
      await h.close();
    }
    const r = await sendDigests(path);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /E-mail digests: 0 sent, 0 with nothing new, 0 failed\./, r.stdout);
    assert.match(r.stdout, /^1 digest was logged, not sent \(no SMTP_URL\)\.$/m, r.stdout);
  });

  test('refuses a SQLite file that does not exist (exit 2, translated) instead of creating an empty database', { timeout: 60_000 }, async () => {
    const path = join(dir, 'missing', 'solidaris.sqlite');
    const en = await sendDigests(path);
    assert.equal(en.code, 2, en.stdout + en.stderr);
    assert.equal(en.stdout, '');
    assert.ok(en.stderr.includes(`send-digests needs the database of the server, but there is none at ${path}.`), en.stderr);
    const de = await sendDigests(path, 'de_DE.UTF-8');
    assert.equal(de.code, 2);
    assert.ok(de.stderr.includes(`send-digests braucht die Datenbank des Servers, unter ${path} gibt es aber keine.`), de.stderr);
    assert.equal(existsSync(path), false, 'no database was created');
    assert.equal(existsSync(join(dir, 'missing')), false, 'not even its directory');
  });
});
