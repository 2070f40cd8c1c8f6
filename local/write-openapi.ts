// `npm run lint:openapi` lints this file: the OpenAPI document exactly as GET /openapi.json serves
// it (functions/handlers/openapi.ts answers the same buildOpenApiDocument()), written out so that
// a linter that reads files can read it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildOpenApiDocument } from '../functions/http/openapi';

const file = resolve(process.argv[2] ?? 'test-output/openapi.json');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
console.log(`wrote ${file}`);
