import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BoltVoiceStack } from '../../lib/bolt-voice-stack.js';
import { type BoltVoiceConfig, parseConfig } from '../../lib/config.js';

/** A complete, valid configuration as an operator would write it in cdk.json. */
export const RAW_CONFIG = {
  stage: 'test',
  bridgeDomainName: 'voice.bolt-plumbing.example',
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
  hostedZone: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'bolt-plumbing.example' },
  twilioPhoneNumber: '+15550001111',
  business: {
    name: 'Bolt Plumbing',
    timeZone: 'Europe/London',
    hours: 'mon-fri 08:30-17:30,sat 10:00-14:00',
  },
  ownerEmail: 'owner@bolt-plumbing.example',
  emailFrom: 'Bolt Voice <receptionist@bolt-plumbing.example>',
  ownerPhone: '+447700900123',
  googleCalendarId: 'bookings@bolt-plumbing.example',
  outboundAllowedCountries: ['GB', 'IE'],
  alarmEmail: 'alerts@bolt-plumbing.example',
  digestTime: '18:30',
  logRetentionDays: 14,
  bridge: { cpu: 1024, memoryMiB: 2048, minTasks: 2, maxTasks: 6, targetCallsPerTask: 25 },
} as const;

export function testConfig(overrides: Record<string, unknown> = {}): BoltVoiceConfig {
  return parseConfig({ ...RAW_CONFIG, ...overrides });
}

/** Bundling is skipped: these tests read the template, not the code. */
export function newApp(outdir?: string): App {
  return new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
}

export function synthStack(config: BoltVoiceConfig = testConfig(), app: App = newApp()): BoltVoiceStack {
  return new BoltVoiceStack(app, 'BoltVoice-test', { config, env: { region: config.region } });
}

let cached: { stack: BoltVoiceStack; template: Template } | undefined;

/** One synthesized template per test file: building it is the slow part. */
export function template(): Template {
  if (!cached) {
    const stack = synthStack();
    cached = { stack, template: Template.fromStack(stack) };
  }
  return cached.template;
}

/**
 * The imported secret and provider flag, as grants render them: by name (with Secrets Manager's
 * random six-character suffix), never a resource of this template.
 */
export const SECRET_ARN_TAIL = ':secret:bolt-voice/test-??????';
export const PROVIDER_PARAMETER_TAIL = ':parameter/bolt-voice/test/voice-provider';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

export function resourcesOfType(type: string): Array<[string, Record<string, unknown>]> {
  const all = template().toJSON().Resources as Resources;
  return Object.entries(all)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** The logical id of the single resource of `type` whose logical id starts with `prefix`. */
export function logicalId(type: string, prefix: string): string {
  const ids = Object.keys(template().findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ')}`);
  return ids[0] as string;
}

/** All IAM policy statements attached to the role with this logical id. */
export function statementsOfRole(roleId: string): Array<Record<string, unknown>> {
  return resourcesOfType('AWS::IAM::Policy')
    .filter(([, p]) =>
      (p.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
}

export function actionsOf(statement: Record<string, unknown>): string[] {
  const a = statement.Action;
  return Array.isArray(a) ? (a as string[]) : [a as string];
}
