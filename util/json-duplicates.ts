// JSON.parse keeps the last of two equal keys in one object and says nothing; a file whose meaning
// depends on which copy wins (a safetensors header, config.json, tokenizer.json) must be refused instead.
// This scans text that JSON.parse has already accepted and reports the first key that repeats within
// one object, with where it is. Keys are compared decoded ("a" and "\u0061" are the same key).
// Depends on nothing: any layer may use it.

export interface DuplicateKey {
  /** The key, decoded. */
  key: string;
  /** Where the object is: the keys and indices leading to it, e.g. `model.vocab` or `added_tokens[3]`; '' at top level. */
  path: string;
  /** Character offset of the second occurrence in the text. */
  offset: number;
}

/** The first repeated key of valid JSON `text`, or null. */
export function findDuplicateKey(text: string): DuplicateKey | null {
  // One frame per open object or array: its keys so far (objects) or its next index (arrays), and its path.
  type Frame = { keys: Set<string> | null; index: number; path: string; pendingKey: string | null };
  const stack: Frame[] = [];
  const childPath = (f: Frame | undefined): string => {
    if (!f) return '';
    const part = f.keys ? (f.pendingKey ?? '') : `[${f.index}]`;
    if (f.keys) return f.path === '' ? part : `${f.path}.${part}`;
    return `${f.path}${part}`;
  };
  let i = 0;
  const n = text.length;
  let expectKey = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      i++;
      let escaped = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          escaped = true;
          i += 2;
          continue;
        }
        if (d === 0x22) break;
        i++;
      }
      i++;
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const raw = text.slice(start, i);
        const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (top.keys.has(key)) return { key, path: top.path, offset: start };
        top.keys.add(key);
        top.pendingKey = key;
        expectKey = false;
      }
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      stack.push({ keys: c === 0x7b ? new Set() : null, index: 0, path: childPath(parent), pendingKey: null });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    }
    i++;
  }
  return null;
}

/** `where` of a duplicate for a one-line error: `key "a" twice in model.vocab`. */
export function describeDuplicate(d: DuplicateKey): string {
  return `key ${JSON.stringify(d.key)} appears twice in ${d.path === '' ? 'the top-level object' : d.path}`;
}
