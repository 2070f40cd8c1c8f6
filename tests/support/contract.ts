import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BASIC } from '@hyperjump/json-schema/experimental';
import { validate, type Output, type OutputUnit, type Validator } from '@hyperjump/json-schema/openapi-3-1';
import { buildOpenApiDocument } from '../../functions/http/openapi';

// Every answer the API test suite receives is held to the OpenAPI document the API serves: its
// route, its status, its media type, its headers and its body, each body validated by an OpenAPI
// 3.1 validator (Hyperjump's, which implements the Schema Object dialect: JSON Schema 2020-12 plus
// the OpenAPI vocabulary) against the schema the document names for it, $refs and all. An answer
// the document does not describe fails the test that received it. A request no operation takes
// (a path the API does not have, a method its path does not serve; a client's URL parser makes
// one of /escalations/../close) is held to the gateway's refusal, which the document carries as
// x-unrouted.

/** An HTTP answer as a client received it: the raw body, before anyone parsed it. */
export interface ReceivedAnswer {
  method: string;
  /** The path requested, with its query string if it had one. */
  path: string;
  status: number;
  headers: Headers;
  body: string;
}

/** An answer the OpenAPI document does not describe. */
export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

type Node = Record<string, unknown>;
type Json = Parameters<Validator>[0];

