import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Checks the links of Markdown files offline. A relative link must name a file or folder of the repository (not a
 * build output), and its `#anchor` a heading of that Markdown file (GitHub's slugs) or a line (`#L12`) of another
 * file. An external `http(s)` link is only checked to be a well-formed URL: nothing is fetched.
 */

export interface Link {
  /** The file the link is in, relative to the root. */
  file: string;
  line: number;
  target: string;
  /** Written like a link (`](`) but not one that Markdown renders. */
  malformed?: boolean;
}

/** Folders that only exist after a build: a link into them works on this machine and nowhere else. */
const buildOutputs = ['dist', 'artifact', 'node_modules', 'coverage', '.azurite', 'test-results'];

const blank = (text: string) => text.replace(/[^\n]/g, ' ');

/** The text with fenced code blocks blanked out (lengths and line breaks kept, so line numbers stay right). */
export function withoutFences(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence === undefined) {
        if (marker) fence = marker;
        return marker ? blank(line) : line;
      }
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker)
        fence = undefined;
      return blank(line);
    })
    .join('\n');
}

/**
 * The text with fenced code blocks and inline code spans blanked out, so that `[a](b)` shown as code is not read as
 * a link. A code span is a run of backticks up to the same run (CommonMark), within one paragraph.
 */
export function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n)[\s\S])*?[^`])\1(?!`)/g, blank);
}

/** Every link target of a Markdown text: inline links and images, autolinks, reference definitions, HTML href/src. */
export function linksOf(markdown: string, file = ''): Link[] {
  const text = withoutCode(markdown);
  const links: Array<Link & { at: number }> = [];
  const lineAt = (index: number) => text.slice(0, index).split('\n').length;
  const patterns = [
    /\]\(\s*<([^>\n]*)>(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g, // [text](<target>)
    /\]\(\s*([^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g, // [text](target "title")
    /<((?:https?|mailto):[^\s<>]*)>/g, // <https://...>
    /^ {0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)>?/gm, // [label]: target
    /<(?:a|img)\b[^>]*?\s(?:href|src)="([^"]*)"/g, // <a href="..."> <img src="...">
  ];
  const inline = new Set<number>();
  for (const [index, pattern] of patterns.entries()) {
    for (const match of text.matchAll(pattern)) {
      if (index < 2) inline.add(match.index);
      links.push({ file, line: lineAt(match.index), target: match[1] ?? '', at: match.index });
    }
  }
  for (const match of text.matchAll(/\]\(([^)\n]*)\)?/g)) {
    if (!inline.has(match.index))
      links.push({
        file,
        line: lineAt(match.index),
        target: (match[1] ?? '').trim(),
        malformed: true,
        at: match.index,
      });
  }
  return links.sort((a, b) => a.at - b.at).map(({ at: _at, ...link }) => link);
}

/** The plain text GitHub shows for a heading's Markdown: links become their text, code and emphasis marks go. */
function headingText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .replace(/(\*{1,3})(\S(?:.*?\S)?)\1/g, '$2')
    .replace(/(^|\W)_{1,3}(\S(?:.*?\S)?)_{1,3}(?=\W|$)/g, '$1$2')
    .trim();
}

