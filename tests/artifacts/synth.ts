import { existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildApp } from '../../lib/app';
import { logicalIdOf } from '../../lib/handler-function';

/**
 * The stage the tier synthesizes: every optional part switched on (inbound email adds the
 * inbound-email function, its bucket and its receipt rule), so every function that can deploy
 * is in the template.
 */
export const TIER_CONTEXT = {
  jwtIssuer: 'https://auth.example.test/',
  jwtAudience: 'escalation-api',
  senderEmail: 'escalations@example.test',
  inboundDomain: 'support.example.test',
};

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/** One AWS::Lambda::Function of the template with the bundle CDK built for it. */
export interface DeployedFunction {
  /** The file in functions/handlers it runs (its HandlerFunction's name). */
  handler: string;
  logicalId: string;
  properties: Record<string, any>;
  /** The asset directory CDK bundled into: what Lambda unpacks to /var/task. */
  assetDir: string;
  /** The module Lambda loads for `Handler` (index.handler → index.mjs) and the export it calls. */
  modulePath: string;
  exportName: string;
  bundleBytes: number;
  mapBytes: number;
}

export interface Synthesized {
  template: CfnTemplate;
  stackName: string;
  functions: DeployedFunction[];
  /** Lambda functions of the template that are no HandlerFunction: the tier cannot name their smoke event. */
  unnamed: string[];
  seconds: number;
  cleanup(): void;
}

/**
 * The app exactly as `cdk synth` builds it (lib/app.ts, cdk-nag included), with bundling on:
 * CDK runs esbuild with BUNDLING for every function and the template points at the results.
 * Nothing is rebuilt here, so the bundles tested are the bundles deployed.
 */
export function synthesizeWithBundles(): Synthesized {
  const started = performance.now();
  const { app, stack } = buildApp(TIER_CONTEXT);
  const assembly = app.synth();
  const template = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
  const cleanup = () => rmSync(assembly.directory, { recursive: true, force: true });
  try {
    const handlers = new Map(stack.functions.map((fn) => [logicalIdOf(fn.function), fn.handler]));
    const functions: DeployedFunction[] = [];
    const unnamed: string[] = [];
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const handler = handlers.get(logicalId);
      if (!handler) {
        unnamed.push(logicalId);
        continue;
      }
      const properties = resource.Properties ?? {};
      const s3Key = properties.Code?.S3Key;
      if (typeof s3Key !== 'string' || !s3Key.endsWith('.zip')) throw new Error(`${logicalId} (${handler}): Code is not a bundled asset (${JSON.stringify(properties.Code)})`);
      const assetDir = path.join(assembly.directory, `asset.${s3Key.slice(0, -'.zip'.length)}`);
      if (!existsSync(assetDir)) throw new Error(`${logicalId} (${handler}): its asset ${path.basename(assetDir)} is not in the cloud assembly`);
      const [file, exportName] = String(properties.Handler).split('.') as [string, string | undefined];
      // The Node.js runtime looks for the handler's file with these extensions, in this order.
      const modulePath = ['.js', '.mjs', '.cjs'].map((extension) => path.join(assetDir, `${file}${extension}`)).find(existsSync);
      if (!modulePath || !exportName) throw new Error(`${logicalId} (${handler}): Handler "${properties.Handler}" names no file in its bundle`);
      functions.push({
        handler,
        logicalId,
        properties,
        assetDir,
        modulePath,
        exportName,
        bundleBytes: statSync(modulePath).size,
        mapBytes: existsSync(`${modulePath}.map`) ? statSync(`${modulePath}.map`).size : 0,
      });
    }
    return { template, stackName: stack.stackName, functions, unnamed, seconds: (performance.now() - started) / 1000, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}
