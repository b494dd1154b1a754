/** True for `http://` URLs on the loopback interface: the only place plain HTTP (and `allowInsecureConnection`) is allowed. */
export function isLoopbackHttp(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  } catch {
    return false;
  }
}

/** https anywhere, http only on loopback. */
export function isSecureOrLoopback(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:' || isLoopbackHttp(url);
  } catch {
    return false;
  }
}

/** The endpoint inside an ACS connection string (`endpoint=...;accesskey=...`). */
export function acsConnectionStringEndpoint(connectionString: string): string | undefined {
  return /(?:^|;)\s*endpoint=([^;]+)/i.exec(connectionString)?.[1]?.trim();
}

/** The service endpoints named in a storage connection string (`TableEndpoint=...;QueueEndpoint=...`). */
export function storageConnectionStringEndpoints(connectionString: string): string[] {
  if (/UseDevelopmentStorage=true/i.test(connectionString)) return ['http://127.0.0.1:10002'];
  const endpoints = [...connectionString.matchAll(/(?:^|;)\s*(?:Table|Queue|Blob)Endpoint=([^;]+)/gi)].map((m) =>
    m[1].trim(),
  );
  if (endpoints.length > 0) return endpoints;
  const protocol = /DefaultEndpointsProtocol=(https?)/i.exec(connectionString)?.[1] ?? 'https';
  return [`${protocol}://storage.invalid`];
}
