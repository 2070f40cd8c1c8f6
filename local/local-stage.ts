import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolver, type CfnResource, type LocalWorld } from './cloudformation';
import { LocalStackError } from './dynamodb';
import type { PolicyStatement } from './iam';

/**
 * The stage the local stack stands for: the app synthesized with this context (bundling
 * skipped), so that each function's IAM policy, and the names its calls use (the sender, the
 * SES configuration set, the template prefix, the inbound bucket), are the template's own.
 * Stage `local` in account 000000000000 of us-east-1: the state machine is then named
 * `escalation-workflow-local`, the ARN the local workflow engine answers to.
 */
export const LOCAL_STAGE_CONTEXT = {
  stage: 'local',
  jwtIssuer: 'https://auth.localhost/',
  jwtAudience: 'escalation-api',
  senderEmail: 'escalations@example.com',
  inboundDomain: 'inbound.localhost',
} as const;
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

/** One function of the local stage: what its role may do, as the template says it (references unresolved). */
export interface StageFunction {
  logicalId: string;
  roleLogicalId: string;
  statements: PolicyStatement[];
  environment: Record<string, unknown>;
}

/** What the local stack needs from the synthesized template. */
export interface LocalStage {
  stackName: string;
  /** Every resource of the template, with only the properties that name it (references resolve against these). */
  resources: Record<string, CfnResource>;
  /** By handler name (the file in functions/handlers). */
  functions: Record<string, StageFunction>;
}

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What the template is made from: a change to any of these makes the cached extract stale. */
const INPUTS = ['lib', 'functions', 'templates', 'statemachines', 'bin', 'package-lock.json', 'cdk.json', 'playbook.json', 'local/local-stage.ts', 'local/synth-local-stage.ts'];
const CACHE_DIR = path.join(PROJECT_ROOT, '.cdk', 'local-stage');

function filesUnder(entry: string): string[] {
  const full = path.join(PROJECT_ROOT, entry);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full)
    .sort()
    .flatMap((name) => filesUnder(path.join(entry, name)));
}

/** A hash of every input's path and content (a few hundred small files: milliseconds), and of the playbook the stage runs. */
export function stageInputsHash(playbook?: string): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(LOCAL_STAGE_CONTEXT));
  for (const file of INPUTS.flatMap(filesUnder)) {
    hash.update(`\0${file}\0`);
    hash.update(readFileSync(path.join(PROJECT_ROOT, file)));
  }
  if (playbook) hash.update(`\0playbook:${playbook}\0`).update(readFileSync(path.resolve(PROJECT_ROOT, playbook)));
  return hash.digest('hex').slice(0, 16);
}

export function readLocalStage(file: string): LocalStage {
  return JSON.parse(readFileSync(file, 'utf8')) as LocalStage;
}

/**
 * The local stage's extract, as a file: the one cached under .cdk/local-stage/ for the current
 * inputs, or synthesized now (some 6 s of CPU) in a child process, so the caller can start DynamoDB
 * Local meanwhile. Older extracts of the same playbook are removed.
 *
 * `playbook` (a file, absolute or relative to the current directory): the stage's playbook, as
 * the stage key of that name gives it to CDK, so the grants derived from it (the chat secrets
 * the senders may read) are those of the playbook the local stack runs with. Absent: the
 * repository's playbook.json, or the defaults.
 */
export async function localStageFile({ playbook }: { playbook?: string } = {}): Promise<{ file: string; synthesized: boolean; ms: number }> {
  const started = Date.now();
  const stagePlaybook = playbook === undefined ? undefined : path.relative(PROJECT_ROOT, path.resolve(playbook));
  // One extract per playbook: test files running different playbooks side by side keep each other's.
  const variant = stagePlaybook === undefined ? 'repository' : createHash('sha256').update(stagePlaybook).digest('hex').slice(0, 8);
  const file = path.join(CACHE_DIR, `${variant}-${stageInputsHash(stagePlaybook)}.json`);
  if (existsSync(file)) return { file, synthesized: false, ms: Date.now() - started };
  mkdirSync(CACHE_DIR, { recursive: true });
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const script = path.join(PROJECT_ROOT, 'local', 'synth-local-stage.ts');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, script, file, ...(stagePlaybook === undefined ? [] : [stagePlaybook])], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk) => (errors += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0 && existsSync(file)) return resolve();
      reject(new LocalStackError(`synthesizing the local stage for its IAM policies failed (exit ${code}):\n${errors.trim()}`));
    });
  });
  for (const stale of readdirSync(CACHE_DIR)) if (stale.startsWith(`${variant}-`) && stale.endsWith('.json') && path.join(CACHE_DIR, stale) !== file) rmSync(path.join(CACHE_DIR, stale), { force: true });
  return { file, synthesized: true, ms: Date.now() - started };
}

/**
 * What the template's resources are locally: the one table is the local stack's table; the
 * secret and the buckets get local names (what stands in for them answers to these).
 */
export function localWorld(stage: LocalStage, table: { name: string; streamArn: string }): LocalWorld {
  const world: LocalWorld = { region: LOCAL_REGION, account: LOCAL_ACCOUNT, stackName: stage.stackName, tables: new Map(), secrets: new Map(), buckets: new Map() };
  for (const [logicalId, resource] of Object.entries(stage.resources)) {
    if (resource.Type === 'AWS::DynamoDB::Table') {
      if (world.tables.size) throw new LocalStackError('the template has more than one DynamoDB table; the local stack runs one');
      world.tables.set(logicalId, table);
    }
    if (resource.Type === 'AWS::SecretsManager::Secret') world.secrets.set(logicalId, { arn: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${stage.stackName}-${logicalId}-AbCdEf` });
    if (resource.Type === 'AWS::S3::Bucket') world.buckets.set(logicalId, { name: `${stage.stackName}-${logicalId}`.toLowerCase().slice(0, 63) });
  }
  return world;
}

/**
 * The variables the template gives its functions that name what their calls touch (the sender,
 * the configuration set, the template prefix, the inbound bucket, the state machine, the survey
 * key, the event bus), resolved to local values. Every handler shares one process locally, so a variable two
 * functions would get with different values is a mistake this refuses.
 */
export const STAGE_VARIABLES = ['SENDER_EMAIL', 'SES_CONFIGURATION_SET', 'SES_TEMPLATE_PREFIX', 'INBOUND_BUCKET', 'INBOUND_PREFIX', 'STATE_MACHINE_ARN', 'SURVEY_SIGNING_KEY_SECRET_ARN', 'EVENT_BUS_NAME'] as const;
export type StageVariable = (typeof STAGE_VARIABLES)[number];

export function stageEnvironment(stage: LocalStage, world: LocalWorld): Partial<Record<StageVariable, string>> {
  const { resolve } = resolver({ Resources: stage.resources }, world);
  const environment: Partial<Record<StageVariable, string>> = {};
  for (const [handler, fn] of Object.entries(stage.functions)) {
    for (const name of STAGE_VARIABLES) {
      if (fn.environment[name] === undefined) continue;
      const value = String(resolve(fn.environment[name]));
      if (environment[name] !== undefined && environment[name] !== value) throw new LocalStackError(`${handler} gets ${name}=${value} but another function gets ${environment[name]}: the local stack runs every handler with one environment`);
      environment[name] = value;
    }
  }
  return environment;
}
