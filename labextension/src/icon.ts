import { LabIcon } from '@jupyterlab/ui-components';

import keySvg from '../style/icons/key.svg';
import remoteDataSvg from '../style/icons/remote-data.svg';

/**
 * The icon of the Remote data sidebar.
 */
export const remoteDataIcon = new LabIcon({
  name: 'jupyter-remotem:remote-data',
  svgstr: remoteDataSvg
});

/**
 * The icon of personal API tokens.
 */
export const tokenIcon = new LabIcon({
  name: 'jupyter-remotem:token',
  svgstr: keySvg
});
