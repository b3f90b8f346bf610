/**
 * React roots for component tests: react-dom has no type declarations in this project,
 * so the part used is typed here once, and React is told it runs inside `act`.
 */
export interface IRoot {
  render(element: JSX.Element): void;
  unmount(): void;
}

declare const require: (name: string) => any;

export const { createRoot } = require('react-dom/client') as {
  createRoot: (container: Element) => IRoot;
};

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
