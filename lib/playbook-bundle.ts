import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { PlaybookConfigError, holidayFilesOf, loadPlaybook } from '../functions/playbook/load';
import type { Playbook } from '../functions/domain/playbook';

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
 * A team's playbook travels inside every bundle, with the holiday calendars (.ics) it names, at
 * the same paths relative to the repository root. The stage names the file (`playbook`, default
 * playbook.json at the root, used when present); it is validated here with the handlers' own
 * loader, so a bad file stops synth instead of every cold start, and what the stack derives from
 * it (the chat secrets its senders may read) is the playbook the handlers run with. Without a
 * file the handlers use the built-in defaults.
 */
export function playbookBundle(projectRoot: string, file?: string, { bundling = true }: { bundling?: boolean } = {}): PlaybookBundle {
  const source = path.resolve(projectRoot, file ?? PLAYBOOK_FILE);
  if (!existsSync(source)) {
    if (file) throw new PlaybookConfigError(`the stage's playbook ${file} does not exist (the path is read from the repository root)`);
    return { environment: {}, playbook: loadPlaybook(undefined) };
  }
  const playbook = loadPlaybook(source);
  const relative = path.relative(projectRoot, source);
  const files = [relative, ...holidayFilesOf(playbook).map((holidays) => (path.isAbsolute(holidays) ? holidays : path.join(path.dirname(relative), holidays)))];
  // Only what ships must be inside the repository (the local stack synthesizes without bundling, from a playbook anywhere).
  if (bundling) {
    for (const entry of files) {
      const normalized = path.normalize(entry);
      if (path.isAbsolute(entry) || normalized.startsWith('..')) {
        throw new PlaybookConfigError(`${relative}: "${entry}" must be a path inside the repository, so that it can ship in the Lambda bundle`);
      }
    }
  }
  return {
    playbook,
    environment: { PLAYBOOK_PATH: path.posix.join(LAMBDA_TASK_ROOT, ...relative.split(path.sep)) },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir, outputDir) =>
        files.map((entry) => {
          const target = path.join(outputDir, path.normalize(entry));
          const copy = `cp "${path.join(inputDir, path.normalize(entry))}" "${target}"`;
          return path.dirname(target) === outputDir ? copy : `mkdir -p "${path.dirname(target)}" && ${copy}`;
        }),
    },
  };
}
