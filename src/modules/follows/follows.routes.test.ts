import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, form, formSession, loginAs, postForm } from '../../../test/helpers/app.ts';
import { makeActionDay, makeCall, makeLocalAction, makeNetwork, makeNetworkMembership, makeOrganization, makeResponse, makeStruggle } from '../../../test/helpers/factories.ts';
import { viewerForAccount } from '../accounts/accounts.service.ts';
import { addStruggleUpdate } from '../struggles/struggles.service.ts';
import { translator } from '../../i18n/i18n.ts';
import { newId } from '../../lib/ids.ts';

const PAST = '2020-01-01T00:00:00.000Z';
const JSON_HEADERS = { 'content-type': 'application/json' };

/** The `action` of the first form in `body` whose action matches `re`. */
function formAction(body: string, re: RegExp): string | undefined {
  return [...body.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&')).find((a) => re.test(a));
}

for (const engine of ENGINES) {
  describe(`follows and notifications pages and API (${engine})`, () => {
    const t = useTestApp(engine);

    /** A Berlin union (the follower), a Congolese miners' union in a network (the actor), a struggle and a call in Congo. */
    async function scene() {
      const db = t.db.db;
      const berlin = await makeOrganization(db, { name: 'Berlin Union', slug: 'berlin', country: 'DE' });
      const kolwezi = await makeOrganization(db, { name: 'Kolwezi Miners', slug: 'kolwezi-miners', country: 'CD' });
      const hidden = await makeOrganization(db, { name: 'Hidden Group', slug: 'hidden', country: 'CD', visibility: 'members' });
      const network = await makeNetwork(db, { name: 'Miners network', slug: 'miners-net' });
      await makeNetworkMembership(db, 'miners-net', 'kolwezi-miners');
      const struggle = await makeStruggle(db, { title: 'Kolwezi strike', slug: 'kolwezi', country: 'CD', organization: 'kolwezi-miners' });
      await makeStruggle(db, { title: 'Secret plans', slug: 'secret', country: 'CD', organization: 'hidden', visibility: 'members' });
      const call = await makeCall(db, 'kolwezi', 'kolwezi-miners', { title: 'Messages to Kolwezi', slug: 'messages-kolwezi' });
      // Older than any follow, so they are no news themselves.
      await db.updateTable('struggles').set({ created_at: '2019-01-01T00:00:00.000Z' }).execute();
      await db.updateTable('solidarity_calls').set({ created_at: '2019-01-01T00:00:00.000Z' }).execute();
      const member = await loginAs(t, { roles: [[berlin.id, 'member']], name: 'Berlin Member' });
      return { berlin, kolwezi, hidden, network, struggle, call, member };
    }

    const get = (url: string, cookie = '', headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { ...(cookie ? { cookie } : {}), ...headers } });
    const backdateFollows = () => t.db.db.updateTable('follows').set({ created_at: PAST }).execute();

    describe('follow controls', () => {
      test('anonymous readers and read-only roles get none; a member follows a struggle, a call, a network and a country from their pages and unfollows', async () => {
        const s = await scene();
        const pages: [kind: string, page: string, target: string][] = [
          ['struggle', '/struggles/kolwezi', 'kolwezi'],
          ['call', '/calls/messages-kolwezi', 'messages-kolwezi'],
          ['network', '/networks/miners-net', 'miners-net'],
          ['country', '/struggles?country=CD', 'CD'],
        ];
        const viewerRole = await loginAs(t, { roles: [[s.berlin.id, 'viewer']] });
        for (const [, page] of pages) {
          const anon = await get(page);
          assert.equal(anon.statusCode, 200, page);
          assert.doesNotMatch(anon.body, /class="follow"/, `${page}: nothing for anonymous readers`);
          assert.doesNotMatch((await get(page, viewerRole.cookie)).body, /class="follow"/, `${page}: nothing for the viewer role`);
        }
        assert.doesNotMatch((await get('/struggles', s.member.cookie)).body, /class="follow"/, 'the unfiltered list has no follow control');

        for (const [kind, page, target] of pages) {
          const before = await get(page, s.member.cookie);
          // A country's control names the country: the filtered list is not the country's own page.
          assert.match(
            before.body,
            kind === 'country'
              ? /<span>For <bdi>Berlin Union<\/bdi>:<\/span>\s*<button type="submit">Follow Congo - Kinshasa<span class="visually-hidden"> \(for <bdi>Berlin Union<\/bdi>\)<\/span><\/button>/
              : /<button type="submit">Follow for <bdi>Berlin Union<\/bdi><\/button>/,
            page,
          );
          assert.match(before.body, new RegExp(`name="kind" value="${kind}"`), page);
          assert.doesNotMatch(before.body, /class="flash"/, `${page}: no confirmation before`);
          const res = await postForm(t, page, '/organizations/berlin/following', { kind, target, next: page }, s.member.cookie);
          assert.equal(res.statusCode, 303, `${page}: ${res.body.slice(0, 300)}`);
          // Back to the control, with a confirmation (other query parameters kept).
          const back = `${page}${page.includes('?') ? '&' : '?'}done=followed#follow`;
          assert.equal(res.headers.location, back);
          const after = await get(back.replace(/#.*/, ''), s.member.cookie);
          assert.match(after.body, kind === 'country' ? /<bdi>Berlin Union<\/bdi> follows Congo - Kinshasa<\/span>/ : /<bdi>Berlin Union<\/bdi> follows this/, page);
          assert.match(after.body, /<div class="follow" id="follow" lang="en"><p class="flash" role="status">Your organization follows it now\.<\/p>/, `${page}: a polite confirmation in the control`);
          assert.doesNotMatch(after.body, /Follow for <bdi>Berlin Union/, page);
          // The unfollow button looks the same on every page (and on the following page).
          assert.match(after.body, /<button type="submit" class="secondary">Unfollow<span class="visually-hidden">/, page);
        }
        const follows = await t.db.db.selectFrom('follows').select(['target_kind', 'target_id']).orderBy('target_kind').execute();
        assert.deepEqual(follows.map((f) => f.target_kind), ['call', 'country', 'network', 'struggle']);
        assert.equal(follows.find((f) => f.target_kind === 'country')!.target_id, 'CD');

        // Unfollow from the struggle page: back to the page, and the follow is gone.
        const page = await get('/struggles/kolwezi', s.member.cookie);
        const action = formAction(page.body, /\/following\/[^/]+\/unfollow$/)!;
        assert.ok(action, 'an unfollow form');
        assert.match(page.body, /Unfollow<span class="visually-hidden"> \(for <bdi>Berlin Union<\/bdi>\)<\/span>/, 'the button names the organization');
        const res = await postForm(t, '/struggles/kolwezi', action, { next: '/struggles/kolwezi?done=followed' }, s.member.cookie);
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, '/struggles/kolwezi?done=unfollowed#follow', 'an earlier notice is replaced');
        const unfollowed = (await get('/struggles/kolwezi?done=unfollowed', s.member.cookie)).body;
        assert.match(unfollowed, /Follow for <bdi>Berlin Union<\/bdi>/);
        assert.match(unfollowed, /role="status">Your organization no longer follows it\./);
        assert.equal((await t.db.db.selectFrom('follows').select('id').execute()).length, 3);
      });

      test('German readers (language switch) get German follow buttons', async () => {
        const s = await scene();
        const res = await get('/networks/miners-net', `${s.member.cookie}; locale=de`);
        assert.match(res.body, /Für <bdi>Berlin Union<\/bdi> folgen/);
        const country = await get('/struggles?country=CD', `${s.member.cookie}; locale=de`);
        assert.match(country.body, /Für <bdi>Berlin Union<\/bdi>:<\/span>\s*<button type="submit">Kongo-Kinshasa folgen</);
      });
    });

    describe('the following page', () => {
      test('members see it, strangers get 404, anonymous readers 401; the organization page links it for members only', async () => {
        const s = await scene();
        const stranger = await loginAs(t, { roles: [[s.kolwezi.id, 'admin']] });
        const viewerRole = await loginAs(t, { roles: [[s.berlin.id, 'viewer']] });
        assert.equal((await get('/organizations/berlin/following')).statusCode, 401);
        assert.equal((await get('/organizations/berlin/following', stranger.cookie)).statusCode, 404);
        assert.equal((await get('/organizations/nowhere/following', s.member.cookie)).statusCode, 404);
        assert.equal((await get('/organizations/berlin/following', s.member.cookie)).statusCode, 200);
        assert.match((await get('/organizations/berlin', s.member.cookie)).body, /href="\/organizations\/berlin\/following"/);
        assert.doesNotMatch((await get('/organizations/berlin', stranger.cookie)).body, /\/following"/);
        assert.doesNotMatch((await get('/organizations/berlin')).body, /\/following"/);
        // A stranger cannot follow or unfollow for the organization either.
        const denied = await postForm(t, '/struggles/kolwezi', '/organizations/berlin/following', { kind: 'country', target: 'PE' }, stranger.cookie);
        assert.equal(denied.statusCode, 404);
        // The read-only role reads the list, without buttons; its posts are refused.
        const asViewer = await get('/organizations/berlin/following', viewerRole.cookie);
        assert.equal(asViewer.statusCode, 200);
        assert.doesNotMatch(asViewer.body, /id="follow-country"/);
        const refused = await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following', { kind: 'country', target: 'PE' }, viewerRole.cookie);
        assert.equal(refused.statusCode, 403);
        assert.equal((await t.db.db.selectFrom('follows').select('id').execute()).length, 0);
      });

      test('lists what the organization follows with links and translated country names; follows a country with field errors; unfollows', async () => {
        const s = await scene();
        const empty = await get('/organizations/berlin/following', s.member.cookie);
        assert.match(empty.body, /This organization follows nothing yet/);

        const missing = await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following', { kind: 'country', target: '' }, s.member.cookie);
        assert.equal(missing.statusCode, 422);
        assert.match(missing.body, /Country: This field is required/);
        assert.match(missing.body, /aria-invalid="true"/);
        const bad = await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following', { kind: 'country', target: 'XX' }, s.member.cookie);
        assert.equal(bad.statusCode, 422);
        assert.match(bad.body, /Choose a country/);
        const invisible = await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following', { kind: 'struggle', target: 'secret' }, s.member.cookie);
        assert.equal(invisible.statusCode, 422);
        assert.match(invisible.body, /Nothing with this address name can be followed/);

        // The country form posts to its own section: a refused one comes back scrolled to it,
        // the error summary first in it; a successful one goes to the top, to the notice.
        assert.match(missing.body, /<section id="follow-country">\s*<h2>Follow a country<\/h2>\s*<div class="error-summary" role="alert">/);
        assert.ok(missing.body.includes('<form method="post" action="/organizations/berlin/following#follow-country"'));
        const ok = await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following', { kind: 'country', target: 'pe' }, s.member.cookie);
        assert.equal(ok.statusCode, 303);
        assert.equal(ok.headers.location, '/organizations/berlin/following?done=followed#main');
        await postForm(t, '/struggles/kolwezi', '/organizations/berlin/following', { kind: 'struggle', target: 'kolwezi', next: '/struggles/kolwezi' }, s.member.cookie);
        await postForm(t, '/networks/miners-net', '/organizations/berlin/following', { kind: 'network', target: 'miners-net', next: '/networks/miners-net' }, s.member.cookie);

        const page = await get('/organizations/berlin/following?done=followed', s.member.cookie);
        assert.match(page.body, /<h1>What <bdi>Berlin Union<\/bdi> follows<\/h1>/);
        assert.match(page.body, /<form method="post" action="\/organizations\/berlin\/following\/[^"]+\/unfollow" class="inline unfollow">[\s\S]*?<button type="submit" class="secondary">Unfollow/, 'the same unfollow button as on struggle, call and network pages');
        assert.doesNotMatch((await get('/organizations/berlin/following?done=toString', s.member.cookie)).body, /class="flash"/, 'only known notices');
        assert.match(page.body, /role="status">Your organization follows it now\./);
        assert.match(page.body, /<a href="\/struggles\?country=PE">Peru<\/a>/);
        assert.match(page.body, /<a href="\/struggles\/kolwezi"><bdi>Kolwezi strike<\/bdi><\/a>/);
        assert.match(page.body, /<a href="\/networks\/miners-net"><bdi>Miners network<\/bdi><\/a>/);
        assert.match(page.body, /followed since/);
        const de = await get('/organizations/berlin/following', `${s.member.cookie}; locale=de`);
        assert.match(de.body, /<a href="\/struggles\?country=PE">Peru<\/a>/);
        assert.match(de.body, /Wem <bdi>Berlin Union<\/bdi> folgt/);
        assert.match(de.body, /Einem Land folgen/);

        const action = formAction(page.body, /\/following\/[^/]+\/unfollow$/)!;
        const gone = await postForm(t, '/organizations/berlin/following', action, {}, s.member.cookie);
        assert.equal(gone.statusCode, 303);
        assert.equal(gone.headers.location, '/organizations/berlin/following?done=unfollowed');
        assert.equal((await t.db.db.selectFrom('follows').select('id').execute()).length, 2);
        // Unfollowing again, or a follow of another organization, is a 404.
        assert.equal((await postForm(t, '/organizations/berlin/following', action, {}, s.member.cookie)).statusCode, 404);
        // `next` may only lead back into the site.
        const offsite = await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following', { kind: 'country', target: 'BR', next: '//evil.example/x' }, s.member.cookie);
        assert.equal(offsite.statusCode, 303);
        assert.equal(offsite.headers.location, '/?done=followed#follow');
      });
    });

    describe('notifications', () => {
      /** Follows of the struggle, Congo and the network, backdated; then one event of every kind. */
      async function withEvents() {
        const s = await scene();
        for (const [kind, target] of [['struggle', 'kolwezi'], ['country', 'CD'], ['network', 'miners-net']] as const) {
          const res = await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following', { kind, target }, s.member.cookie);
          assert.equal(res.statusCode, 303);
        }
        await backdateFollows();
        const admin = await loginAs(t, { admin: true });
        const adminViewer = (await viewerForAccount(t.db.db, admin.userId))!;
        await addStruggleUpdate(t.db.db, null, 'kolwezi', { date: '2026-03-02', body: 'Day two of the strike.\nThe gates stay shut.' }, { trusted: true });
        const call = await makeCall(t.db.db, 'kolwezi', 'kolwezi-miners', { title: 'Send a delegation', slug: 'delegation-kolwezi' });
        await makeResponse(t.db.db, s.call.slug, 'kolwezi-miners', { kind: 'rally_held', country: 'CD' });
        const day = await makeActionDay(t.db.db, adminViewer, 'kolwezi-miners', { title: 'Miners day', slug: 'miners-day', network: 'miners-net', startDate: '2027-04-28' });
        await makeLocalAction(t.db.db, adminViewer, day.slug, 'kolwezi-miners', {
          city: 'Lubumbashi', country: 'CD', startLocal: '2027-04-28T09:00', endLocal: '2027-04-28T11:00', timeZone: 'Africa/Lubumbashi',
        });
        await makeStruggle(t.db.db, { title: 'Likasi sit-in', slug: 'likasi', country: 'CD' });
        return { ...s, newCall: call, day };
      }

      test('anonymous readers are sent to sign in; an account without organizations gets the empty state', async () => {
        const anon = await get('/notifications');
        assert.equal(anon.statusCode, 303);
        assert.equal(anon.headers.location, '/sign-in?next=%2Fnotifications');
        const loner = await loginAs(t);
        const page = await get('/notifications', loner.cookie);
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /No notifications yet\./);
        assert.match(page.body, /To follow something, open a struggle/);
        assert.match(page.body, /You do not belong to an organization yet/);
        assert.match(page.body, /<a href="\/notifications" aria-current="page">Notifications<\/a>/, 'the header link, without a count');
      });

      test('each event reads as a sentence with links, time in the reader’s zone, the reason, and “New” until marked read', async () => {
        const s = await withEvents();
        await t.db.db.updateTable('users').set({ time_zone: 'Asia/Tokyo' }).where('id', '=', s.member.userId).execute();
        const res = await get('/notifications', s.member.cookie);
        assert.equal(res.statusCode, 200);
        const body = res.body;
        assert.match(body, /<a href="\/organizations\/kolwezi-miners"><bdi>Kolwezi Miners<\/bdi><\/a> answered the call “<a href="\/calls\/messages-kolwezi"><bdi>Messages to Kolwezi<\/bdi><\/a>”: Rally held/);
        assert.match(body, /posted an update on <a href="\/struggles\/kolwezi"><bdi>Kolwezi strike<\/bdi><\/a>/);
        assert.match(body, /Day two of the strike\. The gates stay shut\./);
        assert.match(body, /issued the solidarity call “<a href="\/calls\/delegation-kolwezi"><bdi>Send a delegation<\/bdi><\/a>” for the struggle “<bdi>Kolwezi strike<\/bdi>”/);
        assert.match(body, /called the action day “<a href="\/action-days\/miners-day"><bdi>Miners day<\/bdi><\/a>” on <time datetime="2027-04-28">28 Apr 2027<\/time>/);
        assert.match(body, /registered a local action in <bdi>Lubumbashi<\/bdi>, Congo - Kinshasa for the action day/);
        assert.match(body, /New struggle in Congo - Kinshasa: <a href="\/struggles\/likasi"><bdi>Likasi sit-in<\/bdi><\/a>/);
        assert.match(body, /because <a href="\/organizations\/berlin\/following"><bdi>Berlin Union<\/bdi><\/a> follows/);
        assert.equal([...body.matchAll(/<strong class="new">New<\/strong>/g)].length, 6, 'every event is new');
        const update = await t.db.db.selectFrom('struggle_updates').select('created_at').executeTakeFirstOrThrow();
        const at = new Date(update.created_at).toISOString();
        assert.ok(body.includes(`<time datetime="${at}">${translator('en').instant(at, 'Asia/Tokyo')}</time>`), 'the time in the reader’s zone');

        // The header counts them, with an accessible name that says so.
        const home = await get('/', s.member.cookie);
        assert.match(home.body, /<a href="\/notifications">Notifications <span class="unread-count">\(6<span class="visually-hidden"> unread<\/span>\)<\/span><\/a>/);

        // Mark all as read, up to the moment the page was made.
        const until = /name="until" value="([^"]+)"/.exec(body)![1]!;
        const marked = await postForm(t, '/notifications', '/notifications/read', { until }, s.member.cookie);
        assert.equal(marked.statusCode, 303);
        assert.equal(marked.headers.location, '/notifications');
        const after = await get('/notifications', s.member.cookie);
        assert.doesNotMatch(after.body, /class="new"/);
        assert.doesNotMatch(after.body, /Mark all as read/);
        assert.match(after.body, /Marked as read up to/);
        assert.doesNotMatch((await get('/', s.member.cookie)).body, /unread-count/);
        const user = await t.db.db.selectFrom('users').select('notifications_read_at').where('id', '=', s.member.userId).executeTakeFirstOrThrow();
        const newest = /<time datetime="([^"]+Z)"/.exec(body)![1]!;
        assert.equal(new Date(user.notifications_read_at!).toISOString(), newest, 'the mark is the newest item’s instant');

        // Something new after the mark is new again.
        await addStruggleUpdate(t.db.db, null, 'kolwezi', { date: '2026-03-03', body: 'Day three.' }, { trusted: true });
        const again = await get('/notifications', s.member.cookie);
        assert.equal([...again.body.matchAll(/<strong class="new">New<\/strong>/g)].length, 1);

        const de = await get('/notifications', `${s.member.cookie}; locale=de`);
        assert.match(de.body, /hat auf den Aufruf „<a href="\/calls\/messages-kolwezi"><bdi>Messages to Kolwezi<\/bdi><\/a>“ geantwortet: Kundgebung durchgeführt/);
        assert.match(de.body, /<strong class="new">Neu<\/strong>/);
        assert.match(de.body, /Benachrichtigungen <span class="unread-count">\(1<span class="visually-hidden"> ungelesen<\/span>\)/);
      });

      test('the header count is on every signed-in page, also one answering a POST: a form re-rendered with 422, a created feed link, an error page', async () => {
        const s = await withEvents();
        const count = /<a href="\/notifications">Notifications <span class="unread-count">\(6<span class="visually-hidden"> unread<\/span>\)<\/span><\/a>/;
        const refused = await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following', { kind: 'country', target: '' }, s.member.cookie);
        assert.equal(refused.statusCode, 422);
        assert.match(refused.body, count, 'the re-rendered form');
        const created = await postForm(t, '/account/feeds', '/account/feeds', { label: 'Phone' }, s.member.cookie);
        assert.equal(created.statusCode, 200);
        assert.match(created.body, /Your new link/);
        assert.match(created.body, count, 'the page showing a new feed link');
        const missing = await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following/no-such-follow/unfollow', {}, s.member.cookie);
        assert.equal(missing.statusCode, 404);
        assert.match(missing.body, count, 'an error page answering a POST');
        assert.match((await get('/no-such-page', s.member.cookie)).body, count, 'an error page answering a GET');
        const anonymous = await get('/no-such-page');
        assert.doesNotMatch(anonymous.body, /\/notifications/, 'anonymous readers get no link and no count');
      });

      test('50 per page, newest first, with an “older” link; the header shows 99+ past 99', async () => {
        const s = await scene();
        await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following', { kind: 'struggle', target: 'kolwezi' }, s.member.cookie);
        await backdateFollows();
        const rows = Array.from({ length: 120 }, (_, i) => ({
          id: newId(),
          struggle_id: s.struggle.id,
          date: '2026-03-02',
          body: `Update number ${i + 1}.`,
          lang: 'en',
          created_by: null,
          created_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        }));
        await t.db.db.insertInto('struggle_updates').values(rows).execute();
        const seen: string[] = [];
        let url: string | null = '/notifications';
        let pages = 0;
        while (url) {
          const res = await get(url, s.member.cookie);
          assert.equal(res.statusCode, 200);
          pages += 1;
          const items = [...res.body.matchAll(/Update number (\d+)\./g)].map((m) => m[1]!);
          assert.ok(items.length <= 50);
          seen.push(...items);
          const next = /<a rel="next" href="([^"]+)">Older notifications<\/a>/.exec(res.body);
          url = next ? next[1]!.replaceAll('&amp;', '&') : null;
          if (pages === 1) assert.match(res.body, /Notifications <span class="unread-count">\(99\+<span class="visually-hidden"> unread<\/span>\)/);
        }
        assert.equal(pages, 3);
        assert.deepEqual(seen, Array.from({ length: 120 }, (_, i) => String(120 - i)), 'newest first, each once');
        // A mangled cursor shows the newest page.
        const mangled = await get('/notifications?before=garbage', s.member.cookie);
        assert.equal(mangled.statusCode, 200);
        assert.match(mangled.body, /Update number 120\./);
      });
    });

    describe('API', () => {
      const api = (method: 'GET' | 'POST' | 'DELETE', url: string, cookie: string, body?: unknown) =>
        t.app.inject({ method, url, headers: { ...(cookie ? { cookie } : {}), ...(body !== undefined ? JSON_HEADERS : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });

      test('follows: list, create (201, then 200), delete (204); bad input is 400 with the field; the viewer role 403; strangers 404', async () => {
        const s = await scene();
        const created = await api('POST', '/api/v1/organizations/berlin/follows', s.member.cookie, { kind: 'struggle', target: 'kolwezi' });
        assert.equal(created.statusCode, 201, created.body);
        const f = created.json();
        assert.deepEqual({ ...f, id: undefined, createdAt: undefined }, { id: undefined, kind: 'struggle', target: 'kolwezi', label: 'Kolwezi strike', createdAt: undefined });
        const again = await api('POST', '/api/v1/organizations/berlin/follows', s.member.cookie, { kind: 'struggle', target: 'kolwezi' });
        assert.equal(again.statusCode, 200);
        assert.equal(again.json().id, f.id);
        assert.equal((await api('POST', '/api/v1/organizations/berlin/follows', s.member.cookie, { kind: 'country', target: 'cd' })).json().target, 'CD');

        const list = await api('GET', '/api/v1/organizations/berlin/follows', s.member.cookie);
        assert.equal(list.statusCode, 200);
        assert.deepEqual(list.json().items.map((x: { kind: string; target: string }) => `${x.kind}:${x.target}`).sort(), ['country:CD', 'struggle:kolwezi']);

        const planet = await api('POST', '/api/v1/organizations/berlin/follows', s.member.cookie, { kind: 'planet', target: 'mars' });
        assert.equal(planet.statusCode, 400);
        assert.match(String(planet.headers['content-type']), /application\/problem\+json/);
        assert.ok(planet.json().errors.some((e: { field: string }) => e.field === 'kind'), planet.body);
        const secret = await api('POST', '/api/v1/organizations/berlin/follows', s.member.cookie, { kind: 'struggle', target: 'secret' });
        assert.equal(secret.statusCode, 400);
        assert.deepEqual(secret.json().errors.map((e: { field: string }) => e.field), ['target']);
        const extra = await api('POST', '/api/v1/organizations/berlin/follows', s.member.cookie, { kind: 'country', target: 'PE', organization: 'kolwezi-miners' });
        assert.equal(extra.statusCode, 400);

        const viewerRole = await loginAs(t, { roles: [[s.berlin.id, 'viewer']] });
        assert.equal((await api('GET', '/api/v1/organizations/berlin/follows', viewerRole.cookie)).statusCode, 200);
        assert.equal((await api('POST', '/api/v1/organizations/berlin/follows', viewerRole.cookie, { kind: 'country', target: 'PE' })).statusCode, 403);
        assert.equal((await api('DELETE', `/api/v1/organizations/berlin/follows/${f.id}`, viewerRole.cookie)).statusCode, 403);
        const stranger = await loginAs(t, { roles: [[s.kolwezi.id, 'admin']] });
        assert.equal((await api('GET', '/api/v1/organizations/berlin/follows', stranger.cookie)).statusCode, 404);
        assert.equal((await api('POST', '/api/v1/organizations/berlin/follows', stranger.cookie, { kind: 'country', target: 'PE' })).statusCode, 404);
        assert.equal((await api('DELETE', `/api/v1/organizations/berlin/follows/${f.id}`, stranger.cookie)).statusCode, 404);
        assert.equal((await api('GET', '/api/v1/organizations/berlin/follows', '')).statusCode, 401);
        assert.equal((await api('POST', '/api/v1/organizations/berlin/follows', '', { kind: 'country', target: 'PE' })).statusCode, 401);
        const asForm = await t.app.inject({ method: 'POST', url: '/api/v1/organizations/berlin/follows', headers: { cookie: s.member.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'kind=country&target=PE' });
        assert.equal(asForm.statusCode, 415, 'API writes are JSON only');

        const deleted = await api('DELETE', `/api/v1/organizations/berlin/follows/${f.id}`, s.member.cookie);
        assert.equal(deleted.statusCode, 204);
        assert.equal(deleted.body, '');
        assert.equal((await api('DELETE', `/api/v1/organizations/berlin/follows/${f.id}`, s.member.cookie)).statusCode, 404);
        assert.equal((await api('GET', '/api/v1/organizations/berlin/follows', s.member.cookie)).json().items.length, 1);
      });

      test('DELETE answers 204 with or without Content-Type: application/json and an empty body; malformed or empty JSON on a POST stays a 400 problem', async () => {
        const s = await scene();
        for (const headers of [{}, JSON_HEADERS, { 'content-type': 'application/json; charset=utf-8' }]) {
          const f = (await api('POST', '/api/v1/organizations/berlin/follows', s.member.cookie, { kind: 'country', target: 'PE' })).json();
          const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/organizations/berlin/follows/${f.id}`, headers: { cookie: s.member.cookie, ...headers } });
          assert.equal(res.statusCode, 204, `${JSON.stringify(headers)}: ${res.body}`);
          assert.equal(res.body, '');
          assert.equal((await api('GET', '/api/v1/organizations/berlin/follows', s.member.cookie)).json().items.length, 0);
        }
        // A DELETE that does send JSON still has it checked.
        const bad = await t.app.inject({ method: 'DELETE', url: `/api/v1/organizations/berlin/follows/${newId()}`, headers: { cookie: s.member.cookie, ...JSON_HEADERS }, payload: '{"x":' });
        assert.equal(bad.statusCode, 400);
        assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
        for (const payload of ['{"kind":"country",', '']) {
          const res = await t.app.inject({ method: 'POST', url: '/api/v1/organizations/berlin/follows', headers: { cookie: s.member.cookie, ...JSON_HEADERS }, payload });
          assert.equal(res.statusCode, 400, JSON.stringify(payload));
          assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
          assert.deepEqual(res.json(), { type: 'urn:solidaris:problem:bad_request', title: 'The request could not be processed', status: 400, code: 'bad_request' });
        }
        assert.equal(await t.db.db.selectFrom('follows').select('id').executeTakeFirst(), undefined, 'nothing stored');
      });

      test('notifications: pages by cursor, mark read; bad cursors and instants are 400 with the field', async () => {
        const s = await scene();
        await api('POST', '/api/v1/organizations/berlin/follows', s.member.cookie, { kind: 'struggle', target: 'kolwezi' });
        await backdateFollows();
        for (const body of ['one', 'two', 'three']) {
          await addStruggleUpdate(t.db.db, null, 'kolwezi', { date: '2026-03-02', body }, { trusted: true });
          await new Promise((r) => setTimeout(r, 5));
        }
        assert.equal((await api('GET', '/api/v1/notifications', '')).statusCode, 401);
        const first = await api('GET', '/api/v1/notifications?limit=2', s.member.cookie);
        assert.equal(first.statusCode, 200, first.body);
        const p1 = first.json();
        assert.deepEqual(p1.items.map((i: { detail: string }) => i.detail), ['three', 'two']);
        assert.equal(p1.readAt, null);
        assert.deepEqual(p1.items[0].reason, { organization: 'berlin', kind: 'struggle', target: 'kolwezi' });
        assert.deepEqual(p1.items[0].subject, { type: 'struggle', slug: 'kolwezi', title: 'Kolwezi strike' });
        assert.equal(p1.items[0].unread, true);
        assert.equal(p1.items[0].actor.slug, 'kolwezi-miners');
        const second = (await api('GET', `/api/v1/notifications?limit=2&before=${encodeURIComponent(p1.next)}`, s.member.cookie)).json();
        assert.deepEqual(second.items.map((i: { detail: string }) => i.detail), ['one']);
        assert.equal(second.next, null);

        const bad = await api('GET', '/api/v1/notifications?before=garbage', s.member.cookie);
        assert.equal(bad.statusCode, 400);
        assert.deepEqual(bad.json().errors.map((e: { field: string }) => e.field), ['before']);
        assert.equal((await api('GET', '/api/v1/notifications?limit=1000', s.member.cookie)).statusCode, 400);

        const badUntil = await api('POST', '/api/v1/notifications/read', s.member.cookie, { until: 'yesterday' });
        assert.equal(badUntil.statusCode, 400);
        assert.deepEqual(badUntil.json().errors.map((e: { field: string }) => e.field), ['until']);
        const partly = await api('POST', '/api/v1/notifications/read', s.member.cookie, { until: p1.items[1].at });
        assert.deepEqual(partly.json(), { readAt: p1.items[1].at, unread: 1 });
        const all = await api('POST', '/api/v1/notifications/read', s.member.cookie, {});
        assert.equal(all.statusCode, 200);
        assert.deepEqual(all.json(), { readAt: p1.items[0].at, unread: 0 });
        assert.equal((await api('POST', '/api/v1/notifications/read', '', {})).statusCode, 401);

        const doc = (await api('GET', '/api/openapi.json', '')).json();
        for (const path of ['/api/v1/organizations/{slug}/follows', '/api/v1/organizations/{slug}/follows/{id}', '/api/v1/notifications', '/api/v1/notifications/read']) {
          assert.ok(doc.paths[path], `${path} in the OpenAPI document`);
        }
        assert.deepEqual(doc.paths['/api/v1/organizations/{slug}/follows'].post.requestBody.content['application/json'].schema.properties.kind.enum, ['struggle', 'call', 'network', 'country']);
        // Every operation is summarized; the DELETE is documented as what it answers, 204 without a body.
        for (const path of ['/api/v1/organizations/{slug}/follows', '/api/v1/organizations/{slug}/follows/{id}', '/api/v1/notifications', '/api/v1/notifications/read']) {
          for (const [method, op] of Object.entries(doc.paths[path] as Record<string, { summary?: string }>)) assert.ok(op.summary, `${method.toUpperCase()} ${path} has a summary`);
        }
        const unfollowDoc = doc.paths['/api/v1/organizations/{slug}/follows/{id}'].delete;
        assert.deepEqual(Object.keys(unfollowDoc.responses), ['204']);
        assert.equal(unfollowDoc.responses['204'].content, undefined, 'no body');
      });
    });

    describe('hostile input', () => {
      test('very long strings, NUL bytes, repeated fields and mangled cursors get 4xx answers, never a 500, and store nothing', async () => {
        const s = await scene();
        const long = 'x'.repeat(100_000);
        const attempts: Record<string, string>[] = [
          { kind: 'country', target: long },
          { kind: long, target: 'CD' },
          { kind: 'struggle', target: 'kol\u0000wezi' },
          { kind: 'country', target: 'C\u0000D' },
          { kind: 'country\u0000', target: 'CD' },
        ];
        for (const values of attempts) {
          const res = await postForm(t, '/organizations/berlin/following', '/organizations/berlin/following', values, s.member.cookie);
          assert.equal(res.statusCode, 422, JSON.stringify(values).slice(0, 80));
        }
        const session = await formSession(t, '/organizations/berlin/following', s.member.cookie);
        const post = (url: string, payload: string) =>
          t.app.inject({ method: 'POST', url, headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload });
        const repeated = await post('/organizations/berlin/following', `${form({ _csrf: session.csrf, kind: 'country', target: 'CD' })}&target=PE`);
        assert.equal(repeated.statusCode, 422);
        assert.match(repeated.body, /The field “target” was sent more than once/);
        const longNext = await post('/organizations/berlin/following', form({ _csrf: session.csrf, kind: 'country', target: 'CD', next: `/${'a'.repeat(50_000)}` }));
        assert.equal(longNext.statusCode, 303);
        assert.equal(longNext.headers.location, '/?done=followed#follow', 'an over-long next is not echoed back');
        await t.db.db.deleteFrom('follows').execute();
        const nulUntil = await post('/notifications/read', form({ _csrf: session.csrf, until: '2026-01-01T00:00:00Z\u0000' }));
        assert.equal(nulUntil.statusCode, 303);
        const longId = await post(`/organizations/berlin/following/${'9'.repeat(5000)}/unfollow`, form({ _csrf: session.csrf }));
        assert.ok(longId.statusCode >= 400 && longId.statusCode < 500, String(longId.statusCode));

        for (const url of [
          '/notifications?before=a&before=b',
          `/notifications?before=${'A'.repeat(10_000)}`,
          `/notifications?before=${Buffer.from(JSON.stringify(['not a time', 'x'])).toString('base64url')}`,
          `/notifications?before=${Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', "x' OR 1=1 --"])).toString('base64url')}`,
          '/organizations/berlin/following?done=a&done=b',
          `/organizations/${'b'.repeat(5000)}/following`,
        ]) {
          const res = await get(url, s.member.cookie);
          assert.ok(res.statusCode < 500, `${url.slice(0, 60)}: ${res.statusCode}`);
        }
        const api = (method: 'GET' | 'POST', url: string, payload?: string) =>
          t.app.inject({ method, url, headers: { cookie: s.member.cookie, ...(payload !== undefined ? JSON_HEADERS : {}) }, ...(payload !== undefined ? { payload } : {}) });
        for (const [method, url, payload] of [
          ['POST', '/api/v1/organizations/berlin/follows', JSON.stringify({ kind: 'country', target: long })],
          ['POST', '/api/v1/organizations/berlin/follows', JSON.stringify({ kind: 'struggle', target: 'kol\u0000wezi' })],
          ['POST', '/api/v1/organizations/berlin/follows', JSON.stringify({ kind: ['country'], target: { x: 1 } })],
          ['POST', '/api/v1/organizations/berlin/follows', '{"kind":"country","kind":"struggle","target":"CD"'],
          ['POST', '/api/v1/notifications/read', JSON.stringify({ until: '9999-99-99T99:99:99Z' })],
          ['POST', '/api/v1/notifications/read', JSON.stringify({ until: `2026-01-01T00:00:00Z${long}` })],
          ['GET', '/api/v1/notifications?before=a&before=b'],
          ['GET', `/api/v1/notifications?before=${Buffer.from(JSON.stringify(['2026-13-45T00:00:00.000Z', 'x'])).toString('base64url')}`],
        ] as const) {
          const res = await api(method, url, payload);
          assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${method} ${url.slice(0, 60)} ${String(payload).slice(0, 60)}: ${res.statusCode} ${res.body.slice(0, 200)}`);
          assert.match(String(res.headers['content-type']), /application\/problem\+json/);
        }
        assert.equal((await t.db.db.selectFrom('follows').select('id').execute()).length, 0);
      });
    });
  });
}
