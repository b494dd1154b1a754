// ASP.NET Core route templates, the syntax of `route` in HTTP-triggered functions:
// literals (matched case-insensitively), `{name}`, optional `{name?}`, defaults `{name=value}`,
// catch-all `{*rest}`, inline constraints `{id:int}`, `{code:length(4,8)}`, `{x:regex(^a)}`, and
// complex segments such as `{file}.{ext}`.

interface LiteralPart {
  kind: 'literal';
  text: string;
}

interface ParameterPart {
  kind: 'parameter';
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue: string | undefined;
  constraints: RouteConstraint[];
}

type RoutePart = LiteralPart | ParameterPart;

export interface RouteConstraint {
  name: string;
  test(value: string): boolean;
}

export interface RouteTemplate {
  template: string;
  segments: RoutePart[][];
  /** ASP.NET Core inbound precedence digits: the smaller sequence is tried first. */
  precedence: number[];
}

/**
 * Parses a route template.
 *
 * @throws on malformed templates and unknown constraints, naming the template.
 */
export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments = trimmed === '' ? [] : splitSegments(trimmed).map((segment) => parseSegment(segment, template));
  return { template: trimmed, segments, precedence: segments.map(precedenceDigit) };
}

/**
 * Matches a request path against a template. The path is the one Kestrel decoded (`decodeRequestTarget`):
 * route values are its segments as they are, as TemplateMatcher takes them, so an escaped `/` stays `%2F`.
 *
 * @returns the route parameters, or undefined when the path does not match.
 */
