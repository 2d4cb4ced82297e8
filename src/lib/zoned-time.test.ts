import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TIME_ZONES } from './time.ts';
import { addDays, formatOffset, instantIn, isAmbiguousLocalTime, isLocalDateTime, localDateSpan, localToInstant, ZonedTimeError } from './zoned-time.ts';

// An oracle independent of luxon: the offset ICU reports for an instant (`GMT+05:45`), in minutes.
const offsetFormats = new Map<string, Intl.DateTimeFormat>();
function oracleOffset(zone: string, ms: number): number {
  let f = offsetFormats.get(zone);
  if (!f) offsetFormats.set(zone, (f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })));
  const name = f.formatToParts(ms).find((p) => p.type === 'timeZoneName')!.value;
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  assert.ok(m, `unexpected offset name ${name}`);
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** The wall-clock reading of `ms` in a zone with `offset` minutes, as `YYYY-MM-DDTHH:MM`. */
function wall(ms: number, offset: number): string {
  return new Date(ms + offset * 60_000).toISOString().slice(0, 16);
}

function code(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    assert.ok(err instanceof ZonedTimeError, String(err));
    return err.code;
  }
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const YEAR_START = Date.UTC(2026, 0, 1);
const YEAR_END = Date.UTC(2027, 0, 1);

/** Offset changes of `zone` during 2026: the instant of each (minute precision) and the offsets around it. */
function transitions(zone: string): { at: number; before: number; after: number }[] {
  const out: { at: number; before: number; after: number }[] = [];
  let prev = oracleOffset(zone, YEAR_START);
  for (let t = YEAR_START + DAY; t <= YEAR_END; t += DAY) {
    const cur = oracleOffset(zone, t);
    if (cur !== prev) {
      let lo = t - DAY; // offset `prev` here
      let hi = t; // offset `cur` here
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
        if (oracleOffset(zone, mid) === prev) lo = mid;
        else hi = mid;
      }
      out.push({ at: hi, before: prev, after: oracleOffset(zone, hi) });
      prev = cur;
    }
  }
  return out;
}

describe('localToInstant: case B01 (offsets of the date itself)', () => {
  test('Berlin, São Paulo and Tehran (+03:30) on 2026-05-01', () => {
    assert.equal(localToInstant('2026-05-01T10:00', 'Europe/Berlin'), '2026-05-01T08:00:00.000Z');
    assert.equal(localToInstant('2026-05-01T12:00', 'Europe/Berlin'), '2026-05-01T10:00:00.000Z');
    assert.equal(localToInstant('2026-05-01T10:00', 'America/Sao_Paulo'), '2026-05-01T13:00:00.000Z');
    assert.equal(localToInstant('2026-05-01T11:30', 'America/Sao_Paulo'), '2026-05-01T14:30:00.000Z');
    assert.equal(localToInstant('2026-05-01T17:00', 'Asia/Tehran'), '2026-05-01T13:30:00.000Z');
    assert.equal(localToInstant('2026-05-01T18:00', 'Asia/Tehran'), '2026-05-01T14:30:00.000Z');
  });

  test('half-hour and 45-minute zones', () => {
    assert.equal(localToInstant('2026-01-15T10:00', 'Asia/Kolkata'), '2026-01-15T04:30:00.000Z');
    assert.equal(localToInstant('2026-07-15T10:00', 'Asia/Kolkata'), '2026-07-15T04:30:00.000Z');
    assert.equal(localToInstant('2026-01-15T10:00', 'Asia/Kathmandu'), '2026-01-15T04:15:00.000Z');
    assert.equal(localToInstant('2026-12-31T23:59', 'Asia/Kathmandu'), '2026-12-31T18:14:00.000Z');
    assert.equal(localToInstant('2026-01-01T00:10', 'Asia/Tehran'), '2025-12-31T20:40:00.000Z');
    assert.equal(instantIn('2026-05-01T13:30:00.000Z', 'Asia/Kathmandu').local, '2026-05-01T19:15');
    assert.equal(instantIn('2026-05-01T13:30:00.000Z', 'Asia/Kathmandu').offset, '+05:45');
    assert.equal(instantIn('2026-05-01T13:30:00.000Z', 'America/St_Johns').offset, '-02:30');
  });

  test('Europe/Berlin: the same wall time on 2026-03-28 (CET) and 2026-03-29 (CEST) is an hour apart', () => {
    assert.equal(localToInstant('2026-03-28T10:00', 'Europe/Berlin'), '2026-03-28T09:00:00.000Z');
    assert.equal(localToInstant('2026-03-29T10:00', 'Europe/Berlin'), '2026-03-29T08:00:00.000Z');
  });

  test('southern hemisphere: Australia/Sydney and America/Santiago keep summer time in January', () => {
    assert.equal(localToInstant('2026-01-15T10:00', 'Australia/Sydney'), '2026-01-14T23:00:00.000Z'); // AEDT +11
    assert.equal(localToInstant('2026-07-15T10:00', 'Australia/Sydney'), '2026-07-15T00:00:00.000Z'); // AEST +10
    assert.equal(localToInstant('2026-01-15T10:00', 'America/Santiago'), '2026-01-15T13:00:00.000Z'); // -03
    assert.equal(localToInstant('2026-07-15T10:00', 'America/Santiago'), '2026-07-15T14:00:00.000Z'); // -04
  });
});

