import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { PlaybookConfigError, holidayFilesOf, loadPlaybook } from '../functions/playbook/load';
import type { Playbook } from '../functions/playbook/schema';

const PLAYBOOK_FILE = 'playbook.json';
/** Where Lambda unpacks the bundle. */
const LAMBDA_TASK_ROOT = '/var/task';

export interface PlaybookBundle {
  /** Environment that points the handlers at the copied file; empty when the defaults apply. */
  environment: Record<string, string>;
  commandHooks?: ICommandHooks;
  /** The playbook the handlers will run with (the dashboard draws its targets). */
  playbook: Playbook;
}

/**
 * A team's playbook.json at the repo root travels inside every bundle, with the holiday
 * calendars (.ics) it names, at the same paths relative to it. It is validated here with the
 * handlers' own loader, so a bad file stops synth instead of every cold start. Without the
 * file the handlers use the built-in defaults.
 */
export function playbookBundle(projectRoot: string): PlaybookBundle {
  const source = path.join(projectRoot, PLAYBOOK_FILE);
  if (!existsSync(source)) return { environment: {}, playbook: loadPlaybook(undefined) };
  const playbook = loadPlaybook(source);
  const files = [PLAYBOOK_FILE, ...holidayFilesOf(playbook)];
  for (const file of files) {
    const normalized = path.normalize(file);
    if (path.isAbsolute(file) || normalized.startsWith('..')) {
      throw new PlaybookConfigError(
        `${PLAYBOOK_FILE}: "${file}" must be a path inside the repository, relative to ${PLAYBOOK_FILE}, so that it can ship in the Lambda bundle`,
      );
    }
  }
  return {
    playbook,
    environment: { PLAYBOOK_PATH: `${LAMBDA_TASK_ROOT}/${PLAYBOOK_FILE}` },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir, outputDir) =>
        files.map((file) => {
          const target = path.join(outputDir, path.normalize(file));
          const copy = `cp "${path.join(inputDir, path.normalize(file))}" "${target}"`;
          return path.dirname(target) === outputDir ? copy : `mkdir -p "${path.dirname(target)}" && ${copy}`;
        }),
    },
  };
}
