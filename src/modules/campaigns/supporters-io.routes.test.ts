import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../../test/helpers/db.ts';
import { formSession, loginAs, postForm, useTestApp } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import { multipart, type Part } from '../../../test/helpers/multipart.ts';
import { mainOf } from '../../../test/helpers/pacts.ts';
import { open } from '../../lib/sealed.ts';
import { readSafeCsv } from '../../lib/csv-safe.ts';
import { supporterAad } from './supporter-keys.ts';
import { supporterImportsIdle } from './supporters-io.routes.ts';
import { SUPPORTER_FILE_MAX_BYTES } from './supporters-import-jobs.ts';

/**
 * The supporter import and export pages on every engine, as a coordinator's browser uses them:
 * upload (multipart, CSRF before the file is read, size limit) → the file sealed with aad
 * `supporter_imports:<id>` → preview (encoding, separator, first rows, mapping selects, findings)
 * → start → the import runs in the background → progress page (refreshing itself) → report with
 * row-level errors in the reader's language; the sealed file cleared. The CSV export: coordinators
 * only, formula-safe, audited. Everyone else learns nothing.
 */

const FILE = ['E-Mail;Name;Land;Öffentlich genannt', 'rosa@example.org;Rosa Lima;Peru;ja', 'kein-at-zeichen;Ana;PE;ja', 'mia@example.org;Mia;Narnia;nein', 'ROSA@example.org;Rosa again;PE;ja', ''].join('\r\n');

