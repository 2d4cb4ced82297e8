import type { Db } from '../../src/db/client.ts';
import type { Keyring } from '../../src/lib/sealed.ts';
import { seal } from '../../src/lib/sealed.ts';
import { newId } from '../../src/lib/ids.ts';
import { insertCampaign } from './campaigns.ts';
import { guessMapping, readSupporterCsv } from '../../src/modules/campaigns/supporters-import.ts';
import { createRunningImport, importAad, runStoredImport } from '../../src/modules/campaigns/supporters-import-jobs.ts';

/** The supporter imports the page tests show (on a campaign of their own): one waiting in preview, one running, one done with findings. */
export interface SupporterImportPages {
  /** Slug of the campaign they belong to. */
  campaign: string;
  preview: string;
  running: string;
  done: string;
}

const PEOPLE: [name: string, country: string, city: string, affiliation: string][] = [
  ['Amani Kabila', 'Kongo (Dem. Rep.)', 'Kolwezi', 'Syndicat des mineurs du Lualaba'],
  ['Ayşe Yılmaz', 'Türkei', 'Soma', 'Maden İşçileri Sendikası'],
  ['Jürgen Schäfer', 'DE', 'Duisburg', 'IG Metall Duisburg'],
  ['Marie Dubois', 'Frankreich', 'Marseille', ''],
  ['Lucía Fernández', 'ES', 'Vigo', 'Comisiones Obreras'],
  ['Nomvula Dlamini', 'Südafrika', 'Rustenburg', 'NUMSA'],
  ['Priya Raman', 'IN', 'Chennai', ''],
  ['Kofi Mensah', 'Ghana', 'Tarkwa', 'Ghana Mineworkers'],
  ['Ana Souza', 'Brasilien', 'São Bernardo do Campo', 'Sindicato dos Metalúrgicos do ABC'],
  ['Tomasz Nowak', 'PL', 'Gdańsk', 'Solidarność'],
];

/**
 * A campaign of organization `ownerId` with three supporter imports for the page tests: a
 * German-style list (`;`, German headers, a wrong address, a country nobody knows, a repeated
 * address) waiting in preview with its sealed file; a larger one half-way through (`running`, no
 * runner: seed after the app is ready, or it would be continued); and the same list run to the
 * end (`done`, with its findings, so the campaign has ten supporters to export).
 */
export async function seedSupporterImports(db: Db, keyring: Keyring, ownerId: string): Promise<SupporterImportPages> {
  const { id: campaignId, slug } = await insertCampaign(db, ownerId, { slug: 'paper-lists-may-day', title: 'Solidarity with the miners of Lualaba and Soma' });
  const createdBy: string | null = null;
  const lines = ['E-Mail;Name;Land;Ort;Organisation;Öffentlich genannt;Kontakt erlaubt'];
  PEOPLE.forEach(([name, country, city, affiliation], i) => lines.push(`person${i + 1}@example.org;${name};${country};${city};${affiliation};${i % 3 ? 'ja' : 'nein'};${i % 2 ? 'ja' : 'nein'}`));
  lines.push('kein-at-zeichen;Hamid Rahimi;Iran;Ahvaz;;ja;nein', 'mwangi@example.org;Mwangi Otieno;Narnia;Mombasa;;ja;ja', 'PERSON3@example.org;Jürgen S.;DE;Duisburg;;nein;nein', '');
  const bytes = Buffer.from(lines.join('\r\n'), 'utf8');
  const table = readSupporterCsv(bytes);

  const preview = newId();
  await db
    .insertInto('supporter_imports')
    .values({
      id: preview,
      campaign_id: campaignId,
      filename: 'Unterschriften Kundgebung 1. Mai.csv',
      file_sealed: seal(keyring, bytes.toString('base64'), importAad(preview)),
      mapping: JSON.stringify(guessMapping(table.header)),
      consent_basis: null,
      status: 'preview',
      total_rows: table.records.length,
      errors: null,
      created_by: createdBy,
      created_at: new Date().toISOString(),
      finished_at: null,
    })
    .execute();

  const running = newId();
  await db
    .insertInto('supporter_imports')
    .values({
      id: running,
      campaign_id: campaignId,
      filename: 'paper-lists-may.csv',
      file_sealed: null,
      mapping: JSON.stringify({ email: 0, name: 1, country: 2 }),
      consent_basis: 'Signed the paper lists at the May rallies',
      status: 'running',
      total_rows: 12_000,
      processed_rows: 4_500,
      imported: 4_410,
      duplicates: 62,
      errors: '[]',
      created_by: createdBy,
      created_at: new Date().toISOString(),
      finished_at: null,
    })
    .execute();

  const done = await createRunningImport(db, keyring, { campaignId, filename: 'kundgebung.csv', bytes, rows: table.records.length, mapping: guessMapping(table.header), consentBasis: 'Papierliste der Kundgebung am 1. Mai 2026 unterschrieben' });
  const r = await runStoredImport(db, keyring, done);
  if (!r || r.error) throw new Error(`seeding the finished import failed: ${String(r?.error)}`);
  return { campaign: slug, preview, running, done };
}
