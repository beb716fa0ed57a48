/**
 * `npm run preflight -- [--region eu-west-1]`: before `npx cdk deploy`, with the deploy's settings
 * (`boltVoice` in cdk.json) and the CLI's credentials, checks what a first deploy would otherwise
 * find out 10 to 20 minutes in: the certificate is ISSUED, unexpired and covers the bridge's name
 * (and the API's), the secret holds every key, the provider flag and the business profile exist and
 * are valid, and the hosted zone (if used) is the public zone of those names with no record in the
 * way. One line per check, `ok` or `FAIL` with the fix; exits 1 on any failure. It only reads
 * (acm:DescribeCertificate, secretsmanager:GetSecretValue, ssm:GetParameter,
 * route53:GetHostedZone, route53:ListResourceRecordSets): nothing is created.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ACMClient, type CertificateDetail, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { GetHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type BoltVoiceConfig, parameterNames, parseConfig, placeholderValues } from '../lib/config.js';
import { parseBusinessProfile } from '../services/core/shared/business-profile.js';
import { ENGINE_NAMES } from '../services/core/shared/engines.js';
import { missingSecretKeys } from '../services/core/shared/secret-keys.js';
import { type CheckResult, errorName, reportLine } from './ops/deployment.js';

export interface PreflightClients {
  acm: ACMClient;
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
  route53: Route53Client;
  now?: () => number;
}

/** A certificate that runs out this soon is reported (still ok): renewals of DNS-validated ones are automatic. */
const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The checks for a parsed configuration, in the order the guide's steps create what they check.
 * Each catches its own failure, so one missing piece never hides the others.
 */
export async function runPreflight(
  clients: PreflightClients,
  config: BoltVoiceConfig,
): Promise<CheckResult[]> {
  const now = clients.now ?? Date.now;
  const names = parameterNames(config.stage);
  const results: CheckResult[] = [
    await checkCertificate(clients.acm, 'bridge', config.certificateArn, config.bridgeDomainName, now()),
  ];
  if (config.api) {
    results.push(
      await checkCertificate(clients.acm, 'API', config.api.certificateArn, config.api.domainName, now()),
    );
  }
  results.push(await checkSecret(clients.secretsManager, config.secretName));
  results.push(await checkProviderFlag(clients.ssm, names.providerFlag));
  results.push(await checkBusinessProfile(clients.ssm, names.businessProfile));
  if (config.hostedZone) {
    const domains = [config.bridgeDomainName, ...(config.api ? [config.api.domainName] : [])];
    results.push(await checkHostedZone(clients.route53, config.hostedZone, domains));
  }
  return results;
}

/** The configuration check (the one the others need): problems named, sample values refused. */
export function checkConfiguration(raw: unknown): { result: CheckResult; config?: BoltVoiceConfig } {
  const name = 'configuration (boltVoice in cdk.json)';
  let config: BoltVoiceConfig;
  try {
    config = parseConfig(raw);
  } catch (error) {
    return {
      result: {
        name,
        ok: false,
        detail: (error as Error).message.replace(/\n\s*/g, ' '),
        fix: 'correct the values named (docs/deploy.md, step 7)',
      },
    };
  }
  const placeholders = placeholderValues(config);
  if (placeholders.length > 0) {
    return {
      result: {
        name,
        ok: false,
        detail: `sample values: ${placeholders.join('; ')}`,
        fix: 'replace them with your own in cdk.json',
      },
    };
  }
  return {
    result: { name, ok: true, detail: `stage ${config.stage}, region ${config.region}` },
    config,
  };
}

/** Whether an ACM name (`voice.example.com`, `*.example.com`) covers `domain`. */
export function certificateCovers(certificateName: string, domain: string): boolean {
  const name = certificateName.toLowerCase();
  if (!name.startsWith('*.')) return name === domain;
  // A wildcard covers exactly one label: *.example.com covers voice.example.com, not a.b.example.com.
  const [, ...rest] = domain.split('.');
  return rest.join('.') === name.slice(2) && domain.split('.').length === name.split('.').length;
}

