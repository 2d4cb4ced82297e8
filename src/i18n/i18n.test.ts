import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { html } from 'htm/preact';
import { render } from 'preact-render-to-string';
import { formatPlain, translator } from './i18n.ts';
import { U } from '../web/layout.ts';

const B23 = JSON.parse(readFileSync(new URL('../../test/fixtures/cases/B23.json', import.meta.url), 'utf8')) as {
  template_en: string;
  cases: { ui_locale: string; actor: string; title: string }[];
};

const FSI = '\u2068';
const PDI = '\u2069';

/** Checks that every isolate opened in `text` is closed and that no embedding/override escapes it (UAX #9 §3.3.2). */
function balancedOutsideIsolates(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    if (ch === FSI || ch === '\u2066' || ch === '\u2067') depth++;
    else if (ch === PDI) depth--;
    else if (depth === 0 && /[\u202a-\u202e]/.test(ch)) return false;
    if (depth < 0) return false;
  }
  return depth === 0;
}

describe('B23: user-supplied values are isolated for bidirectional text', () => {
  test('case 1, plain text: exactly the expected string with U+2068 … U+2069 around both values', () => {
    const c = B23.cases[0]!;
    assert.equal(
      formatPlain(c.ui_locale, B23.template_en, { actor: c.actor, title: c.title }),
      '\u2068لجنة التضامن\u2069 signed your petition “\u2068Support the port strike\u2069”',
    );
  });

  test('case 2: the U+202E inside the actor stays inside its isolate and cannot mirror the rest', () => {
    const c = B23.cases[1]!;
    const out = formatPlain(c.ui_locale, B23.template_en, { actor: c.actor, title: c.title });
    assert.equal(out, `${FSI}Kollektiv\u202e Nord${PDI} signed your petition “${FSI}Support the port strike${PDI}”`);
    assert.ok(balancedOutsideIsolates(out));
    // The text after the actor's isolate holds no directional control at all.
    assert.equal(out.slice(out.indexOf(PDI) + 1), ` signed your petition “${FSI}Support the port strike${PDI}”`);
  });

  test('case 3: a Latin name and a Farsi title in a right-to-left UI are each isolated', () => {
    const c = B23.cases[2]!;
    const out = formatPlain(c.ui_locale, B23.template_en, { actor: c.actor, title: c.title });
    assert.equal(out, `${FSI}Ortsgruppe Nord${PDI} signed your petition “${FSI}حمایت از اعتصاب بندر${PDI}”`);
    assert.ok(balancedOutsideIsolates(out));
  });

  test('every case: the family holds for any value — numbers stay plain, every string is isolated', () => {
    for (const c of B23.cases) {
      const out = formatPlain(c.ui_locale, '{actor} and {n, number} others', { actor: c.actor, n: 1200 });
      assert.ok(out.startsWith(`${FSI}${c.actor}${PDI} and `), out);
      assert.ok(!out.slice(out.indexOf(PDI)).includes(FSI), 'the number is not isolated');
      assert.ok(balancedOutsideIsolates(out));
    }
  });

  test('HTML surface: catalog messages take each value as its own <bdi>, escaped, for every case', () => {
    const tr = translator('en');
    for (const c of B23.cases) {
      const parts = tr.tRich('import.fmcs.title', { employer: html`<${U}>${c.actor}<//>` });
      const markup = render(html`<p>${parts}</p>`);
      assert.equal(markup, `<p>Work stoppage at <bdi>${c.actor}</bdi></p>`);
    }
    const hostile = render(html`<p><${U}>${'<script>x</script>\u202e'}<//></p>`);
    assert.equal(hostile, '<p><bdi>&lt;script>x&lt;/script>\u202e</bdi></p>');
  });

  test('translator.tPlain isolates the string values of catalog messages', () => {
    assert.equal(translator('en').tPlain('import.fmcs.title', { employer: 'لجنة التضامن' }), `Work stoppage at ${FSI}لجنة التضامن${PDI}`);
  });
});
