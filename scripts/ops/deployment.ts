/**
 * What the operator scripts (`npm run setup`, `smoke`, `call`) share: the deployment's defaults from
 * cdk.json (stage, region, names), the stack's outputs, and one-line check reports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

const PROJECT_ROOT = join(__dirname, '..', '..');

export interface DeploymentDefaults {
  stage: string;
  /** Explicit `region`, else the certificate's (the stack deploys there). */
  region?: string;
  stackName: string;
  secretName: string;
  providerParameterName: string;
}

/** Defaults from the `boltVoice` context in cdk.json; the same derivations as lib/config.ts. */
export function deploymentDefaults(cdkJsonPath = join(PROJECT_ROOT, 'cdk.json')): DeploymentDefaults {
  let context: { stage?: string; region?: string; certificateArn?: string; secretName?: string } = {};
  try {
    context =
      (JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context?: { boltVoice?: typeof context } }).context
        ?.boltVoice ?? {};
  } catch {
    // No readable cdk.json: every value must then come from the command line.
  }
  const stage = context.stage ?? 'dev';
  return {
    stage,
    region: context.region ?? context.certificateArn?.split(':')[3],
    stackName: `BoltVoice-${stage}`,
    secretName: context.secretName ?? `bolt-voice/${stage}`,
    providerParameterName: `/bolt-voice/${stage}/voice-provider`,
  };
}

/** The stack's outputs by key; throws naming the stack when it does not exist. */
export async function stackOutputs(cloudformation: CloudFormationClient, stackName: string) {
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  const [stack] = Stacks ?? [];
  if (!stack) throw new Error(`Stack ${stackName} not found`);
  return {
    status: stack.StackStatus ?? 'UNKNOWN',
    outputs: Object.fromEntries(
      (stack.Outputs ?? []).flatMap((o) =>
        o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [],
      ),
    ) as Record<string, string>,
  };
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** `ok    name: detail` or `FAIL  name: detail — fix: …`. */
export function reportLine(check: CheckResult): string {
  const head = `${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`;
  return check.ok || !check.fix ? head : `${head} — fix: ${check.fix}`;
}

/** The AWS SDK error name (`ResourceNotFoundException` …), for branching on expected refusals. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}
