import { App } from 'aws-cdk-lib';
import { addSoxReportsStack } from './build-app.js';
import { SettingsError } from './settings.js';

// The entry point of `npx cdk synth|deploy` (cdk.json): the stack, configured from context.
const app = new App();
try {
  addSoxReportsStack(app);
} catch (err) {
  if (!(err instanceof SettingsError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
app.synth();
