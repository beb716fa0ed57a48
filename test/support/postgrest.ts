import { randomUUID } from 'node:crypto';
import { HttpResponse, http } from 'msw';

type Row = Record<string, unknown>;

/** Postgres' exclusion_violation, as the appointments_no_overlap constraint raises it. */
const EXCLUSION_VIOLATION = '23P01';
const TABLES_WITH_ID = new Set(['customers', 'leads', 'appointments']);
const RESERVED = new Set(['select', 'order', 'limit', 'on_conflict', 'columns']);

/**
 * A small stateful PostgREST in front of the CRM's tables, enough for what the Supabase adapter
 * sends: inserts and upserts on a conflict target (merging only the columns sent, or ignoring the
 * duplicate), `eq`/`gte`/`gt`/`lt`/`is`/`not.is` filters, `order`, `limit`, the `call_turns`
 * embedding, PATCH, and the appointments' no-overlap exclusion constraint. Ids and `created_at`
 * are the database's, as its column defaults make them.
 */
export function postgrestStandIn(baseUrl: string) {
  const tables = new Map<string, Row[]>();
  const rowsOf = (table: string) => tables.get(table) ?? tables.set(table, []).get(table) ?? [];

  const respond = (request: Request, rows: Row[], status: number) => {
    if (!request.headers.get('prefer')?.includes('return=representation') && request.method !== 'GET') {
      return new HttpResponse(null, { status });
    }
    if (request.headers.get('accept')?.includes('vnd.pgrst.object')) {
      if (rows.length !== 1) {
        return HttpResponse.json({ code: 'PGRST116', message: `${rows.length} rows` }, { status: 406 });
      }
      return HttpResponse.json(rows[0], { status });
    }
    return HttpResponse.json(rows, { status });
  };

  const handlers = [
    http.get(`${baseUrl}/rest/v1/:table`, ({ request, params }) => {
      const table = String(params.table);
      const url = new URL(request.url);
      let rows = rowsOf(table).filter((row) => matches(row, url.searchParams));
      const order = url.searchParams.get('order');
      if (order) {
        const [column = '', direction] = order.split('.');
        const sign = direction === 'desc' ? -1 : 1;
        rows = [...rows].sort((a, b) => sign * String(a[column]).localeCompare(String(b[column])));
      }
      const limit = url.searchParams.get('limit');
      if (limit) rows = rows.slice(0, Number(limit));
      if (table === 'calls' && url.searchParams.get('select')?.includes('call_turns(')) {
        const turns = rowsOf('call_turns');
        rows = rows.map((call) => ({
          ...call,
          call_turns: turns.filter((t) => t.call_sid === call.call_sid).map((t) => ({ ...t })),
        }));
      }
      return respond(
        request,
        rows.map((row) => ({ ...row })),
        200,
      );
    }),
    http.post(`${baseUrl}/rest/v1/:table`, async ({ request, params }) => {
      const table = String(params.table);
      const url = new URL(request.url);
      const body = (await request.json()) as Row | Row[];
      const prefer = request.headers.get('prefer') ?? '';
      const conflictColumns = url.searchParams.get('on_conflict')?.split(',') ?? [];
      const rows = rowsOf(table);
      const written: Row[] = [];
      for (const input of Array.isArray(body) ? body : [body]) {
        const existing = conflictColumns.length
          ? rows.find((row) => conflictColumns.every((c) => row[c] === input[c]))
          : undefined;
        if (existing && prefer.includes('resolution=ignore-duplicates')) continue;
        if (existing && !prefer.includes('resolution=merge-duplicates')) {
          return HttpResponse.json({ code: '23505', message: 'duplicate key' }, { status: 409 });
        }
        const candidate = existing
          ? { ...existing, ...input }
          : {
              ...(TABLES_WITH_ID.has(table) ? { id: randomUUID() } : {}),
              created_at: new Date().toISOString(),
              ...input,
            };
        if (table === 'appointments' && overlapsAnother(rows, candidate)) {
          return HttpResponse.json(
            {
              code: EXCLUSION_VIOLATION,
              message: 'conflicting key value violates exclusion constraint "appointments_no_overlap"',
            },
            { status: 409 },
          );
        }
        if (existing) Object.assign(existing, candidate);
        else rows.push(candidate);
        written.push({ ...candidate });
      }
      return respond(request, written, 201);
    }),
    http.patch(`${baseUrl}/rest/v1/:table`, async ({ request, params }) => {
      const url = new URL(request.url);
      const patch = (await request.json()) as Row;
      const rows = rowsOf(String(params.table)).filter((row) => matches(row, url.searchParams));
      for (const row of rows) Object.assign(row, patch);
      return respond(
        request,
        rows.map((row) => ({ ...row })),
        200,
      );
    }),
  ];
  return { handlers, tables };
}

function matches(row: Row, params: URLSearchParams): boolean {
  for (const [column, condition] of params) {
    if (RESERVED.has(column)) continue;
    const negated = condition.startsWith('not.');
    const [op, ...rest] = (negated ? condition.slice(4) : condition).split('.');
    const expected = rest.join('.');
    const actual = row[column];
    const holds =
      op === 'is'
        ? expected === 'null' && (actual === null || actual === undefined)
        : actual !== undefined && actual !== null && compare(op ?? '', String(actual), expected);
    if (holds === negated) return false;
  }
  return true;
}

function compare(op: string, actual: string, expected: string): boolean {
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'gte':
      return actual >= expected;
    case 'gt':
      return actual > expected;
    case 'lt':
      return actual < expected;
    default:
      throw new Error(`the PostgREST stand-in does not know the filter ${op}`);
  }
}

function overlapsAnother(rows: Row[], candidate: Row): boolean {
  if (candidate.cancelled_at) return false;
  return rows.some(
    (row) =>
      row.calendar_event_id !== candidate.calendar_event_id &&
      !row.cancelled_at &&
      String(row.starts_at) < String(candidate.ends_at) &&
      String(candidate.starts_at) < String(row.ends_at),
  );
}
