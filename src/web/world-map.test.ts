import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { render } from 'preact-render-to-string';
import { translator } from '../i18n/i18n.ts';
import { countryCodes } from '../lib/countries.ts';
import { mapBuckets, worldMapSvg } from './world-map.ts';

const en = translator('en');
const de = translator('de');
const linkFor = (alpha2: string) => `/struggles?country=${alpha2}`;
const sample = new Map([
  ['DE', 10],
  ['CD', 3],
  ['TR', 1],
]);

/** The class of the shape titled `title`, linked or not. */
function classOf(svg: string, title: string): string | undefined {
  const esc = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return (
    svg.match(new RegExp(`<path class="(m\\d)" d="[^"]*"><title>${esc}</title>`))?.[1] ??
    svg.match(new RegExp(`<title>${esc}</title><path class="(m\\d)"`))?.[1]
  );
}

test('countries are shaded on a logarithmic scale from the largest count; absent ones get m0', () => {
  const svg = render(worldMapSvg(sample, en));
  assert.equal(classOf(svg, 'Germany: 10 struggles'), 'm5');
  assert.equal(classOf(svg, 'Congo - Kinshasa: 3 struggles'), 'm3');
  assert.equal(classOf(svg, 'Türkiye: 1 struggle'), 'm1');
  assert.equal(classOf(svg, 'France: no struggles'), 'm0');
  assert.equal(classOf(svg, 'Brazil: no struggles'), 'm0');
  // 176 shapes: Natural Earth 1:110M without Antarctica; three of them shaded.
  assert.equal(svg.match(/<path class="m\d"/g)?.length, 176);
  assert.equal(svg.match(/<path class="m[1-5]"/g)?.length, 3);
});

/** The legend entries as `class label`. */
function legendOf(svg: string): string[] {
  return [...svg.matchAll(/<rect class="(m\d)"[^>]*><\/rect><\/svg>([^<]*)<\/li>/g)].map((m) => `${m[1]} ${m[2]}`);
}

test('the legend lists the steps with formatted numbers in the reader’s language', () => {
  const svg = render(worldMapSvg(sample, en));
  assert.match(svg, /<\/svg><p class="map-legend-title">Number of struggles<\/p><ul class="map-legend">/);
  assert.deepEqual(legendOf(svg), ['m0 No struggles', 'm1 1', 'm2 2', 'm3 3', 'm4 4–6', 'm5 7–10']);

  const big = new Map([['US', 12000]]);
  assert.equal(legendOf(render(worldMapSvg(big, en))).at(-1), 'm5 1,834–12,000');
  assert.equal(legendOf(render(worldMapSvg(big, de))).at(-1), 'm5 1.834–12.000');
});

