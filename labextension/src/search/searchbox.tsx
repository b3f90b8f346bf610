/**
 * The search box: the query in the text syntax, key paths completed from the catalog
 * after `meta.`, `desc.` or `data.`, Enter to search, and the text checked as it is typed.
 */
import React, { useEffect, useRef, useState } from 'react';

import { useRerenderOn } from '../hooks';
import { useTranslation } from '../i18n';
import { completeKey, IWordAt, keyPrefixAt } from './querytext';
import { SearchModel } from './searchmodel';

/** Delay before checking the text, or completing a key, after the last keystroke, in ms. */
export const CHECK_DELAY = 500;
export const COMPLETE_DELAY = 200;

/** The most key paths offered at once. */
const MAX_KEYS = 20;

interface ICompletion {
  at: IWordAt;
  keys: string[];
}

export function SearchBox(props: { model: SearchModel }): JSX.Element {
  const { model } = props;
  const trans = useTranslation();
  useRerenderOn(model.changed);
  const input = useRef<HTMLInputElement>(null);
  const [caret, setCaret] = useState(0);
  const [completion, setCompletion] = useState<ICompletion | null>(null);
  const [active, setActive] = useState(-1);
  const text = model.text;

  useEffect(() => {
    const timer = setTimeout(() => void model.check(text), CHECK_DELAY);
    return () => clearTimeout(timer);
  }, [model, text]);

  const at = keyPrefixAt(text, caret);
  const word = at?.word ?? null;
  useEffect(() => {
    if (!at) {
      setCompletion(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      model.catalog
        .keys(at.word, controller.signal)
        .then(keys => {
          const offered = keys
            .filter(key => key.startsWith(at.word) && key !== at.word)
            .slice(0, MAX_KEYS);
          setCompletion(offered.length ? { at, keys: offered } : null);
          setActive(-1);
        })
        .catch(() => setCompletion(null));
    }, COMPLETE_DELAY);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [model, word, at?.start]);

  const accept = (key: string) => {
    if (!completion) {
      return;
    }
    const done = completeKey(text, completion.at, key);
    model.setText(done.text);
    setCompletion(null);
    setCaret(done.caret);
    requestAnimationFrame(() => {
      input.current?.focus();
      input.current?.setSelectionRange(done.caret, done.caret);
    });
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>) => {
    const keys = completion?.keys ?? [];
    if (event.key === 'ArrowDown' && keys.length) {
      event.preventDefault();
      setActive(index => (index + 1) % keys.length);
    } else if (event.key === 'ArrowUp' && keys.length) {
      event.preventDefault();
      setActive(index => (index <= 0 ? keys.length : index) - 1);
    } else if (event.key === 'Tab' && keys.length && !event.shiftKey) {
      event.preventDefault();
      accept(keys[Math.max(active, 0)]);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (active >= 0 && keys[active]) {
        accept(keys[active]);
      } else {
        setCompletion(null);
        void model.run();
      }
    } else if (event.key === 'Escape' && completion) {
      event.preventDefault();
      event.stopPropagation();
      setCompletion(null);
    }
  };

  const listId = 'jp-remotem-search-keys';
  return (
    <div className="jp-remotem-search-box">
      <input
        ref={input}
        className="jp-mod-styled jp-remotem-search-input"
        type="search"
        spellCheck={false}
        autoComplete="off"
        placeholder={trans.__('Search the catalog…')}
        aria-label={trans.__('Search the catalog')}
        title={trans.__(
          'key:value, key:[low TO high], key:>number, tag:name, format:hdf5, words; AND, OR, NOT, parentheses. Enter searches.'
        )}
        role="combobox"
        aria-expanded={completion !== null}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={
          completion && active >= 0 ? `${listId}-${active}` : undefined
        }
        value={text}
        onChange={event => {
          setCaret(event.target.selectionStart ?? event.target.value.length);
          model.setText(event.target.value);
        }}
        onSelect={event =>
          setCaret(event.currentTarget.selectionStart ?? text.length)
        }
        onKeyDown={onKeyDown}
        onBlur={() => setCompletion(null)}
      />
      {completion && (
        <ul
          id={listId}
          className="jp-remotem-search-keys"
          role="listbox"
          aria-label={trans.__('Key paths')}
        >
          {completion.keys.map((key, index) => (
            <li
              key={key}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === active}
              className={
                'jp-remotem-search-key' +
                (index === active ? ' jp-mod-active' : '')
              }
              onMouseDown={event => {
                event.preventDefault();
                accept(key);
              }}
            >
              {key}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
