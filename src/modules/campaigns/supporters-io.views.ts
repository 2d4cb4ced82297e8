import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from '../../web/context.ts';
import { csrfField, U } from '../../web/layout.ts';
import { errorSummary, field, type ErrorMap } from '../../web/forms.ts';
import { doneNotice } from '../../web/components.ts';
import type { CsvTable } from '../../lib/csv-read.ts';
import { campaignHeading, campaignNav } from './campaign-nav.views.ts';
import { REQUIRED_FIELDS, SUPPORTER_FIELDS, type ColumnMapping, type RowIssue } from './supporters-import.ts';
import type { ImportPreview, SupporterImportView } from './supporters-import-jobs.ts';
import type { StoredIssue } from './supporters-io.schemas.ts';

/** Confirmations on the import page (`?done=…`). */
export const IMPORT_NOTICES: Record<string, string> = { discarded: 'supporters_io.notices.discarded' };

/** Seconds between refreshes of the progress page. */
export const REFRESH_SECONDS = 2;
/** Findings listed on a page (the rest are counted). */
const SHOWN_ISSUES = 200;

type Title = { title: string; lang: string };

const ENCODINGS: Record<CsvTable['encoding'], string> = { 'utf-8': 'supporters_io.encoding.utf8', 'utf-8-bom': 'supporters_io.encoding.utf8_bom', 'windows-1252': 'supporters_io.encoding.windows_1252' };
const DELIMITERS: Record<CsvTable['delimiter'], string> = { ',': 'supporters_io.delimiter.comma', ';': 'supporters_io.delimiter.semicolon', '\t': 'supporters_io.delimiter.tab' };

function backLink(ctx: PageContext, slug: string): VNode {
  return html`<p><a href=${`/campaigns/${slug}`}>${ctx.tr.t('supporters_io.back_to_campaign')}</a></p>`;
}