async function checkCertificate(
  acm: ACMClient,
  what: string,
  arn: string,
  domain: string,
  now: number,
): Promise<CheckResult> {
  const name = `${what} certificate covers ${domain}`;
  let certificate: CertificateDetail | undefined;
  try {
    ({ Certificate: certificate } = await acm.send(new DescribeCertificateCommand({ CertificateArn: arn })));
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `${arn}: ${errorName(error) || 'error'}: ${(error as Error).message}`,
      fix:
        errorName(error) === 'ResourceNotFoundException'
          ? 'the ARN must name a certificate of this account in the stack’s region (aws acm list-certificates)'
          : credentialsFix(),
    };
  }
  const status = certificate?.Status ?? 'UNKNOWN';
  if (status !== 'ISSUED') {
    return {
      name,
      ok: false,
      detail: `${arn} is ${status}`,
      fix:
        status === 'PENDING_VALIDATION'
          ? `create the DNS validation record ACM shows (aws acm describe-certificate --certificate-arn ${arn} --query Certificate.DomainValidationOptions) and wait for ISSUED`
          : 'request a new public certificate for the name and validate it by DNS (docs/deploy.md, step 2)',
    };
  }
  const certificateNames = certificate?.SubjectAlternativeNames ?? [certificate?.DomainName ?? ''];
  if (!certificateNames.some((n) => certificateCovers(n, domain))) {
    return {
      name,
      ok: false,
      detail: `${arn} is for ${certificateNames.join(', ')}`,
      fix: `request a certificate for ${domain} (or *.${domain.split('.').slice(1).join('.')}) and set its ARN, or change the domain name`,
    };
  }
  const notAfter = certificate?.NotAfter?.getTime();
  if (notAfter !== undefined && notAfter <= now) {
    return {
      name,
      ok: false,
      detail: `${arn} expired on ${new Date(notAfter).toISOString().slice(0, 10)}`,
      fix: 'renew it (a DNS-validated ACM certificate renews itself while its validation record exists) or request a new one',
    };
  }
  const days = notAfter === undefined ? undefined : Math.floor((notAfter - now) / DAY_MS);
  const expiry =
    days === undefined
      ? ''
      : days < EXPIRY_WARNING_DAYS
        ? `, expires in ${days} days: check its renewal`
        : '';
  return { name, ok: true, detail: `ISSUED${expiry}` };
}

async function checkSecret(client: SecretsManagerClient, secretName: string): Promise<CheckResult> {
  const name = `secret ${secretName} holds every key`;
  const fix = 'npm run setup -- --secret-file secret.json (creates the secret or adds the missing keys)';
  let values: Record<string, unknown>;
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretName }));
    values = JSON.parse(SecretString ?? '{}') as Record<string, unknown>;
  } catch (error) {
    const missing = errorName(error) === 'ResourceNotFoundException';
    return {
      name,
      ok: false,
      detail: missing ? 'does not exist' : `${errorName(error) || 'error'}: ${(error as Error).message}`,
      fix: missing || error instanceof SyntaxError ? fix : credentialsFix(),
    };
  }
  const missing = missingSecretKeys(values);
  if (missing.length > 0) return { name, ok: false, detail: `missing or empty: ${missing.join(', ')}`, fix };
  const malformed = malformedSecretValues(values);
  if (malformed.length > 0) return { name, ok: false, detail: malformed.join('; '), fix };
  return { name, ok: true, detail: `${Object.keys(values).length} keys` };
}

/** The values the services would refuse at start, named (never shown). */
function malformedSecretValues(values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (!/^AC[0-9a-fA-F]{32}$/.test(String(values.TWILIO_ACCOUNT_SID))) {
    problems.push('TWILIO_ACCOUNT_SID is not AC followed by 32 hex digits');
  }
  if (!/^https:\/\/\S+$/.test(String(values.SUPABASE_URL))) problems.push('SUPABASE_URL is not an https URL');
  try {
    const google = JSON.parse(String(values.GOOGLE_SERVICE_ACCOUNT_JSON)) as Record<string, unknown>;
    if (typeof google.client_email !== 'string' || typeof google.private_key !== 'string') {
      problems.push('GOOGLE_SERVICE_ACCOUNT_JSON lacks client_email or private_key');
    }
  } catch {
    problems.push('GOOGLE_SERVICE_ACCOUNT_JSON is not the key file’s JSON');
  }
  return problems;
}

async function checkProviderFlag(client: SSMClient, parameterName: string): Promise<CheckResult> {
  const name = `provider flag ${parameterName}`;
  const value = await readParameter(client, parameterName);
  if ('error' in value) {
    return {
      name,
      ok: false,
      detail: value.error,
      fix: value.missing
        ? 'npm run setup -- --secret-file secret.json (creates it as elevenlabs)'
        : credentialsFix(),
    };
  }
  return (ENGINE_NAMES as readonly string[]).includes(value.value)
    ? { name, ok: true, detail: value.value }
    : {
        name,
        ok: false,
        detail: `"${value.value}" is not ${ENGINE_NAMES.join(' or ')}`,
        fix: `aws ssm put-parameter --name ${parameterName} --value elevenlabs --overwrite`,
      };
}

