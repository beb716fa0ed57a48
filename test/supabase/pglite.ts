import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';

const MIGRATIONS = join(__dirname, '..', '..', 'supabase', 'migrations');

/**
 * What a Supabase project has before our migrations run: the API roles (the service role bypasses
 * RLS) and the default grants that give them every new table in `public` (docs/toolchain.md §6).
 */
const SUPABASE_PRELUDE = `
  create role anon nologin noinherit;
  create role authenticated nologin noinherit;
  create role service_role nologin noinherit bypassrls;
  grant usage on schema public to anon, authenticated, service_role;
  alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
`;

/** A fresh PGlite with the Supabase prelude and every migration applied in order. Close it after. */
export async function migratedDatabase(): Promise<PGlite> {
  // Supabase offers btree_gist; PGlite ships it as a contrib extension to load.
  const db = await PGlite.create({ extensions: { btree_gist } });
  await db.exec(SUPABASE_PRELUDE);
  const files = (await readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql')).sort();
  for (const file of files) await db.exec(await readFile(join(MIGRATIONS, file), 'utf8'));
  return db;
}

/** Column names per table in `public`. */
export async function columnsByTable(db: PGlite): Promise<Map<string, Set<string>>> {
  const { rows } = await db.query<{ table_name: string; column_name: string }>(
    `select table_name, column_name from information_schema.columns where table_schema = 'public'`,
  );
  const map = new Map<string, Set<string>>();
  for (const { table_name, column_name } of rows) {
    if (!map.has(table_name)) map.set(table_name, new Set());
    map.get(table_name)?.add(column_name);
  }
  return map;
}

/**
 * One migrated database for the tests of the enclosing block, made before them and closed after;
 * read it through the returned getter once the tests run.
 */
export function migratedDatabaseForSuite(): () => PGlite {
  let db: PGlite | undefined;
  beforeAll(async () => {
    db = await migratedDatabase();
    // PGlite compiles Postgres to WebAssembly on start: minutes on a loaded machine, seconds otherwise.
  }, 240_000);
  afterAll(async () => {
    await db?.close();
  });
  return () => {
    if (!db) throw new Error('the migrated database is made in beforeAll: read it inside a test');
    return db;
  };
}
