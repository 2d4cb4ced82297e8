import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type { PageContext } from './context.ts';
import type { FieldError } from '../http/errors.ts';

/** Field errors by field name, as collected from a `ValidationFailed`. */
export type ErrorMap = Map<string, FieldError>;

/** Index a list of field errors by field. */
export function errorMap(errors: FieldError[] = []): ErrorMap {
  return new Map(errors.map((e) => [e.field, e]));
}

interface FieldOptions {
  name: string;
  /** Catalog id of the label. */
  label: string;
  value?: string | null;
  type?: 'text' | 'email' | 'url' | 'date' | 'number' | 'password' | 'search';
  required?: boolean;
  /** Catalog id of a hint shown below the field. */
  hint?: string;
  /** Values for the hint's message arguments (an example built from the record, say). */
  hintValues?: Record<string, string | number>;
  autocomplete?: string;
  /** For a select: value → already-translated label. */
  options?: [string, string][];
  /** Render a multi-line textarea. */
  multiline?: boolean;
  /** Offer an empty first option in a select (catalog id of its label). */
  empty?: string;
  min?: string;
  /** Start of the control's id (default `f`): forms sharing a page give their fields distinct ids. */
  idPrefix?: string;
}

/**
 * A labelled form field with its translated error (`aria-invalid`, `aria-describedby`), for
 * server-rendered forms that re-render on HTTP 422.
 */
export function field(ctx: PageContext, errors: ErrorMap, o: FieldOptions): VNode {
  const { t } = ctx.tr;
  const id = `${o.idPrefix ?? 'f'}-${o.name.replace(/[^a-z0-9]+/gi, '-')}`;
  const err = errors.get(o.name);
  const described = [o.hint ? `${id}-hint` : null, err ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: o.name,
    required: o.required || undefined,
    'aria-invalid': err ? 'true' : undefined,
    'aria-describedby': described,
    autocomplete: o.autocomplete,
  };
  let control: VNode;
  if (o.options) {
    control = html`<select ...${common}>
      ${o.empty !== undefined ? html`<option value="">${t(o.empty)}</option>` : null}
      ${o.options.map(([v, label]) => html`<option value=${v} selected=${v === (o.value ?? '')}>${label}</option>`)}
    </select>`;
  } else if (o.multiline) {
    control = html`<textarea ...${common} rows="5">${o.value ?? ''}</textarea>`;
  } else {
    control = html`<input ...${common} type=${o.type ?? 'text'} value=${o.value ?? ''} min=${o.min} />`;
  }
  return html`<div class=${err ? 'field invalid' : 'field'}>
    <label for=${id}>${t(o.label)}${o.required ? html`<span aria-hidden="true"> *</span>` : null}</label>
    ${control}
    ${o.hint ? html`<p class="hint" id=${`${id}-hint`}>${t(o.hint, o.hintValues)}</p>` : null}
    ${err ? html`<p class="error" id=${`${id}-error`}>${t(err.messageId, err.values)}</p>` : null}
  </div>`;
}

/**
 * A summary of all field errors at the top of a form, linking to each field; with `labels`
 * (field → label message id) each link names its field ("Title: This field is required").
 * `idPrefix` is the one the form's fields were given (see `field`).
 */
export function errorSummary(ctx: PageContext, errors: ErrorMap, labels: Record<string, string> = {}, idPrefix = 'f'): VNode | null {
  if (errors.size === 0) return null;
  const { t } = ctx.tr;
  return html`<div class="error-summary" role="alert">
    <h2>${t('forms.error_summary')}</h2>
    <ul>
      ${[...errors.values()].map(
        (e) => html`<li><a href=${`#${idPrefix}-${e.field.replace(/[^a-z0-9]+/gi, '-')}`}>${labels[e.field] ? `${t(labels[e.field]!)}: ` : ''}${t(e.messageId, e.values)}</a></li>`,
      )}
    </ul>
  </div>`;
}
