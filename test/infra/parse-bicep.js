// @ts-check
// Parses Bicep sources with tree-sitter-bicep in a process of its own and prints their syntax trees as JSON.
// stdin: a JSON array of source texts; stdout: a JSON array of trees, one per source. Each node is
// { type, named, missing, start, end, row, field?, children? }; start/end index the source string (UTF-16 code
// units, as node-tree-sitter reports them for string input).
//
// Why a separate process: tree-sitter's JavaScript wrapper patches its native classes when it loads. Jest loads
// modules once per test file (and per watch-mode run) in a worker that lives on, so a second load in the same
// worker breaks `tree.rootNode`. Here the wrapper loads exactly once.
const fs = require('node:fs');
const Parser = require('tree-sitter');
const Bicep = require('tree-sitter-bicep');

const parser = new Parser();
parser.setLanguage(/** @type {Parser.Language} */ (/** @type {unknown} */ (Bicep)));

/** @param {Parser.TreeCursor} cursor */
function encode(cursor) {
  /** @type {Record<string, unknown>} */
  const node = {
    type: cursor.nodeType,
    named: cursor.nodeIsNamed,
    missing: cursor.nodeIsMissing,
    start: cursor.startIndex,
    end: cursor.endIndex,
    row: cursor.startPosition.row,
  };
  if (cursor.currentFieldName) node.field = cursor.currentFieldName;
  if (cursor.gotoFirstChild()) {
    const children = [];
    do children.push(encode(cursor));
    while (cursor.gotoNextSibling());
    cursor.gotoParent();
    node.children = children;
  }
  return node;
}

/** @type {string[]} */
const sources = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(sources.map((source) => encode(parser.parse(source).walk()))));
