import { HttpRequest } from '@azure/functions';
import { z } from 'zod';

import { maxJsonBodyInBytes, parseJsonBody, readBody } from '../../../src/http/body';

const schema = z.strictObject({ name: z.string().optional() });
const post = (body: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new HttpRequest({
    method: 'POST',
    url: 'https://app.example.com/api/x',
    headers,
    ...(body !== undefined ? { body: { string: body } } : {}),
  });

describe('parseJsonBody', () => {
  it('reads an empty body as {} and a JSON body through the schema', async () => {
    expect(await parseJsonBody(post(undefined, {}), schema)).toEqual({});
    expect(await parseJsonBody(post('{"name":"a"}'), schema)).toEqual({ name: 'a' });
    expect(
      await parseJsonBody(post('{"name":"a"}', { 'content-type': 'application/merge-patch+json' }), schema),
    ).toEqual({ name: 'a' });
  });

  it.each([
    ['415 for another content type', post('{}', { 'content-type': 'text/plain' }), 'unsupported_media_type'],
    ['400 for malformed JSON', post('{"name":'), 'malformed_json'],
    ['400 naming the field for a schema failure', post('{"name":1}'), 'invalid_request'],
    ['400 for an unknown property', post('{"other":1}'), 'invalid_request'],
  ])('answers %s', async (_name, request, code) => {
    await expect(parseJsonBody(request, schema)).rejects.toMatchObject({ code });
  });

  it('names the field that failed', async () => {
    await expect(parseJsonBody(post('{"name":1}'), schema)).rejects.toMatchObject({
      detail: expect.stringMatching(/^name: /),
    });
  });
});

describe('readBody', () => {
  it('refuses a declared Content-Length over the limit before reading, and a longer body while reading', async () => {
    const declared = post('{}', {
      'content-type': 'application/json',
      'content-length': String(maxJsonBodyInBytes + 1),
    });
    await expect(readBody(declared, maxJsonBodyInBytes)).rejects.toMatchObject({ kind: 'payload_too_large' });
    await expect(readBody(post('x'.repeat(101)), 100)).rejects.toMatchObject({ kind: 'payload_too_large' });
    expect((await readBody(post('x'.repeat(100)), 100)).length).toBe(100);
  });
});
