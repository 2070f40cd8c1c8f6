import { PlaybookConfigError } from '../functions/playbook/load';
import { buildApp } from '../lib/app';
import { StageConfigError } from '../lib/stage-config';

try {
  // Run by the CDK CLI, the App synthesizes itself when this process exits.
  buildApp();
} catch (error) {
  // Configuration mistakes get their message alone; anything else keeps its stack trace.
  if (!(error instanceof StageConfigError || error instanceof PlaybookConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
