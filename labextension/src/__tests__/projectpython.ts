/**
 * The project's Python, for tests that ask the server's own code (its declarations,
 * its checks, a numpy reference). Needs `python` with jupyter_remotem on PATH
 * (`PATH=.venv/bin:$PATH jlpm test`; REMOTEM_PYTHON overrides).
 */
declare const require: (name: string) => any;
declare const process: { env: Record<string, string | undefined> };

/** Run `code` with `input` on stdin; its stdout. */
export function python(code: string, input?: string): string {
  const { execFileSync } = require('child_process');
  // -P: not the working directory on sys.path (jest's `coverage/` folder would shadow the package).
  return execFileSync(
    process.env.REMOTEM_PYTHON ?? 'python',
    ['-P', '-c', code],
    { input, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }
  );
}
