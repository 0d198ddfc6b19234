import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every relative link in the README and docs/ reaches a file, and every #anchor a heading in it. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  const headings = [...withoutCode.matchAll(/^#{1,6} +(.+)$/gm)].map((match) => match[1]!);
  return new Set(
    headings.map((heading) =>
      heading
        .toLowerCase()
        .replace(/`/g, '')
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

function linksOf(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z]+:/i.test(target));
}

describe.each(DOCUMENTS)('%s', (document) => {
  const source = join(ROOT, document);
  const markdown = readFileSync(source, 'utf8');

  test('links at least once, or is linked from the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(document === 'README.md' || linksOf(readme).some((target) => target.split('#')[0] === relative(ROOT, source))).toBe(true);
  });

  test.each(linksOf(markdown).length > 0 ? linksOf(markdown) : ['(none)'])('%s resolves', (target) => {
    if (target === '(none)') return;
    const [path = '', anchor] = target.split('#');
    const file = path === '' ? source : join(dirname(source), decodeURIComponent(path));
    expect({ target, exists: existsSync(file) }).toEqual({ target, exists: true });
    if (anchor !== undefined && file.endsWith('.md')) expect(anchorsOf(readFileSync(file, 'utf8'))).toContain(anchor);
  });
});
