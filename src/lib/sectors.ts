/**
 * The controlled vocabulary of sectors. Derived from the two-digit sectors of NAICS 2022
 * (North American Industry Classification System) and ISIC Rev. 4 sections, with the industries
 * that international sector networks organize around (automotive, steel, textile, ports) split out.
 * `naics` lists the NAICS prefixes that map to a sector; the longest matching prefix wins.
 * Documented in docs/SECTORS.md.
 */
export const SECTORS = [
  { code: 'agriculture', naics: ['11'], isic: 'A' },
  { code: 'mining', naics: ['21'], isic: 'B' },
  { code: 'energy', naics: ['22', '2211'], isic: 'D' },
  { code: 'water_waste', naics: ['2213', '562'], isic: 'E' },
  { code: 'construction', naics: ['23'], isic: 'F' },
  { code: 'manufacturing', naics: ['31', '32', '33'], isic: 'C' },
  { code: 'automotive', naics: ['3361', '3362', '3363', '4411'], isic: 'C29' },
  { code: 'metal', naics: ['331', '332'], isic: 'C24' },
  { code: 'chemicals', naics: ['325', '326'], isic: 'C20' },
  { code: 'textile', naics: ['313', '314', '315', '316'], isic: 'C13' },
  { code: 'food', naics: ['311', '312'], isic: 'C10' },
  { code: 'trade', naics: ['42', '44', '45'], isic: 'G' },
  { code: 'logistics', naics: ['48', '49'], isic: 'H' },
  { code: 'hospitality', naics: ['72'], isic: 'I' },
  { code: 'information', naics: ['51'], isic: 'J' },
  { code: 'finance', naics: ['52', '53'], isic: 'K' },
  { code: 'services', naics: ['54', '55', '56', '81'], isic: 'N' },
  { code: 'public_administration', naics: ['92'], isic: 'O' },
  { code: 'education', naics: ['61'], isic: 'P' },
  { code: 'health', naics: ['62'], isic: 'Q' },
  { code: 'arts', naics: ['71'], isic: 'R' },
  { code: 'other', naics: [], isic: 'S' },
] as const;

export type Sector = (typeof SECTORS)[number]['code'];
export const SECTOR_CODES: readonly Sector[] = SECTORS.map((s) => s.code);

/** True when `value` is one of the sector codes. */
export function isSector(value: string): value is Sector {
  return (SECTOR_CODES as readonly string[]).includes(value);
}

/** The sector for a NAICS code (2–6 digits) by longest prefix; null when nothing matches. */
export function sectorFromNaics(naics: string): Sector | null {
  let best: { code: Sector; len: number } | null = null;
  for (const s of SECTORS) {
    for (const p of s.naics) {
      if (naics.startsWith(p) && (!best || p.length > best.len)) best = { code: s.code, len: p.length };
    }
  }
  return best?.code ?? null;
}
