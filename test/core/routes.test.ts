import { FUNCTION_TABLE } from '../../lib/lambda-functions.js';
import { placeCall } from '../../services/core/outbound/place-call.js';
import {
  BRIDGE_ROUTES,
  LOCAL_ROUTES,
  matchRoutePath,
  routeKey,
  WEBHOOK_ROUTES,
  webhookRoutes,
} from '../../services/core/shared/routes.js';
import { startLocalApp } from '../../services/local/app.js';
import { resourcesOfType } from '../infra/fixture.js';
import { outboundHarness, PUBLIC_URL } from '../support/outbound-harness.js';
import { testEnv } from '../support/twilio.js';

// The manifest (services/core/shared/routes.ts) is the one place a route is written; these check that each
// reader serves or builds exactly its routes.
const manifestKeys = () =>
  webhookRoutes()
    .map(([, r]) => routeKey(r))
    .sort();

describe('route manifest', () => {
  test('every webhook route has a Lambda in the function table, with the handler it names', () => {
    const routed = FUNCTION_TABLE.filter((f) => f.route);
    expect(routed.map((f) => [f.id, f.entry, f.route])).toEqual(
      webhookRoutes().map(([id, route]) => [id, route.handler, route]),
    );
  });

  test('API Gateway has exactly the manifest routes, IAM only where the manifest says', () => {
    const routes = resourcesOfType('AWS::ApiGatewayV2::Route').map(([, p]) => [
      p.RouteKey as string,
      p.AuthorizationType as string,
    ]);
    expect(routes.map(([key]) => key).sort()).toEqual(manifestKeys());
    for (const [, route] of webhookRoutes()) {
      expect(routes).toContainEqual([routeKey(route), route.auth === 'iam' ? 'AWS_IAM' : 'NONE']);
    }
  });

  test('the load balancer forwards the bridge routes of the manifest', () => {
    const [[, rule]] = resourcesOfType('AWS::ElasticLoadBalancingV2::ListenerRule') as [
      [string, { Conditions: Array<{ PathPatternConfig: { Values: string[] } }> }],
    ];
    expect(rule.Conditions[0]?.PathPatternConfig.Values.sort()).toEqual(
      Object.values(BRIDGE_ROUTES)
        .map((r) => r.path)
        .sort(),
    );
  });

  test('the local stack serves exactly the manifest routes (webhooks, the bridge, and its local-only pages)', async () => {
    const app = await startLocalApp(testEnv({ PORT: '0', PUBLIC_URL: 'https://voice.example.com' }));
    try {
      const expected = [
        ...manifestKeys(),
        ...Object.values(BRIDGE_ROUTES).map(routeKey),
        ...Object.values(LOCAL_ROUTES).map(routeKey),
      ].sort();
      expect(Object.keys(LOCAL_ROUTES).length).toBeGreaterThan(0);
      expect([...app.stack.routeKeys].sort()).toEqual(expected);
    } finally {
      await app.close();
    }
  });

  test('an outbound call gives Twilio the manifest URLs for its TwiML and status callbacks', async () => {
    const { deps, callControl } = outboundHarness();
    await placeCall(deps, { to: '+12125550123', idempotencyKey: 'req-routes' });
    const [placed] = callControl.placed;
    expect(new URL(placed?.url ?? '').pathname).toBe(WEBHOOK_ROUTES.OutboundTwiml.path);
    expect(placed?.statusCallback).toBe(`${PUBLIC_URL}${WEBHOOK_ROUTES.CallStatus.path}`);
  });
});

describe('matchRoutePath', () => {
  test('takes `:name` segments from a path of the same shape, and nothing else', () => {
    expect(matchRoutePath(LOCAL_ROUTES.callRecording, '/calls/CA1/recording.wav')).toEqual(['CA1']);
    expect(matchRoutePath(LOCAL_ROUTES.callRecording, '/calls/CA1/recordingXwav')).toBeUndefined();
    expect(matchRoutePath(LOCAL_ROUTES.callDetail, '/calls/CA1/recording.wav')).toBeUndefined();
    expect(matchRoutePath(LOCAL_ROUTES.callsPage, '/calls')).toEqual([]);
  });
});
