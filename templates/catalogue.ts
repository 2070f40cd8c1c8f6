import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EmailTemplate {
  name: string;
  subject: string;
  html: string;
  text: string;
}

const TEMPLATE_DIR = new URL('.', import.meta.url).pathname;

/**
 * Every template in templates/<name>/{subject.txt,body.html,body.txt}. CDK deploys them to
 * SES and the local stack creates them in local SES through the same API: one source.
 */
export function loadTemplates(dir = TEMPLATE_DIR): EmailTemplate[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map(({ name }) => ({
      name,
      subject: readFileSync(join(dir, name, 'subject.txt'), 'utf8').trim(),
      html: readFileSync(join(dir, name, 'body.html'), 'utf8'),
      text: readFileSync(join(dir, name, 'body.txt'), 'utf8'),
    }));
}
