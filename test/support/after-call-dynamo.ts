/**
 * dynalite in this process, with a fresh call table per test: the after-call stores share the call
 * table's layout (pk/sk strings, no index), so this is the same helper the session-store tests use.
 */
import { startTestDynamo, type TestDynamo } from './dynamo.js';

export type AfterCallDynamo = Pick<TestDynamo, 'doc' | 'newTable' | 'close'>;

export function startAfterCallDynamo(): Promise<AfterCallDynamo> {
  return startTestDynamo();
}
