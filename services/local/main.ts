/**
 * `npm start`: the local stack on PORT (default 3000) with configuration from `.env`.
 * Stops cleanly on Ctrl-C or SIGTERM.
 */
import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { ConfigError } from '../core/config.js';
import { logger } from '../core/logging.js';
import { type LocalApp, startLocalApp } from './app.js';

async function main(): Promise<void> {
  if (existsSync('.env')) loadDotenv({ path: '.env', quiet: true });

  let app: LocalApp;
  try {
    app = await startLocalApp(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every setting.\n`);
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
  });

  if (app.generatedCallsApiKey) {
    // Printed once, to the terminal only (never through the logger): it authorises placing calls.
    process.stdout.write(
      `\nCALLS_API_KEY was not set; this run's key for POST /calls is:\n  ${app.generatedCallsApiKey}\n` +
        'Send it as "Authorization: Bearer <key>", or set CALLS_API_KEY in .env to keep one.\n\n',
    );
  }
  if (!config.elevenlabsWebhookSecret)
    logger.warn('ELEVENLABS_WEBHOOK_SECRET is not set: POST /elevenlabs/post-call refuses every delivery');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('Stopping the local stack', { signal });
    app.close().then(
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
