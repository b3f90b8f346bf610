/**
 * Editing the text of a query: a facet value added as a term, and the key path being
 * typed (for completion). Values are written as the server's syntax reads them back
 * (`catalog/syntax.py`). No JupyterLab imports, so unit-testable.
 */
import { FacetName } from './types';

/** Words of the syntax that a bare value must not be. */
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'TO']);

/** A value that reads back as itself when written bare. */
const SAFE_BARE = /^[^\s()[\]{}:"\\,~<>!*?][^\s()[\]{}"\\,*?]*$/;

/** Text the server would read as a number (it must stay text). */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;

/** The namespaces whose key paths the server completes. */
export const KEY_NAMESPACES = ['meta.', 'desc.', 'data.'];

/**
 * A value as the query syntax writes it: bare when it reads back as the same text,
 * else quoted with `"` and `\` escaped.
 */
export function quoteValue(value: string): string {
  if (SAFE_BARE.test(value) && !KEYWORDS.has(value) && !NUMBER.test(value)) {
    return value;
  }
  return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** The term that keeps the hits with one value of a facet: `format:mib`, `tag:"in focus"`. */
export function facetTerm(facet: FacetName, value: string): string {
  return `${facet}:${quoteValue(value)}`;
}

/**
 * The parts of the text outside every parenthesis, bracket, brace and quote, split
 * where white space separates them (`AND`, `OR` and `NOT` among them).
 */
export function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let part = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') {
        part += c + (text[i + 1] ?? '');
        i++;
        continue;
      }
      quoted = c !== '"';
    } else if (c === '"') {
      quoted = true;
    } else if (c === '\\') {
      part += c + (text[i + 1] ?? '');
      i++;
      continue;
    } else if ('([{'.includes(c)) {
      depth++;
    } else if (')]}'.includes(c)) {
      depth = Math.max(0, depth - 1);
    } else if (depth === 0 && /\s/.test(c)) {
      if (part) {
        parts.push(part);
      }
      part = '';
      continue;
    }
    part += c;
  }
  if (part) {
    parts.push(part);
  }
  return parts;
}

/**
 * Whether `OR` joins parts of the text at its top level: then a term added with AND
 * must not bind to its last part only.
 */
export function hasTopLevelOr(text: string): boolean {
  return topLevelParts(text).some(isOr);
}

/** Whether a top-level part is, or holds, the OR keyword (`OR`, `OR(b)`, `(a)OR`). */
function isOr(part: string): boolean {
  return /(^|[)\]}"])OR($|[([{"])/.test(part);
}

/**
 * The query narrowed to one value of a facet: the term added with AND (the query put in
 * parentheses when it has a top-level OR); unchanged when the term already narrows it.
 */
export function withFacet(
  text: string,
  facet: FacetName,
  value: string
): string {
  const term = facetTerm(facet, value);
  const query = text.trim();
  if (query === '') {
    return term;
  }
  const parts = topLevelParts(query);
  if (parts.some(isOr)) {
    return `(${query}) AND ${term}`;
  }
  const negated = parts.some(
    (part, index) => part === term && parts[index - 1] === 'NOT'
  );
  return parts.includes(term) && !negated ? query : `${query} AND ${term}`;
}

/** The word under the caret: where it starts and ends, and its text. */
export interface IWordAt {
  start: number;
  end: number;
  word: string;
}

/**
 * The key path being typed at `caret` when it starts with a namespace the server
 * completes (`desc.beam`), else null. A word already followed by `:` is a key with its
 * value under way, not one to complete.
 */
export function keyPrefixAt(text: string, caret: number): IWordAt | null {
  const boundary = /[\s()[\]{}"]/;
  let start = caret;
  while (start > 0 && !boundary.test(text[start - 1])) {
    start--;
  }
  let end = caret;
  while (end < text.length && !boundary.test(text[end]) && text[end] !== ':') {
    end++;
  }
  const word = text.slice(start, end);
  if (word.includes(':') || text[end] === ':') {
    return null;
  }
  if (text[start - 1] === '"') {
    return null;
  }
  return KEY_NAMESPACES.some(namespace => word.startsWith(namespace))
    ? { start, end, word }
    : null;
}

/**
 * The text with the word being typed replaced by a completed key and its `:`, and where
 * the caret goes (after the `:`).
 */
export function completeKey(
  text: string,
  at: IWordAt,
  key: string
): { text: string; caret: number } {
  const before = text.slice(0, at.start) + key + ':';
  return { text: before + text.slice(at.end), caret: before.length };
}
