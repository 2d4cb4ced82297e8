import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ICAL from 'ical.js';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { nextDate } from './feeds.ical.ts';
import { insertActionDay, insertLocalAction, insertMembership, insertNetwork, insertOrganization, STAMP } from './feeds.fixtures.ts';

// Calendar feeds (RFC 5545): cases B01 (timed local actions in three zones are UTC instants) and
// B02 (all-day dates with an exclusive DTEND), folding and escaping, and B28 for calendars.
// Atom feeds: feeds.atom.test.ts; independence from the process time zone: feeds.tz.test.ts.

const B01 = JSON.parse(readFileSync(new URL('../../../test/fixtures/cases/B01.json', import.meta.url), 'utf8')) as {
  events: { id: string; title: string; start_local: string; end_local: string; timezone: string }[];
};
const B02 = JSON.parse(readFileSync(new URL('../../../test/fixtures/cases/B02.json', import.meta.url), 'utf8')) as {
  events: { id: string; title: string; all_day: boolean; start_date: string; end_date_inclusive: string }[];
};

const BASE = 'https://solidaris.example';

/** The VEVENTs of a calendar, parsed by ical.js. */
function parseEvents(text: string): InstanceType<typeof ICAL.Event>[] {
  const cal = new ICAL.Component(ICAL.parse(text));
  assert.equal(cal.name, 'vcalendar');
  return cal.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
}

function bySummary(events: InstanceType<typeof ICAL.Event>[], summary: string) {
  const e = events.find((x) => x.summary === summary);
  assert.ok(e, `no event ${summary}`);
  return e;
}

/** The (unfolded) content lines of a VEVENT whose UID is `uid`. */
function eventLines(text: string, uid: string): string[] {
  const unfolded = text.replace(/\r\n[ \t]/g, '');
  const blocks = unfolded.split('BEGIN:VEVENT\r\n').slice(1);
  const block = blocks.find((b) => b.includes(`UID:${uid}\r\n`));
  assert.ok(block, `no VEVENT ${uid}`);
  return block.split('\r\n');
}

async function get(t: TestApp, url: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url, headers });
}

describe('nextDate: the exclusive DTEND of an all-day event, from the digits alone', () => {
  it('rolls over months, years and leap days', () => {
    assert.equal(nextDate('2026-12-29'), '2026-12-30');
    assert.equal(nextDate('2026-12-31'), '2027-01-01');
    assert.equal(nextDate('2026-03-29'), '2026-03-30');
    assert.equal(nextDate('2026-02-28'), '2026-03-01');
    assert.equal(nextDate('2028-02-28'), '2028-02-29');
    assert.equal(nextDate('2028-02-29'), '2028-03-01');
    assert.equal(nextDate('2100-02-28'), '2100-03-01');
    assert.equal(nextDate('2000-02-28'), '2000-02-29');
    assert.equal(nextDate('2026-04-30'), '2026-05-01');
    assert.throws(() => nextDate('2026-4-30'), RangeError);
  });
});

