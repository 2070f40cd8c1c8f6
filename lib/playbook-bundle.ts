import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { loadPlaybook } from '../functions/playbook/load';

const PLAYBOOK_FILE = 'playbook.json';
/** Where Lambda unpacks the bundle. */
const LAMBDA_TASK_ROOT = '/var/task';

export interface PlaybookBundle {
  /** Environment that points the handlers at the copied file; empty when the defaults apply. */
  environment: Record<string, string>;
  commandHooks?: ICommandHooks;
}

/**
 * A team's playbook.json at the repo root travels inside every bundle. It is validated
 * here with the handlers' own loader, so a bad file stops synth instead of every cold start.
 * Without the file the handlers use the built-in defaults.
 */
export function playbookBundle(projectRoot: string): PlaybookBundle {
  const source = path.join(projectRoot, PLAYBOOK_FILE);
  if (!existsSync(source)) return { environment: {} };
  loadPlaybook(source);
  return {
    environment: { PLAYBOOK_PATH: `${LAMBDA_TASK_ROOT}/${PLAYBOOK_FILE}` },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir, outputDir) => [`cp "${path.join(inputDir, PLAYBOOK_FILE)}" "${path.join(outputDir, PLAYBOOK_FILE)}"`],
    },
  };
}
