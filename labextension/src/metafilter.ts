/**
 * Metadata (nested objects and lists from a file's header) as a tree of nodes, and the
 * filter that keeps the branches leading to a match. No JupyterLab imports, so
 * unit-testable.
 */

/** One node of the metadata tree: a branch (object or list) or a value. */
export interface IMetaNode {
  /** The key in its object, or the index in its list. */
  key: string;
  /** Keys from the root joined by '/', unique in the tree (the node's identity). */
  id: string;
  kind: 'object' | 'array' | 'value';
  /** A value's text (strings as they are, the rest as JSON). */
  text?: string;
  children?: IMetaNode[];
}

/** How much of a large header becomes nodes: the rest is counted, not shown. */
export interface IMetaLimits {
  nodes: number;
  text: number;
}

export const META_LIMITS: IMetaLimits = { nodes: 5000, text: 400 };

/**
 * The tree of `value` (the children of its root), with at most `limits.nodes` nodes and
 * values cut to `limits.text` characters; `truncated` says whether some were left out.
 */
export function buildMetaTree(
  value: unknown,
  limits: IMetaLimits = META_LIMITS
): { nodes: IMetaNode[]; truncated: boolean } {
  let budget = limits.nodes;
  let truncated = false;
  const build = (key: string, id: string, item: unknown): IMetaNode | null => {
    if (budget <= 0) {
      truncated = true;
      return null;
    }
    budget--;
    if (Array.isArray(item) || (item !== null && typeof item === 'object')) {
      const entries: [string, unknown][] = Array.isArray(item)
        ? item.map((child, index) => [String(index), child])
        : Object.entries(item as Record<string, unknown>);
      const children: IMetaNode[] = [];
      for (const [childKey, child] of entries) {
        const node = build(childKey, `${id}/${childKey}`, child);
        if (node === null) {
          break;
        }
        children.push(node);
      }
      return {
        key,
        id,
        kind: Array.isArray(item) ? 'array' : 'object',
        children
      };
    }
    let text = typeof item === 'string' ? item : (JSON.stringify(item) ?? '');
    if (text.length > limits.text) {
      text = text.slice(0, limits.text) + '…';
    }
    return { key, id, kind: 'value', text };
  };
  const root = build('', '', value ?? {});
  if (!root) {
    return { nodes: [], truncated: true };
  }
  const nodes =
    root.kind === 'value'
      ? [{ ...root, key: 'value', id: '/value' }]
      : (root.children ?? []);
  return { nodes, truncated };
}

/** Whether a node's key or value contains `needle` (lower case). */
function matches(node: IMetaNode, needle: string): boolean {
  return (
    node.key.toLowerCase().includes(needle) ||
    (node.text !== undefined && node.text.toLowerCase().includes(needle))
  );
}

/**
 * The nodes that match `query` (case-insensitive, in a key or a value) and the branches
 * leading to them; `open` holds the ids of the branches to show unfolded (those with a
 * match below). A branch whose own key matches keeps all it holds. An empty query keeps
 * everything and unfolds nothing.
 */
export function filterMetaTree(
  nodes: ReadonlyArray<IMetaNode>,
  query: string
): { nodes: IMetaNode[]; open: Set<string>; count: number } {
  const needle = query.trim().toLowerCase();
  const open = new Set<string>();
  if (!needle) {
    return { nodes: [...nodes], open, count: 0 };
  }
  let count = 0;
  const keep = (node: IMetaNode): IMetaNode | null => {
    const self = matches(node, needle);
    if (self) {
      count++;
    }
    if (node.children) {
      const children = node.children
        .map(keep)
        .filter((child): child is IMetaNode => child !== null);
      if (children.length) {
        open.add(node.id);
        return { ...node, children };
      }
      return self ? node : null;
    }
    return self ? node : null;
  };
  const kept = nodes
    .map(keep)
    .filter((node): node is IMetaNode => node !== null);
  return { nodes: kept, open, count };
}

/**
 * Where `needle` occurs in `text` (case-insensitive): the text before, the match and the
 * text after, for highlighting; null when it does not.
 */
export function splitMatch(
  text: string,
  query: string
): [string, string, string] | null {
  const needle = query.trim().toLowerCase();
  if (!needle) {
    return null;
  }
  const at = text.toLowerCase().indexOf(needle);
  if (at < 0) {
    return null;
  }
  return [
    text.slice(0, at),
    text.slice(at, at + needle.length),
    text.slice(at + needle.length)
  ];
}
