/**
 * The parts of the call table's layout both sides must agree on: the infrastructure (lib/) declares
 * the index and grants on the pending partition, the DynamoDB adapters read and write through them.
 */

/** The sparse index of unfinalised sessions, and its one partition value. */
export const UNFINALISED_INDEX = 'unfinalised';
export const UNFINALISED_PK = 'UNFINALISED';
/** What the index keeps besides its keys and the table's: enough to sweep without a read. */
export const UNFINALISED_PROJECTION = ['callSid', 'status'] as const;

/** The partition that lists calls whose finalisation is pending (the sweeper's worklist). */
export const PENDING_PK = 'FINALISATION#PENDING';