/** RFC 6901 escaping of one pointer segment, then percent-encoded to sit in a URI fragment. */
const segment = (name: string) => encodeURIComponent(name.replace(/~/g, '~0').replace(/\//g, '~1'));
const pointer = (...names: string[]) => `#/${names.map(segment).join('/')}`;

/** The media type without its parameters: "text/html; charset=utf-8" is text/html. */
const essence = (contentType: string | null) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();
const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');

/** One failure: where in the value, and which keyword of which schema refused it ("additionalProperties" when a field is not in the schema). */
const describeFailure = (unit: OutputUnit) => {
  const keywordAt = unit.absoluteKeywordLocation.replace(/^.*#/, '#');
  return `${unit.instanceLocation.slice(1) || '/'} is refused by ${keywordAt.replace(/^.*\//, '')} (${keywordAt})`;
};

const failures = (output: Output) => (output.valid ? '' : (output.errors ?? []).map(describeFailure).join('; '));

export class Contract {
  private readonly validators = new Map<string, Promise<(value: Json) => Output>>();
  private readonly templates: { template: string; pattern: RegExp; literals: number }[];

  private constructor(
    private readonly document: Node,
    private readonly uri: string,
  ) {
    this.templates = Object.keys(document.paths as Node).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
      literals: template.split('/').filter((part) => part && !part.startsWith('{')).length,
    }));
  }

  /**
   * The document as a file named openapi.json: the validator reads an OpenAPI document by its
   * media type, which it gives a file of that name, and resolves each schema's $refs within it.
   */
  static fromDocument(document: object): Contract {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'contract-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    return new Contract(document as Node, pathToFileURL(file).href);
  }

  /** Throws a ContractViolation naming the route, the status and where the answer departs from the document. */
  async check(answer: ReceivedAnswer): Promise<void> {
    const requested = answer.path.split('?')[0]!;
    const template = this.templates.filter((candidate) => candidate.pattern.test(requested)).sort((a, b) => b.literals - a.literals)[0]?.template;
    const method = answer.method.toLowerCase();
    const operation = template ? ((this.document.paths as Record<string, Node>)[template]![method] as Node | undefined) : undefined;
    // A request no operation takes is held to the gateway's refusal, which the document describes under x-unrouted.
    const base = operation ? ['paths', template!, method] : ['x-unrouted'];
    const route = operation ? `${answer.method.toUpperCase()} ${template}` : `${answer.method.toUpperCase()} ${requested} (${template ? `no ${answer.method.toUpperCase()} operation on ${template}` : 'no such path'})`;
    const fail = (what: string): never => {
      throw new ContractViolation(`${route} → ${answer.status} (requested ${answer.method.toUpperCase()} ${answer.path}): ${what}`);
    };
    const responses = (operation ?? (this.document['x-unrouted'] as Node)).responses as Record<string, Node>;
    const status = [String(answer.status), `${String(answer.status)[0]}XX`, 'default'].find((key) => key in responses);
    if (!status) fail(`status ${answer.status} is not documented (documented: ${Object.keys(responses).join(', ')})`);
    const response = responses[status!]!;

    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Node>)) {
      const at = typeof header.$ref === 'string' ? header.$ref : pointer(...base, 'responses', status!, 'headers', name);
      const definition = typeof header.$ref === 'string' ? this.resolve(header.$ref) : header;
      const value = answer.headers.get(name);
      if (value === null) {
        if (definition.required === true) fail(`the required header ${name} is missing`);
        continue;
      }
      const result = (await this.validator(`${at}/schema`))(value);
      if (!result.valid) fail(`header ${name}: "${value}": ${failures(result)}`);
    }

    const content = response.content as Record<string, Node> | undefined;
    if (!content) {
      if (answer.body !== '') fail('the document describes no body, and one came');
      return;
    }
    const mediaType = essence(answer.headers.get('content-type'));
    if (!(mediaType in content)) fail(`media type "${mediaType || 'none'}" is not documented (documented: ${Object.keys(content).join(', ')})`);
    let value: Json;
    try {
      value = isJson(mediaType) ? (JSON.parse(answer.body) as Json) : answer.body;
    } catch {
      return fail(`the body is not the ${mediaType} it says it is: ${answer.body.slice(0, 200)}`);
    }
    const result = (await this.validator(pointer(...base, 'responses', status!, 'content', mediaType, 'schema')))(value);
    if (!result.valid) fail(`${mediaType} body: ${failures(result)}`);
  }

  /**
   * Compiles up front the validators every check uses: the first compile loads the document and
   * the dialect (seconds on a loaded machine), which a test running in compressed time would
   * otherwise spend as hours of case time between two requests.
   */
  async warm(): Promise<void> {
    const components = this.document.components as Record<string, Node>;
    await Promise.all([
      ...Object.keys(components.schemas!).map((name) => this.validator(pointer('components', 'schemas', name))),
      ...Object.keys(components.headers!).map((name) => this.validator(pointer('components', 'headers', name, 'schema'))),
    ]);
  }

  /**
   * A validator for the schema at this pointer into the document, compiled once. A schema that is
   * only a $ref shares the validator of the schema it names: every problem+json answer is checked
   * by one compiled Problem.
   */
  private validator(at: string) {
    const schema = this.resolve(at);
    const key = typeof schema.$ref === 'string' && Object.keys(schema).length === 1 ? schema.$ref : at;
    let compiled = this.validators.get(key);
    if (!compiled) {
      compiled = validate(`${this.uri}${key}`).then((validateValue) => (value: Json) => validateValue(value, BASIC));
      this.validators.set(key, compiled);
    }
    return compiled;
  }

  private resolve(ref: string): Node {
    return ref
      .slice(2)
      .split('/')
      .reduce<Node>((node, name) => node[decodeURIComponent(name).replace(/~1/g, '/').replace(/~0/g, '~')] as Node, this.document);
  }
}

let served: Contract | undefined;
/** The contract of the API as this checkout serves it at GET /openapi.json. */
export const servedContract = () => (served ??= Contract.fromDocument(buildOpenApiDocument()));

let warmed: Promise<void> | undefined;
/** The served contract with its validators compiled: await it before a test's clock starts to matter. */
export const warmContract = () => (warmed ??= servedContract().warm());

/**
 * fetch, for a request to the API: the answer is checked against the served contract before the
 * caller sees it, and handed over as a Response whose body can still be read.
 */
export async function fetchChecked(url: string | URL, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, init);
  const body = await response.text();
  const target = new URL(url);
  await servedContract().check({ method: init.method ?? 'GET', path: target.pathname + target.search, status: response.status, headers: response.headers, body });
  return new Response(body === '' ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