export function matchRouteTemplate(route: RouteTemplate, path: string): Record<string, string> | undefined {
  const pathSegments = splitPath(path);
  const values: Record<string, string> = {};
  for (const [index, segment] of route.segments.entries()) {
    const only = segment.length === 1 ? segment[0] : undefined;
    if (only?.kind === 'parameter' && only.catchAll) {
      const rest = pathSegments.slice(index).join('/');
      return assignParameter(only, rest, values) ? values : undefined;
    }
    const pathSegment = pathSegments[index];
    if (pathSegment === undefined) {
      if (only?.kind === 'parameter' && (only.optional || only.defaultValue !== undefined)) {
        if (only.defaultValue !== undefined) {
          values[only.name] = only.defaultValue;
        }
        continue;
      }
      return undefined;
    }
    if (!matchSegment(segment, pathSegment, values)) {
      return undefined;
    }
  }
  return pathSegments.length <= route.segments.length ? values : undefined;
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
      .sort((a, b) => comparePrecedence(a.template.precedence, b.template.precedence));
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

function matchSegment(segment: RoutePart[], text: string, values: Record<string, string>): boolean {
  const only = segment.length === 1 ? segment[0] : undefined;
  if (only?.kind === 'literal') {
    return only.text.toLowerCase() === text.toLowerCase();
  }
  if (only?.kind === 'parameter') {
    return text !== '' && assignParameter(only, text, values);
  }
  // Complex segment: literals between greedy captures, as ASP.NET Core matches them right to left.
  const pattern = segment.map((part) => (part.kind === 'literal' ? escapeRegExp(part.text) : '(.+)')).join('');
  const match = new RegExp(`^${pattern}$`, 'i').exec(text);
  if (match === null) {
    return false;
  }
  const parameters = segment.filter((part): part is ParameterPart => part.kind === 'parameter');
  return parameters.every((parameter, index) => assignParameter(parameter, match[index + 1] ?? '', values));
}

function assignParameter(parameter: ParameterPart, value: string, values: Record<string, string>): boolean {
  if (value === '') {
    if (parameter.defaultValue !== undefined) {
      values[parameter.name] = parameter.defaultValue;
    }
    return parameter.catchAll || parameter.optional || parameter.defaultValue !== undefined;
  }
  if (!parameter.constraints.every((constraint) => constraint.test(value))) {
    return false;
  }
  values[parameter.name] = value;
  return true;
}

function splitSegments(template: string): string[] {
  const segments: string[] = [];
  let current = '';
  let depth = 0;
  for (const char of template) {
    if (char === '{') {
      depth += 1;
    } else if (char === '}') {
      depth -= 1;
    }
    if (char === '/' && depth === 0) {
      segments.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  segments.push(current);
  return segments;
}

function parseSegment(segment: string, template: string): RoutePart[] {
  if (segment === '') {
    throw new Error(`Route '${template}' has an empty segment.`);
  }
  const parts: RoutePart[] = [];
  let index = 0;
  let literal = '';
  while (index < segment.length) {
    const char = segment[index];
    if (char === '{' && segment[index + 1] === '{') {
      literal += '{';
      index += 2;
    } else if (char === '}' && segment[index + 1] === '}') {
      literal += '}';
      index += 2;
    } else if (char === '{') {
      const end = findParameterEnd(segment, index, template);
      if (literal !== '') {
        parts.push({ kind: 'literal', text: literal });
        literal = '';
      }
      parts.push(parseParameter(segment.slice(index + 1, end), template));
      index = end + 1;
    } else if (char === '}') {
      throw new Error(`Route '${template}' has an unmatched '}'.`);
    } else {
      literal += char;
      index += 1;
    }
  }
  if (literal !== '') {
    parts.push({ kind: 'literal', text: literal });
  }
  if (parts.length > 1 && parts.some((part) => part.kind === 'parameter' && part.catchAll)) {
    throw new Error(`Route '${template}': a catch-all parameter must be a segment of its own.`);
  }
  return parts;
}

function findParameterEnd(segment: string, start: number, template: string): number {
  let parentheses = 0;
  for (let index = start + 1; index < segment.length; index += 1) {
    const char = segment[index];
    if (char === '(') {
      parentheses += 1;
    } else if (char === ')') {
      parentheses -= 1;
    } else if (char === '}' && parentheses <= 0) {
      if (segment[index + 1] === '}') {
        index += 1; // `}}` inside a constraint argument is an escaped brace
        continue;
      }
      return index;
    }
  }
  throw new Error(`Route '${template}' has an unclosed '{'.`);
}

function parseParameter(text: string, template: string): ParameterPart {
  let rest = text.replace(/\{\{/g, '{').replace(/\}\}/g, '}');
  const catchAll = rest.startsWith('*');
  rest = rest.replace(/^\*{1,2}/, '');
  const nameMatch = /^[^:=?]+/.exec(rest);
  if (nameMatch === null) {
    throw new Error(`Route '${template}' has a parameter without a name.`);
  }
  const name = nameMatch[0];
  rest = rest.slice(name.length);

  const constraints: RouteConstraint[] = [];
  while (rest.startsWith(':')) {
    const { constraint, remainder } = readConstraint(rest.slice(1), template);
    constraints.push(constraint);
    rest = remainder;
  }
  let optional = false;
  let defaultValue: string | undefined;
  if (rest === '?') {
    optional = true;
  } else if (rest.startsWith('=')) {
    defaultValue = rest.slice(1);
  } else if (rest !== '') {
    throw new Error(`Route '${template}': cannot parse parameter '{${text}}'.`);
  }
  return { kind: 'parameter', name, optional, catchAll, defaultValue, constraints };
}

function readConstraint(text: string, template: string): { constraint: RouteConstraint; remainder: string } {
  const nameMatch = /^[A-Za-z]+/.exec(text);
  if (nameMatch === null) {
    throw new Error(`Route '${template}' has an empty constraint.`);
  }
  const name = nameMatch[0];
  let index = name.length;
  let argument: string | undefined;
  if (text[index] === '(') {
    let depth = 0;
    const start = index + 1;
    for (; index < text.length; index += 1) {
      if (text[index] === '(') {
        depth += 1;
      } else if (text[index] === ')') {
        depth -= 1;
        if (depth === 0) {
          break;
        }
      }
    }
    if (depth !== 0) {
      throw new Error(`Route '${template}': unclosed '(' in constraint '${name}'.`);
    }
    argument = text.slice(start, index);
    index += 1;
  }
  return { constraint: createConstraint(name, argument, template), remainder: text.slice(index) };
}

const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

function integerBetween(value: string, min: bigint, max: bigint): boolean {
  if (!/^[+-]?\d+$/.test(value)) {
    return false;
  }
  const number = BigInt(value);
  return number >= min && number <= max;
}

function isNumber(value: string): boolean {
  return value.trim() !== '' && Number.isFinite(Number(value));
}

function createConstraint(name: string, argument: string | undefined, template: string): RouteConstraint {
  const args = argument === undefined ? [] : argument.split(',').map((arg) => arg.trim());
  const numberArg = (position: number): number => {
    const value = Number(args[position]);
    if (args[position] === undefined || !Number.isFinite(value)) {
      throw new Error(`Route '${template}': constraint '${name}' needs a number argument.`);
    }
    return value;
  };
  const tests: Record<string, () => (value: string) => boolean> = {
    int: () => (value) => integerBetween(value, INT32_MIN, INT32_MAX),
    long: () => (value) => integerBetween(value, INT64_MIN, INT64_MAX),
    bool: () => (value) => /^(true|false)$/i.test(value),
    alpha: () => (value) => /^[a-z]+$/i.test(value),
    guid: () => (value) =>
      /^(?:\{[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\}|\([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\)|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{32})$/i.test(
        value,
      ),
    decimal: () => isNumber,
    double: () => isNumber,
    float: () => isNumber,
    datetime: () => (value) => !Number.isNaN(Date.parse(value)),
    required: () => (value) => value !== '',
    minlength: () => {
      const min = numberArg(0);
      return (value) => value.length >= min;
    },
    maxlength: () => {
      const max = numberArg(0);
      return (value) => value.length <= max;
    },
    length: () => {
      const min = numberArg(0);
      const max = args.length > 1 ? numberArg(1) : min;
      return (value) => value.length >= min && value.length <= max;
    },
    min: () => {
      const min = numberArg(0);
      return (value) => integerBetween(value, INT64_MIN, INT64_MAX) && Number(value) >= min;
    },
    max: () => {
      const max = numberArg(0);
      return (value) => integerBetween(value, INT64_MIN, INT64_MAX) && Number(value) <= max;
    },
    range: () => {
      const min = numberArg(0);
      const max = numberArg(1);
      return (value) => integerBetween(value, INT64_MIN, INT64_MAX) && Number(value) >= min && Number(value) <= max;
    },
    regex: () => {
      if (argument === undefined) {
        throw new Error(`Route '${template}': constraint 'regex' needs a pattern.`);
      }
      // Unanchored and case-insensitive, as ASP.NET Core's RegexRouteConstraint.
      const pattern = new RegExp(argument, 'i');
      return (value) => pattern.test(value);
    },
  };
  const factory = tests[name.toLowerCase()];
  if (factory === undefined) {
    throw new Error(`Route '${template}' uses the unknown constraint '${name}'.`);
  }
  return { name, test: factory() };
}

/** ASP.NET Core `RoutePrecedence.ComputeInbound` digit of one segment. */
function precedenceDigit(segment: RoutePart[]): number {
  if (segment.length > 1) {
    return 2;
  }
  const part = segment[0];
  if (part.kind === 'literal') {
    return 1;
  }
  const digit = part.catchAll ? 5 : 3;
  return part.constraints.length > 0 ? digit - 1 : digit;
}

function comparePrecedence(a: number[], b: number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index += 1) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) {
      return difference;
    }
  }
  return 0;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
