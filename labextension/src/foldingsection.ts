/**
 * A section of the sidebar that folds to its header (the Jobs and Clusters sections):
 * its folded state, shown by `jp-mod-collapsed`, and a signal the sidebar lays its
 * panes out again on.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';

export abstract class FoldingSection extends ReactWidget {
  constructor(
    id: string,
    className: string,
    label: string,
    collapsed: boolean
  ) {
    super();
    this.id = id;
    this.addClass(className);
    this._collapsed = collapsed;
    this.toggleClass('jp-mod-collapsed', collapsed);
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', label);
  }

  get collapsed(): boolean {
    return this._collapsed;
  }

  get collapsedChanged(): ISignal<this, boolean> {
    return this._collapsedChanged;
  }

  setCollapsed(collapsed: boolean): void {
    if (collapsed === this._collapsed) {
      return;
    }
    this._collapsed = collapsed;
    this.toggleClass('jp-mod-collapsed', collapsed);
    this.update();
    this._collapsedChanged.emit(collapsed);
  }

  private _collapsed: boolean;
  private _collapsedChanged = new Signal<this, boolean>(this);
}
