import { setupServer } from 'msw/node';
import { MemoryCrm } from '../../services/adapters/memory/crm.js';
import { SupabaseCrm } from '../../services/adapters/supabase/crm.js';
import { postgrestStandIn } from '../support/postgrest.js';
import { CRM_TIMEZONE, describeCrmContract } from './crm.contract.js';

describeCrmContract('MemoryCrm (local stack)', async () => new MemoryCrm({ timezone: CRM_TIMEZONE }));

const SUPABASE_URL = 'https://crm.supabase.test';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterAll(() => server.close());

describeCrmContract('SupabaseCrm (PostgREST stood in by msw)', async () => {
  server.resetHandlers(...postgrestStandIn(SUPABASE_URL).handlers);
  return new SupabaseCrm({ url: SUPABASE_URL, serviceRoleKey: 'service-role-test', timezone: CRM_TIMEZONE });
});
