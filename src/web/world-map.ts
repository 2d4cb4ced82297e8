import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { geoEqualEarth, geoPath, type GeoContext } from 'd3-geo';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import type { Translator } from '../i18n/i18n.ts';
import { alpha2FromNumeric } from '../lib/countries.ts';

/** Width of the map's coordinate system; the height follows from the projection (no empty bands). */
const WIDTH = 960;
/** ISO 3166-1 numeric code of Antarctica: no struggles there, and it would eat a fifth of the height. */
const ANTARCTICA = '010';

interface CountryShape {
  /** ISO 3166-1 alpha-2, or null for features without an id (Kosovo, N. Cyprus, Somaliland). */
  alpha2: string | null;
  /** SVG path data in integer map units, relative coordinates. */
  d: string;
}

interface Geometry {
  height: number;
  countries: CountryShape[];
}

/**
 * A d3-geo path context writing compact SVG path data: every point rounded to a whole map unit
 * (a 960-unit-wide map has no detail finer than that at 1:110M), repeated points dropped, rings
 * that collapse below a triangle dropped, and each point written relative to the previous one
 * (`l3-1 2 0`) because small deltas are shorter than absolute coordinates. This halves the markup
 * compared with `geoPath().digits(0)`; shared borders stay identical on both sides because rounding
 * is a function of the projected point alone.
 */
class CompactPath implements GeoContext {
  #out = '';
  #ring: [number, number][] = [];

  moveTo(x: number, y: number): void {
    this.#flush();
    this.#ring.push([Math.round(x), Math.round(y)]);
  }

  lineTo(x: number, y: number): void {
    const X = Math.round(x);
    const Y = Math.round(y);
    const last = this.#ring[this.#ring.length - 1];
    if (last && last[0] === X && last[1] === Y) return;
    this.#ring.push([X, Y]);
  }

  closePath(): void {
    const first = this.#ring[0];
    const last = this.#ring[this.#ring.length - 1];
    if (this.#ring.length > 1 && first![0] === last![0] && first![1] === last![1]) this.#ring.pop();
    if (this.#ring.length >= 3) {
      const [[x0, y0], ...rest] = this.#ring as [[number, number], ...[number, number][]];
      let s = `M${x0}${sep(y0)}${y0}l`;
      let [px, py] = [x0, y0];
      rest.forEach(([x, y], i) => {
        s += `${i === 0 ? '' : sep(x - px)}${x - px}${sep(y - py)}${y - py}`;
        [px, py] = [x, y];
      });
      this.#out += `${s}z`;
    }
    this.#ring = [];
  }

  arc(): void {
    // Only called for Point geometries, which the countries object does not contain.
  }

  beginPath(): void {
    // Required by the GeoContext type; d3-geo's path renderer never calls it.
  }

  /** The path data written since the last call. */
  take(): string {
    this.#flush();
    const out = this.#out;
    this.#out = '';
    return out;
  }

  #flush(): void {
    // Polygon rings always end with closePath; an open line (never produced here) is dropped.
    this.#ring = [];
  }
}

/** Separator before a number in path data: none when its minus sign already separates it. */
function sep(n: number): string {
  return n < 0 ? '' : ' ';
}

let geometry: Geometry | undefined;

/** Projects the world once per process; every request then only picks shading classes. */
function worldGeometry(): Geometry {
  if (geometry) return geometry;
  const file = createRequire(import.meta.url).resolve('world-atlas/countries-110m.json');
  const topo = JSON.parse(readFileSync(file, 'utf8')) as Topology<{ countries: GeometryCollection }>;
  const all = feature(topo, topo.objects.countries);
  const features = all.features.filter((f) => f.id !== ANTARCTICA);
  const projection = geoEqualEarth().fitWidth(WIDTH, { type: 'FeatureCollection', features });
  const [, [, bottom]] = geoPath(projection).bounds({ type: 'FeatureCollection', features });
  const context = new CompactPath();
  const path = geoPath(projection, context);
  const countries: CountryShape[] = [];
  for (const f of features) {
    path(f);
    const d = context.take();
    if (d) countries.push({ alpha2: f.id === undefined ? null : alpha2FromNumeric(String(f.id)), d });
  }
  geometry = { height: Math.ceil(bottom), countries };
  return geometry;
}

/** One shading step: countries with `from` ≤ count ≤ `to` get CSS class `className`. */
export interface MapBucket {
  from: number;
  to: number;
  className: `m${1 | 2 | 3 | 4 | 5}`;
}

/**
 * Shading steps for counts 1…`max` on a logarithmic scale: up to five buckets whose lower bounds
 * are ⌈max^(k/5)⌉ for k = 0…4, so small counts (1, 2, 3) stay distinguishable while a single
 * country with hundreds of struggles does not wash everything else out. Bounds that coincide are
 * merged (max = 3 gives three buckets: 1, 2, 3). The classes spread over `m1`…`m5` so the top
 * bucket is always `m5`, the darkest. Empty for max < 1.
 */
export function mapBuckets(max: number): MapBucket[] {
  const top = Math.floor(max);
  if (!(top >= 1)) return [];
  const lows: number[] = [];
  for (let k = 0; k < 5; k++) {
    const low = Math.max(1, Math.ceil(top ** (k / 5) - 1e-9));
    if (low !== lows[lows.length - 1]) lows.push(low);
  }
  return lows.map((from, i) => ({
    from,
    to: i + 1 < lows.length ? lows[i + 1]! - 1 : top,
    className: `m${lows.length === 1 ? 5 : Math.round(1 + (4 * i) / (lows.length - 1))}` as MapBucket['className'],
  }));
}

