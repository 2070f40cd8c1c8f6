/**
 * The version of the API as clients see it: GET /health reports it and the OpenAPI document
 * carries it. Kept equal to package.json's version (tests/unit/version.test.ts), which a
 * release bumps; a constant keeps package.json itself out of every bundle.
 */
export const API_VERSION = '0.1.0';
