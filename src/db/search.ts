import { sql, type RawBuilder, type SqlBool } from 'kysely';

/** Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * `column` (already lower-case text) contains every word of `query` (case-insensitive, NFKC):
 * a LIKE per word with an explicit `ESCAPE '\'`, which SQLite and PostgreSQL read alike.
 */
export function containsWords(column: string, query: string): RawBuilder<SqlBool> {
  const words = query.normalize('NFKC').toLocaleLowerCase('und').split(/\s+/).filter(Boolean).slice(0, 8);
  if (!words.length) return sql<SqlBool>`1 = 1`;
  return sql<SqlBool>`(${sql.join(
    words.map((w) => sql`${sql.ref(column)} LIKE ${`%${escapeLike(w)}%`} ESCAPE '\\'`),
    sql` AND `,
  )})`;
}
