import { endpoint } from '../http/endpoint';
import { API_VERSION } from '../http/version';
import type { HealthBody } from '../schemas/health';

// Public (uptime checkers carry no token): it says that the function answers and which
// version runs, nothing about cases, configuration or dependencies.
const health: HealthBody = { status: 'ok', version: API_VERSION };

export const handler = endpoint({ public: true }, async () => ({ status: 200, body: health }));