describe('localToInstant: daylight-saving switches', () => {
  test('a wall time in the spring-forward gap is refused (Berlin, Sydney, Santiago, New York)', () => {
    assert.equal(code(() => localToInstant('2026-03-29T02:30', 'Europe/Berlin')), 'nonexistent_local_time');
    assert.equal(code(() => localToInstant('2026-03-29T02:00', 'Europe/Berlin')), 'nonexistent_local_time');
    assert.equal(localToInstant('2026-03-29T03:00', 'Europe/Berlin'), '2026-03-29T01:00:00.000Z');
    assert.equal(localToInstant('2026-03-29T01:59', 'Europe/Berlin'), '2026-03-29T00:59:00.000Z');
    assert.equal(code(() => localToInstant('2026-10-04T02:30', 'Australia/Sydney')), 'nonexistent_local_time');
    assert.equal(code(() => localToInstant('2026-03-08T02:30', 'America/New_York')), 'nonexistent_local_time');
    // Chile moves from -04 to -03 at 24:00 on the first Saturday of September: midnight is skipped.
    assert.equal(code(() => localToInstant('2026-09-06T00:30', 'America/Santiago')), 'nonexistent_local_time');
    assert.equal(localToInstant('2026-09-06T01:00', 'America/Santiago'), '2026-09-06T04:00:00.000Z');
  });

  test('an ambiguous wall time (fall-back overlap) means its first occurrence, the offset before the switch', () => {
    assert.equal(localToInstant('2026-10-25T02:30', 'Europe/Berlin'), '2026-10-25T00:30:00.000Z'); // CEST, not 01:30Z
    assert.ok(isAmbiguousLocalTime('2026-10-25T02:30', 'Europe/Berlin'));
    assert.ok(!isAmbiguousLocalTime('2026-10-25T03:00', 'Europe/Berlin'));
    assert.equal(localToInstant('2026-10-25T03:00', 'Europe/Berlin'), '2026-10-25T02:00:00.000Z');
    assert.equal(localToInstant('2026-04-05T02:30', 'Australia/Sydney'), '2026-04-04T15:30:00.000Z'); // AEDT +11
    assert.equal(localToInstant('2026-11-01T01:30', 'America/New_York'), '2026-11-01T05:30:00.000Z'); // EDT
    // Chile back from -03 to -04 at 24:00 on the first Saturday of April: 23:00–23:59 happen twice.
    assert.equal(localToInstant('2026-04-04T23:30', 'America/Santiago'), '2026-04-05T02:30:00.000Z');
  });

  test('ranges crossing a switch last their real length', () => {
    const hours = (a: string, b: string, zone: string) => (Date.parse(localToInstant(b, zone)) - Date.parse(localToInstant(a, zone))) / 3_600_000;
    assert.equal(hours('2026-03-29T01:00', '2026-03-29T04:00', 'Europe/Berlin'), 2);
    assert.equal(hours('2026-10-25T01:00', '2026-10-25T04:00', 'Europe/Berlin'), 4);
    assert.equal(hours('2026-04-04T20:00', '2026-04-05T08:00', 'Australia/Sydney'), 13);
    assert.equal(hours('2026-10-03T20:00', '2026-10-04T08:00', 'Australia/Sydney'), 11);
    assert.equal(hours('2026-03-27T12:00', '2026-03-29T12:00', 'Europe/Berlin'), 47);
  });

  test('bad input: not a local date-time, no such date, unknown zone', () => {
    for (const bad of ['2026-05-01', '2026-05-01T10:00:00', '2026-05-01 10:00', '2026-02-29T10:00', '2026-05-01T24:00', '2026-05-01T10:60', ''])
      assert.equal(code(() => localToInstant(bad, 'Europe/Berlin')), 'invalid_local_time', bad);
    for (const zone of ['Mars/Olympus', '', '+02:00'])
      assert.equal(code(() => localToInstant('2026-05-01T10:00', zone)), 'unknown_time_zone', zone);
    assert.ok(isLocalDateTime('2028-02-29T00:00'));
    assert.ok(!isLocalDateTime('2027-02-29T00:00'));
  });
});

