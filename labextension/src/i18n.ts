import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import React, { useContext } from 'react';

/**
 * The gettext domain of this extension's strings.
 */
export const TRANSLATION_DOMAIN = 'jupyter_remotem';

/**
 * The translation bundle handed down to React components by the sidebar.
 */
export const TranslationContext = React.createContext<TranslationBundle>(
  nullTranslator.load(TRANSLATION_DOMAIN)
);

export function useTranslation(): TranslationBundle {
  return useContext(TranslationContext);
}
