import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { templateData } from '../../functions/domain/communications';
import { TEMPLATE_NAMES } from '../../functions/domain/notification';
import { loadTemplates } from '../../templates/catalogue';

const templates = loadTemplates();
/** SES renders template values without escaping: so does this. */
const render = (source: string, data: Record<string, unknown>) => Handlebars.compile(source, { noEscape: true })(templateData(data));
const HOSTILE = '<script>alert(1)</script> & "quotes"';

describe('templates/', () => {
  it('holds exactly the templates the rules send', () => {
    expect(templates.map((t) => t.name).sort()).toEqual([...TEMPLATE_NAMES].sort());
  });

  it.each(templates.map((t) => [t.name, t] as const))('%s: the HTML part prints only escaped values (html.*)', (_name, template) => {
    const printed = [...template.html.matchAll(/\{\{\{?([^#/}][^}]*)\}\}\}?/g)].map(([, expression]) => expression!.trim()).filter((e) => e !== 'else');
    // Inside {{#each html.x}} the item is already escaped; everything else must come from html.
    const outsideEach = template.html.replace(/\{\{#each html\.[^}]+\}\}[\s\S]*?\{\{\/each\}\}/g, '');
    const printedOutside = [...outsideEach.matchAll(/\{\{\{?([^#/}][^}]*)\}\}\}?/g)].map(([, e]) => e!.trim()).filter((e) => e !== 'else');
    expect(printed.length).toBeGreaterThan(0);
    for (const expression of printedOutside) expect(expression, `${expression} in ${_name}`).toMatch(/^html\./);
  });

  it.each(templates.map((t) => [t.name, t] as const))('%s: hostile values render as text in HTML and verbatim in subject and text', (_name, template) => {
    const data = new Proxy({} as Record<string, unknown>, { get: (_target, key) => (key === 'surveyLinks' ? [{ score: 1, url: HOSTILE }] : HOSTILE), ownKeys: () => [] });
    const values = Object.fromEntries(
      [...new Set([...`${template.subject}${template.html}${template.text}`.matchAll(/\{\{[#/]?(?:if |each )?(?:html\.)?([\w.]+)/g)].map(([, key]) => key!.split('.')[0]!))].map((key) => [key, data[key]]),
    );
    const html = render(template.html, values);
    expect(html).not.toContain('<script>');
    if (template.html.includes('{{html.')) expect(html).toContain('&lt;script&gt;');
    const text = render(template.text, values);
    expect(text).not.toContain('&lt;');
  });
});
