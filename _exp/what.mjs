import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
const banner = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";
const zodNs = { name: 'zod-ns', setup(b) { b.onLoad({ filter: /\/functions\/.*\.ts$/ }, (args) => ({ contents: readFileSync(args.path, 'utf8').replace(/import \{ z \} from 'zod';/g, "import * as z from 'zod';"), loader: 'ts' })); } };
for (const name of process.argv.slice(2)) {
  for (const [label, plugins, external] of [['as-is', [], []], ['zod-ns', [zodNs], []], ['zod-ns+sdk-ext', [zodNs], ['@aws-sdk/*','@smithy/*']]]) {
    const r = await build({ entryPoints: [`functions/handlers/${name}.ts`], bundle: true, platform: 'node', target: 'node22', format: 'esm', minify: true, sourcemap: true, mainFields: ['module','main'], banner: { js: banner }, outfile: `_exp/out/${name}-${label}/index.mjs`, metafile: true, logLevel: 'error', plugins, external });
    const out = Object.values(r.metafile.outputs).find(o => o.entryPoint);
    console.log(name, label, out.bytes);
  }
}
