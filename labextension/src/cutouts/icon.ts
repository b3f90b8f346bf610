import { LabIcon } from '@jupyterlab/ui-components';

/** The Sky cutouts panel's icon: a crop frame around a star. */
export const cutoutsIcon = new LabIcon({
  name: 'jupyter-remotem:sky-cutouts',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M6 2h2v14h14v2h-4v4h-2v-4H6zM2 6h4v2H2zm8 0h8v8h-2V8h-6z"/>
    <path d="M12.5 9.2l.6 1.5 1.6.1-1.2 1 .4 1.6-1.4-.9-1.4.9.4-1.6-1.2-1 1.6-.1z"/>
  </g>
</svg>`
});
