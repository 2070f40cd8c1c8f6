import { endpoint } from '../http/endpoint';
import { buildOpenApiDocument } from '../http/openapi';

// Built on the first request, not at cold start: the document reads every schema of the API,
// which a cold start would otherwise build (docs/performance.md). Then kept for the container.
let document: ReturnType<typeof buildOpenApiDocument> | undefined;

export const handler = endpoint({}, async () => ({ status: 200, body: (document ??= buildOpenApiDocument()) }));
