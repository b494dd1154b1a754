import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/** A node as parse-bicep.js prints it. */
interface EncodedNode {
  type: string;
  named: boolean;
  missing: boolean;
  start: number;
  end: number;
  row: number;
  field?: string;
  children?: EncodedNode[];
}

/** A node of a Bicep syntax tree (tree-sitter-bicep), with the navigation the infra checks need. */
export class BicepNode {
  readonly type: string;
  readonly isNamed: boolean;
  readonly isMissing: boolean;
  /** Offset of the node in the source string (node-tree-sitter counts UTF-16 code units, like String#slice). */
  readonly startIndex: number;
  /** Zero-based line of the node's first character. */
  readonly row: number;
  readonly fieldName: string | undefined;
  readonly children: BicepNode[];

  constructor(
    encoded: EncodedNode,
    private readonly source: string,
    readonly parent: BicepNode | undefined,
  ) {
    this.type = encoded.type;
    this.isNamed = encoded.named;
    this.isMissing = encoded.missing;
    this.startIndex = encoded.start;
    this.endIndex = encoded.end;
    this.row = encoded.row;
    this.fieldName = encoded.field;
    this.children = (encoded.children ?? []).map((child) => new BicepNode(child, source, this));
  }

  private readonly endIndex: number;

  get text(): string {
    return this.source.slice(this.startIndex, this.endIndex);
  }

  get namedChildren(): BicepNode[] {
    return this.children.filter((child) => child.isNamed);
  }

  get previousNamedSibling(): BicepNode | undefined {
    const siblings = this.parent?.namedChildren ?? [];
    return siblings[siblings.indexOf(this) - 1];
  }

  /** True when this node or one below it is an ERROR or MISSING node. */
  get hasError(): boolean {
    return this.type === 'ERROR' || this.isMissing || this.children.some((child) => child.hasError);
  }

  childForFieldName(field: string): BicepNode | undefined {
    return this.children.find((child) => child.fieldName === field);
  }

  /** This node and every node below it, in document order. */
  *descendants(): Generator<BicepNode> {
    yield this;
    for (const child of this.children) yield* child.descendants();
  }

  /** The nodes of the given types among {@link descendants}. */
  descendantsOfType(types: string | readonly string[]): BicepNode[] {
    const wanted = typeof types === 'string' ? [types] : types;
    return [...this.descendants()].filter((node) => wanted.includes(node.type));
  }
}

const parserScript = path.join(__dirname, 'parse-bicep.js');

/**
 * Parses Bicep sources with tree-sitter-bicep, all in one child process (see parse-bicep.js for why).
 * @param sources - Bicep source texts
 * @returns the root node of each source's syntax tree, in the same order
 */
export function parseBicepSources(sources: readonly string[]): BicepNode[] {
  const unparsed = [...new Set(sources.filter((source) => !parsed.has(source)))];
  if (unparsed.length > 0) {
    const output = execFileSync(process.execPath, [parserScript], {
      input: JSON.stringify(unparsed),
      maxBuffer: 256 * 1024 * 1024,
    });
    const trees = JSON.parse(output.toString('utf8')) as EncodedNode[];
    unparsed.forEach((source, index) => parsed.set(source, trees[index]));
  }
  return sources.map((source) => new BicepNode(parsed.get(source)!, source, undefined));
}

/** Trees already parsed in this process, by source text: a test that edits one file re-parses only that file. */
const parsed = new Map<string, EncodedNode>();

/** Parses one Bicep source; see {@link parseBicepSources}. */
export function parseBicep(source: string): BicepNode {
  return parseBicepSources([source])[0];
}
