/**
 * A small, strict XML reader for robot descriptions (URDF). It keeps line numbers so every error can name
 * the file, the line and the element. Supports elements, attributes, text, comments, CDATA, processing
 * instructions and DOCTYPE; entities &lt; &gt; &amp; &quot; &apos; and numeric references.
 * Pure (no Node APIs), so the viewer can import it in a browser.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text content directly inside this element (trimmed). */
  text: string;
  /** 1-based line of the opening tag. */
  line: number;
}

export class XmlError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly line: number,
  ) {
    super(`${source}:${line}: ${message}`);
    this.name = 'XmlError';
  }
}

const NAME_RE = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

function decodeEntities(s: string, source: string, line: number): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new XmlError(`malformed entity "${m}"`, source, line);
    if (body[0] === '#') {
      const code = body[1] === 'x' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return String.fromCodePoint(code);
    }
    switch (body) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: throw new XmlError(`unknown entity "&${body};"`, source, line);
    }
  });
}

/** Parse a whole document and return its root element. `source` (a file path) goes into error messages. */
export function parseXml(text: string, source = '<string>'): XmlElement {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (pos: number): number => {
    let lo = 0, hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const fail = (msg: string, pos: number): never => {
    throw new XmlError(msg, source, lineOf(pos));
  };

  let pos = 0;
  const stack: XmlElement[] = [];
  const texts: string[][] = [];
  let root: XmlElement | null = null;
  if (text.charCodeAt(0) === 0xfeff) pos = 1;

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = lt < 0 ? text.slice(pos) : text.slice(pos, lt);
    if (chunk.trim()) {
      if (stack.length === 0) fail(`text outside the root element: "${chunk.trim().slice(0, 40)}"`, pos);
      texts[texts.length - 1]!.push(decodeEntities(chunk, source, lineOf(pos)));
    }
    if (lt < 0) break;
    pos = lt;
    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos + 4);
      if (end < 0) fail('unterminated comment <!--', pos);
      pos = end + 3;
    } else if (text.startsWith('<![CDATA[', pos)) {
      const end = text.indexOf(']]>', pos);
      if (end < 0) fail('unterminated <![CDATA[', pos);
      if (stack.length === 0) fail('CDATA outside the root element', pos);
      texts[texts.length - 1]!.push(text.slice(pos + 9, end));
      pos = end + 3;
    } else if (text.startsWith('<?', pos)) {
      const end = text.indexOf('?>', pos);
      if (end < 0) fail('unterminated processing instruction <?', pos);
      pos = end + 2;
    } else if (text.startsWith('<!', pos)) {
      // DOCTYPE (possibly with an internal subset in brackets).
      let depth = 0;
      let i = pos + 2;
      for (; i < text.length; i++) {
        const c = text[i];
        if (c === '[') depth++;
        else if (c === ']') depth--;
        else if (c === '>' && depth <= 0) break;
      }
      if (i >= text.length) fail('unterminated <!DOCTYPE', pos);
      pos = i + 1;
    } else if (text.startsWith('</', pos)) {
      NAME_RE.lastIndex = pos + 2;
      const m = NAME_RE.exec(text);
      if (!m) fail('malformed closing tag', pos);
      const name = m![0];
      const gt = text.indexOf('>', NAME_RE.lastIndex);
      if (gt < 0 || text.slice(NAME_RE.lastIndex, gt).trim()) fail(`malformed closing tag </${name}`, pos);
      const open = stack.pop();
      if (!open) fail(`closing tag </${name}> without an opening tag`, pos);
      if (open!.name !== name) fail(`closing tag </${name}> does not match <${open!.name}> opened on line ${open!.line}`, pos);
      open!.text = texts.pop()!.join('').trim();
      pos = gt + 1;
    } else {
      const start = pos;
      NAME_RE.lastIndex = pos + 1;
      const m = NAME_RE.exec(text);
      if (!m) fail('malformed tag: expected an element name after "<"', pos);
      const el: XmlElement = { name: m![0], attrs: {}, children: [], text: '', line: lineOf(start) };
      pos = NAME_RE.lastIndex;
      let selfClosing = false;
      for (;;) {
        while (pos < text.length && /\s/.test(text[pos]!)) pos++;
        if (pos >= text.length) fail(`unterminated tag <${el.name}`, start);
        if (text[pos] === '>') {
          pos++;
          break;
        }
        if (text.startsWith('/>', pos)) {
          pos += 2;
          selfClosing = true;
          break;
        }
        NAME_RE.lastIndex = pos;
        const an = NAME_RE.exec(text);
        if (!an) fail(`malformed attribute in <${el.name}>`, pos);
        const attr = an![0];
        pos = NAME_RE.lastIndex;
        while (/\s/.test(text[pos] ?? '')) pos++;
        if (text[pos] !== '=') fail(`attribute ${attr} of <${el.name}> has no value`, pos);
        pos++;
        while (/\s/.test(text[pos] ?? '')) pos++;
        const quote = text[pos];
        if (quote !== '"' && quote !== "'") fail(`attribute ${attr} of <${el.name}> must be quoted`, pos);
        const end = text.indexOf(quote!, pos + 1);
        if (end < 0) fail(`unterminated value of attribute ${attr} in <${el.name}>`, pos);
        if (attr in el.attrs) fail(`duplicate attribute ${attr} in <${el.name}>`, pos);
        el.attrs[attr] = decodeEntities(text.slice(pos + 1, end), source, lineOf(pos));
        pos = end + 1;
      }
      if (stack.length === 0) {
        if (root) fail(`a second root element <${el.name}> (the first was <${root.name}>)`, start);
        root = el;
      } else {
        stack[stack.length - 1]!.children.push(el);
      }
      if (!selfClosing) {
        stack.push(el);
        texts.push([]);
      }
    }
  }
  if (stack.length) {
    const open = stack[stack.length - 1]!;
    throw new XmlError(`<${open.name}> opened here is never closed`, source, open.line);
  }
  if (!root) throw new XmlError('no root element (empty or not XML)', source, 1);
  return root;
}
