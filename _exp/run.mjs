import { build } from 'esbuild';
for (const f of ['a','b','c']) {
  const r = await build({ entryPoints: [`_exp/${f}.ts`], bundle: true, platform: 'node', target: 'node22', format: 'esm', minify: true, mainFields: ['module','main'], outfile: `_exp/out/${f}.mjs`, metafile: true, logLevel: 'error' });
  const out = Object.values(r.metafile.outputs).find(o => o.entryPoint);
  console.log(f, out.bytes);
}