describe('localToInstant: properties over every zone the runtime knows', () => {
  const zones = TIME_ZONES;

  test(`round trip and offset agree with ICU on 2 days a month at 4 times, in all ${zones.length} zones`, () => {
    let checked = 0;
    for (const zone of zones) {
      for (let month = 0; month < 12; month++) {
        for (const day of [1, 15]) {
          for (const time of ['00:30', '02:30', '10:00', '23:45']) {
            const local = `2026-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}T${time}`;
            let iso: string;
            try {
              iso = localToInstant(local, zone);
            } catch (err) {
              assert.ok(err instanceof ZonedTimeError && err.code === 'nonexistent_local_time', `${zone} ${local}: ${String(err)}`);
              // A gap: no offset the zone has around that day puts the clocks at `local`.
              const probe = Date.parse(`${local}:00Z`);
              for (const h of [-36, -12, 0, 12, 36]) {
                const o = oracleOffset(zone, probe + h * 3_600_000);
                assert.notEqual(wall(probe - o * MINUTE, oracleOffset(zone, probe - o * MINUTE)), local, `${zone} ${local} exists`);
              }
              continue;
            }
            const ms = Date.parse(iso);
            const offset = oracleOffset(zone, ms);
            assert.equal(wall(ms, offset), local, `${zone} ${local} → ${iso}`);
            const parts = instantIn(iso, zone);
            assert.equal(parts.local, local, `${zone} ${local}`);
            assert.equal(parts.offsetMinutes, offset, `${zone} ${local}`);
            assert.equal(parts.offset, formatOffset(offset));
            checked++;
          }
        }
      }
    }
    assert.ok(checked > zones.length * 90, `checked ${checked}`);
  });

  test('at every 2026 offset change of every zone: gaps refused, overlaps resolved to the first occurrence', () => {
    let gaps = 0;
    let overlaps = 0;
    for (const zone of zones) {
      for (const { at, before, after } of transitions(zone)) {
        // Just before and just after the change, the wall time maps back to the same instant.
        assert.equal(localToInstant(wall(at - MINUTE, before), zone), new Date(at - MINUTE).toISOString(), `${zone} before ${new Date(at).toISOString()}`);
        if (after > before) {
          // Spring forward: the wall times [at+before, at+after) never happen.
          gaps++;
          const skipped = wall(at + Math.floor((after - before) / 2) * MINUTE, before);
          assert.equal(code(() => localToInstant(skipped, zone)), 'nonexistent_local_time', `${zone} ${skipped}`);
          assert.equal(localToInstant(wall(at, after), zone), new Date(at).toISOString(), `${zone} first time after the gap`);
        } else {
          // Fall back: the wall times [at+after, at+before) happen twice; the earlier instant wins.
          overlaps++;
          const twice = wall(at - Math.ceil((before - after) / 2) * MINUTE, before);
          const first = Date.parse(`${twice}:00Z`) - before * MINUTE;
          assert.ok(isAmbiguousLocalTime(twice, zone), `${zone} ${twice}`);
          assert.equal(localToInstant(twice, zone), new Date(first).toISOString(), `${zone} ${twice}`);
        }
      }
    }
    // Dozens of zones change their clocks in 2026 (Europe, North America, Chile, Australia, …).
    assert.ok(gaps > 50 && overlaps > 50, `gaps ${gaps}, overlaps ${overlaps}`);
  });
});

describe('date helpers', () => {
  test('localDateSpan: the calendar days a timed action covers; an end at midnight belongs to the day before', () => {
    assert.deepEqual(localDateSpan('2026-05-01T10:00', '2026-05-01T12:00'), { startDate: '2026-05-01', endDate: '2026-05-01' });
    assert.deepEqual(localDateSpan('2026-05-01T22:00', '2026-05-02T00:00'), { startDate: '2026-05-01', endDate: '2026-05-01' });
    assert.deepEqual(localDateSpan('2026-03-27T18:00', '2026-03-29T12:00'), { startDate: '2026-03-27', endDate: '2026-03-29' });
  });

  test('addDays crosses months, years and DST switches as plain calendar days', () => {
    assert.equal(addDays('2026-03-28', 1), '2026-03-29');
    assert.equal(addDays('2026-12-29', 3), '2027-01-01');
    assert.equal(addDays('2028-03-01', -1), '2028-02-29');
  });
});
