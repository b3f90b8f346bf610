import { LabIcon } from '@jupyterlab/ui-components';

import remoteDataSvg from '../style/icons/remote-data.svg';

/**
 * The icon of the Remote data sidebar.
 */
export const remoteDataIcon = new LabIcon({
  name: 'jupyter-remotem:remote-data',
  svgstr: remoteDataSvg
});