async function checkBusinessProfile(client: SSMClient, parameterName: string): Promise<CheckResult> {
  const name = `business profile ${parameterName}`;
  const put = `aws ssm put-parameter --name ${parameterName} --type String --value file://business-profile.json --overwrite (see business-profile.example.json)`;
  const value = await readParameter(client, parameterName);
  if ('error' in value) {
    return { name, ok: false, detail: value.error, fix: value.missing ? put : credentialsFix() };
  }
  const parsed = parseBusinessProfile(value.value);
  return parsed.ok
    ? { name, ok: true, detail: `valid (${parsed.profile.services.length} services)` }
    : { name, ok: false, detail: `invalid: ${parsed.problems.join('; ')}`, fix: put };
}

async function readParameter(
  client: SSMClient,
  parameterName: string,
): Promise<{ value: string } | { error: string; missing: boolean }> {
  try {
    const { Parameter } = await client.send(new GetParameterCommand({ Name: parameterName }));
    return { value: Parameter?.Value ?? '' };
  } catch (error) {
    const missing = errorName(error) === 'ParameterNotFound';
    return {
      error: missing ? 'does not exist' : `${errorName(error) || 'error'}: ${(error as Error).message}`,
      missing,
    };
  }
}

async function checkHostedZone(
  route53: Route53Client,
  zone: NonNullable<BoltVoiceConfig['hostedZone']>,
  domains: string[],
): Promise<CheckResult> {
  const name = `hosted zone ${zone.hostedZoneId} (${zone.zoneName}) can hold ${domains.join(', ')}`;
  try {
    const { HostedZone } = await route53.send(new GetHostedZoneCommand({ Id: zone.hostedZoneId }));
    const actual = (HostedZone?.Name ?? '').replace(/\.$/, '');
    if (actual !== zone.zoneName) {
      return {
        name,
        ok: false,
        detail: `the zone is ${actual}`,
        fix: 'set hostedZone.hostedZoneId to the id of the zone named zoneName (aws route53 list-hosted-zones-by-name)',
      };
    }
    if (HostedZone?.Config?.PrivateZone) {
      return {
        name,
        ok: false,
        detail: 'it is a private zone: Twilio resolves the bridge name on the internet',
        fix: 'use the public hosted zone of the domain',
      };
    }
    for (const domain of domains) {
      // The stack creates an alias A record for each name; one already there fails the deploy late.
      const { ResourceRecordSets } = await route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zone.hostedZoneId,
          StartRecordName: domain,
          MaxItems: 10,
        }),
      );
      const inTheWay = (ResourceRecordSets ?? []).find(
        (r) => r.Name?.replace(/\.$/, '') === domain && ['A', 'AAAA', 'CNAME'].includes(r.Type ?? ''),
      );
      if (inTheWay) {
        return {
          name,
          ok: false,
          detail: `a ${inTheWay.Type} record for ${domain} exists already`,
          fix: `delete it (the stack creates the alias record itself), or remove hostedZone from cdk.json and point ${domain} at the outputs yourself`,
        };
      }
    }
    return { name, ok: true, detail: `public zone, no record in the way` };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `${errorName(error) || 'error'}: ${(error as Error).message}`,
      fix:
        errorName(error) === 'NoSuchHostedZone'
          ? 'set hostedZone.hostedZoneId to a zone of this account (aws route53 list-hosted-zones-by-name)'
          : credentialsFix(),
    };
  }
}

function credentialsFix(): string {
  return 'check your AWS credentials (aws sts get-caller-identity) and that they may read it';
}

/** The `boltVoice` context of a cdk.json (undefined when the file has none). */
export function readBoltVoiceContext(cdkJsonPath: string): unknown {
  const cdkJson = JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context?: { boltVoice?: unknown } };
  return cdkJson.context?.boltVoice;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { region: { type: 'string' }, 'cdk-json': { type: 'string' } },
  });
  const { result, config } = checkConfiguration(
    readBoltVoiceContext(values['cdk-json'] ?? join(__dirname, '..', 'cdk.json')),
  );
  const results = [result];
  if (config) {
    const region = values.region ?? config.region;
    results.push(
      ...(await runPreflight(
        {
          acm: new ACMClient({ region }),
          secretsManager: new SecretsManagerClient({ region }),
          ssm: new SSMClient({ region }),
          route53: new Route53Client({ region }),
        },
        config,
      )),
    );
  }
  for (const line of results.map(reportLine)) console.log(line);
  const failed = results.filter((r) => !r.ok).length;
  console.log(
    failed === 0
      ? 'all checks passed: npx cdk deploy'
      : `${failed} check(s) failed: fix them before deploying`,
  );
  if (failed > 0) process.exit(1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
