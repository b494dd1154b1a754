import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';

import { badRequest, ServiceError } from '../domain/errors';

export const maxJsonBodyInBytes = 16 * 1024;

/**
 * Reads the raw body with a hard size limit: a declared Content-Length over the limit is refused before reading,
 * and an undeclared (chunked) body is counted while it streams.
 */
export async function readBody(request: HttpRequest, limitInBytes: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limitInBytes) throw tooLarge(limitInBytes);
  if (!request.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limitInBytes) throw tooLarge(limitInBytes);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

const tooLarge = (limitInBytes: number) =>
  new ServiceError('payload_too_large', 'payload_too_large', `The request body must not exceed ${limitInBytes} bytes.`);

/**
 * Parses an optional JSON body and validates it with `schema`. An empty body is `{}`; a body needs
 * `Content-Type: application/json` (415 otherwise), must be at most 16 KiB (413) and valid JSON (400).
 */
export async function parseJsonBody<T extends z.ZodType>(request: HttpRequest, schema: T): Promise<z.output<T>> {
  const raw = await readBody(request, maxJsonBodyInBytes);
  let value: unknown = {};
  if (raw.length > 0) {
    const contentType = request.headers.get('content-type') ?? '';
    if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType.trim())) {
      throw new ServiceError('unsupported_media_type', 'unsupported_media_type', 'Send the body as application/json.');
    }
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest('malformed_json', 'The request body is not valid JSON.');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
    throw badRequest('invalid_request', issues.join('; '));
  }
  return parsed.data;
}
