import { loadTemplates } from '../../templates/catalogue';

/**
 * The variables a template reads from its data, in every part and every branch ({{#if}} bodies
 * included): SES refuses to render when the data lacks one of them. What an {{#each}} body
 * reads belongs to the items, not to the data.
 */
export function templateVariables(name: string): string[] {
  const template = loadTemplates().find((candidate) => candidate.name === name);
  if (!template) throw new Error(`no template ${name}`);
  const source = `${template.subject}\n${template.html}\n${template.text}`.replace(/(\{\{#each [^}]+\}\})[\s\S]*?\{\{\/each\}\}/g, '$1');
  const names = [...source.matchAll(/\{\{\{?(?:#(?:if|unless|each) |else )?(?:html\.)?([A-Za-z_][\w]*)/g)].map(([, variable]) => variable!).filter((variable) => variable !== 'else');
  return [...new Set(names)].sort();
}

/** The variables of the template that `data` leaves out (undefined counts as left out: JSON drops it). */
export function missingVariables(name: string, data: Record<string, unknown>): string[] {
  return templateVariables(name).filter((variable) => data[variable] === undefined);
}
