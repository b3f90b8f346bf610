/**
 * The view contract exactly as the server declares it (`GET views` answers
 * `jupyter_remotem.view_contract.contract()`), asked from the project's Python
 * once per test file: the viewer's tests run against the one declaration, not a
 * copy of it. Needs `python` with jupyter_remotem on PATH (`PATH=.venv/bin:$PATH
 * jlpm test`; REMOTEM_PYTHON overrides).
 */
import type { IViewContract } from '../api';

declare const require: (name: string) => any;
declare const process: { env: Record<string, string | undefined> };

let served: IViewContract | null = null;

function python(code: string, input?: string): string {
  const { execFileSync } = require('child_process');
  return execFileSync(process.env.REMOTEM_PYTHON ?? 'python', ['-c', code], {
    input,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024
  });
}

export function servedContract(): IViewContract {
  if (!served) {
    served = JSON.parse(
      python(
        'import json; from jupyter_remotem.view_contract import contract; print(json.dumps(contract()))'
      )
    ) as IViewContract;
  }
  return served;
}

/**
 * The server's verdict on `view`: null when it follows the contract, else the
 * message of its 400.
 */
export function serverVerdict(view: unknown): string | null {
  const out = python(
    [
      'import json, sys',
      'from jupyter_remotem.view_contract import check_view, InvalidView',
      'try:',
      '    check_view(json.load(sys.stdin)); print("null")',
      'except InvalidView as error:',
      '    print(json.dumps(error.message))'
    ].join('\n'),
    JSON.stringify(view)
  );
  return JSON.parse(out) as string | null;
}
