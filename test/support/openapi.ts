import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { RecordedCall } from '../../sandbox/fake-graph.js';

/** Contract checks against Meta's own OpenAPI subset in ../shared (present in CI beside the clone). */

export const OPENAPI_PATH = fileURLToPath(
  new URL('../../../shared/reference/graph-openapi-subset.yaml', import.meta.url),
);

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: object;
  $ref?: string;
}

interface Operation {
  parameters: Parameter[];
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { parameters: Record<string, Parameter> };
};

const document = parse(readFileSync(OPENAPI_PATH, 'utf8')) as Document;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(document, 'openapi');

function compile(schema: object) {
  // Register under the document so internal `#/components/...` references resolve.
  return ajv.compile({ $ref: `openapi#/${pointerTo(schema)}` });
}

const pointers = new Map<object, string>();
function index(node: unknown, pointer: string): void {
  if (!node || typeof node !== 'object') return;
  pointers.set(node, pointer);
  for (const [key, value] of Object.entries(node))
    index(value, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
}
index(document, '');
function pointerTo(schema: object): string {
  const pointer = pointers.get(schema);
  if (pointer === undefined) throw new Error('schema is not part of the OpenAPI document');
  return pointer.slice(1);
}

function findOperation(
  method: string,
  path: string,
): { template: string; operation: Operation; pathParams: Record<string, string> } {
  for (const [template, operations] of Object.entries(document.paths)) {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/\{([^}]+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    const match = pattern.exec(path);
    const operation = operations[method.toLowerCase()];
    if (match && operation) {
      return {
        template,
        operation,
        pathParams: Object.fromEntries(names.map((name, i) => [name, match[i + 1] ?? ''])),
      };
    }
  }
  throw new Error(`${method} ${path} is not in the OpenAPI subset`);
}

function resolve(parameter: Parameter): Parameter {
  if (!parameter.$ref) return parameter;
  const name = parameter.$ref.split('/').pop() ?? '';
  const resolved = document.components.parameters[name];
  if (!resolved) throw new Error(`unresolved ${parameter.$ref}`);
  return resolved;
}

/** Problems with the request the client sent, as Meta's spec describes it; empty when it conforms. */
export function requestProblems(call: RecordedCall): string[] {
  const { operation, pathParams } = findOperation(call.method, call.path);
  const problems: string[] = [];
  const check = (where: string, schema: object, value: unknown) => {
    const validate = compile(schema);
    if (!validate(value)) problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
  };
  const bodySchema = operation.requestBody?.content['application/x-www-form-urlencoded']?.schema;
  // DELETE parameters may travel in the query string (Meta's SDKs do), so they count as the form body too.
  const bodyFields = call.method === 'DELETE' ? { ...call.query, ...call.form } : call.form;
  for (const raw of operation.parameters) {
    const parameter = resolve(raw);
    const value =
      parameter.in === 'path'
        ? pathParams[parameter.name]
        : parameter.in === 'query'
          ? call.query[parameter.name]
          : call.headers[parameter.name.toLowerCase()];
    if (value === undefined) {
      if (parameter.required) problems.push(`missing ${parameter.in} parameter ${parameter.name}`);
      continue;
    }
    const schema = parameter.schema as { type?: string };
    check(`${parameter.in} ${parameter.name}`, parameter.schema, schema.type === 'integer' ? Number(value) : value);
  }
  if (bodySchema) {
    const body: Record<string, unknown> = { ...bodyFields };
    if (typeof body.tasks === 'string') {
      try {
        body.tasks = JSON.parse(body.tasks);
      } catch {
        problems.push('tasks is not a JSON array');
      }
    }
    check('body', bodySchema, body);
  }
  return problems;
}

/** Problems with a response the fake served, against the spec's schema for that status. */
export function responseProblems(call: RecordedCall): string[] {
  const { operation } = findOperation(call.method, call.path);
  const response = operation.responses[String(call.status)];
  if (!response) return [`status ${call.status} is not documented for ${call.method} ${call.path}`];
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return [];
  const validate = compile(schema);
  return validate(call.response) ? [] : [ajv.errorsText(validate.errors)];
}
