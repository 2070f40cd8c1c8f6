import { endpoint } from '../http/endpoint';

export const handler = endpoint({ public: true }, async () => ({ status: 200, body: { status: 'ok' } }));
