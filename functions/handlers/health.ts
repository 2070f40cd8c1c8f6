import { endpoint } from '../http/endpoint';

export const handler = endpoint({}, async () => ({ status: 200, body: { status: 'ok' } }));
