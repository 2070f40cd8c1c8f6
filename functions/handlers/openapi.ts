import { endpoint } from '../http/endpoint';
import { buildOpenApiDocument } from '../schemas/openapi';

const document = buildOpenApiDocument();

export const handler = endpoint({}, async () => ({ status: 200, body: document }));
