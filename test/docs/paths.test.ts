import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

// The documents point a newcomer at files, folders and each other's sections; when the tree moves,
// these tests name every pointer left behind.
const ROOT = join(__dirname, '..', '..');
const DOCS = [
  'README.md',
  'DESIGN.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
// These two describe outside packages and protocols, whose paths are not this repository's.
const ABOUT_OUTSIDE = new Set(['docs/protocols.md', 'docs/toolchain.md']);
const TOP_LEVEL = '(?:services|functions|lib|bin|scripts|bench|test|supabase|tools|docs|\\.ci)';
const PLACEHOLDER = /[*<>{}…]/;

function text(doc: string): string {
  return readFileSync(join(ROOT, doc), 'utf8');
}

function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes. */
function anchorOf(heading: string): string {
  return heading
    .replace(/^#+\s*/, '')
    .replaceAll('`', '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, '')
    .replaceAll(' ', '-');
}

function anchors(doc: string): Set<string> {
  return new Set(
    withoutCodeBlocks(text(doc))
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .map(anchorOf),
  );
}

describe('the documents', () => {
  test('name files and folders that exist', () => {
    const missing: string[] = [];
    for (const doc of DOCS.filter((d) => !ABOUT_OUTSIDE.has(d))) {
      for (const m of text(doc).matchAll(new RegExp(`\`(${TOP_LEVEL}/[^\`\\s]*)\``, 'g'))) {
        const path = (m[1] as string).replace(/[.,;:]+$/, '');
        if (!PLACEHOLDER.test(path) && !existsSync(join(ROOT, path))) missing.push(`${doc}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("README's map names folders that exist", () => {
    const map = /## Map of the tree[\s\S]*?```\n([\s\S]*?)```/.exec(text('README.md'))?.[1] ?? '';
    const missing: string[] = [];
    let parent = '';
    for (const line of map.split('\n')) {
      const entry = /^(\s*)(\S+\/\S*)\s/.exec(`${line} `);
      if (!entry) continue;
      const [, indent, name] = entry as unknown as [string, string, string];
      const path = indent === '' ? name : `${parent}${name}`;
      if (indent === '') parent = name;
      if (!PLACEHOLDER.test(path) && !existsSync(join(ROOT, path))) missing.push(path);
    }
    expect(map).not.toBe('');
    expect(missing).toEqual([]);
  });

  test('link to documents and sections that exist', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      for (const m of withoutCodeBlocks(text(doc)).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1] as string;
        if (/^[a-z]+:/.test(link)) continue;
        const [path = '', anchor] = link.split('#');
        const target = path === '' ? doc : normalize(join(dirname(doc), path));
        if (!existsSync(join(ROOT, target))) broken.push(`${doc}: ${link}`);
        else if (anchor && target.endsWith('.md') && !anchors(target).has(anchor))
          broken.push(`${doc}: ${link}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