/** The shading class of `count` given `buckets`: `m0` for zero (or anything not a positive number). */
function shadeClass(count: number, buckets: MapBucket[]): string {
  if (!(count >= 1)) return 'm0';
  return buckets.find((b) => count <= b.to)?.className ?? 'm5';
}

/**
 * A world map choropleth as inline SVG followed by an HTML legend (a `<ul>` of the steps), wrapped
 * in `<div class="world-map">`: countries shaded by their number of struggles.
 *
 * - `counts`: ISO 3166-1 alpha-2 code (`DE`) → number of struggles. Codes the map cannot draw
 *   (`XK`: Kosovo has no id in the source data; countries too small for 1:110M such as `SG`;
 *   unknown codes like `ZZ`) are ignored, also for the scale. Zero and missing mean unshaded.
 * - Shading: class `m0` (no struggles) and `m1`…`m5` from {@link mapBuckets} — up to five
 *   logarithmic steps computed from the largest count drawn. Colours live in `static/map.css`;
 *   there is no inline `style` (our Content-Security-Policy forbids it).
 * - `opts.linkFor(alpha2)`: when given, each country with struggles becomes an `<a href>` and the
 *   `<svg>` a named `role="group"` so the links stay reachable for assistive technology (children of
 *   `role="img"` are presentational). Without links the map is one `role="img"`.
 * - `opts.id`: prefix of the ids used inside (default `world-map`); give each map on a page its own.
 * - Every country carries a `<title>` ("Germany: 12 struggles") for tooltips and link names.
 *
 * Geometry: Natural Earth 1:110M admin-0 countries (public domain) via the `world-atlas` package
 * (TopoJSON, ids are ISO 3166-1 numeric), Antarctica dropped, Equal Earth projection (equal-area,
 * as a choropleth should be) fitted to 960 units wide. Projected once per process and cached.
 * Measured with `zlib.gzipSync` (default level) on the rendered string: 12.9 kB for a map with three
 * linked countries, 14.6 kB with every country linked and shaded — the markup is ~50 kB raw
 * (world-map.test.ts asserts the bounds).
 */
export function worldMapSvg(
  counts: ReadonlyMap<string, number>,
  tr: Translator,
  opts: { linkFor?: (alpha2: string) => string; id?: string } = {},
): VNode {
  const { height, countries } = worldGeometry();
  const byCode = new Map<string, number>();
  for (const [code, n] of counts) {
    if (typeof n === 'number' && n > 0) byCode.set(code.toUpperCase(), (byCode.get(code.toUpperCase()) ?? 0) + n);
  }
  let max = 0;
  for (const c of countries) if (c.alpha2) max = Math.max(max, byCode.get(c.alpha2) ?? 0);
  const buckets = mapBuckets(max);
  const linkFor = opts.linkFor;
  const interactive = linkFor !== undefined && max > 0;
  const titleId = `${opts.id ?? 'world-map'}-title`;

  const quiet: VNode[] = [];
  const shaded: [label: string, shape: VNode][] = [];
  for (const { alpha2, d } of countries) {
    const count = alpha2 ? (byCode.get(alpha2) ?? 0) : 0;
    const cls = shadeClass(count, buckets);
    const label = alpha2 ? tr.t('map.country_count', { country: tr.country(alpha2), count }) : null;
    const title = label ? html`<title>${label}</title>` : null;
    if (count > 0 && alpha2 && linkFor) {
      shaded.push([label!, html`<a href=${linkFor(alpha2)}>${title}<path class=${cls} d=${d} /></a>`]);
    } else if (count > 0) {
      shaded.push([label!, html`<path class=${cls} d=${d}>${title}</path>`]);
    } else {
      quiet.push(html`<path class=${cls} d=${d}>${title}</path>`);
    }
  }
  // Links in alphabetical order of the reader's language: the order of keyboard and screen reader
  // navigation.
  const collator = new Intl.Collator(tr.locale);
  shaded.sort((a, b) => collator.compare(a[0], b[0]));

  // Unshaded countries first and hidden from assistive technology when the map has links, so a
  // screen reader meets only the meaningful ones; shaded ones drawn last keep their focus outline
  // on top of their neighbours.
  return html`<div class="world-map">
    <svg viewBox=${`0 0 ${WIDTH} ${height}`} role=${interactive ? 'group' : 'img'} aria-labelledby=${titleId}>
      <title id=${titleId}>${tr.t('map.title')}</title>
      <g aria-hidden=${interactive ? 'true' : undefined}>${quiet}</g>
      ${shaded.map(([, shape]) => shape)}
    </svg>
    <p class="map-legend-title">${tr.t('map.legend.title')}</p>
    <ul class="map-legend">
      ${legendItem('m0', tr.t('map.legend.none'))}
      ${buckets.map((b) =>
        legendItem(
          b.className,
          b.from === b.to ? tr.t('map.legend.one', { value: b.from }) : tr.t('map.legend.range', { from: b.from, to: b.to }),
        ),
      )}
    </ul>
  </div>`;
}

function legendItem(className: string, label: string): VNode {
  return html`<li>
    <svg class="swatch" viewBox="0 0 1 1" width="16" height="16" aria-hidden="true" focusable="false"><rect class=${className} width="1" height="1" /></svg>
    ${label}
  </li>`;
}
