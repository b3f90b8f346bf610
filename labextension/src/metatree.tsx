/**
 * Metadata as a collapsible tree with a filter box: nested objects and lists fold, and
 * filtering keeps the branches that lead to a match, unfolded, with the match marked.
 */
import React, { useMemo, useState } from 'react';

import { useTranslation } from './i18n';
import {
  buildMetaTree,
  filterMetaTree,
  IMetaNode,
  splitMatch
} from './metafilter';

function Highlighted(props: { text: string; query: string }): JSX.Element {
  const parts = splitMatch(props.text, props.query);
  if (!parts) {
    return <>{props.text}</>;
  }
  return (
    <>
      {parts[0]}
      <mark>{parts[1]}</mark>
      {parts[2]}
    </>
  );
}

function MetaNode(props: {
  node: IMetaNode;
  depth: number;
  query: string;
  forcedOpen: Set<string>;
  userOpen: Set<string>;
  onToggle: (id: string) => void;
}): JSX.Element {
  const { node, depth, query, forcedOpen, userOpen, onToggle } = props;
  const trans = useTranslation();
  const indent = { paddingLeft: `${depth * 12}px` };
  if (node.kind === 'value') {
    return (
      <li role="treeitem" aria-level={depth + 1} data-id={node.id}>
        <div className="jp-remotem-meta-row" style={indent}>
          <span className="jp-remotem-meta-key">
            <Highlighted text={node.key} query={query} />
          </span>
          <span className="jp-remotem-meta-value">
            <Highlighted text={node.text ?? ''} query={query} />
          </span>
        </div>
      </li>
    );
  }
  const open = forcedOpen.has(node.id) || userOpen.has(node.id);
  const count = node.children?.length ?? 0;
  const summary =
    node.kind === 'array'
      ? trans._n('%1 item', '%1 items', count)
      : trans._n('%1 key', '%1 keys', count);
  return (
    <li
      role="treeitem"
      aria-level={depth + 1}
      aria-expanded={open}
      data-id={node.id}
    >
      <button
        className="jp-remotem-meta-row jp-remotem-meta-branch"
        style={indent}
        aria-expanded={open}
        aria-label={trans.__('%1 (%2)', node.key, summary)}
        onClick={() => onToggle(node.id)}
      >
        <span className="jp-remotem-meta-caret" aria-hidden="true">
          {open ? '▾' : '▸'}
        </span>
        <span className="jp-remotem-meta-key">
          <Highlighted text={node.key} query={query} />
        </span>
        <span className="jp-remotem-meta-count">{summary}</span>
      </button>
      {open && count > 0 && (
        <ul role="group">
          {node.children!.map(child => (
            <MetaNode
              key={child.id}
              {...props}
              node={child}
              depth={depth + 1}
            />
          ))}
        </ul>
      )}
    </li>
  );
}

/**
 * A file's metadata as a tree. Top-level branches start folded unless there are few
 * keys; the filter box finds keys and values anywhere.
 */
export function MetadataTree(props: {
  metadata: unknown;
  label?: string;
}): JSX.Element {
  const trans = useTranslation();
  const [query, setQuery] = useState('');
  const [userOpen, setUserOpen] = useState<Set<string>>(() => new Set());
  const tree = useMemo(() => buildMetaTree(props.metadata), [props.metadata]);
  const filtered = useMemo(
    () => filterMetaTree(tree.nodes, query),
    [tree, query]
  );
  const toggle = (id: string) =>
    setUserOpen(previous => {
      const next = new Set(previous);
      if (next.has(id)) {
        next.delete(id);
      } else {
        next.add(id);
      }
      return next;
    });
  const label = props.label ?? trans.__('Metadata');
  const searching = query.trim() !== '';
  return (
    <section className="jp-remotem-metatree" aria-label={label}>
      <div className="jp-remotem-metatree-header">
        <span className="jp-remotem-metatree-title">{label}</span>
        <input
          className="jp-mod-styled jp-remotem-metatree-filter"
          type="search"
          value={query}
          placeholder={trans.__('Filter keys and values')}
          aria-label={trans.__('Filter %1', label)}
          spellCheck={false}
          onChange={event => setQuery(event.target.value)}
        />
      </div>
      {tree.nodes.length === 0 ? (
        <div className="jp-remotem-note">{trans.__('No metadata.')}</div>
      ) : searching && filtered.nodes.length === 0 ? (
        <div className="jp-remotem-note jp-remotem-metatree-nomatch">
          {trans.__('Nothing matches “%1”.', query.trim())}
        </div>
      ) : (
        <ul className="jp-remotem-metatree-tree" role="tree" aria-label={label}>
          {filtered.nodes.map(node => (
            <MetaNode
              key={node.id}
              node={node}
              depth={0}
              query={query}
              forcedOpen={filtered.open}
              userOpen={userOpen}
              onToggle={toggle}
            />
          ))}
        </ul>
      )}
      {tree.truncated && (
        <div className="jp-remotem-note">
          {trans.__('Only the first part of a very large header is shown.')}
        </div>
      )}
    </section>
  );
}
