import type { Permission } from './auth.ts';
import { VERSION } from '../index.ts';

/** One documented API operation. */
export interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  permission: Permission | 'public';
  body?: Record<string, unknown>;
  query?: { name: string; description: string; type?: 'string' | 'integer' }[];
  headers?: { name: string; description: string }[];
  /** What a success returns, in words (and a schema when it is short). */
  returns: string;
  stream?: boolean;
}

const error = { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', description: 'stable code, the same as the library\'s error codes' }, message: { type: 'string' }, issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' }, line: { type: 'integer' } } } } } } } };

/** The OpenAPI 3.1 document of the API, built from the same list the router registers. */
export function openApiDocument(operations: Operation[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = op.path.replace(/:([a-zA-Z]+)/g, '{$1}');
    const params = [...op.path.matchAll(/:([a-zA-Z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    paths[path] ??= {};
    paths[path][op.method] = {
      summary: op.summary, tags: [op.tag], operationId: `${op.method}${path.replace(/[{}]/g, '').split('/').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}`,
      'x-permission': op.permission,
      parameters: [...params, ...(op.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: { type: q.type ?? 'string' } })),
        ...(op.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: false, description: h.description, schema: { type: 'string' } }))],
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: op.body } } } } : {}),
      security: op.permission === 'public' ? [] : [{ session: [] }, { token: [] }],
      responses: {
        200: { description: op.returns, content: op.stream ? { 'text/event-stream': { schema: { type: 'string' } } } : { 'application/json': { schema: { type: 'object' } } } },
        default: { description: 'An error with a stable code', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'memalign review API', version: VERSION, description: 'Review queues, feedback, alignment and memory of memalign judges. Everything the review app does goes through this API. State-changing requests send JSON; with a session cookie they also send the X-CSRF-Token header from GET /api/me.' },
    paths,
    components: {
      schemas: { Error: error },
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'memalign_session' }, token: { type: 'http', scheme: 'bearer', description: 'An API token from POST /api/users/{name}/tokens or "memalign user token"' } },
    },
  };
}
