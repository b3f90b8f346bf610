/**
 * A restored viewer never stays drawn busy: a change the model makes before the
 * panel listens (after a page reload the answers can all arrive between the
 * panel's first render and its subscription) is still drawn.
 */
import { Signal } from '@lumino/signaling';
import React, { useLayoutEffect } from 'react';
import { act } from 'react';

import { useModelVersion } from '../viewer/usemodel';
import { createRoot } from './reactroot';

/** A model as the panel sees it: busy until its answer arrives. */
class LoadingModel {
  busy = true;
  version = 0;
  readonly changed = new Signal<this, void>(this);

  settle(): void {
    this.busy = false;
    this.version++;
    this.changed.emit();
  }
}

function Panel(props: { model: LoadingModel }): JSX.Element {
  useModelVersion(props.model);
  return (
    <section data-busy={String(props.model.busy)}>
      <Answer model={props.model} />
    </section>
  );
}

/**
 * Settles the model after the panel's first render has been committed and before
 * its subscription takes effect (layout effects run before passive ones): the
 * moment a restored viewer's last answer can land.
 */
function Answer(props: { model: LoadingModel }): null {
  useLayoutEffect(() => props.model.settle(), [props.model]);
  return null;
}

describe('a restored viewer', () => {
  it('draws the answer that arrived before the panel listened', () => {
    const container = document.createElement('div');
    const root = createRoot(container);
    const model = new LoadingModel();
    act(() => root.render(<Panel model={model} />));
    expect(model.busy).toBe(false);
    expect(container.querySelector('section')!.dataset.busy).toBe('false');
    // And later changes are drawn as they come.
    act(() => {
      model.busy = true;
      model.version++;
      model.changed.emit();
    });
    expect(container.querySelector('section')!.dataset.busy).toBe('true');
    act(() => root.unmount());
  });
});