for (const engine of ENGINES) {
  describe(`calendar feeds (${engine})`, () => {
    const t = useTestApp(engine, { baseUrl: BASE });

    it('B01: timed local actions in Berlin, São Paulo and Tehran are UTC instants, never floating', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord', name: 'Kollektiv Nord' });
      const day = await insertActionDay(t.db.db, org.id, { slug: 'mayday', title: 'May Day', start: '2026-05-01' });
      const rows = [];
      for (const e of B01.events) {
        rows.push(await insertLocalAction(t.db.db, day.id, org.id, { title: e.title, startLocal: e.start_local, endLocal: e.end_local, timeZone: e.timezone }));
      }
      const expected: Record<string, [string, string]> = {
        'Kundgebung Hafen Tor 3': ['20260501T080000Z', '20260501T100000Z'],
        'Ato solidário': ['20260501T130000Z', '20260501T143000Z'],
        'تجمع همبستگی': ['20260501T133000Z', '20260501T143000Z'],
      };
      for (const url of ['/organizations/kollektiv-nord/calendar.ics', '/action-days/mayday/calendar.ics']) {
        const res = await get(t, url);
        assert.equal(res.statusCode, 200, url);
        assert.equal(res.headers['content-type'], 'text/calendar; charset=utf-8');
        assert.match(String(res.headers['cache-control']), /^public, max-age=\d+$/);
        const text = res.body;
        assert.ok(text.endsWith('END:VCALENDAR\r\n'));
        assert.doesNotMatch(text, /TZID=/, 'UTC only: no TZID needs a VTIMEZONE');
        for (const [i, r] of rows.entries()) {
          const [start, end] = expected[B01.events[i]!.title]!;
          const lines = eventLines(text, `${r.id}@solidaris.example`);
          assert.ok(lines.includes(`DTSTART:${start}`), `${r.title}: ${lines.join(' | ')}`);
          assert.ok(lines.includes(`DTEND:${end}`));
          assert.ok(lines.includes('DTSTAMP:20261129T190000Z'));
          // Every DTSTART/DTEND of a timed event ends in Z (no floating local time).
          for (const l of lines.filter((x) => /^DT(START|END)/.test(x))) assert.match(l, /Z$/);
        }
        const events = parseEvents(text);
        for (const [title, [start, end]] of Object.entries(expected)) {
          const e = bySummary(events, title);
          const iso = (s: string) => `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.000Z`;
          assert.equal(e.startDate.toJSDate().toISOString(), iso(start));
          assert.equal(e.endDate.toJSDate().toISOString(), iso(end));
          assert.equal(e.startDate.isDate, false);
          assert.equal(e.startDate.zone?.tzid, 'UTC');
        }
        // The action day itself is an all-day event.
        const d = bySummary(events, 'May Day');
        assert.equal(d.startDate.isDate, true);
        assert.equal(d.startDate.toString(), '2026-05-01');
        assert.equal(d.endDate.toString(), '2026-05-02');
        assert.equal(d.uid, `${day.id}@solidaris.example`);
        assert.equal(d.component.getFirstPropertyValue('url'), `${BASE}/action-days/mayday`);
        assert.equal(d.description, day.call_text);
        const berlin = bySummary(events, 'Kundgebung Hafen Tor 3');
        assert.equal(berlin.location, 'Hamburg, Germany');
        assert.equal(berlin.uid, `${rows[0]!.id}@solidaris.example`);
        assert.equal(berlin.component.getFirstPropertyValue('url'), `${BASE}/action-days/mayday#local-action-${rows[0]!.id}`);
        assert.equal(berlin.description, 'Rally of \u2068Kollektiv Nord\u2069 on the action day “\u2068May Day\u2069”');
        assert.ok(!text.includes('secret-contact'), 'the contact of a local action is not published');
      }
    });

    it('B02: all-day dates with an exclusive DTEND, for action days and local actions', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord' });
      const [global, camp] = B02.events;
      const day = await insertActionDay(t.db.db, org.id, { slug: 'global', title: global!.title, start: global!.start_date, end: global!.end_date_inclusive });
      const campDay = await insertActionDay(t.db.db, org.id, { slug: 'camp', title: camp!.title, start: camp!.start_date, end: camp!.end_date_inclusive });
      const campAction = await insertLocalAction(t.db.db, campDay.id, org.id, { title: 'Camp at the gate', start: camp!.start_date, end: camp!.end_date_inclusive });
      const res = await get(t, '/organizations/kollektiv-nord/calendar.ics');
      assert.equal(res.statusCode, 200);
      const text = res.body;
      const g = eventLines(text, `${day.id}@solidaris.example`);
      assert.ok(g.includes('DTSTART;VALUE=DATE:20261229'), g.join(' | '));
      assert.ok(g.includes('DTEND;VALUE=DATE:20261230'));
      for (const uid of [campDay.id, campAction.id]) {
        const c = eventLines(text, `${uid}@solidaris.example`);
        assert.ok(c.includes('DTSTART;VALUE=DATE:20260327'), c.join(' | '));
        assert.ok(c.includes('DTEND;VALUE=DATE:20260330'));
      }
      const events = parseEvents(text);
      const dates = (summary: string) => {
        const e = bySummary(events, summary);
        assert.equal(e.startDate.isDate, true);
        return [e.startDate.toString(), e.endDate.toString()];
      };
      assert.deepEqual(dates('Global action day'), ['2026-12-29', '2026-12-30']);
      assert.deepEqual(dates('Protest camp'), ['2026-03-27', '2026-03-30']);
      assert.deepEqual(dates('Camp at the gate'), ['2026-03-27', '2026-03-30']);
      // Events come in date order.
      assert.deepEqual(events.map((e) => e.summary), ['Protest camp', 'Camp at the gate', 'Global action day']);
    });

    it('folds long Farsi, Arabic and emoji text at 75 octets and escapes , ; \\ and newlines', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord', name: 'Kollektiv Nord; Hamburg, Altona' });
      const farsi = 'همبستگی با کارگران معدن '.repeat(9).slice(0, 200);
      assert.equal([...farsi].length, 200);
      const arabic = `${'التضامن مع عمال الموانئ ✊🏽 '.repeat(6)}👩🏾‍🏭🏳️‍🌈`;
      const day = await insertActionDay(t.db.db, org.id, { slug: 'long', title: farsi, callText: 'Line one,\nline two; back\\slash' });
      await insertLocalAction(t.db.db, day.id, org.id, { title: arabic, venue: 'Tor 3, Kai; Süd', city: 'Hamburg', startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T12:00', timeZone: 'Europe/Berlin' });
      const res = await get(t, '/action-days/long/calendar.ics');
      assert.equal(res.statusCode, 200);
      const raw = res.rawPayload;
      // Every physical line ≤ 75 octets, and no UTF-8 sequence is split by a fold.
      const lines = res.body.split('\r\n');
      for (const l of lines) assert.ok(Buffer.byteLength(l, 'utf8') <= 75, `${Buffer.byteLength(l, 'utf8')} octets: ${l}`);
      assert.ok(!res.body.includes('\uFFFD'));
      assert.equal(Buffer.from(res.body, 'utf8').compare(raw), 0);
      assert.ok(lines.filter((l) => l.startsWith(' ')).length >= 5, 'long titles are folded');
      const events = parseEvents(res.body);
      assert.equal(bySummary(events, farsi).summary, farsi);
      assert.equal(bySummary(events, farsi).description, 'Line one,\nline two; back\\slash');
      const a = bySummary(events, arabic);
      assert.equal(a.location, 'Tor 3, Kai; Süd, Hamburg, Germany');
      const unfolded = res.body.replace(/\r\n /g, '');
      assert.ok(unfolded.includes('DESCRIPTION:Line one\\,\\nline two\\; back\\\\slash\r\n'));
      assert.ok(unfolded.includes('LOCATION:Tor 3\\, Kai\\; Süd\\, Hamburg\\, Germany\r\n'));
      // The calendar name is escaped too (ical-generator leaves NAME unescaped).
      const org2 = await get(t, '/organizations/kollektiv-nord/calendar.ics');
      const cal = new ICAL.Component(ICAL.parse(org2.body));
      // ical.js reads NAME (RFC 7986) raw: decode it as the TEXT value it is.
      const name = ICAL.design.defaultSet.value.text.fromICAL!(String(cal.getFirstPropertyValue('name')));
      assert.equal(name, 'Action days of \u2068Kollektiv Nord; Hamburg, Altona\u2069');
      assert.ok(org2.body.replace(/\r\n /g, '').includes('X-WR-CALNAME:Action days of \u2068Kollektiv Nord\\; Hamburg\\, Altona\u2069\r\n'));
    });

    it('speaks the language asked for (?lang=, Accept-Language)', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord', name: 'Kollektiv Nord' });
      const day = await insertActionDay(t.db.db, org.id, { slug: 'mayday', title: 'May Day' });
      await insertLocalAction(t.db.db, day.id, org.id, { title: 'Kundgebung', startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T12:00', timeZone: 'Europe/Berlin' });
      const de = await get(t, '/organizations/kollektiv-nord/calendar.ics?lang=de');
      assert.equal(bySummary(parseEvents(de.body), 'Kundgebung').location, 'Hamburg, Deutschland');
      const de2 = await get(t, '/organizations/kollektiv-nord/calendar.ics', { 'accept-language': 'de-AT,de;q=0.9' });
      assert.equal(de2.body, de.body);
      const en = await get(t, '/organizations/kollektiv-nord/calendar.ics?lang=xx');
      assert.equal(bySummary(parseEvents(en.body), 'Kundgebung').location, 'Hamburg, Germany');
      assert.equal(en.headers.vary, 'Accept-Language');
    });

    it('network calendar: action days on its behalf and the local actions of current public members', async () => {
      const caller = await insertOrganization(t.db.db, { slug: 'caller' });
      const member = await insertOrganization(t.db.db, { slug: 'member' });
      const former = await insertOrganization(t.db.db, { slug: 'former' });
      const hidden = await insertOrganization(t.db.db, { slug: 'hidden', visibility: 'members' });
      const outsider = await insertOrganization(t.db.db, { slug: 'outsider' });
      const net = await insertNetwork(t.db.db, { slug: 'auto', name: 'Auto workers' });
      for (const o of [caller, member, hidden]) await insertMembership(t.db.db, net.id, o.id);
      await insertMembership(t.db.db, net.id, former.id, { since: '2020-01-01', until: '2021-01-01' });
      const day = await insertActionDay(t.db.db, caller.id, { slug: 'auto-day', title: 'Auto action day', networkId: net.id, start: '2026-06-10' });
      const other = await insertActionDay(t.db.db, caller.id, { slug: 'other-day', title: 'Not for the network', start: '2026-06-11' });
      const time = { startLocal: '2026-06-10T10:00', endLocal: '2026-06-10T11:00', timeZone: 'Asia/Tehran' };
      await insertLocalAction(t.db.db, day.id, member.id, { title: 'Member rally', ...time });
      await insertLocalAction(t.db.db, day.id, former.id, { title: 'Former member rally', ...time });
      await insertLocalAction(t.db.db, day.id, hidden.id, { title: 'Hidden member rally', ...time });
      await insertLocalAction(t.db.db, day.id, outsider.id, { title: 'Outsider rally', ...time });
      await insertLocalAction(t.db.db, other.id, member.id, { title: 'Member elsewhere', start: '2026-06-11' });
      const res = await get(t, '/networks/auto/calendar.ics');
      assert.equal(res.statusCode, 200);
      const events = parseEvents(res.body);
      assert.deepEqual(events.map((e) => e.summary), ['Auto action day', 'Member rally']);
      assert.equal(bySummary(events, 'Member rally').startDate.toJSDate().toISOString(), '2026-06-10T06:30:00.000Z');
      assert.equal(new ICAL.Component(ICAL.parse(res.body)).getFirstPropertyValue('x-wr-calname'), 'Action days of the network \u2068Auto workers\u2069');
    });

    it('B28: only public records on public parents; invisible parents are 404 like missing ones', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord' });
      const hiddenOrg = await insertOrganization(t.db.db, { slug: 'rechtshilfe', visibility: 'members' });
      const net = await insertNetwork(t.db.db, { slug: 'net' });
      await insertMembership(t.db.db, net.id, org.id);
      await insertMembership(t.db.db, net.id, hiddenOrg.id);
      const secrets: string[] = [];
      const day = await insertActionDay(t.db.db, org.id, { slug: 'public-day', title: 'Public day', networkId: net.id, start: '2026-06-01' });
      const pub = await insertLocalAction(t.db.db, day.id, org.id, { title: 'Infoabend Asylrecht', start: '2026-06-01' });
      for (const visibility of ['network', 'members', 'private'] as const) {
        const d = await insertActionDay(t.db.db, org.id, { slug: `day-${visibility}`, title: `Hidden day ${visibility}`, visibility, networkId: net.id, start: '2026-06-10' });
        const onHidden = await insertLocalAction(t.db.db, d.id, org.id, { title: `Public action on ${visibility} day`, start: '2026-06-10' });
        const hiddenAction = await insertLocalAction(t.db.db, day.id, org.id, { title: `Anhörung ${visibility}`, visibility, start: '2026-06-10' });
        secrets.push(d.id, d.title, d.slug, onHidden.id, onHidden.title, hiddenAction.id, hiddenAction.title);
      }
      // A public action day and a public local action of a members-only organization.
      const hiddenOrgDay = await insertActionDay(t.db.db, hiddenOrg.id, { slug: 'hidden-org-day', title: 'Day of a hidden org', networkId: net.id });
      const hiddenOrgAction = await insertLocalAction(t.db.db, day.id, hiddenOrg.id, { title: 'Neue Notiz in Fall 2026-017', start: '2026-06-01' });
      secrets.push(hiddenOrgDay.id, hiddenOrgDay.title, hiddenOrgAction.id, hiddenOrgAction.title, hiddenOrg.name);

      for (const url of ['/organizations/kollektiv-nord/calendar.ics', '/networks/net/calendar.ics', '/action-days/public-day/calendar.ics']) {
        const res = await get(t, url);
        assert.equal(res.statusCode, 200, url);
        for (const s of secrets) assert.ok(!res.body.replace(/\r\n /g, '').includes(s), `${url} shows ${s}`);
        assert.ok(res.body.includes(`${pub.id}@solidaris.example`), url);
      }
      // Each invisible parent answers exactly like a missing one of its kind.
      const pairs: [string, string][] = [
        ['/organizations/rechtshilfe/calendar.ics', '/organizations/no-such-org/calendar.ics'],
        ['/action-days/day-members/calendar.ics', '/action-days/no-such-day/calendar.ics'],
        ['/action-days/day-network/calendar.ics', '/action-days/no-such-day/calendar.ics'],
        ['/action-days/day-private/calendar.ics', '/action-days/no-such-day/calendar.ics'],
        ['/action-days/hidden-org-day/calendar.ics', '/action-days/no-such-day/calendar.ics'],
        ['/networks/no-such-net/calendar.ics', '/organizations/no-such-org/calendar.ics'],
      ];
      for (const [url, missingUrl] of pairs) {
        const [res, missing] = [await get(t, url), await get(t, missingUrl)];
        assert.equal(res.statusCode, 404, url);
        assert.equal(missing.statusCode, 404, missingUrl);
        assert.equal(res.headers['content-type'], missing.headers['content-type'], url);
        assert.equal(res.headers['cache-control'], missing.headers['cache-control'], url);
        if (url.split('/')[1] === missingUrl.split('/')[1]) assert.equal(strip(res.body, url), strip(missing.body, missingUrl), url);
      }
    });

    it('refuses odd input with 4xx, never 500', async () => {
      for (const url of [
        '/organizations/%E0%A4%A/calendar.ics',
        `/organizations/${'a'.repeat(5000)}/calendar.ics`,
        '/action-days/%00/calendar.ics',
        '/organizations/%ED%A0%80/calendar.ics',
        '/countries/%00/feed.atom',
        '/organizations/%00/feed.atom',
        '/networks/a%01b/feed.atom',
        '/networks/..%2F..%2Fetc/calendar.ics',
        '/organizations/x/calendar.ics?lang[]=de',
        '/organizations/x/calendar.ics?lang=de&lang=en',
      ]) {
        const res = await get(t, url);
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url}: ${res.statusCode}`);
      }
    });

    it('DTSTAMP is the record\'s last change, so the same data gives the same bytes', async () => {
      const org = await insertOrganization(t.db.db, { slug: 'kollektiv-nord' });
      const day = await insertActionDay(t.db.db, org.id, { slug: 'd', updatedAt: '2026-01-02T03:04:05.000Z' });
      const a = await get(t, '/action-days/d/calendar.ics');
      assert.ok(eventLines(a.body, `${day.id}@solidaris.example`).includes('DTSTAMP:20260102T030405Z'));
      const b = await get(t, '/action-days/d/calendar.ics');
      assert.equal(a.body, b.body);
      assert.ok(!a.body.includes(STAMP));
    });
  });
}

/** A 404 page without its per-response CSRF token and without the requested path it links back to. */
function strip(body: string, path: string): string {
  return body
    .replace(/name="_csrf" value="[^"]*"/g, '')
    .replaceAll(encodeURIComponent(path), 'PATH')
    .replaceAll(path, 'PATH');
}
