import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// Every document a code comment cites must be in the repository, and a cited section must exist in
// it: `docs/protocols.md §1.8`, `docs/toolchain.md §9`, `DESIGN §3`.
const ROOT = join(__dirname, '..', '..');
const SOURCE_DIRS = ['bin', 'lib', 'functions', 'services', 'scripts', 'test', 'bench'];

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

interface Citation {
  file: string;
  doc: string;
  section?: string;
}

function citations(): Citation[] {
  const found: Citation[] = [];
  for (const file of SOURCE_DIRS.flatMap((d) => sourceFiles(join(ROOT, d)))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\b(docs\/[A-Za-z0-9_-]+\.md)(?:\s+§\s*([0-9]+[a-z]?(?:\.[0-9]+)?))?/g)) {
      found.push({ file: relative(ROOT, file), doc: m[1] as string, section: m[2] });
    }
    for (const m of text.matchAll(/\bDESIGN(?:\.md)?\s+§\s*([0-9]+)/g)) {
      found.push({ file: relative(ROOT, file), doc: 'DESIGN.md', section: m[1] });
    }
    // A bare name of a shared document (not under docs/) would not resolve in the repository.
    for (const m of text.matchAll(/(?<![/\w])(protocols|toolchain|style)\.md/g)) {
      found.push({ file: relative(ROOT, file), doc: `${m[1]}.md (bare: cite docs/${m[1]}.md)` });
    }
    // An upper-case document (README.md, SECURITY.md, …) lives at the root or under docs/.
    for (const m of text.matchAll(/(?<![/\w])([A-Z][A-Z_]+\.md)\b/g)) {
      const name = m[1] as string;
      const doc = existsSync(join(ROOT, name)) ? name : `docs/${name}`;
      found.push({ file: relative(ROOT, file), doc });
    }
  }
  return found;
}

function hasSection(doc: string, section: string): boolean {
  const headings = readFileSync(join(ROOT, doc), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('#'));
  return headings.some((h) => new RegExp(`^#+\\s+(§\\s*)?${section.replace('.', '\\.')}[.\\s]`).test(h));
}

describe('citations in code comments', () => {
  const all = citations();

  test('are found (the scan itself works)', () => {
    expect(all.some((c) => c.doc === 'docs/protocols.md')).toBe(true);
    expect(all.some((c) => c.doc === 'DESIGN.md')).toBe(true);
  });

  test('name documents that are in the repository', () => {
    const missing = all.filter((c) => !existsSync(join(ROOT, c.doc))).map((c) => `${c.file}: ${c.doc}`);
    expect(missing).toEqual([]);
  });

  test('name sections those documents have', () => {
    const missing = all
      .filter((c) => c.section && existsSync(join(ROOT, c.doc)) && !hasSection(c.doc, c.section))
      .map((c) => `${c.file}: ${c.doc} §${c.section}`);
    expect(missing).toEqual([]);
  });
});
