import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
const banner = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
const zodNs = { name: 'zod-ns', setup(b) { b.onLoad({ filter: /\/functions\/.*\.ts$/ }, (args) => ({ contents: readFileSync(args.path, 'utf8').replace(/import \{ z \} from 'zod';/g, "import * as z from 'zod';"), loader: 'ts' })); } };
const stub = (mods) => ({ name: 'stub', setup(b) { b.onResolve({ filter: new RegExp('^(' + mods.map(m=>m.replace('/','\\/')).join('|') + ')$') }, (a) => ({ path: a.path, namespace: 'stub' })); b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export class SESv2Client{} export class SendEmailCommand{} export class SFNClient{} export class StartExecutionCommand{} export class StopExecutionCommand{} export class DescribeExecutionCommand{} export class SecretsManagerClient{} export class GetSecretValueCommand{} export class ExecutionAlreadyExists extends Error{} export class ExecutionDoesNotExist extends Error{}', loader: 'js' })); } });
const others = ['@aws-sdk/client-sesv2','@aws-sdk/client-sfn','@aws-sdk/client-secrets-manager'];
for (const name of process.argv.slice(2)) {
  for (const [label, plugins] of [['dynamo-only', [stub(others)]], ['zod-ns+dynamo-only', [zodNs, stub(others)]]]) {
    const r = await build({ entryPoints: [`functions/handlers/${name}.ts`], bundle: true, platform: 'node', target: 'node22', format: 'esm', minify: true, sourcemap: true, mainFields: ['module','main'], banner: { js: banner }, outfile: `_exp/out/${name}-${label}/index.mjs`, metafile: true, logLevel: 'error', plugins });
    const out = Object.values(r.metafile.outputs).find(o => o.entryPoint);
    const fam = Object.entries(out.inputs).filter(([k]) => /node_modules\/@(aws-sdk|smithy|aws-crypto)\//.test(k)).reduce((s,[,v])=>s+v.bytesInOutput,0);
    console.log(name, label, out.bytes, 'sdk', fam);
  }
}
