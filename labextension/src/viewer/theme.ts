/**
 * The page's theme, for canvases: CSS restyles the page when JupyterLab changes
 * theme, but a canvas keeps the pixels it was drawn with (and a view hidden while
 * the new theme's styles load has nothing drawn at all), so canvases redraw when
 * the theme changes.
 */
import { useEffect, useState } from 'react';

/** The attributes JupyterLab sets on the body for the current theme. */
const THEME_ATTRIBUTES = ['data-jp-theme-name', 'data-jp-theme-light'];

/** The current theme's name ('' before JupyterLab sets one). */
export function currentTheme(): string {
  return typeof document === 'undefined'
    ? ''
    : (document.body.dataset.jpThemeName ?? '');
}

/**
 * The theme's name, updated when it changes (a dependency for redrawing).
 */
export function useTheme(): string {
  const [theme, setTheme] = useState(currentTheme);
  useEffect(() => {
    if (typeof MutationObserver === 'undefined') {
      return;
    }
    // JupyterLab sets the attributes, hides the shell and shows it again in
    // the next animation frame: the change is reported from a frame callback
    // queued after that one, so the redraw happens on a visible view.
    let frame = 0;
    const observer = new MutationObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setTheme(currentTheme()));
    });
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: THEME_ATTRIBUTES
    });
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    };
  }, []);
  return theme;
}
