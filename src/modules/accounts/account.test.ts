import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, formSession, form } from '../../../test/helpers/app.ts';
import { makeOrganization, makeNetwork } from '../../../test/helpers/factories.ts';
import { authenticate, createSession, createUser, loadViewer, setOrganizationRole, tokenHash } from './accounts.service.ts';
import { isTimeZone, validateProfile } from './account.service.ts';
import { PERSONAL_DATA, type AccountExport } from './account-data.service.ts';
import { shortUserAgent } from './account.views.ts';
import { ValidationFailed } from '../../http/errors.ts';
import { createStruggle, addStruggleUpdate } from '../struggles/struggles.service.ts';
import { createNetwork } from '../networks/networks.service.ts';
import { createOrganization } from '../organizations/organizations.service.ts';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/client.ts';
import { makeBarePact } from '../../../test/helpers/ledger.ts';
import { recordEntries } from '../pacts/ledger.service.ts';

const PASSWORD = 'correct horse battery';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0';

function fields(fn: () => unknown): [string, string][] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationFailed, String(err));
    return err.errors.map((e) => [e.field, e.messageId]);
  }
  assert.fail('no ValidationFailed');
}

describe('profile rules', () => {
  test('display name follows the sign-up rule; language and time zone must be known', () => {
    const ok = { displayName: ' Ayşe\u0301 ', locale: 'de', timeZone: 'Europe/Istanbul' };
    assert.deepEqual(validateProfile(ok), { displayName: 'Ayşé'.normalize('NFC'), locale: 'de', timeZone: 'Europe/Istanbul' });
    assert.deepEqual(fields(() => validateProfile({ ...ok, displayName: 'Ana <b>' })), [['displayName', 'validation.name_characters']]);
    assert.deepEqual(fields(() => validateProfile({ ...ok, displayName: 'Ana\nB' })), [['displayName', 'validation.name_characters']]);
    assert.deepEqual(fields(() => validateProfile({ ...ok, displayName: '  ' })), [['displayName', 'validation.required']]);
    assert.deepEqual(fields(() => validateProfile({ ...ok, displayName: 'x'.repeat(121) })), [['displayName', 'validation.too_long']]);
    assert.deepEqual(fields(() => validateProfile({ displayName: 'Ana', locale: 'fr', timeZone: 'Mars/Olympus_Mons' })), [
      ['locale', 'validation.choice'],
      ['timeZone', 'account.validation.time_zone'],
    ]);
  });

  test('time zones: IANA names and UTC yes, offsets and nonsense no', () => {
    for (const z of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Africa/Lubumbashi', 'Europe/Kyiv']) assert.ok(isTimeZone(z), z);
    for (const z of ['+01:00', 'Mars/Olympus', '', 'Europe/../etc', 'GMT+1']) assert.equal(isTimeZone(z), false, z);
  });

  test('user agents are shortened to browser, major version and system', () => {
    assert.equal(shortUserAgent(FIREFOX), 'Firefox 132 · Linux');
    assert.equal(
      shortUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86'),
      'Edge 131 · Windows',
    );
    assert.equal(
      shortUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'),
      'Safari 18 · iOS',
    );
    assert.equal(shortUserAgent(null), null);
    assert.equal(shortUserAgent('SomeBot'), 'SomeBot');
  });
});

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);
    const db = (): Db => t.db.db;

    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    async function post(page: string, url: string, cookie: string, values: Record<string, string>): Promise<LightMyRequestResponse> {
      const s = await formSession(t, page, cookie);
      return t.app.inject({
        method: 'POST',
        url,
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ _csrf: s.csrf, ...values }),
      });
    }
    const audit = (action: string) =>
      db().selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('at').execute();
    const sessionIds = async (userId: string) =>
      (await db().selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).map((s) => s.id).sort();
    const emailOf = async (userId: string) => (await db().selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow()).email;

    describe('account page', () => {
      test('anonymous visitors are asked to sign in on every account route', async () => {
        for (const url of ['/account', '/account/export', '/account/erase']) assert.equal((await get(url)).statusCode, 401, url);
      });

      test('POST without a CSRF token is refused and changes nothing', async () => {
        const me = await loginAs(t, { name: 'Ana' });
        const res = await t.app.inject({
          method: 'POST',
          url: '/account/profile',
          headers: { cookie: me.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ displayName: 'Mallory', locale: 'en', timeZone: 'UTC' }),
        });
        assert.equal(res.statusCode, 403);
        assert.equal((await db().selectFrom('users').select('display_name').where('id', '=', me.userId).executeTakeFirstOrThrow()).display_name, 'Ana');
      });

      test('profile: bad input re-renders with translated field errors (422), nothing saved', async () => {
        const me = await loginAs(t, { name: 'Ana' });
        const res = await post('/account', '/account/profile', me.cookie, { displayName: 'Ana <script>', locale: 'xx', timeZone: 'Nowhere/Town' });
        assert.equal(res.statusCode, 422);
        assert.match(res.body, /Names may not contain line breaks, angle brackets/);
        assert.match(res.body, /Choose one of the offered values/);
        assert.match(res.body, /Choose a time zone from the list/);
        // The typed value comes back escaped, never as markup.
        assert.match(res.body, /value="Ana &lt;script>"/);
        const row = await db().selectFrom('users').select(['display_name', 'locale', 'time_zone']).where('id', '=', me.userId).executeTakeFirstOrThrow();
        assert.deepEqual({ ...row }, { display_name: 'Ana', locale: 'en', time_zone: 'UTC' });
        assert.equal((await audit('account.profile_updated')).length, 0);
      });

      test('profile: a valid change is saved, audited, and the page then speaks German in Berlin time', async () => {
        const me = await loginAs(t, { name: 'Ana' });
        const res = await post('/account', '/account/profile', me.cookie, { displayName: 'Ana Müller', locale: 'de', timeZone: 'Europe/Berlin' });
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, '/account?done=profile');
        const row = await db().selectFrom('users').select(['display_name', 'locale', 'time_zone']).where('id', '=', me.userId).executeTakeFirstOrThrow();
        assert.deepEqual({ ...row }, { display_name: 'Ana Müller', locale: 'de', time_zone: 'Europe/Berlin' });
        const [event] = await audit('account.profile_updated');
        assert.equal(event!.actor_user_id, me.userId);
        assert.equal(event!.organization_id, null);
        assert.equal(event!.session_ref, tokenHash(me.cookie.slice(4)).slice(0, 16));
        assert.deepEqual(JSON.parse(event!.details), { fields: ['displayName', 'locale', 'timeZone'] });
        // The session was created "now"; the list shows it in Berlin time, in German.
        const session = await db().selectFrom('sessions').select('created_at').where('user_id', '=', me.userId).executeTakeFirstOrThrow();
        const page = await get('/account?done=profile', me.cookie);
        assert.match(page.body, /Ihr Profil wurde gespeichert\./);
        const berlin = new Intl.DateTimeFormat('de', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Berlin' }).format(new Date(session.created_at));
        assert.ok(page.body.includes(`<time datetime="${session.created_at}">${berlin}</time>`), berlin);
        assert.match(page.body, /<option value="Europe\/Berlin" selected>/);
      });

      test('password change: wrong current password or a short new one is refused; a good one signs out every other session', async () => {
        const me = await loginAs(t);
        const other = await createSession(db(), me.userId, { userAgent: FIREFOX });
        let res = await post('/account', '/account/password', me.cookie, { currentPassword: 'not my password', newPassword: 'short' });
        assert.equal(res.statusCode, 422);
        assert.match(res.body, /This password is not right/);
        assert.match(res.body, /Use at least 10 characters/);
        assert.equal((await sessionIds(me.userId)).length, 2);

        res = await post('/account', '/account/password', me.cookie, { currentPassword: PASSWORD, newPassword: 'a much longer passphrase' });
        assert.equal(res.statusCode, 303);
        assert.deepEqual(await sessionIds(me.userId), [tokenHash(me.cookie.slice(4))]);
        assert.equal(await loadViewer(db(), other), null);
        const email = await emailOf(me.userId);
        assert.equal(await authenticate(db(), email, PASSWORD), null);
        assert.equal(await authenticate(db(), email, 'a much longer passphrase'), me.userId);
        const [event] = await audit('account.password_changed');
        assert.deepEqual(JSON.parse(event!.details), { sessionsEnded: 1 });
        assert.equal(event!.actor_user_id, me.userId);
      });

      test('sessions are listed with shortened browser, "this session" marked; one, the others, or all can be signed out', async () => {
        const me = await loginAs(t);
        const firefox = await createSession(db(), me.userId, { userAgent: FIREFOX });
        const third = await createSession(db(), me.userId, { userAgent: 'curl/8.5.0' });
        const stranger = await loginAs(t);
        let page = await get('/account', me.cookie);
        assert.match(page.body, /<bdi>Firefox 132 · Linux<\/bdi>/);
        assert.match(page.body, /<bdi>curl 8<\/bdi>/);
        assert.equal(page.body.match(/\(this session\)/g)?.length, 1);
        assert.match(page.body, /Sign out the 2 other sessions/);

        // One session, by its reference.
        const ref = tokenHash(firefox).slice(0, 16);
        assert.ok(page.body.includes(`name="session" value="${ref}"`));
        let res = await post('/account', '/account/sessions/revoke', me.cookie, { session: ref });
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, '/account?done=sessions');
        assert.equal(await loadViewer(db(), firefox), null);
        assert.equal((await sessionIds(me.userId)).length, 2);

        // Another account's session cannot be ended by its reference.
        res = await post('/account', '/account/sessions/revoke', me.cookie, { session: tokenHash(stranger.cookie.slice(4)).slice(0, 16) });
        assert.equal(res.statusCode, 303);
        assert.equal((await sessionIds(stranger.userId)).length, 1);

        // Everywhere else.
        res = await post('/account', '/account/sessions/revoke-others', me.cookie, {});
        assert.equal(res.statusCode, 303);
        assert.equal(await loadViewer(db(), third), null);
        assert.deepEqual(await sessionIds(me.userId), [tokenHash(me.cookie.slice(4))]);
        page = await get('/account', me.cookie);
        assert.doesNotMatch(page.body, /Sign out the (\d+ )?other session/);

        // Everywhere, including here: the cookie is cleared.
        res = await post('/account', '/account/sessions/revoke-all', me.cookie, {});
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, '/');
        const cleared = res.cookies.find((c) => c.name === 'sid');
        assert.ok(cleared && cleared.value === '' && cleared.expires && cleared.expires.getTime() < Date.now());
        assert.deepEqual(await sessionIds(me.userId), []);
        assert.equal((await get('/account', me.cookie)).statusCode, 401);

        const events = await audit('account.sessions_revoked');
        assert.deepEqual(events.map((e) => JSON.parse(e.details)), [{ scope: 'one', count: 1 }, { scope: 'others', count: 1 }, { scope: 'all', count: 1 }]);
      });
    });

    describe('export (GDPR Art. 15/20)', () => {
      /** Fills every table that names an account with a row naming `userId`. */
      async function fillEverything(userId: string) {
        const viewer = (await loadViewer(db(), (await createSession(db(), userId, { userAgent: FIREFOX }))))!;
        const org = await createOrganization(db(), viewer, { name: 'Kolwezi Miners', kind: 'union', country: 'CD' });
        const fresh = (await loadViewer(db(), await createSession(db(), userId)))!;
        const net = await createNetwork(db(), fresh, { name: 'Cobalt Network', sector: 'mining' });
        await db().insertInto('network_roles').values({ network_id: net.id, user_id: userId, role: 'coordinator', created_at: new Date().toISOString() }).execute();
        const struggle = await createStruggle(db(), fresh, { title: 'Cobalt strike', kind: 'strike', sector: 'mining', country: 'CD', startDate: '2026-03-01', organization: org.slug });
        await addStruggleUpdate(db(), fresh, struggle.slug, { date: '2026-03-02', body: 'Day two', lang: 'en' });
        const now = new Date().toISOString();
        const later = new Date(Date.now() + 86_400_000).toISOString();
        await db().updateTable('users').set({ totp_secret: 'JBSWY3DPEHPK3PXP', totp_enabled_at: now }).where('id', '=', userId).execute();
        await db().insertInto('recovery_codes').values([
          { user_id: userId, code_hash: 'a'.repeat(64), created_at: now, used_at: null },
          { user_id: userId, code_hash: 'b'.repeat(64), created_at: now, used_at: now },
        ]).execute();
        await db().insertInto('passkeys').values({ id: 'cred-1', user_id: userId, public_key: 'pk', name: 'Laptop key', created_at: now, last_used_at: null }).execute();
        await db().insertInto('password_resets').values({ token_hash: 'c'.repeat(64), user_id: userId, created_at: now, expires_at: later, used_at: now }).execute();
        const other = await makeOrganization(db(), { name: 'Other Org' });
        await db().insertInto('invitations').values([
          { id: newId(), organization_id: org.id, email: 'invitee@example.org', email_key: 'invitee@example.org', role: 'member', token_hash: 'd'.repeat(64), invited_by: userId, created_at: now, expires_at: later, accepted_at: null, accepted_by: null, revoked_at: null },
          { id: newId(), organization_id: other.id, email: 'me@example.org', email_key: 'me@example.org', role: 'member', token_hash: 'e'.repeat(64), invited_by: null, created_at: now, expires_at: later, accepted_at: now, accepted_by: userId, revoked_at: null },
        ]).execute();
        // Coordination records, written directly (their services are tested in their modules).
        const callId = newId();
        await db().insertInto('solidarity_calls').values({ id: callId, slug: 'call-1', struggle_id: struggle.id, organization_id: org.id, title: 'Send messages', body: 'Write to the strikers', lang: 'en', deadline: null, action_date: null, visibility: 'public', search_text: 'send messages', created_by: userId, created_at: now, updated_at: now }).execute();
        await db().insertInto('solidarity_responses').values({ id: newId(), call_id: callId, organization_id: org.id, network_id: null, kind: 'message', date: '2026-03-03', place: null, country: null, report: null, lang: 'en', link: null, visibility: 'public', created_by: userId, created_at: now, updated_at: now }).execute();
        const dayId = newId();
        await db().insertInto('action_days').values({ id: dayId, slug: 'day-1', title: 'Action day', call_text: 'Join us', lang: 'en', start_date: '2026-05-01', end_date: '2026-05-01', organization_id: org.id, network_id: null, struggle_id: null, visibility: 'public', search_text: 'action day', created_by: userId, created_at: now, updated_at: now }).execute();
        await db().insertInto('local_actions').values({ id: newId(), action_day_id: dayId, organization_id: org.id, title: 'Rally', kind: 'rally', city: 'Kolwezi', country: 'CD', venue: null, all_day: 1, start_local: null, end_local: null, time_zone: null, starts_at: null, ends_at: null, start_date: '2026-05-01', end_date: '2026-05-01', expected_participants: null, contact: null, visibility: 'public', created_by: userId, created_at: now, updated_at: now }).execute();
        await db().insertInto('follows').values({ id: newId(), organization_id: org.id, target_kind: 'country', target_id: 'PE', created_by: userId, created_at: now }).execute();
        await db().insertInto('feed_tokens').values({ id: newId(), user_id: userId, token_hash: 'f'.repeat(64), label: 'Phone calendar', created_at: now, last_used_at: null, revoked_at: null }).execute();
        // A pact the person started, with ledger entries they recorded and one naming them as contributor,
        // a pledge in their name, a beneficiary, a document and disbursements they proposed and decided.
        const pact = await makeBarePact(db(), org.id, 'fund-1');
        await db().updateTable('pacts').set({ created_by: userId }).where('id', '=', pact.id).execute();
        await recordEntries(db(), { pactId: pact.id, recordedBy: userId, entries: [{ kind: 'contribution', amountMinor: 5000, currency: 'EUR', valueDate: '2026-03-04', counterparty: { kind: 'person', userId }, reference: 'Monthly' }] });
        await db().insertInto('pledges').values({ id: newId(), pact_id: pact.id, organization_id: null, user_id: userId, pledger_name: null, amount_minor: 5000, currency: 'EUR', frequency: 'monthly', start_date: '2026-03-01', end_date: null, note: null, cancelled_at: null, created_by: userId, created_at: now }).execute();
        await db().insertInto('beneficiaries').values({ id: newId(), pact_id: pact.id, code: 'H-0001', kind: 'household', household_size: 4, sealed_personal: 'sealed', archived_at: null, created_by: userId, created_at: now, updated_at: now }).execute();
        await db().insertInto('pact_documents').values({ id: newId(), pact_id: pact.id, storage_key: 'k/1', filename: 'receipt.pdf', content_type: 'application/pdf', size_bytes: 1200, sha256: '0'.repeat(64), uploaded_by: userId, uploaded_at: now }).execute();
        await db().insertInto('disbursements').values([
          { id: newId(), pact_id: pact.id, beneficiary_id: null, payee_name: 'Pharmacy', amount_minor: 1000, currency: 'EUR', purpose: 'Medicine', value_date: '2026-03-05', document_id: null, status: 'proposed', proposed_by: userId, proposed_at: now, decided_by: null, decided_at: null, decision_note: null, entry_id: null },
          { id: newId(), pact_id: pact.id, beneficiary_id: null, payee_name: 'School', amount_minor: 900, currency: 'EUR', purpose: 'Books', value_date: '2026-03-05', document_id: null, status: 'rejected', proposed_by: null, proposed_at: now, decided_by: userId, decided_at: now, decision_note: null, entry_id: null },
        ]).execute();
        // A campaign the person started and translated, an endorsement they made and one they decided,
        // a tally they entered and an import they ran.
        const campaignId = newId();
        await db().insertInto('campaigns').values({ id: campaignId, slug: 'campaign-1', organization_id: org.id, original_lang: 'en', goal: null, starts_on: '2026-03-01', ends_on: null, status: 'open', visibility: 'public', search_text: 'campaign', created_by: userId, created_at: now, updated_at: now }).execute();
        await db().insertInto('campaign_translations').values({ campaign_id: campaignId, lang: 'de', title: 'Kampagne', appeal: 'Aufruf', is_original: 0, translated_by: userId, translator_name: null, created_at: now, updated_at: now }).execute();
        await db().insertInto('campaign_endorsements').values([
          { id: newId(), campaign_id: campaignId, organization_id: org.id, statement: null, statement_lang: null, status: 'pending', endorsed_by: userId, endorsed_at: now, decided_by: null, decided_at: null },
          { id: newId(), campaign_id: campaignId, organization_id: other.id, statement: null, statement_lang: null, status: 'confirmed', endorsed_by: null, endorsed_at: now, decided_by: userId, decided_at: now },
        ]).execute();
        await db().insertInto('campaign_tallies').values({ id: newId(), campaign_id: campaignId, country: 'CD', count: 120, source: 'Rally in Kolwezi', collected_on: '2026-03-05', external_ref: null, entered_by: userId, entered_at: now }).execute();
        await db().insertInto('supporter_imports').values({ id: newId(), campaign_id: campaignId, filename: 'list.csv', file_sealed: null, mapping: null, consent_basis: 'paper list', status: 'done', errors: null, created_by: userId, created_at: now, finished_at: now }).execute();
        return { org, net, struggle, pact };
      }

      /** The value at a dotted path of the export. */
      const at = (doc: unknown, path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], doc);

      test('downloads a dated JSON attachment with everything stored, and no secrets', async () => {
        const me = await loginAs(t, { name: 'Ana' });
        const { org, net, struggle } = await fillEverything(me.userId);
        const res = await get('/account/export', me.cookie);
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.equal(res.headers['content-disposition'], `attachment; filename="solidaris-account-${new Date().toISOString().slice(0, 10)}.json"`);
        assert.equal(res.headers['cache-control'], 'no-store');
        const doc = res.json() as AccountExport;
        assert.equal(doc.profile.id, me.userId);
        assert.equal(doc.profile.displayName, 'Ana');
        assert.equal(doc.profile.email, await emailOf(me.userId));
        assert.deepEqual(doc.credentials, { passwordHash: 'withheld', totpSecret: 'withheld', recoveryCodeHashes: 'withheld', feedTokenHashes: 'withheld' });
        assert.deepEqual(doc.feedTokens.map((f) => f.label), ['Phone calendar']);
        assert.ok(!JSON.stringify(doc).includes('f'.repeat(64)), 'a feed token hash is in the export');
        assert.deepEqual(doc.created.follows.map((f) => [f.organization.slug, f.targetKind, f.targetId]), [[org.slug, 'country', 'PE']]);
        assert.deepEqual(doc.secondFactor.recoveryCodes, { unused: 1, used: 1 });
        assert.deepEqual(doc.secondFactor.passkeys.map((p) => p.name), ['Laptop key']);
        assert.deepEqual(doc.organizationRoles.map((r) => [r.organization.slug, r.role]), [[org.slug, 'admin']]);
        assert.deepEqual(doc.networkRoles.map((r) => [r.network.slug, r.role]), [[net.slug, 'coordinator']]);
        assert.equal(doc.sessions.length, 3);
        assert.equal(doc.sessions.filter((s) => s.current).length, 1);
        assert.ok(doc.sessions.some((s) => s.userAgent === FIREFOX));
        assert.deepEqual(doc.invitations.sent.map((i) => [i.email, i.organization]), [['invitee@example.org', org.slug]]);
        assert.equal(doc.invitations.accepted.length, 1);
        assert.equal(doc.passwordResets.length, 1);
        assert.deepEqual(doc.created.organizations.map((o) => o.slug), [org.slug]);
        assert.deepEqual(doc.created.networks.map((n) => n.slug), [net.slug]);
        assert.deepEqual(doc.created.struggles.map((s) => [s.slug, s.title]), [[struggle.slug, 'Cobalt strike']]);
        assert.deepEqual(doc.created.struggleUpdates.map((u) => [u.struggle.slug, u.date]), [[struggle.slug, '2026-03-02']]);
        assert.deepEqual(doc.auditEvents.map((e) => e.action), ['organization.created', 'network.created', 'struggle.created', 'struggle.update_added']);
        assert.deepEqual(doc.created.pacts.map((p) => p.slug), ['fund-1']);
        assert.deepEqual(doc.ledgerEntriesRecorded.map((e) => [e.pact.slug, e.seq, e.kind, e.amountMinor, e.currency, e.valueDate]), [['fund-1', 1, 'contribution', 5000, 'EUR', '2026-03-04']]);
        assert.deepEqual(doc.ledgerEntriesAsCounterparty.map((e) => e.seq), [1]);
        assert.deepEqual(doc.pledges.map((p) => [p.amountMinor, p.currency, p.frequency]), [[5000, 'EUR', 'monthly']]);
        assert.deepEqual(doc.created.beneficiaries.map((b) => b.code), ['H-0001']);
        assert.ok(!JSON.stringify(doc).includes('sealed'), 'the sealed personal fields of a beneficiary are not in the export');
        assert.deepEqual(doc.disbursements.proposed.map((d) => d.purpose), ['Medicine']);
        assert.deepEqual(doc.disbursements.decided.map((d) => [d.purpose, d.status]), [['Books', 'rejected']]);
        // No secret leaves: password hash, TOTP secret, code and token hashes, session ids.
        const hash = (await db().selectFrom('users').select('password_hash').where('id', '=', me.userId).executeTakeFirstOrThrow()).password_hash;
        for (const secret of [hash, 'JBSWY3DPEHPK3PXP', 'a'.repeat(64), 'c'.repeat(64), 'd'.repeat(64), tokenHash(me.cookie.slice(4))])
          assert.ok(!res.body.includes(secret), `export contains ${secret.slice(0, 12)}`);
        // The download itself is logged.
        assert.equal((await audit('account.exported')).length, 1);
        // German explanation for a German reader.
        const de = await t.app.inject({ method: 'GET', url: '/account/export', headers: { cookie: `${me.cookie}; locale=de` } });
        assert.match((de.json() as AccountExport).about, /DSGVO Art\. 15 und 20/);
      });

      test('every column that names an account is in the export (schema walk)', async () => {
        // Columns that reference users.id (foreign keys) or are named like an account reference.
        const rows =
          t.db.engine === 'postgres'
            ? (
                await sql<{ table_name: string; column_name: string; ref: string | null }>`
                  select c.table_name, c.column_name,
                    (select ccu.table_name from information_schema.key_column_usage k
                       join information_schema.referential_constraints r on r.constraint_name = k.constraint_name and r.constraint_schema = k.constraint_schema
                       join information_schema.constraint_column_usage ccu on ccu.constraint_name = r.unique_constraint_name and ccu.constraint_schema = r.unique_constraint_schema
                     where k.table_schema = c.table_schema and k.table_name = c.table_name and k.column_name = c.column_name limit 1) as ref
                  from information_schema.columns c
                  where c.table_schema = current_schema() and c.table_name not like 'kysely_%'`.execute(db())
              ).rows
            : (
                await sql<{ table_name: string; column_name: string; ref: string | null }>`
                  select m.name as table_name, p.name as column_name,
                    (select f."table" from pragma_foreign_key_list(m.name) f where f."from" = p.name) as ref
                  from sqlite_master m join pragma_table_info(m.name) p
                  where m.type = 'table' and m.name not like 'sqlite_%' and m.name not like 'kysely_%'`.execute(db())
              ).rows;
        const personal = rows
          .filter((r) => r.ref === 'users' || /(^|_)user_id$|_by$/.test(r.column_name) || (r.table_name === 'users' && r.column_name === 'id'))
          .map((r) => `${r.table_name}.${r.column_name}`)
          .sort();
        const declared = Object.entries(PERSONAL_DATA).flatMap(([table, cols]) => Object.keys(cols).map((c) => `${table}.${c}`)).sort();
        assert.deepEqual(personal, declared, 'a column naming an account is missing from PERSONAL_DATA (export and erasure), or PERSONAL_DATA names a column that is gone');

        // And every declared place really shows up in an export of an account that has data everywhere.
        const me = await loginAs(t);
        await fillEverything(me.userId);
        const doc = (await get('/account/export', me.cookie)).json();
        for (const [table, cols] of Object.entries(PERSONAL_DATA))
          for (const [col, rule] of Object.entries(cols)) {
            const v = at(doc, rule.export);
            assert.ok(Array.isArray(v) ? v.length > 0 : v && typeof v === 'object', `${table}.${col} → ${rule.export} is empty`);
          }
      });
    });

    describe('erasure (GDPR Art. 17)', () => {
      test('a wrong or missing password erases nothing', async () => {
        const me = await loginAs(t);
        for (const password of ['', 'wrong password!!']) {
          const res = await post('/account/erase', '/account/erase', me.cookie, { password });
          assert.equal(res.statusCode, 422);
          assert.match(res.body, password ? /This password is not right/ : /This field is required/);
        }
        assert.notEqual(await emailOf(me.userId), '');
        assert.equal((await sessionIds(me.userId)).length, 1);
      });

      test('erasure deletes personal data, keeps shared records under "former member", frees the e-mail', async () => {
        const me = await loginAs(t, { name: 'Ana Erased' });
        const email = await emailOf(me.userId);
        const org = await makeOrganization(db(), { name: 'Port Workers' });
        const boss = await loginAs(t, { roles: [[org.id, 'admin']] });
        await setOrganizationRole(db(), org.id, me.userId, 'admin');
        const second = await createSession(db(), me.userId, { userAgent: FIREFOX });
        const viewer = (await loadViewer(db(), me.cookie.slice(4)))!;
        const struggle = await createStruggle(db(), viewer, { title: 'Dock strike', kind: 'strike', sector: 'logistics', country: 'DE', startDate: '2026-05-01', organization: org.slug, visibility: 'members' });
        const now = new Date().toISOString();
        const later = new Date(Date.now() + 86_400_000).toISOString();
        const pending = newId();
        const answered = newId();
        await db().insertInto('invitations').values([
          { id: pending, organization_id: org.id, email: 'new@example.org', email_key: 'new@example.org', role: 'member', token_hash: 'f'.repeat(64), invited_by: me.userId, created_at: now, expires_at: later, accepted_at: null, accepted_by: null, revoked_at: null },
          { id: answered, organization_id: org.id, email: email, email_key: email, role: 'member', token_hash: '0'.repeat(64), invited_by: boss.userId, created_at: now, expires_at: later, accepted_at: now, accepted_by: me.userId, revoked_at: null },
        ]).execute();
        await db().insertInto('recovery_codes').values({ user_id: me.userId, code_hash: '1'.repeat(64), created_at: now, used_at: null }).execute();
        await db().insertInto('passkeys').values({ id: 'cred-x', user_id: me.userId, public_key: 'pk', name: 'Key', created_at: now, last_used_at: null }).execute();
        await db().insertInto('password_resets').values({ token_hash: '2'.repeat(64), user_id: me.userId, created_at: now, expires_at: later, used_at: null }).execute();
        await db().insertInto('feed_tokens').values({ id: newId(), user_id: me.userId, token_hash: '3'.repeat(64), label: 'Calendar', created_at: now, last_used_at: null, revoked_at: null }).execute();
        const net = await makeNetwork(db());
        await db().insertInto('network_roles').values({ network_id: net.id, user_id: me.userId, role: 'member', created_at: now }).execute();

        const res = await post('/account/erase', '/account/erase', me.cookie, { password: PASSWORD });
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, '/account/erased');
        assert.equal(res.cookies.find((c) => c.name === 'sid')?.value, '');
        assert.match((await get('/account/erased')).body, /Your account was erased/);

        const user = await db().selectFrom('users').selectAll().where('id', '=', me.userId).executeTakeFirstOrThrow();
        assert.equal(user.email, '');
        assert.equal(user.email_key, `erased:${me.userId}`);
        assert.equal(user.display_name, '');
        assert.equal(user.password_hash, '!');
        assert.equal(user.totp_secret, null);
        assert.ok(user.erased_at);
        for (const table of ['sessions', 'recovery_codes', 'passkeys', 'password_resets', 'organization_members', 'network_roles', 'feed_tokens'] as const) {
          const n = await db().selectFrom(table).select('user_id').where('user_id', '=', me.userId).execute();
          assert.equal(n.length, 0, table);
        }
        const invitations = await db().selectFrom('invitations').select(['id', 'email', 'revoked_at']).orderBy('id').execute();
        assert.ok(invitations.find((i) => i.id === pending)!.revoked_at, 'pending invitation revoked');
        assert.equal(invitations.find((i) => i.id === answered)!.email, '');

        // Unusable: no sign-in (old or empty password), old sessions dead.
        assert.equal(await authenticate(db(), email, PASSWORD), null);
        assert.equal(await loadViewer(db(), second), null);
        const s = await formSession(t, '/sign-in');
        const signIn = await t.app.inject({
          method: 'POST',
          url: '/sign-in',
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, email, password: PASSWORD }),
        });
        assert.equal(signIn.statusCode, 422);

        // The struggle stays, still created by the tombstone; the audit log names a "former member".
        const kept = await db().selectFrom('struggles').select(['created_by', 'title']).where('id', '=', struggle.id).executeTakeFirstOrThrow();
        assert.deepEqual({ ...kept }, { created_by: me.userId, title: 'Dock strike' });
        const log = await get(`/organizations/${org.slug}/audit`, boss.cookie);
        assert.equal(log.statusCode, 200);
        assert.match(log.body, /<td>former member<\/td><td><code>[0-9a-f]{16}<\/code><\/td><td>Struggle created<\/td>/);
        assert.doesNotMatch(log.body, /Ana Erased/);
        const api = (await get(`/api/v1/organizations/${org.slug}/audit`, boss.cookie)).json() as { items: { action: string; actor: unknown }[] };
        assert.deepEqual(api.items.find((i) => i.action === 'struggle.created')!.actor, { id: me.userId, displayName: null, erased: true });

        // The erasure is logged without personal data, for the instance and for the organization.
        const events = await audit('account.erased');
        assert.deepEqual(events.map((e) => e.organization_id).sort(), [null, org.id].sort());
        const details = JSON.parse(events.find((e) => e.organization_id === null)!.details);
        assert.deepEqual(details, { organizationsLeft: 1, networkRolesEnded: 1, sessionsEnded: 2, passkeysDeleted: 1, recoveryCodesDeleted: 1, passwordResetsDeleted: 1, feedTokensDeleted: 1, invitationsRevoked: 1 });
        assert.ok(events.every((e) => !e.details.includes(email) && !e.details.includes('Ana')));

        // The address opens a new account.
        const again = await createUser(db(), { email, displayName: 'Ana again', password: 'another long password' });
        assert.notEqual(again, me.userId);
        assert.equal(await authenticate(db(), email, 'another long password'), again);
      });

      test('the only admin of an organization must hand over first', async () => {
        const org = await makeOrganization(db(), { name: 'Sendika Bir' });
        const me = await loginAs(t, { roles: [[org.id, 'admin']] });
        const res = await post('/account/erase', '/account/erase', me.cookie, { password: PASSWORD });
        assert.equal(res.statusCode, 422);
        assert.match(res.body, /You are the only administrator of <bdi>Sendika Bir<\/bdi>\. Make someone else an administrator/);
        assert.notEqual(await emailOf(me.userId), '');
        assert.equal((await sessionIds(me.userId)).length, 1);
        assert.equal((await audit('account.erased')).length, 0);

        // A coordinator is not an admin; a second admin is.
        const c = await loginAs(t, { roles: [[org.id, 'coordinator']] });
        assert.equal((await post('/account/erase', '/account/erase', me.cookie, { password: PASSWORD })).statusCode, 422);
        await setOrganizationRole(db(), org.id, c.userId, 'admin');
        assert.equal((await post('/account/erase', '/account/erase', me.cookie, { password: PASSWORD })).statusCode, 303);
        assert.equal(await emailOf(me.userId), '');
        // Now the other one is the last admin.
        const blocked = await post('/account/erase', '/account/erase', c.cookie, { password: PASSWORD });
        assert.equal(blocked.statusCode, 422);
      });
    });
  });
}