for (const engine of ENGINES) {
  describe(`supporter import and export pages (${engine})`, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { ...(cookie ? { cookie } : {}), ...headers } });

    const world = async (visibility: 'public' | 'private' = 'public') => {
      const org = await makeOrganization(db(), { visibility: 'public' });
      const campaign = await insertCampaign(db(), org.id, { slug: 'pasco-miners', visibility, title: 'Stand with the Pasco miners' });
      const coordinator = await loginAs(t, { roles: [[org.id, 'coordinator']], name: 'Coordinator' });
      const member = await loginAs(t, { roles: [[org.id, 'member']] });
      const outsider = await loginAs(t);
      return { org, campaign, coordinator, member, outsider };
    };

    /** Uploads `data` through the page's form as a browser sends it (CSRF token first, the file last). */
    const upload = async (slug: string, cookie: string, data: Buffer, o: { csrf?: boolean; filename?: string } = {}) => {
      const s = await formSession(t, `/campaigns/${slug}/supporters/import`, cookie);
      const parts: Part[] = o.csrf === false ? [] : [{ name: '_csrf', value: s.csrf }];
      parts.push({ name: 'file', filename: o.filename ?? 'liste.csv', type: 'text/csv', data });
      const { payload, contentType } = multipart(parts);
      return t.app.inject({ method: 'POST', url: `/campaigns/${slug}/supporters/import`, payload, headers: { cookie: s.cookie, 'content-type': contentType } });
    };
    const imports = () => db().selectFrom('supporter_imports').selectAll().execute();

    test('upload → preview → check → start → background run → report; sealed file with its aad, cleared afterwards', async () => {
      const w = await world();
      const base = `/campaigns/${w.campaign.slug}/supporters/import`;
      const page = await get(base, w.coordinator.cookie);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, new RegExp(`<form method="post" action="${base}" enctype="multipart/form-data"`));
      assert.match(mainOf(page), /The campaign has no confirmed supporters yet\./);

      const up = await upload(w.campaign.slug, w.coordinator.cookie, Buffer.from(`\uFEFF${FILE}`, 'utf8'));
      assert.equal(up.statusCode, 303, up.body);
      const [row] = await imports();
      assert.ok(row);
      assert.equal(up.headers.location, `${base}/${row.id}`);
      assert.deepEqual([row.status, row.filename, Number(row.total_rows), row.created_by], ['preview', 'liste.csv', 4, w.coordinator.userId]);
      assert.equal(Buffer.from(open(t.app.keyring, row.file_sealed!, `supporter_imports:${row.id}`), 'base64').toString('utf8'), `\uFEFF${FILE}`);
      assert.throws(() => open(t.app.keyring, row.file_sealed!, `supporter_imports:other`));
      assert.deepEqual(JSON.parse(row.mapping!), { email: 0, name: 1, country: 2, listPublicly: 3 });

      const preview = await get(`${base}/${row.id}`, w.coordinator.cookie);
      assert.equal(preview.statusCode, 200);
      const main = mainOf(preview);
      assert.match(main, /<dt>Encoding<\/dt><dd>UTF-8 with byte order mark<\/dd>/);
      assert.match(main, /<dt>Separator<\/dt><dd>semicolon \(;\)<\/dd>/);
      assert.match(main, /rosa@example\.org/);
      assert.match(main, /<select id="f-map-email" name="map_email" required[^>]*>.*?<option value="0" selected>1: E-Mail<\/option>/s);
      assert.match(main, /<select id="f-map-city" name="map_city"[^>]*><option value selected>— not imported —<\/option>/);
      assert.match(main, /1 row can be imported, 2 rows have errors, 1 repeats an address of an earlier row\./);
      assert.match(main, /<td class="num">3<\/td><td>E-mail<\/td><td>Not an e-mail address\.<\/td>/);
      assert.match(main, /<td class="num">4<\/td><td>Country<\/td><td>“Narnia” is neither an ISO country code nor a country name\.<\/td>/);

      // Start without a consent basis: the preview again, 422, nothing runs.
      const missing = await postForm(t, `${base}/${row.id}`, `${base}/${row.id}`, { map_email: '0', map_name: '1', map_country: '2', map_listPublicly: '3', intent: 'start' }, w.coordinator.cookie);
      assert.equal(missing.statusCode, 422);
      assert.match(mainOf(missing), /<a href="#f-consentBasis">Consent basis: This field is required/);
      // Check with another mapping: country unmapped is refused; the choice is kept in the form.
      const unmapped = await postForm(t, `${base}/${row.id}`, `${base}/${row.id}`, { map_email: '0', map_name: '1', map_country: '', intent: 'check', consentBasis: 'Paper list' }, w.coordinator.cookie);
      assert.equal(unmapped.statusCode, 422);
      assert.match(mainOf(unmapped), /Country: Choose the column that holds this field\./);
      assert.equal((await imports())[0]!.status, 'preview');

      const start = await postForm(t, `${base}/${row.id}`, `${base}/${row.id}`, { map_email: '0', map_name: '1', map_country: '2', map_listPublicly: '3', consentBasis: 'Signed the paper list at the rally, 1 May 2026', intent: 'start' }, w.coordinator.cookie);
      assert.equal(start.statusCode, 303, start.body);
      assert.equal(start.headers.location, `${base}/${row.id}`);
      await supporterImportsIdle(t.app);

      const done = (await imports())[0]!;
      assert.deepEqual([done.status, done.file_sealed, Number(done.processed_rows), Number(done.imported), Number(done.duplicates)], ['done', null, 4, 1, 1]);
      const supporters = await db().selectFrom('supporters').selectAll().execute();
      assert.equal(supporters.length, 1);
      assert.deepEqual([supporters[0]!.name, supporters[0]!.country, supporters[0]!.list_publicly, supporters[0]!.source, supporters[0]!.consent_basis, supporters[0]!.import_id], ['Rosa Lima', 'PE', 1, 'import', 'Signed the paper list at the rally, 1 May 2026', row.id]);
      assert.equal(open(t.app.keyring, supporters[0]!.email_sealed, supporterAad(supporters[0]!.id)), 'rosa@example.org');
      const counts = await db().selectFrom('campaign_counts').selectAll().execute();
      assert.deepEqual(counts.map((c) => [c.country, Number(c.supporters)]), [['PE', 1]]);

      const report = await get(`${base}/${row.id}`, w.coordinator.cookie);
      assert.equal(report.statusCode, 200);
      assert.match(mainOf(report), /1 supporter of 4 rows imported\./);
      assert.match(mainOf(report), /<td class="num">5<\/td><td>E-mail<\/td><td><span class="badge">Duplicate<\/span> The same e-mail address as line 2; skipped\.<\/td>/);
      const german = await get(`${base}/${row.id}`, `${w.coordinator.cookie}; locale=de`);
      assert.match(mainOf(german), /<td class="num">3<\/td><td>E-Mail<\/td><td>Keine E-Mail-Adresse\.<\/td>/);
      assert.match(mainOf(german), /„Narnia“ ist weder ein ISO-Ländercode noch ein Ländername\./);

      const audit = await db().selectFrom('audit_events').select(['action', 'actor_user_id']).where('subject_id', '=', row.id).orderBy('at').execute();
      assert.deepEqual(audit.map((a) => [a.action, a.actor_user_id]), [
        ['campaign.supporters_import_uploaded', w.coordinator.userId],
        ['campaign.supporters_import_started', w.coordinator.userId],
        ['campaign.supporters_imported', w.coordinator.userId],
      ]);

      // Starting again changes nothing.
      const again = await postForm(t, `${base}/${row.id}`, `${base}/${row.id}`, { map_email: '0', map_name: '1', map_country: '2', consentBasis: 'x', intent: 'start' }, w.coordinator.cookie);
      assert.equal(again.statusCode, 303);
      await supporterImportsIdle(t.app);
      assert.equal((await db().selectFrom('supporters').select('id').execute()).length, 1);
    });

    test('the progress page shows a <progress> and refreshes itself with a meta refresh, unless the reader stops it', async () => {
      const w = await world();
      await db()
        .insertInto('supporter_imports')
        .values({ id: '0190a0a0-0000-7000-8000-00000000aaaa', campaign_id: w.campaign.id, filename: 'big.csv', file_sealed: null, mapping: '{}', consent_basis: 'Rally', status: 'running', total_rows: 10_000, processed_rows: 2_500, imported: 2_400, duplicates: 60, errors: '[]', created_by: w.coordinator.userId, created_at: new Date().toISOString(), finished_at: null })
        .execute();
      const url = `/campaigns/${w.campaign.slug}/supporters/import/0190a0a0-0000-7000-8000-00000000aaaa`;
      const page = await get(url, w.coordinator.cookie);
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.match(page.body, /<meta http-equiv="refresh" content="2"\/?>/);
      assert.match(page.body, /<progress class="goal" max="10000" value="2500" aria-labelledby="import-progress-label">25 %<\/progress>/);
      assert.match(page.body, /2,500 of 10,000 rows \(25 %\)/);
      assert.match(page.body, /<dt>Rejected \(errors\)<\/dt><dd>40<\/dd>/);
      assert.doesNotMatch(page.body, /<script/);
      const stopped = await get(`${url}?refresh=off`, w.coordinator.cookie);
      assert.doesNotMatch(stopped.body, /http-equiv="refresh"/);
      assert.match(stopped.body, new RegExp(`<a href="${url}">Refresh</a>`));
    });

    test('refused uploads: no file, not CSV, too large, no CSRF token — nothing stored', async () => {
      const w = await world();
      const notCsv = await upload(w.campaign.slug, w.coordinator.cookie, Buffer.from('email,name\n"open quote,Ana\n'));
      assert.equal(notCsv.statusCode, 422);
      assert.match(mainOf(notCsv), /The file is not valid CSV \(line 2\)/);
      const big = await upload(w.campaign.slug, w.coordinator.cookie, Buffer.alloc(SUPPORTER_FILE_MAX_BYTES + 10, 'a'));
      assert.equal(big.statusCode, 422);
      assert.match(mainOf(big), /The file is larger than 5 MB\./);
      const noCsrf = await upload(w.campaign.slug, w.coordinator.cookie, Buffer.from(FILE), { csrf: false });
      assert.equal(noCsrf.statusCode, 403);
      const s = await formSession(t, `/campaigns/${w.campaign.slug}/supporters/import`, w.coordinator.cookie);
      const { payload, contentType } = multipart([{ name: '_csrf', value: s.csrf }, { name: 'file', filename: '', type: 'application/octet-stream', data: Buffer.alloc(0) }]);
      const none = await t.app.inject({ method: 'POST', url: `/campaigns/${w.campaign.slug}/supporters/import`, payload, headers: { cookie: s.cookie, 'content-type': contentType } });
      assert.equal(none.statusCode, 422);
      assert.match(mainOf(none), /Choose a CSV file\./);
      assert.deepEqual(await imports(), []);
    });

    test('a file whose headers name no required field: the preview says which columns to choose', async () => {
      const w = await world();
      await upload(w.campaign.slug, w.coordinator.cookie, Buffer.from('Adresse,Wer,Land\nana@example.org,Ana,Peru\n'));
      const [row] = await imports();
      const page = await get(`/campaigns/${w.campaign.slug}/supporters/import/${row!.id}`, w.coordinator.cookie);
      assert.equal(page.statusCode, 200);
      assert.match(mainOf(page), /<a href="#f-map-email">E-mail: Choose the column that holds this field\.<\/a>/);
      assert.match(mainOf(page), /<a href="#f-map-name">Name: Choose the column that holds this field\.<\/a>/);
      assert.doesNotMatch(mainOf(page), /f-map-country">Country:/);
    });

    test('a preview can be discarded with its file', async () => {
      const w = await world();
      await upload(w.campaign.slug, w.coordinator.cookie, Buffer.from(FILE));
      const [row] = await imports();
      const base = `/campaigns/${w.campaign.slug}/supporters/import`;
      const r = await postForm(t, `${base}/${row!.id}`, `${base}/${row!.id}/discard`, {}, w.coordinator.cookie);
      assert.equal(r.statusCode, 303);
      assert.equal(r.headers.location, `${base}?done=discarded`);
      assert.deepEqual(await imports(), []);
      assert.match(mainOf(await get(r.headers.location as string, w.coordinator.cookie)), /The uploaded file was deleted; nothing was imported\./);
    });

    test('export: coordinators get formula-safe CSV as a download, audited; members of a public campaign 403, of a private one 404', async () => {
      const w = await world('private');
      await upload(w.campaign.slug, w.coordinator.cookie, Buffer.from('email,name,country,organization\nana@example.org,Ana,PE,"=HYPERLINK(""https://evil.example"")"\n'));
      const [row] = await imports();
      const base = `/campaigns/${w.campaign.slug}/supporters/import/${row!.id}`;
      await postForm(t, base, base, { map_email: '0', map_name: '1', map_country: '2', map_affiliation: '3', consentBasis: 'Rally', intent: 'start' }, w.coordinator.cookie);
      await supporterImportsIdle(t.app);

      const url = `/campaigns/${w.campaign.slug}/supporters.csv`;
      const r = await get(url, w.coordinator.cookie);
      assert.equal(r.statusCode, 200);
      assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8');
      assert.match(String(r.headers['content-disposition']), /^attachment; filename="?supporters-pasco-miners-\d{4}-\d{2}-\d{2}\.csv"?$/);
      assert.equal(r.headers['cache-control'], 'private, no-store');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.ok(r.body.includes(`"'=HYPERLINK(""https://evil.example"")"`));
      const rows = readSafeCsv(r.body, { columns: true });
      assert.deepEqual([rows[0]!['E-mail'], rows[0]!.Organization, rows[0]!.Source, rows[0]!['Consent basis']], ['ana@example.org', '=HYPERLINK("https://evil.example")', 'imported', 'Rally']);
      const de = await get(url, `${w.coordinator.cookie}; locale=de`);
      assert.ok(de.body.startsWith('\uFEFF"E-Mail","Name","Land","Ort","Organisation"'));

      // A private campaign: members of its organization do not see it either (private: its leaders only).
      for (const cookie of [w.member.cookie, w.outsider.cookie, undefined]) {
        assert.equal((await get(url, cookie)).statusCode, 404);
        assert.equal((await get(`/campaigns/${w.campaign.slug}/supporters/import`, cookie)).statusCode, 404);
        assert.equal((await get(base, cookie)).statusCode, 404);
      }
      // A public one: members are refused, anonymous readers asked to sign in.
      const open_ = await insertCampaign(db(), w.org.id, { slug: 'open-appeal' });
      assert.equal((await get(`/campaigns/${open_.slug}/supporters.csv`, w.member.cookie)).statusCode, 403);
      assert.equal((await get(`/campaigns/${open_.slug}/supporters/import`, w.member.cookie)).statusCode, 403);
      assert.equal((await get(`/campaigns/${open_.slug}/supporters.csv`)).statusCode, 401);
      const exports = await db().selectFrom('audit_events').select('actor_user_id').where('action', '=', 'campaign.supporters_exported').execute();
      assert.equal(exports.length, 2, 'each download is recorded; refused ones are not');
    });

    test('an import of another campaign is not found through this one', async () => {
      const w = await world();
      const other = await insertCampaign(db(), w.org.id, { slug: 'other-campaign' });
      await upload(w.campaign.slug, w.coordinator.cookie, Buffer.from(FILE));
      const [row] = await imports();
      assert.equal((await get(`/campaigns/${other.slug}/supporters/import/${row!.id}`, w.coordinator.cookie)).statusCode, 404);
      const post = await postForm(t, `/campaigns/${w.campaign.slug}/supporters/import`, `/campaigns/${other.slug}/supporters/import/${row!.id}/discard`, {}, w.coordinator.cookie);
      assert.equal(post.statusCode, 404);
      assert.equal((await imports()).length, 1);
    });
  });
}
