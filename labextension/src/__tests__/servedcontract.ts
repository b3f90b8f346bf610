/**
 * The view contract exactly as the server declares it (`GET views` answers
 * `jupyter_remotem.view_contract.contract()`), asked from the project's Python
 * once per test file: the viewer's tests run against the one declaration, not a
 * copy of it. Needs `python` with jupyter_remotem on PATH (`PATH=.venv/bin:$PATH
 * jlpm test`; REMOTEM_PYTHON overrides).
 */
import type { IOperationInfo, IViewContract } from '../api';

declare const require: (name: string) => any;
declare const process: { env: Record<string, string | undefined> };

let served: IViewContract | null = null;

function python(code: string, input?: string): string {
  const { execFileSync } = require('child_process');
  // -P: not the working directory on sys.path (jest's `coverage/` folder would shadow the package).
  return execFileSync(
    process.env.REMOTEM_PYTHON ?? 'python',
    ['-P', '-c', code],
    {
      input,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024
    }
  );
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

let operations: IOperationInfo[] | null = null;

/**
 * Every operation as `GET operations` declares it on a dataset it can run on (name,
 * kind, description, parameters' JSON Schema, outputs, primary).
 */
export function servedOperations(): IOperationInfo[] {
  if (!operations) {
    operations = JSON.parse(
      python(
        [
          'import json',
          'from jupyter_remotem.compute.operations import OPERATIONS',
          'print(json.dumps([{"name": n, "kind": op.kind, "description": op.description, "available": True,',
          '                   "reason": None, **op.declaration()} for n, op in OPERATIONS.items()]))'
        ].join('\n')
      )
    ) as IOperationInfo[];
  }
  return operations;
}
