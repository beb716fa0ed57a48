import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, Stack, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { newApp, synthStack } from './fixture.js';

/** Synthesizes `app` with the checks into `outdir` and returns the rule ids of the findings. */
function nagFindings(app: App, outdir: string): string[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    // With findings, synth throws ValidationFailed after writing the report.
    if (!/validation/i.test(String(error))) throw error;
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
  return report.pluginReports.flatMap((r) => r.violations.map((v) => v.ruleName));
}

interface Report {
  pluginReports: Array<{ pluginName?: string; summary?: unknown; violations: Array<{ ruleName: string }> }>;
}

/** Every acknowledgement in the tree: construct path, rule id, reason. */
function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason })),
  );
}

describe('cdk-nag AwsSolutions', () => {
  let outdir: string;
  let app: App;
  let findings: string[];

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'bolt-voice-nag-'));
    app = newApp(outdir);
    synthStack(undefined, app);
    findings = nagFindings(app, outdir);
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('has zero unacknowledged findings', () => {
    expect(findings).toEqual([]);
  });

  it('does report findings (control: an unencrypted, non-TLS queue)', () => {
    const controlOut = mkdtempSync(join(tmpdir(), 'bolt-voice-nag-control-'));
    try {
      const control = newApp(controlOut);
      new Queue(new Stack(control, 'Control'), 'Queue', { encryption: QueueEncryption.UNENCRYPTED });
      expect(nagFindings(control, controlOut)).toEqual(
        expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
      );
    } finally {
      rmSync(controlOut, { recursive: true, force: true });
    }
  });

  it('gives every acknowledgement a reason', () => {
    const acks = acknowledgements(app).filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.reason.length).toBeGreaterThan(40);
  });

  it('stages the bridge image for linux/arm64 from services/bridge/Dockerfile with only the files it needs', () => {
    const assetsFile = readdirSync(outdir).find((f) => f.endsWith('.assets.json')) as string;
    const assets = JSON.parse(readFileSync(join(outdir, assetsFile), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform: string } }>;
    };
    const images = Object.values(assets.dockerImages);
    expect(images).toHaveLength(1);
    const { source } = images[0] as (typeof images)[number];
    expect(source).toMatchObject({ dockerFile: 'services/bridge/Dockerfile', platform: 'linux/arm64' });
    const staged = readdirSync(join(outdir, source.directory)).sort();
    expect(staged).toEqual(['package-lock.json', 'package.json', 'services', 'tsconfig.json']);
    expect(readdirSync(join(outdir, source.directory, 'services'))).not.toContain('local');
  });
});
