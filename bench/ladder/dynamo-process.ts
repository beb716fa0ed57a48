/**
 * DynamoDB for the ladder (dynalite) in a process of its own, beside the load generator on its core.
 * DynamoDB is a remote service in production; inside the generator's event loop every request of a
 * call's setup waited behind the paced frames of all the other calls (~10 ms a request at 20 calls),
 * which measured the bench, not the bridge. As a process of its own the kernel interleaves it with
 * the generator at a finer grain than the event loop does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { startEmbeddedDynamo } from '../../services/local/embedded-dynamodb';

export interface DynamoProcess {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts the process (pinned to `core` where taskset exists) and resolves with its endpoint. */
export async function startDynamoProcess(core: number | undefined): Promise<DynamoProcess> {
  const node = [process.execPath, '--import', 'tsx', __filename, 'serve'];
  const [command, ...args] = core !== undefined ? ['taskset', '-c', String(core), ...node] : node;
  const child: ChildProcess = spawn(command!, args, {
    cwd: `${__dirname}/../..`,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const [endpoint] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the DynamoDB process exited with ${code} before listening`);
    }),
  ])) as [string];
  return {
    endpoint,
    close: async () => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (process.argv[2] === 'serve') {
  startEmbeddedDynamo().then(
    (dynamo) => {
      process.send?.(dynamo.endpoint);
      process.on('SIGTERM', () => void dynamo.close().finally(() => process.exit(0)));
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
