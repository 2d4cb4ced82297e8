import type { Db } from '../../src/db/client.ts';
import { newId } from '../../src/lib/ids.ts';
import { nowInstant } from '../../src/lib/time.ts';
import { initLedger } from '../../src/modules/pacts/ledger.service.ts';

/**
 * A bare open pact owned by `organizationId` (rows written directly, no permission checks), for
 * ledger tests that do not need the pact service.
 */
export async function makeBarePact(db: Db, organizationId: string, slug = `pact-${newId().slice(-8)}`): Promise<{ id: string; slug: string }> {
  const id = newId();
  const now = nowInstant();
  await db
    .insertInto('pacts')
    .values({
      id,
      slug,
      organization_id: organizationId,
      title: slug,
      description: 'Test pact',
      lang: 'en',
      beneficiary_group: 'families',
      country: null,
      goal_minor: null,
      goal_currency: null,
      period_start: '2026-01-01',
      period_end: null,
      status: 'open',
      closed_at: null,
      visibility: 'public',
      search_text: slug,
      created_by: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await db.insertInto('pact_organizations').values({ pact_id: id, organization_id: organizationId }).execute();
  await initLedger(db, id);
  return { id, slug };
}

/**
 * A pact's ledger as a fixed-width text table in recording order, for readable snapshots in
 * tests: `seq kind flow amount currency value_date balance reverses(seq) group(letter)`. Groups
 * are lettered A, B, … in order of first appearance so ids do not leak into snapshots.
 */
export async function ledgerTable(db: Db, pactId: string): Promise<string> {
  const rows = await db.selectFrom('ledger_entries').selectAll().where('pact_id', '=', pactId).orderBy('seq').execute();
  const seqOf = new Map(rows.map((r) => [r.id, Number(r.seq)]));
  const groups = new Map<string, string>();
  const letter = (g: string) => {
    if (!groups.has(g)) groups.set(g, String.fromCharCode(65 + (groups.size % 26)) + (groups.size >= 26 ? String(Math.floor(groups.size / 26)) : ''));
    return groups.get(g)!;
  };
  const lines = [['seq', 'kind', 'flow', 'amount', 'cur', 'value_date', 'balance', 'rev', 'grp']];
  for (const r of rows)
    lines.push([
      String(r.seq),
      r.kind,
      r.flow,
      String(Number(r.amount_minor)),
      r.currency,
      r.value_date,
      String(Number(r.balance_after_minor)),
      r.reverses_id ? String(seqOf.get(r.reverses_id)) : '',
      letter(r.group_id),
    ]);
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (i === 3 || i === 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}
