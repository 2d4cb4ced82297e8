import { Readable } from 'node:stream';
import { inTransaction, type Db } from '../../db/client.ts';
import type { SupportersTable } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { Translator } from '../../i18n/i18n.ts';
import { safeCsvStream, type CsvColumn } from '../../lib/csv-safe.ts';
import { open, type Keyring } from '../../lib/sealed.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { getCampaignForCoordinator, type CampaignRecord } from './campaigns.access.ts';
import { supporterAad } from './supporter-keys.ts';
import type { SupporterField } from './supporters-import-fields.ts';

/**
 * CSV export of a campaign's confirmed supporters for its coordinators. Formula-safe through
 * `toSafeCsv`/`safeCsvStream` (case B19: a cell a spreadsheet would run — `=`, `+`, `-`, `@`, a
 * tab… — gets a leading `'`), UTF-8 with BOM, CRLF. Column titles and yes/no are in the reader's
 * language, and every title is one our importer recognizes ({@link EXPORT_COLUMN_FIELDS}), so an
 * export imports into another campaign with the same values (the importer removes the `'` again).
 * Unconfirmed signatures are not exported (they are not supporters yet and expire).
 */

/** Columns of the export, in order. */
export const EXPORT_COLUMNS = [
  'email',
  'name',
  'country',
  'city',
  'affiliation',
  'lang',
  'list_publicly',
  'contact_ok',
  'consented_at',
  'list_consent_version',
  'list_consented_at',
  'contact_consent_version',
  'contact_consented_at',
  'source',
  'consent_basis',
  'signed_at',
  'confirmed_at',
] as const;
export type ExportColumn = (typeof EXPORT_COLUMNS)[number];

/**
 * The import field each export column is read into (null: information only — consent versions
 * and times per consent, source, consent basis, instants of signing and confirming; a re-import
 * records its own source, basis and instants). `consented_at` is when the consents were given
 * (the listing consent's instant, else the contact consent's).
 */
export const EXPORT_COLUMN_FIELDS: Record<ExportColumn, SupporterField | null> = {
  email: 'email',
  name: 'name',
  country: 'country',
  city: 'city',
  affiliation: 'affiliation',
  lang: 'lang',
  list_publicly: 'listPublicly',
  contact_ok: 'contactOk',
  consented_at: 'consentedAt',
  list_consent_version: null,
  list_consented_at: null,
  contact_consent_version: null,
  contact_consented_at: null,
  source: null,
  consent_basis: null,
  signed_at: null,
  confirmed_at: null,
};

/** The CSV columns with titles in the reader's language (all text: versions and instants stay text). */
export function exportColumns(tr: Translator): CsvColumn[] {
  return EXPORT_COLUMNS.map((key) => ({ key, header: tr.t(`supporters_io.export.columns.${key}`) }));
}

/** One supporter row as exported (the sealed address opened). */
export function exportRow(tr: Translator, keyring: Keyring, s: SupportersTable): Record<ExportColumn, string> {
  const yes = (v: number) => tr.t(v ? 'supporters_io.export.yes' : 'supporters_io.export.no');
  return {
    email: open(keyring, s.email_sealed, supporterAad(s.id)),
    name: s.name,
    country: s.country,
    city: s.city ?? '',
    affiliation: s.affiliation ?? '',
    lang: s.lang,
    list_publicly: yes(s.list_publicly),
    contact_ok: yes(s.contact_ok),
    consented_at: s.list_consented_at ?? s.contact_consented_at ?? '',
    list_consent_version: s.list_consent_version ?? '',
    list_consented_at: s.list_consented_at ?? '',
    contact_consent_version: s.contact_consent_version ?? '',
    contact_consented_at: s.contact_consented_at ?? '',
    source: tr.t(`supporters_io.export.source.${s.source}`),
    consent_basis: s.consent_basis ?? '',
    signed_at: s.created_at,
    confirmed_at: s.confirmed_at ?? '',
  };
}

/** Rows read per query while streaming. */
const PAGE = 1000;

/** The confirmed supporters of a campaign in pages, oldest confirmation first (keyset on `confirmed_at, id`). */
async function* supporterPages(db: Db, campaignId: string): AsyncGenerator<SupportersTable[]> {
  let after: { at: string; id: string } | null = null;
  for (;;) {
    let q = db.selectFrom('supporters').selectAll().where('campaign_id', '=', campaignId).where('status', '=', 'confirmed');
    if (after) {
      const { at, id } = after;
      q = q.where((eb) => eb.or([eb('confirmed_at', '>', at), eb.and([eb('confirmed_at', '=', at), eb('id', '>', id)])]));
    }
    const rows = await q.orderBy('confirmed_at').orderBy('id').limit(PAGE).execute();
    if (!rows.length) return;
    yield rows;
    const last = rows[rows.length - 1]!;
    after = { at: last.confirmed_at!, id: last.id };
    if (rows.length < PAGE) return;
  }
}

/** An export about to be sent. */
export interface SupporterExport {
  campaign: CampaignRecord;
  /** `supporters-<slug>-<YYYY-MM-DD>.csv` (UTC date). */
  filename: string;
  /** Confirmed supporters in the file. */
  count: number;
  /** The CSV text as a stream (UTF-8, BOM, CRLF). */
  stream: Readable;
}

/**
 * Exports the confirmed supporters of campaign `slug` for one of its coordinators: writes
 * `campaign.supporters_exported` (with the number of supporters) to the audit log of every issuing
 * organization first — an export of personal data is always recorded — then streams the rows.
 * @throws {NotFound} unknown or invisible campaign; {SignInRequired}; {Forbidden} not a coordinator;
 *   {DataKeyError} without a data key (before anything is sent).
 */
export async function exportSupporters(db: Db, keyring: Keyring, viewer: Viewer | null, slug: string, tr: Translator): Promise<SupporterExport> {
  keyring.currentKey();
  const { campaign, count } = await inTransaction(db, async (tx) => {
    const campaign = await getCampaignForCoordinator(tx, viewer, slug);
    const row = await tx
      .selectFrom('supporters')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('campaign_id', '=', campaign.id)
      .where('status', '=', 'confirmed')
      .executeTakeFirstOrThrow();
    const count = Number(row.n);
    for (const org of campaign.issuerIds)
      await recordAudit(tx, viewer, { organizationId: org, action: 'campaign.supporters_exported', subjectType: 'campaign', subjectId: campaign.id, details: { count } });
    return { campaign, count };
  });
  const rows = Readable.from(
    (async function* () {
      for await (const page of supporterPages(db, campaign.id)) for (const s of page) yield exportRow(tr, keyring, s);
    })(),
  );
  const csv = safeCsvStream({ columns: exportColumns(tr) });
  rows.on('error', (err) => csv.destroy(err));
  return { campaign, filename: `supporters-${campaign.slug}-${new Date().toISOString().slice(0, 10)}.csv`, count, stream: rows.pipe(csv) };
}

/** The whole export as one string (tests, small campaigns): the same bytes {@link exportSupporters} streams. */
export async function exportSupportersText(db: Db, keyring: Keyring, viewer: Viewer | null, slug: string, tr: Translator): Promise<{ filename: string; count: number; csv: string }> {
  const e = await exportSupporters(db, keyring, viewer, slug, tr);
  const chunks: string[] = [];
  for await (const chunk of e.stream) chunks.push(String(chunk));
  return { filename: e.filename, count: e.count, csv: chunks.join('') };
}