/** The findings as a table: line, field, message (in the reader's language), duplicates marked. */
function issuesTable(ctx: PageContext, id: string, issues: readonly (RowIssue | StoredIssue)[], total: number): VNode {
  const { t } = ctx.tr;
  const shown = issues.slice(0, SHOWN_ISSUES);
  return html`<div class="table-scroll" role="region" aria-labelledby=${`${id}-caption`} tabindex="0">
      <table class="import-issues">
        <caption id=${`${id}-caption`}>${t('supporters_io.report.caption', { count: total })}</caption>
        <thead>
          <tr>
            <th scope="col" class="num">${t('supporters_io.report.col_line')}</th>
            <th scope="col">${t('supporters_io.report.col_field')}</th>
            <th scope="col">${t('supporters_io.report.col_message')}</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map(
            (i) => html`<tr class=${i.kind === 'duplicate' ? 'duplicate' : undefined}>
              <td class="num">${ctx.tr.number(i.line)}</td>
              <td>${i.field ? t(`supporters_io.fields.${i.field}`) : ''}</td>
              <td>${i.kind === 'duplicate' ? html`<span class="badge">${t('supporters_io.report.duplicate')}</span> ` : null}${t(i.messageId, i.values)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${total > shown.length ? html`<p class="hint">${t('supporters_io.report.more', { shown: shown.length, count: total })}</p>` : null}`;
}

/**
 * The supporters page of a campaign for its coordinators: the CSV export (with the number of
 * confirmed supporters), the upload form of an import (re-rendered with the file's error and HTTP
 * 422), and the recent imports with their state.
 */
export function supportersIoView(ctx: PageContext, o: { slug: string; title: Title; confirmed: number; imports: SupporterImportView[]; errors: ErrorMap; maxMb: number }): VNode {
  const { t } = ctx.tr;
  const base = `/campaigns/${o.slug}`;
  return html`${campaignHeading(ctx, 'supporters_io.page.title', o.title)}
    ${campaignNav(ctx, o.slug, { current: 'supporters' })}
    ${doneNotice(ctx, IMPORT_NOTICES)}
    <section aria-labelledby="export-title">
      <h2 id="export-title">${t('supporters_io.page.export_title')}</h2>
      <p>${t('supporters_io.page.export_intro', { count: o.confirmed })}</p>
      <p><a class="button" href=${`${base}/supporters.csv`} download>${t('supporters_io.page.export_link')}</a></p>
      <p class="hint">${t('supporters_io.page.export_hint')}</p>
    </section>
    <section aria-labelledby="import-title">
      <h2 id="import-title">${t('supporters_io.page.import_title')}</h2>
      <p>${t('supporters_io.page.import_intro')}</p>
      <p class="hint">${t('supporters_io.page.import_columns')}</p>
      ${errorSummary(ctx, o.errors, { file: 'supporters_io.page.file' })}
      <form method="post" action=${`${base}/supporters/import`} enctype="multipart/form-data" class="narrow" novalidate>
        ${csrfField(ctx)}
        <div class=${o.errors.has('file') ? 'field invalid' : 'field'}>
          <label for="f-file">${t('supporters_io.page.file')}<span aria-hidden="true"> *</span></label>
          <input
            id="f-file"
            type="file"
            name="file"
            accept=".csv,.txt,text/csv,text/plain"
            required
            aria-describedby=${o.errors.has('file') ? 'f-file-hint f-file-error' : 'f-file-hint'}
            aria-invalid=${o.errors.has('file') ? 'true' : undefined}
          />
          <p class="hint" id="f-file-hint">${t('supporters_io.page.file_hint', { max: o.maxMb })}</p>
          ${o.errors.has('file') ? html`<p class="error" id="f-file-error">${t(o.errors.get('file')!.messageId, o.errors.get('file')!.values)}</p>` : null}
        </div>
        <button type="submit">${t('supporters_io.page.upload')}</button>
      </form>
    </section>
    ${o.imports.length
      ? html`<section>
          <h2 id="imports-title">${t('supporters_io.page.imports_title')}</h2>
          <div class="table-scroll" role="region" aria-labelledby="imports-title" tabindex="0">
            <table>
              <thead>
                <tr>
                  <th scope="col">${t('supporters_io.page.col_file')}</th>
                  <th scope="col">${t('supporters_io.page.col_uploaded')}</th>
                  <th scope="col">${t('supporters_io.page.col_status')}</th>
                  <th scope="col" class="num">${t('supporters_io.page.col_imported')}</th>
                </tr>
              </thead>
              <tbody>
                ${o.imports.map(
                  (i) => html`<tr>
                    <th scope="row"><a href=${`${base}/supporters/import/${i.id}`}><${U}>${i.filename}<//></a></th>
                    <td>${ctx.tr.instant(i.createdAt, ctx.viewer?.timeZone)}</td>
                    <td>${t(`supporters_io.status.${i.status}`)}</td>
                    <td class="num">${i.status === 'preview' ? '' : ctx.tr.number(i.counts.imported)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>
        </section>`
      : null}`;
}

/** The column options of a mapping select: "not imported" and every column as "3: E-Mail". */
function columnOptions(ctx: PageContext, header: string[]): [string, string][] {
  return [['', ctx.tr.t('supporters_io.preview.not_imported')], ...header.map((h, i): [string, string] => [String(i), ctx.tr.t('supporters_io.preview.column', { n: i + 1, name: h || '–' })])];
}

/**
 * The preview of an uploaded file: detected encoding and separator, the first rows, a mapping
 * select per supporter field (pre-filled with the guess or the last choice), the consent basis,
 * what the rows give with this mapping and the findings so far, the buttons to check again or to
 * start, and the one to discard the upload.
 */
export function importPreviewView(
  ctx: PageContext,
  o: { slug: string; title: Title; item: SupporterImportView; preview: ImportPreview; mapping: ColumnMapping; consentBasis: string; errors: ErrorMap },
): VNode {
  const { t } = ctx.tr;
  const p = o.preview;
  const action = `/campaigns/${o.slug}/supporters/import/${o.item.id}`;
  const labels: Record<string, string> = Object.fromEntries(SUPPORTER_FIELDS.map((f) => [`map_${f}`, `supporters_io.fields.${f}`]));
  labels.consentBasis = 'supporters_io.preview.consent_basis';
  const options = columnOptions(ctx, p.header);
  return html`${campaignHeading(ctx, 'supporters_io.preview.title', o.title)}
    ${backLink(ctx, o.slug)}
    <dl>
      <dt>${t('supporters_io.preview.file')}</dt><dd><${U}>${o.item.filename}<//></dd>
      <dt>${t('supporters_io.preview.encoding')}</dt><dd>${t(ENCODINGS[p.encoding])}</dd>
      <dt>${t('supporters_io.preview.delimiter')}</dt><dd>${t(DELIMITERS[p.delimiter])}</dd>
      <dt>${t('supporters_io.preview.rows')}</dt><dd>${ctx.tr.number(o.item.counts.total)}</dd>
    </dl>
    <section>
      <h2 id="rows-title">${t('supporters_io.preview.rows_title', { count: p.rows.length })}</h2>
      <div class="table-scroll" role="region" aria-labelledby="rows-title" tabindex="0">
        <table class="import-rows">
          <thead>
            <tr>
              <th scope="col" class="num">${t('supporters_io.report.col_line')}</th>
              ${p.header.map((h, i) => html`<th scope="col">${t('supporters_io.preview.column', { n: i + 1, name: h || '–' })}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${p.rows.map(
              (r) => html`<tr>
                <td class="num">${ctx.tr.number(r.line)}</td>
                ${p.header.map((_, i) => html`<td><${U}>${r.cells[i] ?? ''}<//></td>`)}
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>
    <section aria-labelledby="mapping-title">
      <h2 id="mapping-title">${t('supporters_io.preview.mapping_title')}</h2>
      <p>${t('supporters_io.preview.mapping_intro')}</p>
      ${errorSummary(ctx, o.errors, labels)}
      <form method="post" action=${action} class="narrow" novalidate>
        ${csrfField(ctx)}
        <fieldset>
          <legend>${t('supporters_io.preview.columns_legend')}</legend>
          ${SUPPORTER_FIELDS.map((f) =>
            field(ctx, o.errors, {
              name: `map_${f}`,
              label: `supporters_io.fields.${f}`,
              value: o.mapping[f] === undefined ? '' : String(o.mapping[f]),
              options,
              required: REQUIRED_FIELDS.includes(f),
              hint: `supporters_io.hints.${f}`,
            }),
          )}
        </fieldset>
        ${field(ctx, o.errors, { name: 'consentBasis', label: 'supporters_io.preview.consent_basis', value: o.consentBasis, required: true, hint: 'supporters_io.preview.consent_basis_hint' })}
        <section aria-labelledby="check-title">
          <h3 id="check-title">${t('supporters_io.preview.check_title')}</h3>
          <p>${t('supporters_io.preview.check_result', { valid: p.valid, rejected: p.rejected, repeated: p.repeated })}</p>
          <p class="hint">${t('supporters_io.preview.check_hint')}</p>
          ${p.issues.length ? issuesTable(ctx, 'preview-issues', p.issues, p.rejected + p.repeated > p.issues.length ? p.rejected + p.repeated : p.issues.length) : null}
        </section>
        <p>
          <button type="submit" name="intent" value="check" class="secondary">${t('supporters_io.preview.check')}</button>
          ${' '}
          <button type="submit" name="intent" value="start">${t('supporters_io.preview.start')}</button>
        </p>
      </form>
      <form method="post" action=${`${action}/discard`} class="inline">
        ${csrfField(ctx)}
        <button type="submit" class="link">${t('supporters_io.preview.discard')}</button>
      </form>
    </section>`;
}

/** The counts of an import as a description list. */
function countsList(ctx: PageContext, item: SupporterImportView): VNode {
  const { t } = ctx.tr;
  const n = (v: number) => ctx.tr.number(v);
  return html`<dl>
    <dt>${t('supporters_io.report.rows')}</dt><dd>${n(item.counts.total)}</dd>
    <dt>${t('supporters_io.report.processed')}</dt><dd>${n(item.counts.processed)}</dd>
    <dt>${t('supporters_io.report.imported')}</dt><dd>${n(item.counts.imported)}</dd>
    <dt>${t('supporters_io.report.duplicates')}</dt><dd>${n(item.counts.duplicates)}</dd>
    <dt>${t('supporters_io.report.rejected')}</dt><dd>${n(item.counts.rejected)}</dd>
    ${item.consentBasis ? html`<dt>${t('supporters_io.preview.consent_basis')}</dt><dd><${U}>${item.consentBasis}<//></dd>` : null}
  </dl>`;
}

/**
 * The page of a running import: a `<progress>` with the rows done, the counts so far, and — unless
 * the reader stopped it (`refresh` false) — a `<meta http-equiv="refresh">` that reloads the page
 * every {@link REFRESH_SECONDS} seconds (no script: the CSP allows none inline), with a link to stop
 * or resume the refreshing (WCAG 2.2.1: timing the reader can turn off).
 */
export function importProgressView(ctx: PageContext, o: { slug: string; title: Title; item: SupporterImportView; refresh: boolean }): VNode {
  const { t } = ctx.tr;
  const c = o.item.counts;
  const percent = c.total ? Math.floor((c.processed * 100) / c.total) : 0;
  const here = `/campaigns/${o.slug}/supporters/import/${o.item.id}`;
  return html`${o.refresh ? html`<meta http-equiv="refresh" content=${String(REFRESH_SECONDS)} />` : null}
    ${campaignHeading(ctx, 'supporters_io.progress.title', o.title)}
    ${backLink(ctx, o.slug)}
    <p id="import-progress-label">${t('supporters_io.progress.file', { file: o.item.filename })}</p>
    <progress class="goal" max=${String(Math.max(c.total, 1))} value=${String(c.processed)} aria-labelledby="import-progress-label">${percent} %</progress>
    <p class="progress-text" role="status">${t('supporters_io.progress.text', { processed: c.processed, total: c.total, percent })}</p>
    ${countsList(ctx, o.item)}
    <p>
      ${o.refresh
        ? html`${t('supporters_io.progress.refreshing', { seconds: REFRESH_SECONDS })} <a href=${`${here}?refresh=off`}>${t('supporters_io.progress.stop')}</a>`
        : html`<a href=${here}>${t('supporters_io.progress.resume')}</a>`}
    </p>`;
}

/** The report of a finished or failed import: its state, counts, and every finding kept (line, field, message). */
export function importReportView(ctx: PageContext, o: { slug: string; title: Title; item: SupporterImportView }): VNode {
  const { t } = ctx.tr;
  const item = o.item;
  const found = item.counts.rejected + item.counts.duplicates;
  return html`${campaignHeading(ctx, item.status === 'failed' ? 'supporters_io.report.title_failed' : 'supporters_io.report.title', o.title)}
    ${backLink(ctx, o.slug)}
    ${item.status === 'failed'
      ? html`<p class="error-summary" role="alert">${t('supporters_io.report.failed', { message: t(item.failure ?? 'supporters_io.failed.database') })}</p>`
      : html`<p class="flash" role="status">${t('supporters_io.report.done', { imported: item.counts.imported, total: item.counts.total })}</p>`}
    <p>${t('supporters_io.progress.file', { file: item.filename })}</p>
    ${countsList(ctx, item)}
    <section aria-labelledby="findings-title">
      <h2 id="findings-title">${t('supporters_io.report.findings_title')}</h2>
      ${item.issues.length ? issuesTable(ctx, 'report-issues', item.issues, Math.max(found, item.issues.length)) : html`<p>${t('supporters_io.report.no_findings')}</p>`}
    </section>
    <p><a href=${`/campaigns/${o.slug}/supporters/import`}>${t('supporters_io.report.back')}</a></p>`;
}
