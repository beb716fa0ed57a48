import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** A conditional write DynamoDB refused because its condition was false. */
const REFUSED: unique symbol = Symbol('condition refused');

async function settle<T>(write: Promise<T>): Promise<T | typeof REFUSED> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return REFUSED;
    throw error;
  }
}

/**
 * The result of a conditional write, or undefined when its condition was not met (a repeat, a
 * state that moved on): the one refusal that is an answer rather than a failure.
 */
export async function unlessRefused<T>(write: Promise<T>): Promise<T | undefined> {
  const result = await settle(write);
  return result === REFUSED ? undefined : result;
}

/** True when the conditional write happened, false when its condition said no; other errors propagate. */
export async function wrote(write: Promise<unknown>): Promise<boolean> {
  return (await settle(write)) !== REFUSED;
}
