import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ICAL from 'ical.js';
import { openDb } from '../../db/client.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { insertActionDay, insertCall, insertLocalAction, insertNetwork, insertMembership, insertOrganization, insertResponse, insertStruggle, insertUpdate } from './feeds.fixtures.ts';

// B02: feed output is byte-identical whatever the server process's TZ. The test prepares a
// SQLite file, then child processes of this very Node run with TZ set, build the app on that
// file, request every feed with app.inject and print the answers; the outputs are compared.

const ZONES = ['UTC', 'Europe/Copenhagen', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/Los_Angeles'];
const URLS = [
  '/organizations/kollektiv-nord/calendar.ics',
  '/action-days/global/calendar.ics',
  '/action-days/camp/calendar.ics',
  '/networks/auto/calendar.ics',
  '/organizations/kollektiv-nord/feed.atom',
  '/networks/auto/feed.atom',
  '/countries/DE/feed.atom',
];
const B01 = JSON.parse(readFileSync(new URL('../../../test/fixtures/cases/B01.json', import.meta.url), 'utf8')) as {
  events: { title: string; start_local: string; end_local: string; timezone: string }[];
};
const B02 = JSON.parse(readFileSync(new URL('../../../test/fixtures/cases/B02.json', import.meta.url), 'utf8')) as {
  events: { title: string; start_date: string; end_date_inclusive: string }[];
};

const run = promisify(execFile);

describe('feeds are byte-identical whatever the process time zone (B02)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'solidaris-feeds-tz-'));
  const dbPath = join(dir, 'feeds.sqlite');
  const script = join(dir, 'probe.mjs');

  before(async () => {
    const { db, close } = await openDb({ engine: 'sqlite', path: dbPath });
    await migrateToLatest(db);
    const org = await insertOrganization(db, { slug: 'kollektiv-nord', name: 'Kollektiv Nord' });
    const net = await insertNetwork(db, { slug: 'auto', name: 'Auto workers' });
    await insertMembership(db, net.id, org.id);
    const may = await insertActionDay(db, org.id, { slug: 'mayday', title: 'May Day', start: '2026-05-01', networkId: net.id });
    for (const e of B01.events) await insertLocalAction(db, may.id, org.id, { title: e.title, startLocal: e.start_local, endLocal: e.end_local, timeZone: e.timezone });
    const [global, camp] = B02.events;
    await insertActionDay(db, org.id, { slug: 'global', title: global!.title, start: global!.start_date, end: global!.end_date_inclusive, networkId: net.id });
    const campDay = await insertActionDay(db, org.id, { slug: 'camp', title: camp!.title, start: camp!.start_date, end: camp!.end_date_inclusive });
    await insertLocalAction(db, campDay.id, org.id, { title: 'Camp at the gate', start: camp!.start_date, end: camp!.end_date_inclusive });
    await insertLocalAction(db, campDay.id, org.id, { title: 'Night vigil', startLocal: '2026-03-28T22:00', endLocal: '2026-03-29T04:00', timeZone: 'Europe/Copenhagen' });
    await insertLocalAction(db, campDay.id, org.id, { title: 'همبستگی با کارگران معدن '.repeat(9).slice(0, 200), start: '2026-03-29' });
    const s = await insertStruggle(db, { title: 'Hafenstreik', organizationId: org.id, updatedAt: '2026-12-31T23:30:00.000Z' });
    await insertUpdate(db, s.id, { createdAt: '2027-01-01T00:30:00.000Z' });
    const c = await insertCall(db, s.id, org.id, { updatedAt: '2026-03-29T01:30:00.000Z' });
    await insertResponse(db, c.id, org.id, { report: null, updatedAt: '2026-03-29T00:59:59.000Z' });
    await close();

    const client = pathToFileURL(fileURLToPath(new URL('../../db/client.ts', import.meta.url))).href;
    const app = pathToFileURL(fileURLToPath(new URL('../../app.ts', import.meta.url))).href;
    writeFileSync(
      script,
      `import { openDb } from ${JSON.stringify(client)};
import { buildApp } from ${JSON.stringify(app)};
const { db, engine, close } = await openDb({ engine: 'sqlite', path: process.argv[2] });
const app = await buildApp({ db, engine, logLevel: 'silent', baseUrl: 'https://solidaris.example' });
await app.ready();
const out = { zone: Intl.DateTimeFormat().resolvedOptions().timeZone, offset: new Date('2026-03-29T12:00:00Z').getTimezoneOffset(), feeds: {} };
for (const url of ${JSON.stringify(URLS)}) {
  const res = await app.inject({ method: 'GET', url });
  out.feeds[url] = { status: res.statusCode, type: res.headers['content-type'], body: res.body };
}
await app.close();
await close();
process.stdout.write(JSON.stringify(out));
`,
    );
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('five zones, one output', async () => {
    const outputs = await Promise.all(
      ZONES.map(async (zone) => {
        const { stdout } = await run(process.execPath, [script, dbPath], { env: { ...process.env, TZ: zone }, maxBuffer: 32 * 1024 * 1024 });
        return { zone, out: JSON.parse(stdout) as { zone: string; offset: number; feeds: Record<string, { status: number; type: string; body: string }> } };
      }),
    );
    // The children really ran in different zones.
    assert.deepEqual(outputs.map((o) => o.out.zone), ZONES);
    assert.equal(new Set(outputs.map((o) => o.out.offset)).size, ZONES.length);

    const first = outputs[0]!.out.feeds;
    for (const url of URLS) {
      assert.equal(first[url]!.status, 200, url);
      for (const { zone, out } of outputs.slice(1)) assert.equal(out.feeds[url]!.body, first[url]!.body, `${url} differs under TZ=${zone}`);
    }

    const org = first['/organizations/kollektiv-nord/calendar.ics']!.body;
    for (const line of [
      'DTSTART:20260501T080000Z',
      'DTEND:20260501T100000Z',
      'DTSTART:20260501T130000Z',
      'DTEND:20260501T143000Z',
      'DTSTART:20260501T133000Z',
      'DTSTART;VALUE=DATE:20261229',
      'DTEND;VALUE=DATE:20261230',
      'DTSTART;VALUE=DATE:20260327',
      'DTEND;VALUE=DATE:20260330',
      'DTSTART:20260328T210000Z',
      'DTEND:20260329T020000Z',
    ]) {
      assert.ok(org.includes(`\r\n${line}\r\n`), line);
    }
    const events = new ICAL.Component(ICAL.parse(org)).getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
    const vigil = events.find((e) => e.summary === 'Night vigil')!;
    assert.equal(vigil.startDate.toJSDate().toISOString(), '2026-03-28T21:00:00.000Z');
    assert.equal(vigil.endDate.toJSDate().toISOString(), '2026-03-29T02:00:00.000Z');
    const globalDay = events.find((e) => e.summary === 'Global action day')!;
    assert.deepEqual([globalDay.startDate.toString(), globalDay.endDate.toString()], ['2026-12-29', '2026-12-30']);
    assert.ok(first['/organizations/kollektiv-nord/feed.atom']!.body.includes('<updated>2027-01-01T00:30:00.000Z</updated>'));
  });
});
