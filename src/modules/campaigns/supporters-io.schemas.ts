import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { SUPPORTER_FIELDS, type ColumnMapping, type RowIssue } from './supporters-import.ts';

/**
 * Schemas at the boundaries of supporter import and export: path parameters, the preview form,
 * the JSON kept in `supporter_imports` (mapping, report), and the UK Parliament petition file.
 */

const str = (o: Record<string, unknown> = {}) => Type.String(o);

export const CampaignParams = Type.Object({ slug: str({ maxLength: 200 }) });
export const ImportParams = Type.Object({ slug: str({ maxLength: 200 }), id: str({ maxLength: 64, description: 'id of the supporter import' }) });

/**
 * The preview form: `map_<field>` = 0-based column index or empty (not imported), the stated
 * consent basis, and what to do: `check` (show the findings with this mapping) or `start`.
 */
export const ImportStartForm = Type.Object({
  ...Object.fromEntries(SUPPORTER_FIELDS.map((f) => [`map_${f}`, Type.Optional(str({ maxLength: 6 }))])),
  consentBasis: Type.Optional(str({ maxLength: 2000 })),
  intent: Type.Optional(Type.Union([Type.Literal('check'), Type.Literal('start')])),
});
export type ImportStartFormValues = Record<string, string | undefined>;

/** The mapping from the preview form's `map_<field>` values (anything but a whole number leaves the field unmapped). */
export function mappingFromForm(body: ImportStartFormValues): ColumnMapping {
  const mapping: ColumnMapping = {};
  for (const f of SUPPORTER_FIELDS) {
    const v = body[`map_${f}`];
    if (typeof v === 'string' && /^(0|[1-9][0-9]{0,4})$/.test(v)) mapping[f] = Number(v);
  }
  return mapping;
}

/** `supporter_imports.mapping`: field → column index. */
const StoredMapping = Type.Object(Object.fromEntries(SUPPORTER_FIELDS.map((f) => [f, Type.Optional(Type.Integer({ minimum: 0 }))])), { additionalProperties: false });

/** The stored mapping, or `{}` for a missing or malformed value. */
export function parseStoredMapping(json: string | null): ColumnMapping {
  if (!json) return {};
  try {
    const v: unknown = JSON.parse(json);
    return Value.Check(StoredMapping, v) ? (v as ColumnMapping) : {};
  } catch {
    return {};
  }
}

/** A finding as stored in `supporter_imports.errors`; `failure` is the reason a run failed (line 0). */
export type StoredIssue = Omit<RowIssue, 'kind'> & { kind: RowIssue['kind'] | 'failure' };

const StoredIssues = Type.Array(
  Type.Object({
    line: Type.Integer({ minimum: 0 }),
    field: Type.Union([Type.String(), Type.Null()]),
    messageId: Type.String(),
    values: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
    kind: Type.Union([Type.Literal('error'), Type.Literal('duplicate'), Type.Literal('failure')]),
  }),
);

/** The stored findings, or `[]` for a missing or malformed value. */
export function parseStoredIssues(json: string | null): StoredIssue[] {
  if (!json) return [];
  try {
    const v: unknown = JSON.parse(json);
    return Value.Check(StoredIssues, v) ? (v as StoredIssue[]) : [];
  } catch {
    return [];
  }
}

/**
 * The part of a UK Parliament petitions API response (`https://petition.parliament.uk/petitions/<id>.json`)
 * the tally import reads: the petition's number, text and closing instant, its total and its
 * signatures per country (`code` as the site gives it, not always ISO 3166-1).
 */
export const UkPetitionFile = Type.Object({
  data: Type.Object({
    id: Type.Union([Type.Integer({ minimum: 1 }), str({ pattern: '^[1-9][0-9]*$' })]),
    type: Type.Optional(Type.Literal('petition')),
    attributes: Type.Object({
      action: str(),
      signature_count: Type.Integer({ minimum: 0 }),
      closed_at: Type.Union([str(), Type.Null()]),
      signatures_by_country: Type.Array(Type.Object({ name: str(), code: str(), signature_count: Type.Integer({ minimum: 0 }) })),
    }),
  }),
});
export type UkPetitionFileValue = Static<typeof UkPetitionFile>;

/** Where a value first departs from {@link UkPetitionFile} (a JSON pointer such as `/data/attributes/signature_count`), or null when it fits. */
export function ukPetitionShapeError(value: unknown): string | null {
  if (Value.Check(UkPetitionFile, value)) return null;
  const first = [...Value.Errors(UkPetitionFile, value)][0];
  return first ? first.instancePath || '/' : '/';
}