test('countries with struggles link to linkFor(alpha2); the others do not', () => {
  const svg = render(worldMapSvg(new Map([...sample, ['FR', 0]]), en, { linkFor }));
  assert.match(svg, /<a href="\/struggles\?country=DE"><title>Germany: 10 struggles<\/title><path class="m5" d="M/);
  assert.match(svg, /<a href="\/struggles\?country=CD"><title>Congo - Kinshasa: 3 struggles<\/title><path class="m3"/);
  assert.match(svg, /<a href="\/struggles\?country=TR"><title>Türkiye: 1 struggle<\/title><path class="m1"/);
  // Keyboard and screen reader order: alphabetical in the reader's language.
  assert.deepEqual([...svg.matchAll(/<a href="[^"]*=(\w+)"/g)].map((m) => m[1]), ['CD', 'DE', 'TR']);
  assert.doesNotMatch(svg, /country=FR/);
  // Links must stay reachable: children of role="img" are presentational.
  assert.match(svg, /<svg viewBox="0 0 960 \d+" role="group" aria-labelledby="world-map-title">/);
  assert.match(svg, /<g aria-hidden="true"><path class="m0"/);
});

test('without links (or without any struggle) the map is a single named image', () => {
  for (const svg of [render(worldMapSvg(sample, en)), render(worldMapSvg(new Map(), en, { linkFor }))]) {
    assert.match(svg, /<svg viewBox="0 0 960 \d+" role="img" aria-labelledby="world-map-title"><title id="world-map-title">Struggles by country<\/title>/);
    assert.doesNotMatch(svg, /<a |aria-hidden="true"><path/);
  }
});

test('German translator: German titles, country names and legend', () => {
  const svg = render(worldMapSvg(sample, de, { linkFor }));
  assert.match(svg, /<title id="world-map-title">Kämpfe nach Land<\/title>/);
  assert.match(svg, /<title>Deutschland: 10 Kämpfe<\/title>/);
  assert.match(svg, /<title>Kongo-Kinshasa: 3 Kämpfe<\/title>/);
  assert.match(svg, /<title>Türkei: 1 Kampf<\/title>/);
  assert.match(svg, /<title>Frankreich: keine Kämpfe<\/title>/);
  assert.match(svg, /Anzahl der Kämpfe/);
  assert.equal(legendOf(svg)[0], 'm0 Keine Kämpfe');
});

test('unknown, undrawable and malformed keys do not crash and do not distort the scale', () => {
  const counts = new Map([
    ['DE', 10],
    ['XK', 500], // Kosovo: a feature without id in world-atlas, drawn unshaded
    ['ZZ', 7],
    ['SG', 300], // too small for 1:110M
    ['', 4],
    ['fr', 2], // lower case is tolerated
    ['IT', -3],
    ['ES', Number.NaN],
  ]);
  const svg = render(worldMapSvg(counts, en, { linkFor }));
  assert.equal(classOf(svg, 'Germany: 10 struggles'), 'm5');
  assert.equal(classOf(svg, 'France: 2 struggles'), 'm2');
  assert.equal(classOf(svg, 'Italy: no struggles'), 'm0');
  assert.equal(classOf(svg, 'Spain: no struggles'), 'm0');
  assert.equal(legendOf(svg).at(-1), 'm5 7–10');
  assert.doesNotMatch(svg, /Kosovo|ZZ|Singapore|NaN/);
  assert.equal(svg.match(/<a /g)?.length, 2);
});

test('no inline style, no script, ids unique and prefixed per map', () => {
  const a = render(worldMapSvg(sample, en, { linkFor }));
  const b = render(worldMapSvg(sample, en, { linkFor, id: 'home-map' }));
  for (const svg of [a, b]) {
    assert.doesNotMatch(svg, /style=|<script|<style|javascript:/i);
  }
  const ids = [...(a + b).matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(ids, ['world-map-title', 'home-map-title']);
  assert.match(b, /aria-labelledby="home-map-title"/);
});

// Budget: a whole page with the map must stay ≤ 30 kB gzipped. Measured 12.9 kB for this map and
// 14.6 kB with every country shaded and linked (Node 24 zlib, default level); ~50 kB uncompressed.
test('the rendered map stays small once gzipped', () => {
  const typical = gzipSync(render(worldMapSvg(sample, en, { linkFor }))).length;
  assert.ok(typical <= 14_000, `typical map is ${typical} bytes gzipped`);
  const every = new Map(countryCodes().map((c, i) => [c, i + 1]));
  for (const tr of [en, de]) {
    const worst = gzipSync(render(worldMapSvg(every, tr, { linkFor: (c) => `/struggles?country=${c}&status=ongoing` }))).length;
    assert.ok(worst <= 16_000, `fully linked map (${tr.locale}) is ${worst} bytes gzipped`);
  }
});

test('path data is compact: integer relative coordinates, every ring closed', () => {
  const svg = render(worldMapSvg(new Map(), en));
  for (const [, d] of svg.matchAll(/ d="([^"]*)"/g)) {
    assert.match(d!, /^(M\d+ \d+l-?\d+(?:[ -]\d+)*z)+$/);
  }
});

test('mapBuckets: contiguous steps from 1 to max, top step always m5', () => {
  assert.deepEqual(mapBuckets(0), []);
  assert.deepEqual(mapBuckets(Number.NaN), []);
  assert.deepEqual(mapBuckets(1), [{ from: 1, to: 1, className: 'm5' }]);
  assert.deepEqual(
    mapBuckets(3).map((b) => b.className),
    ['m1', 'm3', 'm5'],
  );
  assert.deepEqual(
    mapBuckets(1000).map((b) => [b.from, b.to]),
    [
      [1, 3],
      [4, 15],
      [16, 63],
      [64, 251],
      [252, 1000],
    ],
  );
  for (let max = 1; max <= 2000; max++) {
    const bs = mapBuckets(max);
    assert.ok(bs.length >= 1 && bs.length <= 5);
    assert.equal(bs[0]!.from, 1);
    assert.equal(bs.at(-1)!.to, max);
    assert.equal(bs.at(-1)!.className, 'm5');
    bs.forEach((b, i) => {
      assert.ok(b.from <= b.to);
      if (i > 0) {
        assert.equal(b.from, bs[i - 1]!.to + 1);
        assert.ok(b.className > bs[i - 1]!.className);
      }
    });
  }
});
