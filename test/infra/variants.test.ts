import { Match, Template } from 'aws-cdk-lib/assertions';
import { REQUIRED_OUTPUTS } from '../../scripts/smoke.js';
import { RAW_CONFIG, synthStack, testConfig } from './fixture.js';

describe('configuration variants', () => {
  it('with an API custom domain, PUBLIC_URL is that domain, mapped and aliased in the zone', () => {
    const t = Template.fromStack(
      synthStack(
        testConfig({
          api: {
            domainName: 'hooks.bolt-plumbing.example',
            certificateArn:
              'arn:aws:acm:eu-west-1:123456789012:certificate/99999999-2222-3333-4444-555555555555',
          },
        }),
      ),
    );
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'hooks.bolt-plumbing.example' });
    t.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'hooks.bolt-plumbing.example.', Type: 'A' });
    t.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PUBLIC_URL: 'https://hooks.bolt-plumbing.example' }) },
    });
    // The custom domain's target, for a CNAME where the zone is not in Route 53.
    const domainId = Object.keys(t.findResources('AWS::ApiGatewayV2::DomainName'))[0] as string;
    t.hasOutput('ApiDomainTarget', { Value: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] } });
    t.hasOutput('CallsEndpoint', { Value: 'https://hooks.bolt-plumbing.example/calls' });
    t.hasOutput('TwilioFallbackUrl', { Value: 'https://hooks.bolt-plumbing.example/twilio/fallback' });
    // Every output the smoke test and the deploy guide read is there.
    for (const key of REQUIRED_OUTPUTS) expect(Object.keys(t.findOutputs(key))).toEqual([key]);
  });

  it('without a hosted zone, creates no DNS records (the operator points the names at the outputs)', () => {
    const { hostedZone: _zone, ...withoutZone } = RAW_CONFIG;
    const t = Template.fromStack(synthStack(testConfig({ ...withoutZone, hostedZone: undefined })));
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
    t.hasOutput('BridgeLoadBalancerDns', {});
    t.hasOutput('BridgeHealthUrl', { Value: 'https://voice.bolt-plumbing.example/health' });
    expect(Object.keys(t.findOutputs('ApiDomainTarget'))).toEqual([]);
  });

  it('refuses minTasks 0: the first deploy starts the bridge, since the secret exists before it', () => {
    expect(() => testConfig({ bridge: { ...RAW_CONFIG.bridge, minTasks: 0 } })).toThrow(/minTasks/);
  });
});
