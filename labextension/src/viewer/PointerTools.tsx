/**
 * The pointer tool group of the viewer's toolbars: one radio button a tool. The scan
 * viewer offers pick, line profile and pan; the image viewer, whose click has nothing
 * to pick, offers line profile and pan and goes back to picking when the active tool
 * is pressed again.
 */
import React from 'react';

import { useTranslation } from '../i18n';
import { Tool } from './interaction';

export function PointerTools(props: {
  tools: Tool[];
  tool: Tool;
  onTool: (tool: Tool) => void;
  /** Pressing the active tool again turns it off (back to `pick`). */
  toggles?: boolean;
}): JSX.Element {
  const trans = useTranslation();
  const labels: Record<Tool, string> = {
    pick: trans.__('Pick'),
    line: trans.__('Line profile'),
    pan: trans.__('Pan')
  };
  return (
    <fieldset className="jp-remotem-viewer-group">
      <legend>{trans.__('Pointer')}</legend>
      <div role="radiogroup" aria-label={trans.__('Pointer tool')}>
        {props.tools.map(tool => (
          <button
            key={tool}
            role="radio"
            aria-checked={props.tool === tool}
            data-tool={tool}
            className={
              'jp-remotem-viewer-tool' +
              (props.tool === tool ? ' jp-mod-active' : '')
            }
            onClick={() =>
              props.onTool(props.toggles && props.tool === tool ? 'pick' : tool)
            }
          >
            {labels[tool]}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
