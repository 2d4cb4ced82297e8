import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, formSession, form, cookiesFrom, type TestApp } from '../../../test/helpers/app.ts';
import { makeOrganization, makeStruggle } from '../../../test/helpers/factories.ts';
import { ValidationFailed } from '../../http/errors.ts';
import { loadViewer } from '../accounts/accounts.service.ts';
import { createStruggle, updateStruggle, validateStruggle, type StruggleInput } from './struggles.service.ts';
import { fieldErrors } from '../../../test/helpers/errors.ts';

const valid: StruggleInput = { title: 'Strike at the Kolwezi mine', kind: 'strike', sector: 'mining', country: 'CD', startDate: '2026-03-01' };

describe('validateStruggle', () => {
  test('a valid struggle is normalized; an end date without status means ended', () => {
    const v = validateStruggle({ ...valid, country: 'cd', participants: ' 1200 ', endDate: '2026-03-09', sources: 'https://a.example/1\nhttps://a.example/1 https://b.example/2' });
    assert.equal(v.country, 'CD');
    assert.equal(v.participants, 1200);
    assert.equal(v.status, 'ended');
    assert.equal(v.visibility, 'public');
    assert.equal(v.lang, 'en');
    assert.deepEqual(v.sources, ['https://a.example/1', 'https://b.example/2']);
    assert.equal(validateStruggle(valid).status, 'ongoing');
  });

  test("an end date before the start date fails on field 'endDate'", async () => {
    assert.deepEqual(await fieldErrors(() => validateStruggle({ ...valid, startDate: '2026-03-10', endDate: '2026-03-09' })), [['endDate', 'validation.end_before_start']]);
  });

  test("status ongoing with an end date fails on field 'status'", async () => {
    assert.deepEqual(await fieldErrors(() => validateStruggle({ ...valid, endDate: '2026-03-09', status: 'ongoing' })), [['status', 'validation.ongoing_with_end']]);
  });

  test("an unknown sector fails on field 'sector'", async () => {
    assert.deepEqual(await fieldErrors(() => validateStruggle({ ...valid, sector: 'asteroid_mining' })), [['sector', 'validation.choice']]);
  });

  test("participants '-3' and '12.5' are refused", async () => {
    for (const participants of ['12.5', '1e3', 'many', 12.5]) {
      assert.deepEqual(await fieldErrors(() => validateStruggle({ ...valid, participants })), [['participants', 'validation.integer']], String(participants));
    }
    // A negative whole number is a number out of range, and the message says so.
    for (const participants of ['-3', -3]) {
      assert.deepEqual(await fieldErrors(() => validateStruggle({ ...valid, participants })), [['participants', 'validation.range']], String(participants));
    }
  });

  test('impossible dates are refused on their field', async () => {
    assert.deepEqual(await fieldErrors(() => validateStruggle({ ...valid, startDate: '2021-02-30' })), [['startDate', 'validation.date_impossible']]);
    assert.deepEqual(await fieldErrors(() => validateStruggle({ ...valid, endDate: '14.01.2010' })), [['endDate', 'validation.date']]);
  });
});

