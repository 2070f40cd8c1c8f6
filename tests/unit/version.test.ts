import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../functions/http/version';
import { buildOpenApiDocument } from '../../functions/http/openapi';

describe('the API version', () => {
  it('is the package version, and the OpenAPI document states it', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(API_VERSION).toBe(version);
    expect(buildOpenApiDocument().info.version).toBe(version);
  });
});
