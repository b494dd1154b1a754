/**
 * A reader for ARM template expressions, the `"[concat(variables('a'), createArray(...))]"` strings `bicep build`
 * writes wherever a value is computed. Enough of the language for the infra checks to follow app settings through
 * the functions Bicep emits: calls, string and number literals, `.property` and `[index]` access.
 */

export type ArmExpression =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: ArmExpression[]; accessors: ArmAccessor[] };

export type ArmAccessor = { kind: 'property'; name: string } | { kind: 'index'; index: ArmExpression };

/**
 * The expression a template string holds.
 * @param value - a string from an ARM template
 * @returns undefined for a literal: not in brackets, or escaped as `[[...`
 */
export function armExpression(value: string): ArmExpression | undefined {
  if (!value.startsWith('[') || value.startsWith('[[') || !value.endsWith(']')) return undefined;
  return parseArmExpression(value.slice(1, -1));
}

/**
 * Parses the text between the brackets of a template expression.
 * @throws Error naming the position when the text is not an expression
 */
export function parseArmExpression(text: string): ArmExpression {
  let at = 0;
  const fail = (expected: string): never => {
    throw new Error(`ARM expression: expected ${expected} at ${at} in ${text}`);
  };
  const skipSpace = () => {
    while (/\s/.test(text[at] ?? '')) at++;
  };
  const take = (pattern: RegExp, expected: string) => {
    const match = pattern.exec(text.slice(at)) ?? fail(expected);
    at += match[0].length;
    return match[0];
  };

  const expression = (): ArmExpression => {
    skipSpace();
    if (text[at] === "'") {
      let value = '';
      at++;
      for (;;) {
        const char = text[at++] ?? fail('a closing quote');
        if (char !== "'") value += char;
        else if (text[at] === "'") value += text[at++];
        else return { kind: 'string', value };
      }
    }
    if (/[-\d]/.test(text[at] ?? '')) return { kind: 'number', value: Number(take(/^-?\d+(\.\d+)?/, 'a number')) };

    const name = take(/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*/, 'a function name');
    skipSpace();
    if (text[at++] !== '(') fail("'('");
    const args: ArmExpression[] = [];
    skipSpace();
    if (text[at] === ')') at++;
    else {
      for (;;) {
        args.push(expression());
        skipSpace();
        const separator = text[at++];
        if (separator === ')') break;
        if (separator !== ',') fail("',' or ')'");
      }
    }
    const accessors: ArmAccessor[] = [];
    for (;;) {
      skipSpace();
      if (text[at] === '.') {
        at++;
        accessors.push({ kind: 'property', name: take(/^\w+/, 'a property name') });
      } else if (text[at] === '[') {
        at++;
        const index = expression();
        skipSpace();
        if (text[at++] !== ']') fail("']'");
        accessors.push({ kind: 'index', index });
      } else {
        return { kind: 'call', name, args, accessors };
      }
    }
  };

  const parsed = expression();
  skipSpace();
  if (at !== text.length) fail('the end');
  return parsed;
}
