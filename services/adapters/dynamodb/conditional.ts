import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/**
 * The result of a conditional write, or undefined when its condition was not met (a repeat, a
 * state that moved on): the one refusal that is an answer rather than a failure.
 */
export async function unlessRefused<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}
