import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BoltVoiceStack } from '../lib/bolt-voice-stack.js';
import { ConfigurationError, parseConfig, placeholdersAllowed, placeholderValues } from '../lib/config.js';

const app = new App();

let config: ReturnType<typeof parseConfig>;
try {
  config = parseConfig(app.node.tryGetContext('boltVoice'));
  const placeholders = placeholderValues(config);
  if (placeholders.length > 0) {
    // CDK_DEFAULT_ACCOUNT: set by the CLI whenever it has credentials, so on every deploy.
    if (
      !placeholdersAllowed(app.node.tryGetContext('boltVoice:offlineCheck'), process.env.CDK_DEFAULT_ACCOUNT)
    ) {
      throw new ConfigurationError(
        placeholders.map((p) => `${p}: replace the sample value in cdk.json before deploying`),
      );
    }
    console.warn(`Offline check with sample values (refused on deploy):\n  - ${placeholders.join('\n  - ')}`);
  }
} catch (error) {
  if (error instanceof ConfigurationError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

// Region only: the account is the CLI's, and an env without an account needs no AWS lookups at synth.
new BoltVoiceStack(app, `BoltVoice-${config.stage}`, {
  config,
  description: `Bolt Voice AI receptionist (${config.stage})`,
  env: { region: config.region },
  tags: { application: 'bolt-voice', stage: config.stage },
});

// cdk-nag 3 runs as a validation plugin: any unacknowledged finding fails `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
