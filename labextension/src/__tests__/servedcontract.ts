/**
 * The view contract exactly as the server declares it (`GET views` answers
 * `jupyter_remotem.view_contract.contract()`), asked from the project's Python
 * once per test file: the viewer's tests run against the one declaration, not a
 * copy of it. Needs `python` with jupyter_remotem on PATH (`PATH=.venv/bin:$PATH
 * jlpm test`; REMOTEM_PYTHON overrides).
 */
import type { IOperationInfo, IViewContract } from '../api';
import { python } from './projectpython';

let served: IViewContract | null = null;

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

/** The operation `name` as `GET operations` declares it (an error if there is none). */
export function servedOperation(name: string): IOperationInfo {
  const found = servedOperations().find(op => op.name === name);
  if (!found) {
    throw new Error(`the server declares no ${name}`);
  }
  return found;
}

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

/** What the server says when it refuses a request (`{"error": {...}}` and the status). */
export interface IServedRefusal {
  status: number;
  code: string;
  message: string;
  hint: string | null;
}

/**
 * The server's verdict on the body of a `POST jobs` for a reduction or a
 * transformation, as far as it goes without opening the data (the request's shape,
 * its output, which steps chain, every step's parameters against its schema): null
 * when it is accepted, else the refusal (status, code, message and hint) it answers.
 */
export function servedJobRefusal(body: unknown): IServedRefusal | null {
  const out = python(
    [
      'import json, sys',
      'from jupyter_remotem.errors import RemotemError',
      'from jupyter_remotem.compute.operations import get_operation',
      'from jupyter_remotem.jobs.requests import JobRequest',
      'try:',
      '    request = JobRequest.from_json(json.load(sys.stdin)).reduction',
      '    for step in [*request.pipeline, {"operation": request.operation, "params": request.params}]:',
      '        get_operation(step["operation"]).validate(step["params"])',
      '    print("null")',
      'except RemotemError as error:',
      '    print(json.dumps(dict(error.to_json()["error"], status=error.status)))'
    ].join('\n'),
    JSON.stringify(body)
  );
  return JSON.parse(out) as IServedRefusal | null;
}