/** Slugs of the struggle cards on a list page, in page order. */
function pageSlugs(html: string): string[] {
  return [...html.matchAll(/<li>\s*<a href="\/struggles\/([^"]+)" lang=/g)].map((m) => m[1]!);
}

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);

    const db = () => t.db.db;
    const count = async (table: 'struggles' | 'struggle_updates') =>
      Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
    const withCookie = (cookie?: string): Record<string, string> => (cookie ? { cookie } : {});
    const postJson = (url: string, body: unknown, cookie?: string) =>
      t.app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...withCookie(cookie) } });
    const problem = (res: LightMyRequestResponse) => {
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      return res.json() as { code: string; status: number; errors?: { field: string; code: string; detail: string }[] };
    };
    const apiSlugs = async (query: string, cookie?: string) => {
      const res = await get(`/api/v1/struggles?${query}`, withCookie(cookie));
      assert.equal(res.statusCode, 200, `${query}: ${res.body}`);
      const out = res.json() as { items: { slug: string }[]; total: number };
      return { slugs: out.items.map((i) => i.slug), total: out.total };
    };

    describe('validation against stored organizations', () => {
      test("an unknown initiator slug fails on field 'initiators' and nothing is written", async () => {
        const org = await makeOrganization(db(), { name: 'Kolwezi Miners' });
        try {
          await createStruggle(db(), null, { ...valid, initiators: `${org.slug}, ghost-union`, supporters: 'phantom' }, { trusted: true });
          assert.fail('no error');
        } catch (err) {
          assert.ok(err instanceof ValidationFailed);
          assert.deepEqual(err.errors, [{ field: 'initiators', messageId: 'validation.organization_unknown', values: { slugs: 'ghost-union' } }]);
        }
        assert.equal(await count('struggles'), 0);
      });

      test('an organization the viewer may not see counts as unknown', async () => {
        const hidden = await makeOrganization(db(), { name: 'Hidden Circle', visibility: 'members' });
        const me = await loginAs(t);
        const viewer = (await loadViewer(db(), me.cookie.slice(4)))!;
        assert.deepEqual(await fieldErrors(() => createStruggle(db(), viewer, { ...valid, supporters: [hidden.slug] })), [['supporters', 'validation.organization_unknown']]);
        assert.equal(await count('struggles'), 0);
      });

      test('naming an organization as initiator or supporter needs a publishing role in it; existing links may stay', async () => {
        const mine = await makeOrganization(db(), { name: 'Our Union' });
        const theirs = await makeOrganization(db(), { name: 'Their Union' });
        const me = await loginAs(t, { roles: [[mine.id, 'member']] });
        const viewer = (await loadViewer(db(), me.cookie.slice(4)))!;
        assert.deepEqual(await fieldErrors(() => createStruggle(db(), viewer, { ...valid, initiators: [mine.slug], supporters: [theirs.slug] })), [['supporters', 'validation.organization_not_yours']]);
        assert.equal(await count('struggles'), 0);
        const reader = await loginAs(t, { roles: [[mine.id, 'viewer']] });
        const readOnly = (await loadViewer(db(), reader.cookie.slice(4)))!;
        assert.deepEqual(await fieldErrors(() => createStruggle(db(), readOnly, { ...valid, initiators: [mine.slug] })), [['initiators', 'validation.organization_not_yours']]);
        // A link made by the other organization's own member survives an edit by someone outside it.
        const theirMember = await loginAs(t, { roles: [[theirs.id, 'member'], [mine.id, 'member']] });
        const both = (await loadViewer(db(), theirMember.cookie.slice(4)))!;
        const s = await createStruggle(db(), both, { ...valid, organization: mine.slug, initiators: [mine.slug], supporters: [theirs.slug] });
        await updateStruggle(db(), viewer, s.slug, { ...valid, title: 'Renamed strike', organization: mine.slug, initiators: [mine.slug], supporters: [theirs.slug] });
        const links = await db().selectFrom('struggle_organizations').select(['organization_id', 'role']).where('struggle_id', '=', s.id).orderBy('role').execute();
        assert.deepEqual(links.map((l) => [l.organization_id, l.role]), [[mine.id, 'initiator'], [theirs.id, 'supporter']]);
      });

      test('API: 400 naming the field for unknown initiators, negative or fractional participants', async () => {
        const me = await loginAs(t);
        const cases: [Record<string, unknown>, string, string][] = [
          [{ initiators: ['ghost-union'] }, 'initiators', 'organization_unknown'],
          [{ participants: -3 }, 'participants', 'invalid'],
          [{ participants: 12.5 }, 'participants', 'invalid'],
          [{ endDate: '2026-02-01' }, 'endDate', 'end_before_start'],
          [{ sector: 'asteroid_mining' }, 'sector', 'invalid'],
        ];
        for (const [extra, field, code] of cases) {
          const res = await postJson('/api/v1/struggles', { ...valid, ...extra }, me.cookie);
          assert.equal(res.statusCode, 400, JSON.stringify(extra));
          const p = problem(res);
          assert.equal(p.errors?.[0]?.field, field, JSON.stringify(extra));
          assert.equal(p.errors?.[0]?.code, code, JSON.stringify(extra));
        }
        assert.equal(await count('struggles'), 0);
      });

      test("page form: participants '-3' re-renders with 422 and the field marked; '12.5' too", async () => {
        const me = await loginAs(t);
        for (const participants of ['-3', '12.5']) {
          const s = await formSession(t, '/struggles/new', me.cookie);
          const res = await t.app.inject({
            method: 'POST',
            url: '/struggles/new',
            headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
            payload: form({ _csrf: s.csrf, title: 'Strike', kind: 'strike', sector: 'mining', country: 'CD', startDate: '2026-03-01', participants }),
          });
          assert.equal(res.statusCode, 422);
          assert.match(res.body, /id="f-participants" name="participants"[^>]*aria-invalid="true"/);
          assert.match(res.body, participants === '-3' ? /Use a number from 0 to/ : /Use a whole number/);
          assert.match(res.body, new RegExp(`value="${participants.replace('.', '\\.')}"`));
        }
        assert.equal(await count('struggles'), 0);
      });

      test('API create: 201 for a member publishing for their organization, 403 for an outsider', async () => {
        const org = await makeOrganization(db(), { name: 'Kolwezi Miners' });
        const member = await loginAs(t, { roles: [[org.id, 'member']] });
        const outsider = await loginAs(t);
        const body = { ...valid, organization: org.slug, initiators: [org.slug], participants: 800, lang: 'fr' };
        const denied = await postJson('/api/v1/struggles', body, outsider.cookie);
        assert.equal(denied.statusCode, 403);
        assert.equal(problem(denied).code, 'forbidden');
        const res = await postJson('/api/v1/struggles', body, member.cookie);
        assert.equal(res.statusCode, 201);
        assert.equal(res.headers.location, '/api/v1/struggles/strike-at-the-kolwezi-mine');
        const out = res.json();
        assert.equal(out.organization, org.slug);
        assert.deepEqual(out.organizations, [{ slug: org.slug, role: 'initiator' }]);
        assert.equal(out.participants, 800);
        assert.equal(out.status, 'ongoing');
        assert.equal(out.endDate, null);
        assert.equal(await count('struggles'), 1);
        // The creation is in the organization's audit log, written with the struggle; the refused attempt left nothing.
        const audit = await db().selectFrom('audit_events').select(['action', 'actor_user_id', 'organization_id', 'subject_id']).where('action', 'like', 'struggle.%').execute();
        assert.deepEqual(audit.map((a) => ({ ...a })), [{ action: 'struggle.created', actor_user_id: member.userId, organization_id: org.id, subject_id: out.id }]);
      });

      test('API create: participants null means not known (not 0); "120" is read as 120', async () => {
        const org = await makeOrganization(db(), { name: 'Kolwezi Miners' });
        const member = await loginAs(t, { roles: [[org.id, 'member']] });
        const unknown = await postJson('/api/v1/struggles', { ...valid, slug: 'unknown-count', organization: org.slug, participants: null }, member.cookie);
        assert.equal(unknown.statusCode, 201);
        assert.equal(unknown.json().participants, null);
        const text = await postJson('/api/v1/struggles', { ...valid, slug: 'text-count', organization: org.slug, participants: '120' }, member.cookie);
        assert.equal(text.statusCode, 201);
        assert.equal(text.json().participants, 120);
        const rows = await db().selectFrom('struggles').select(['slug', 'participants']).orderBy('slug').execute();
        assert.deepEqual(rows.map((r) => [r.slug, r.participants === null ? null : Number(r.participants)]), [['text-count', 120], ['unknown-count', null]]);
      });
    });

    describe('list filters', () => {
      const s: Record<string, string> = {};
      beforeEach(async () => {
        const make = async (key: string, o: StruggleInput) => {
          s[key] = (await makeStruggle(db(), o)).slug;
        };
        await make('soma', { title: 'Streik der Bergarbeiter in Soma', country: 'TR', sector: 'mining', kind: 'strike', startDate: '2014-05-14', endDate: '2014-06-30', status: 'ended', employer: 'Soma Kömür', demands: 'Sicherheit unter Tage', lang: 'de' });
        await make('refinery', { title: 'Grève à la raffinerie', country: 'FR', sector: 'energy', kind: 'strike', startDate: '2023-03-07', employer: 'TotalEnergies', demands: 'Retrait de la réforme des retraites', lang: 'fr' });
        await make('kolwezi', { title: 'Occupation of the Kolwezi mine', country: 'CD', sector: 'mining', kind: 'occupation', startDate: '2022-05-10', endDate: '2022-05-12', status: 'won', employer: 'Kamoto Copper', demands: 'Pay the bonuses' });
        await make('rent', { title: 'Protest against 100% rent increase', country: 'DE', sector: 'services', kind: 'protest', startDate: '2021-03-01', employer: 'Vonovia', demands: 'Rent freeze now' });
        await make('warehouse', { title: 'Warehouse strike 100 days', country: 'DE', sector: 'logistics', kind: 'strike', startDate: '2020-01-01', endDate: '2020-06-30', status: 'suspended', employer: 'Lager_Nord GmbH' });
        await make('lager', { title: 'Lagerstreik', country: 'AT', sector: 'logistics', kind: 'strike', startDate: '2024-11-01', employer: 'LagerXNord AG', lang: 'de' });
      });

      const expect = async (query: string, keys: string[]) => {
        const want = keys.map((k) => s[k]!);
        const api = await apiSlugs(query);
        assert.deepEqual(api.slugs, want, `API ${query}`);
        assert.equal(api.total, want.length, `API total ${query}`);
        const page = await get(`/struggles?${query}`);
        assert.equal(page.statusCode, 200, `page ${query}`);
        assert.deepEqual(pageSlugs(page.body), want, `page ${query}`);
        const countText = want.length === 0 ? 'No struggles' : want.length === 1 ? '1 struggle' : `${want.length} struggles`;
        assert.match(page.body, new RegExp(`<p class="count" role="status">${countText}</p>`), `page count ${query}`);
      };

      test('no filter: every struggle, newest start first', async () => {
        await expect('', ['lager', 'refinery', 'kolwezi', 'rent', 'warehouse', 'soma']);
      });

      test('country (any case), sector, kind, status and combinations', async () => {
        await expect('country=DE', ['rent', 'warehouse']);
        await expect('country=de', ['rent', 'warehouse']);
        await expect('sector=mining', ['kolwezi', 'soma']);
        await expect('kind=strike', ['lager', 'refinery', 'warehouse', 'soma']);
        await expect('status=ongoing', ['lager', 'refinery', 'rent']);
        await expect('sector=logistics&status=ongoing', ['lager']);
        await expect('country=BR', []);
      });

      test('from = still active on or after that day; to = started on or before it (both inclusive)', async () => {
        await expect('from=2022-05-12', ['lager', 'refinery', 'kolwezi', 'rent']);
        await expect('from=2022-05-13', ['lager', 'refinery', 'rent']);
        await expect('to=2021-03-01', ['rent', 'warehouse', 'soma']);
        await expect('to=2021-02-28', ['warehouse', 'soma']);
        await expect('from=2020-06-30&to=2022-05-10', ['kolwezi', 'rent', 'warehouse']);
        await expect('from=2014-06-30&to=2014-06-30', ['soma']);
      });

      test('q: every word, in title, employer or demands, case-insensitive, non-ASCII included', async () => {
        await expect('q=Bergarbeiter', ['soma']);
        await expect('q=BERGARBEITER', ['soma']);
        await expect(`q=${encodeURIComponent('GRÈVE')}`, ['refinery']);
        await expect(`q=${encodeURIComponent('grève')}`, ['refinery']);
        // Decomposed input (e + combining grave) matches the composed text.
        await expect(`q=${encodeURIComponent('gre\u0300ve')}`, ['refinery']);
        await expect(`q=${encodeURIComponent('KÖMÜR')}`, ['soma']);
        await expect('q=retraites', ['refinery']);
        await expect('q=rent%20VONOVIA', ['rent']);
        await expect('q=rent%20amazon', []);
        await expect('q=%20%20', ['lager', 'refinery', 'kolwezi', 'rent', 'warehouse', 'soma']);
      });

      test('q: % and _ match literally', async () => {
        await expect(`q=${encodeURIComponent('100%')}`, ['rent']);
        await expect(`q=${encodeURIComponent('%')}`, ['rent']);
        await expect(`q=${encodeURIComponent('lager_nord')}`, ['warehouse']);
        await expect(`q=${encodeURIComponent('_')}`, ['warehouse']);
        await expect('q=lager', ['lager', 'warehouse']);
        await expect(`q=${encodeURIComponent('\\')}`, []);
      });

      test('API: unknown filter values and malformed dates are 400 with the field named', async () => {
        for (const [q, field] of [
          ['sector=asteroid_mining', 'sector'],
          ['status=pending', 'status'],
          ['from=yesterday', 'from'],
          ['to=14.01.2010', 'to'],
          ['country=DEU', 'country'],
        ]) {
          const res = await get(`/api/v1/struggles?${q}`);
          assert.equal(res.statusCode, 400, q);
          assert.equal(problem(res).errors?.[0]?.field, field, q);
        }
      });

      test('an impossible date filter is a client error on both engines, never a 500', async () => {
        const api = await get('/api/v1/struggles?from=2021-02-30');
        assert.equal(api.statusCode, 400);
        assert.equal(problem(api).errors?.[0]?.field, 'from');
        for (const [q, message] of [['from=2021-02-30', /There is no such day in the calendar/], ['to=yesterday', /Use a date in the form YYYY-MM-DD/]] as const) {
          const page = await get(`/struggles?${q}`);
          assert.equal(page.statusCode, 422, q);
          assert.match(page.body, message);
        }
      });
    });

    test('an imported struggle names its source: the catalog name when known, else the prefix (never a 500)', async () => {
      const a = await makeStruggle(db(), { title: 'From FMCS' });
      const b = await makeStruggle(db(), { title: 'From elsewhere' });
      await db().updateTable('struggles').set({ external_ref: 'fmcs:1' }).where('id', '=', a.id).execute();
      await db().updateTable('struggles').set({ external_ref: 'labourstart:77' }).where('id', '=', b.id).execute();
      const known = await get(`/struggles/${a.slug}`);
      assert.equal(known.statusCode, 200);
      assert.match(known.body, /Federal Mediation and Conciliation Service/);
      const other = await get(`/struggles/${b.slug}`);
      assert.equal(other.statusCode, 200);
      assert.match(other.body, /labourstart/);
    });

    test('struggles with the same title created at the same time get distinct slugs', async () => {
      const made = await Promise.all(Array.from({ length: 4 }, () => makeStruggle(db(), { title: 'Grève générale' })));
      assert.deepEqual(made.map((m) => m.slug).sort(), ['greve-generale', 'greve-generale-2', 'greve-generale-3', 'greve-generale-4']);
      assert.equal(await count('struggles'), 4);
    });

    describe('pagination', () => {
      test('cursor pages are stable across equal start dates, even with inserts between pages', async () => {
        const created: string[] = [];
        for (let i = 0; i < 30; i++) created.push((await makeStruggle(db(), { title: `Same day ${i}`, startDate: '2025-01-01' })).slug);
        for (let i = 0; i < 5; i++) created.push((await makeStruggle(db(), { title: `Later ${i}`, startDate: '2025-02-01' })).slug);
        for (let i = 0; i < 5; i++) created.push((await makeStruggle(db(), { title: `Earlier ${i}`, startDate: '2024-12-01' })).slug);
        const all = (await apiSlugs('limit=100')).slugs;
        assert.equal(all.length, 40);
        const seen: string[] = [];
        const sizes: number[] = [];
        let after: string | null = null;
        for (let guard = 0; guard < 20; guard++) {
          const res = await get(`/api/v1/struggles?limit=7${after ? `&after=${after}` : ''}`);
          const out = res.json() as { items: { slug: string; startDate: string }[]; total: number; next: string | null };
          seen.push(...out.items.map((i) => i.slug));
          sizes.push(out.items.length);
          // A struggle added while paging with the same start date sorts before the cursor: not seen, nothing repeated.
          if (guard === 1) await makeStruggle(db(), { title: 'Added meanwhile', startDate: '2025-01-01' });
          after = out.next;
          if (!after) break;
        }
        assert.deepEqual(sizes, [7, 7, 7, 7, 7, 5]);
        assert.equal(new Set(seen).size, 40);
        assert.deepEqual(seen, all);
        assert.deepEqual([...seen].sort(), [...created].sort());
        assert.deepEqual(seen.slice(0, 5).map((x) => x.startsWith('later')), [true, true, true, true, true]);
      });

      test('the page shows 25 per page and links to the next; a broken cursor falls back to the first page', async () => {
        for (let i = 0; i < 30; i++) await makeStruggle(db(), { title: `Strike ${i}`, startDate: `2025-01-${String(1 + (i % 28)).padStart(2, '0')}` });
        const first = await get('/struggles?sector=mining');
        assert.equal(pageSlugs(first.body).length, 25);
        assert.match(first.body, /30 struggles/);
        const next = /<a rel="next" href="([^"]+)"/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
        assert.match(next ?? '', /^\/struggles\?sector=mining&after=/);
        const second = await get(next!);
        assert.equal(pageSlugs(second.body).length, 5);
        assert.doesNotMatch(second.body, /rel="next"/);
        assert.equal(new Set([...pageSlugs(first.body), ...pageSlugs(second.body)]).size, 30);
        const broken = await get('/struggles?after=garbage');
        assert.equal(broken.statusCode, 200);
        assert.deepEqual(pageSlugs(broken.body), pageSlugs(first.body));
        const api = await get('/api/v1/struggles?after=garbage');
        assert.equal(api.statusCode, 400);
        assert.deepEqual(problem(api).errors?.map((e) => e.field), ['after']);
      });
    });

    describe('timeline', () => {
      test('updates come back ordered by date (then by entry order), on the API and the page', async () => {
        const me = await loginAs(t);
        const created = await postJson('/api/v1/struggles', { ...valid, title: 'Kolwezi strike', lang: 'fr' }, me.cookie);
        assert.equal(created.statusCode, 201);
        const slug = created.json().slug as string;
        const entries: [string, string][] = [
          ['2026-03-05', 'Negotiations resume'],
          ['2026-03-01', 'Strike begins'],
          ['2026-03-03', 'Police at the gate'],
          ['2026-03-03', 'Solidarity from Soma'],
        ];
        for (const [date, body] of entries) {
          const res = await postJson(`/api/v1/struggles/${slug}/updates`, { date, body, lang: 'fr' }, me.cookie);
          assert.equal(res.statusCode, 201);
        }
        // Page form too (CSRF).
        const s = await formSession(t, `/struggles/${slug}`, me.cookie);
        const viaForm = await t.app.inject({
          method: 'POST',
          url: `/struggles/${slug}/updates`,
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, date: '2026-02-28', body: 'Assembly votes to strike', lang: 'fr' }),
        });
        assert.equal(viaForm.statusCode, 303);
        assert.equal(viaForm.headers.location, `/struggles/${slug}`);

        const expected = [
          { date: '2026-02-28', body: 'Assembly votes to strike', lang: 'fr' },
          { date: '2026-03-01', body: 'Strike begins', lang: 'fr' },
          { date: '2026-03-03', body: 'Police at the gate', lang: 'fr' },
          { date: '2026-03-03', body: 'Solidarity from Soma', lang: 'fr' },
          { date: '2026-03-05', body: 'Negotiations resume', lang: 'fr' },
        ];
        assert.deepEqual((await get(`/api/v1/struggles/${slug}`)).json().updates, expected);
        const page = await get(`/struggles/${slug}`);
        assert.equal(page.statusCode, 200);
        const timeline = /<ol class="timeline">([\s\S]*?)<\/ol>/.exec(page.body)?.[1] ?? '';
        assert.deepEqual([...timeline.matchAll(/<time datetime="([^"]+)">/g)].map((m) => m[1]), expected.map((e) => e.date));
        assert.deepEqual([...timeline.matchAll(/<div class="prose" lang="fr" dir="auto">([^<]*)<\/div>/g)].map((m) => m[1]), expected.map((e) => e.body));
      });

      test('without updates the page says so; strangers may not add one', async () => {
        const { slug } = await makeStruggle(db(), { title: 'Quiet strike' });
        const page = await get(`/struggles/${slug}`);
        assert.match(page.body, /No updates yet\./);
        assert.doesNotMatch(page.body, /action="\/struggles\/[^"]+\/updates"/);
        assert.equal((await postJson(`/api/v1/struggles/${slug}/updates`, { date: '2026-03-02', body: 'x' })).statusCode, 401);
        const stranger = await loginAs(t);
        const res = await postJson(`/api/v1/struggles/${slug}/updates`, { date: '2026-03-02', body: 'x' }, stranger.cookie);
        assert.equal(res.statusCode, 403);
        assert.equal(await count('struggle_updates'), 0);
      });
    });

    describe('visibility', () => {
      let org: { id: string; slug: string };
      let hidden: string;
      let open: string;
      beforeEach(async () => {
        org = await makeOrganization(db(), { name: 'Kolwezi Miners' });
        hidden = (await makeStruggle(db(), { title: 'Secret strike plan', organization: org.slug, initiators: [org.slug], visibility: 'private', startDate: '2026-04-01' })).slug;
        open = (await makeStruggle(db(), { title: 'Public strike', organization: org.slug, startDate: '2026-03-01' })).slug;
      });

      async function assertHidden(cookie?: string) {
        const list = await apiSlugs('', cookie);
        assert.deepEqual(list, { slugs: [open], total: 1 });
        const page = await get('/struggles', withCookie(cookie));
        assert.deepEqual(pageSlugs(page.body), [open]);
        assert.match(page.body, /1 struggle</);
        assert.doesNotMatch(page.body, /Secret strike plan/);
        const detail = await get(`/struggles/${hidden}`, withCookie(cookie));
        assert.equal(detail.statusCode, 404);
        assert.doesNotMatch(detail.body, /Secret strike plan/);
        const api = await get(`/api/v1/struggles/${hidden}`, withCookie(cookie));
        assert.equal(api.statusCode, 404);
        assert.equal(problem(api).code, 'not_found');
        assert.equal((await apiSlugs('q=secret', cookie)).total, 0);
        const orgPage = await get(`/organizations/${org.slug}`, withCookie(cookie));
        assert.equal(orgPage.statusCode, 200);
        assert.doesNotMatch(orgPage.body, /Secret strike plan/);
      }

      test('a private struggle is invisible to anonymous visitors: list, count, search, detail, API', async () => {
        await assertHidden();
      });

      test('… and to a plain member of the organization (private = admins and coordinators)', async () => {
        await assertHidden((await loginAs(t, { roles: [[org.id, 'member']] })).cookie);
      });

      test("the organization's admin sees it everywhere", async () => {
        const { cookie } = await loginAs(t, { roles: [[org.id, 'admin']] });
        assert.deepEqual(await apiSlugs('', cookie), { slugs: [hidden, open], total: 2 });
        const page = await get('/struggles', { cookie });
        assert.deepEqual(pageSlugs(page.body), [hidden, open]);
        assert.match(page.body, /2 struggles/);
        const detail = await get(`/struggles/${hidden}`, { cookie });
        assert.equal(detail.statusCode, 200);
        assert.match(detail.body, /Secret strike plan/);
        const api = (await get(`/api/v1/struggles/${hidden}`, { cookie })).json();
        assert.equal(api.visibility, 'private');
        assert.equal(api.organization, org.slug);
      });
    });

    describe('language and dates', () => {
      test('Accept-Language: de gets <html lang="de"> and German labels', async () => {
        await makeStruggle(db(), { title: 'Streik', startDate: '2026-03-01' });
        for (const accept of ['de', 'de-AT,de;q=0.9,en;q=0.5', 'fr-CH, fr;q=0.9, de;q=0.8']) {
          const res = await get('/struggles', { 'accept-language': accept });
          assert.match(res.body, /^<!doctype html><html lang="de" dir="ltr">/, accept);
          assert.match(res.body, /<h1>Kämpfe<\/h1>/, accept);
          assert.match(res.body, /1 Kampf</, accept);
          assert.match(res.body, /<button type="submit">Filtern<\/button>/, accept);
        }
        const en = await get('/struggles', { 'accept-language': 'en-GB,en;q=0.9' });
        assert.match(en.body, /<html lang="en"/);
        assert.match(en.body, /<h1>Struggles<\/h1>/);
        assert.match((await get('/struggles')).body, /<html lang="en"/);
      });

      test('the locale cookie set by POST /locale (with CSRF) wins over Accept-Language', async () => {
        const s = await formSession(t, '/struggles');
        const res = await t.app.inject({
          method: 'POST',
          url: '/locale',
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
          payload: form({ _csrf: s.csrf, locale: 'de', next: '/struggles?country=DE' }),
        });
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, '/struggles?country=DE');
        const cookie = res.cookies.find((c) => c.name === 'locale');
        assert.equal(cookie?.value, 'de');
        assert.equal(cookie?.httpOnly, true);
        const de = await get('/struggles', { cookie: cookiesFrom(res), 'accept-language': 'en-US,en;q=0.9' });
        assert.match(de.body, /<html lang="de"/);
        assert.match(de.body, /<h1>Kämpfe<\/h1>/);

        const s2 = await formSession(t, '/struggles', cookiesFrom(res));
        const back = await t.app.inject({
          method: 'POST',
          url: '/locale',
          headers: { cookie: s2.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s2.csrf, locale: 'en', next: '//evil.example/' }),
        });
        assert.equal(back.statusCode, 303);
        assert.equal(back.headers.location, '/');
        const en = await get('/struggles', { cookie: `locale=${back.cookies.find((c) => c.name === 'locale')?.value}`, 'accept-language': 'de' });
        assert.match(en.body, /<html lang="en"/);
      });

      test('POST /locale without a CSRF token is 403; an unknown locale is 422', async () => {
        const forged = await t.app.inject({ method: 'POST', url: '/locale', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ locale: 'de' }) });
        assert.equal(forged.statusCode, 403);
        assert.equal(forged.cookies.find((c) => c.name === 'locale'), undefined);
        const s = await formSession(t, '/struggles');
        const bad = await t.app.inject({
          method: 'POST',
          url: '/locale',
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, locale: 'xx' }),
        });
        assert.equal(bad.statusCode, 422);
      });

      const ZONES = ['Pacific/Kiritimati', 'America/Anchorage', 'UTC'];
      async function renderedIn(zone: string, locale: 'en' | 'de', slug: string) {
        const saved = process.env.TZ;
        process.env.TZ = zone;
        try {
          // The zone really is in effect: midnight UTC on 14 Jan is the 13th in Anchorage.
          assert.equal(new Date(Date.UTC(2010, 0, 14)).getDate(), zone === 'America/Anchorage' ? 13 : 14);
          return {
            detail: (await get(`/struggles/${slug}`, { 'accept-language': locale })).body,
            list: (await get('/struggles', { 'accept-language': locale })).body,
          };
        } finally {
          if (saved === undefined) delete process.env.TZ;
          else process.env.TZ = saved;
        }
      }

      test("dates render as '14.01.2010' in German whatever process.env.TZ is", async () => {
        const { slug } = await makeStruggle(db(), { title: 'Streik', startDate: '2010-01-14', endDate: '2010-01-20', status: 'ended' });
        for (const zone of ZONES) {
          const { detail, list } = await renderedIn(zone, 'de', slug);
          assert.match(detail, /<dd>14\.01\.2010 – 20\.01\.2010<\/dd>/, zone);
          assert.match(list, /14\.01\.2010 – 20\.01\.2010/, zone);
        }
      });

      test("dates render as '14 Jan 2010' in English whatever process.env.TZ is", async () => {
        const { slug } = await makeStruggle(db(), { title: 'Strike', startDate: '2010-01-14' });
        for (const zone of ZONES) {
          const { detail, list } = await renderedIn(zone, 'en', slug);
          assert.match(detail, /<dd>since 14 Jan 2010<\/dd>/, zone);
          assert.match(list, /since 14 Jan 2010/, zone);
        }
      });
    });
  });
}
