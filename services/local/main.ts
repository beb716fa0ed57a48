/**
 * `npm start`: the local stack on PORT (default 3000) with configuration from `.env`, if there is
 * one. What is absent is filled in (local-defaults.ts): with no `.env` at all everything runs on
 * embedded parts, and a banner says which and how to switch each to the real service.
 * Stops cleanly on Ctrl-C or SIGTERM.
 */
import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { ConfigError } from '../core/shared/config.js';
import { logger } from '../core/shared/logging.js';
import { type LocalApp, startLocalApp } from './app.js';
import { startupBanner } from './banner.js';
import { fillLocalDefaults, localPort } from './local-defaults.js';
import { startTwilioRestSim, type TwilioRestSim } from './sim/twilio-rest.js';

async function main(): Promise<void> {
  if (existsSync('.env')) loadDotenv({ path: '.env', quiet: true });

  const defaults = fillLocalDefaults(process.env, localPort(process.env));
  const env = defaults.env;
  // With Twilio simulated, its REST API (hang up, transfer, outbound calls) is the stand-in too.
  let twilioRest: TwilioRestSim | undefined;
  if (defaults.simulatedTwilio && !env.TWILIO_API_URL?.trim()) {
    twilioRest = await startTwilioRestSim({
      accountSid: env.TWILIO_ACCOUNT_SID ?? '',
      authToken: env.TWILIO_AUTH_TOKEN ?? '',
    });
    env.TWILIO_API_URL = twilioRest.url;
  }

  let app: LocalApp;
  try {
    app = await startLocalApp(env);
  } catch (error) {
    await twilioRest?.close();
    if (error instanceof ConfigError) {
      process.stderr.write(
        `${error.message}\nEvery setting, its default and meaning: docs/configuration.md (an example: .env.example).\n`,
      );
      process.exit(1);
    }
    throw error;
  }

  const { stack } = app;
  const { config } = stack;
  logger.info(`Bolt Voice local stack listening on ${stack.url}`, {
    url: stack.url,
    inboundWebhook: `${config.publicUrl}/twilio/inbound`,
    statusCallback: `${config.publicUrl}/twilio/status`,
    postCallWebhook: `${config.publicUrl}/elevenlabs/post-call`,
    callsApi: `${stack.url}/calls`,
    streamUrl: config.streamUrl,
    dynamodb: config.dynamodbEndpoint ?? 'embedded',
    voiceProvider: config.voiceProvider,
    simulatedEngines: app.engines.simulated,
    embeddedStandIns: app.adapters.embedded,
    filledIn: defaults.filled,
  });
  process.stdout.write(
    startupBanner({
      config,
      url: stack.url,
      simulatedTwilio: defaults.simulatedTwilio,
      simulatedEngines: app.engines.simulated,
      embedded: app.adapters.embedded,
      generatedCallsApiKey: app.generatedCallsApiKey,
      pageKey: app.pageKey,
    }),
  );

  // Only the real ElevenLabs sends post-call webhooks: with the simulated one the warning says nothing.
  if (!config.elevenlabsWebhookSecret && !app.engines.simulated.includes('elevenlabs'))
    logger.warn('ELEVENLABS_WEBHOOK_SECRET is not set: POST /elevenlabs/post-call refuses every delivery');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('Stopping the local stack', { signal });
    app
      .close()
      .then(() => twilioRest?.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error('The local stack did not stop cleanly', { error: error as Error });
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  logger.error('The local stack failed to start', { error: error as Error });
  process.exit(1);
});