/** GitHub's anchor for a heading (github-slugger): lower case, punctuation dropped, each space a hyphen. */
export function slugOf(heading: string): string {
  return headingText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings (a repeated slug gets -1, -2, ... as on GitHub) and HTML ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = withoutFences(markdown);
  for (const match of text.matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/gm)) {
    const slug = slugOf(match[1] ?? '');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const match of text.matchAll(/<[a-z]+\b[^>]*?\s(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  return anchors;
}

/** Why a link does not resolve, or undefined when it does. */
export function problemOf(root: string, link: Link): string | undefined {
  const { target } = link;
  if (link.malformed) return 'not a link Markdown renders (a space or an unbalanced parenthesis in the target?)';
  if (target === '') return 'empty link';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1]?.toLowerCase();
  if (scheme !== undefined) return externalProblem(target, scheme);
  if (target.startsWith('//')) return 'protocol-relative URL: write https://';

  const hash = target.indexOf('#');
  const rawPath = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? undefined : target.slice(hash + 1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath.split('?')[0] ?? '');
  } catch {
    return 'malformed percent-encoding';
  }
  if (decoded.startsWith('/')) return 'absolute path: GitHub resolves it against the site, write it relative';
  const from = path.dirname(path.join(root, link.file));
  const resolved = decoded === '' ? path.join(root, link.file) : path.resolve(from, decoded);
  const relative = path.relative(root, resolved);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return 'points outside the repository';
  const top = relative.split(path.sep)[0] ?? '';
  if (buildOutputs.includes(top)) return `points into ${top}/, a build output that a fresh clone does not have`;
  if (!fs.existsSync(resolved)) return `no such file: ${relative}`;
  if (anchor === undefined) return undefined;
  if (anchor === '') return 'empty anchor';

  if (fs.statSync(resolved).isDirectory()) return `an anchor on a folder (${relative}) means nothing`;
  const content = fs.readFileSync(resolved, 'utf8');
  if (/\.md$/i.test(resolved)) {
    let wanted: string;
    try {
      wanted = decodeURIComponent(anchor);
    } catch {
      return 'malformed percent-encoding in the anchor';
    }
    return anchorsOf(content).has(wanted) ? undefined : `no heading #${anchor} in ${relative}`;
  }
  const lines = /^L(\d+)(?:-L(\d+))?$/.exec(anchor);
  if (!lines) return `#${anchor}: a file that is not Markdown only has line anchors (#L12, #L12-L20)`;
  const count = content.split('\n').length;
  const last = Number(lines[2] ?? lines[1]);
  return Number(lines[1]) >= 1 && last <= count ? undefined : `${relative} has no line ${last} (${count} lines)`;
}

function externalProblem(target: string, scheme: string): string | undefined {
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'mailto') return `unexpected scheme ${scheme}:`;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'malformed URL';
  }
  if (scheme === 'mailto') return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(url.pathname) ? undefined : 'malformed e-mail';
  if (!target.startsWith(`${scheme}://`)) return 'malformed URL: expected //host after the scheme';
  const host = url.hostname;
  const named = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(host);
  const local = host === 'localhost' || /^127(?:\.\d{1,3}){3}$/.test(host) || host === '[::1]';
  return named || local ? undefined : `malformed host name: ${host || '(none)'}`;
}

/** Every link of the files (paths relative to root) that does not resolve, as `file:line: target: why`. */
export function brokenLinks(root: string, files: string[]): string[] {
  return files.flatMap((file) =>
    linksOf(fs.readFileSync(path.join(root, file), 'utf8'), file).flatMap((link) => {
      const problem = problemOf(root, link);
      return problem === undefined ? [] : [`${link.file}:${link.line}: ${link.target}: ${problem}`];
    }),
  );
}

/** The Markdown files named by simple patterns: `dir/*.md`, `dir/**\/README.md`, or a path. */
export function markdownFiles(root: string, patterns: string[]): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const child = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) return buildOutputs.includes(entry.name) ? [] : walk(child);
      return [child];
    });
  const found = new Set<string>();
  for (const pattern of patterns) {
    const deep = /^(.*)\/\*\*\/(.+)$/.exec(pattern);
    const shallow = /^(.*)\/\*(\.[a-z]+)$/.exec(pattern);
    if (deep) {
      const [, dir = '', name = ''] = deep;
      if (fs.existsSync(path.join(root, dir)))
        for (const file of walk(dir)) if (path.posix.basename(file) === name) found.add(file);
    } else if (shallow) {
      const [, dir = '', ext = ''] = shallow;
      if (fs.existsSync(path.join(root, dir)))
        for (const name of fs.readdirSync(path.join(root, dir))) if (name.endsWith(ext)) found.add(`${dir}/${name}`);
    } else if (fs.existsSync(path.join(root, pattern))) {
      found.add(pattern);
    }
  }
  return [...found].sort();
}
