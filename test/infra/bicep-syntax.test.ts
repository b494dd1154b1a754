import { syntaxProblems } from './bicep-checks';
import { parseBicep, parseBicepSources } from './bicep-syntax';

describe('parseBicep', () => {
  test('gives node text by string offsets, also after non-ASCII comments and strings', () => {
    const root = parseBicep("// café — ü 😀\nvar city = 'Zürich 😀'\nvar count = 1\n");
    const [city, count] = root.descendantsOfType('variable_declaration');

    expect(city?.namedChildren.map((node) => node.text)).toEqual(['city', "'Zürich 😀'"]);
    expect(count?.text).toBe('var count = 1');
    expect(count?.row).toBe(2);
  });

  test('parses several sources in one call, in order', () => {
    const roots = parseBicepSources(["param a string = 'x'\n", 'var b = 2\n']);

    expect(roots.map((root) => root.namedChildren[0]?.type)).toEqual(['parameter_declaration', 'variable_declaration']);
  });
});

describe('syntaxProblems', () => {
  test('is empty for a file that parses', () => {
    expect(syntaxProblems(parseBicep("param a string = 'x'\n"))).toEqual([]);
  });

  test('reports a missing token with its line', () => {
    expect(syntaxProblems(parseBicep('var a = 1\nvar b = (1 + 2\n'))).toEqual(["2: syntax error: missing ')'"]);
  });

  test('reports text that does not parse', () => {
    expect(syntaxProblems(parseBicep("resource r 'x@1' = {\n  name: 'r'\n"))).toEqual([
      expect.stringMatching(/^1: syntax error near 'resource r/),
    ]);
  });
});
