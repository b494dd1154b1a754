// Route templates of HTTP-triggered functions, as far as the app uses ASP.NET Core's syntax: literal segments
// (matched case-insensitively) and parameters that are a whole segment, `{name}`. The rest of that syntax
// (constraints, optional, default and catch-all parameters, complex segments, escaped braces) is refused when the
// template is parsed, so that a function using it is in error at start rather than routed otherwise than in Azure.

type Segment = { kind: 'literal'; text: string } | { kind: 'parameter'; name: string };

export interface RouteTemplate {
  template: string;
  segments: Segment[];
}

/**
 * Parses a route template.
 *
 * @throws naming the template and the segment, for malformed templates and for syntax the local host does not support.
 */
export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments = trimmed === '' ? [] : trimmed.split('/').map((segment) => parseSegment(segment, template));
  return { template: trimmed, segments };
}

/**
 * Matches a request path against a template. The path is the one Kestrel decoded (`decodeRequestTarget`):
 * route values are its segments as they are, as TemplateMatcher takes them, so an escaped `/` stays `%2F`.
 *
 * @returns the route parameters, or undefined when the path does not match.
 */
export function matchRouteTemplate(route: RouteTemplate, path: string): Record<string, string> | undefined {
  const pathSegments = splitPath(path);
  if (pathSegments.length !== route.segments.length) {
    return undefined;
  }
  const values: Record<string, string> = {};
  for (const [index, segment] of route.segments.entries()) {
    const text = pathSegments[index] ?? '';
    if (segment.kind === 'literal' ? segment.text.toLowerCase() !== text.toLowerCase() : text === '') {
      return undefined;
    }
    if (segment.kind === 'parameter') {
      values[segment.name] = text;
    }
  }
  return values;
}

export interface RouteMatch<T> {
  target: T;
  params: Record<string, string>;
}

/** Routes of several functions, tried in ASP.NET Core precedence order (literals before parameters). */
export class RouteTable<T> {
  readonly #routes: Array<{ template: RouteTemplate; methods: ReadonlySet<string> | undefined; target: T }>;

  /**
   * @param routes - `methods` undefined or empty means every method.
   */
  constructor(routes: ReadonlyArray<{ template: string; methods?: readonly string[] | undefined; target: T }>) {
    this.#routes = routes
      .map((route) => ({
        template: parseRouteTemplate(route.template),
        methods: route.methods?.length ? new Set(route.methods.map((method) => method.toUpperCase())) : undefined,
        target: route.target,
      }))
      .sort((a, b) => comparePrecedence(a.template, b.template));
  }

  /** The function for `method` + `path`; undefined (a 404, as the real host answers) when none. */
  match(method: string, path: string): RouteMatch<T> | undefined {
    const upperMethod = method.toUpperCase();
    for (const route of this.#routes) {
      if (route.methods !== undefined && !route.methods.has(upperMethod)) {
        continue;
      }
      const params = matchRouteTemplate(route.template, path);
      if (params !== undefined) {
        return { target: route.target, params };
      }
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+/, '').replace(/\/$/, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function parseSegment(segment: string, template: string): Segment {
  const refuse = (what: string): Error =>
    new Error(`Route '${template}': ${what} ('${segment}') is not supported by the local host.`);
  if (segment === '') {
    throw new Error(`Route '${template}' has an empty segment.`);
  }
  if (!/[{}]/.test(segment)) {
    return { kind: 'literal', text: segment };
  }
  if (/\{\{|\}\}/.test(segment)) {
    throw refuse('an escaped brace');
  }
  const parameter = /^\{([^{}]*)\}$/.exec(segment)?.[1];
  if (parameter === undefined) {
    throw /^[^{}]*(\{[^{}]*\}[^{}]*)+$/.test(segment)
      ? refuse('a complex segment (a parameter beside text or another parameter)')
      : new Error(`Route '${template}' has an unmatched brace in '${segment}'.`);
  }
  if (parameter.startsWith('*')) throw refuse('a catch-all parameter');
  if (parameter.includes(':')) throw refuse('a route constraint');
  if (parameter.includes('=')) throw refuse('a default value');
  if (parameter.endsWith('?')) throw refuse('an optional parameter');
  if (parameter === '' || /[?/]/.test(parameter)) {
    throw new Error(`Route '${template}' has an invalid parameter name in '${segment}'.`);
  }
  return { kind: 'parameter', name: parameter };
}

/** ASP.NET Core `RoutePrecedence.ComputeInbound`, segment by segment: a literal (1) before a parameter (3). */
function comparePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const digit = (segment: Segment | undefined): number =>
    segment === undefined ? 0 : segment.kind === 'literal' ? 1 : 3;
  for (let index = 0; index < Math.max(a.segments.length, b.segments.length); index += 1) {
    const difference = digit(a.segments[index]) - digit(b.segments[index]);
    if (difference !== 0) {
      return difference;
    }
  }
  return 0;
}
