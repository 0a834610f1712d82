/**
 * A strict little XML parser for the tests: it accepts only well-formed documents (matched tags, quoted
 * attributes, known entities, one root) and throws on anything else, so "the SVG parses" means something.
 */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: (XmlNode | string)[];
  findAll(name: string): XmlNode[];
  text(): string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&([a-z]+|#\d+|#x[0-9a-f]+);|&/gi, (m, e: string | undefined) => {
    if (e === undefined) throw new Error(`bare '&' in ${JSON.stringify(s)}`);
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    const v = ENTITIES[e];
    if (v === undefined) throw new Error(`unknown entity ${m}`);
    return v;
  });
}

function node(name: string, attrs: Record<string, string>): XmlNode {
  const n: XmlNode = {
    name,
    attrs,
    children: [],
    findAll(q) {
      const out: XmlNode[] = [];
      for (const c of n.children) {
        if (typeof c === 'string') continue;
        if (c.name === q) out.push(c);
        out.push(...c.findAll(q));
      }
      return out;
    },
    text() {
      return n.children.map((c) => (typeof c === 'string' ? c : c.text())).join('');
    },
  };
  return n;
}

export function parseXml(src: string): XmlNode {
  let i = 0;
  const stack: XmlNode[] = [];
  let root: XmlNode | null = null;
  const fail = (msg: string): never => {
    throw new Error(`XML: ${msg} at offset ${i}`);
  };
  if (src.startsWith('<?xml')) {
    i = src.indexOf('?>');
    if (i < 0) fail('unterminated declaration');
    i += 2;
  }
  while (i < src.length) {
    if (src[i] === '<') {
      if (src.startsWith('<!--', i)) {
        const e = src.indexOf('-->', i);
        if (e < 0) fail('unterminated comment');
        i = e + 3;
        continue;
      }
      if (src[i + 1] === '/') {
        const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(src.slice(i));
        if (!m) fail('bad end tag');
        const open = stack.pop();
        if (!open || open.name !== m![1]) fail(`mismatched </${m![1]}>`);
        i += m![0].length;
        continue;
      }
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(
        src.slice(i),
      );
      if (!m) fail('bad start tag');
      const attrs: Record<string, string> = {};
      for (const a of m![2]!.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1]! in attrs) fail(`duplicate attribute ${a[1]}`);
        attrs[a[1]!] = decode(a[2] ?? a[3] ?? '');
      }
      const n = node(m![1]!, attrs);
      if (stack.length > 0) stack[stack.length - 1]!.children.push(n);
      else if (root) fail('two root elements');
      else root = n;
      if (m![3] !== '/') stack.push(n);
      i += m![0].length;
    } else {
      const e = src.indexOf('<', i);
      const text = src.slice(i, e < 0 ? src.length : e);
      if (stack.length > 0) stack[stack.length - 1]!.children.push(decode(text));
      else if (text.trim() !== '') fail('text outside the root');
      i = e < 0 ? src.length : e;
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) fail('no root element');
  return root!;
}
