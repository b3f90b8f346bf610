/**
 * The storage protocols exactly as the server declares them (`GET storage/protocols`
 * answers `jupyter_remotem.storage.own.PROTOCOLS`), and the server's verdict on request
 * bodies (`OwnStorages.check` on an empty job store in memory): the form's tests run
 * against the one declaration. Needs `python` with jupyter_remotem on PATH
 * (`PATH=.venv/bin:$PATH jlpm test`; REMOTEM_PYTHON overrides).
 */
import type { IStorageProtocol, IStorageRequest } from '../storageform';
import { python } from './projectpython';

let protocols: IStorageProtocol[] | null = null;

export function servedProtocols(): IStorageProtocol[] {
  if (!protocols) {
    protocols = JSON.parse(
      python(
        [
          'import json',
          'from jupyter_remotem.storage.own import PROTOCOLS',
          'print(json.dumps([p.to_json() for p in PROTOCOLS.values()]))'
        ].join('\n')
      )
    ) as IStorageProtocol[];
  }
  return protocols;
}

export function servedProtocol(name: string): IStorageProtocol {
  const found = servedProtocols().find(protocol => protocol.name === name);
  if (!found) {
    throw new Error(`the server declares no ${name}`);
  }
  return found;
}

/**
 * The server's verdict on each body: null when `POST storage` would take it to its
 * connection test, else the message of its refusal. One Python run for all of them.
 */
export function serverVerdicts(bodies: IStorageRequest[]): (string | null)[] {
  const out = python(
    [
      'import json, sys',
      'from cryptography.fernet import Fernet',
      'from jupyter_remotem.errors import RemotemError',
      'from jupyter_remotem.jobs.store import JobStore',
      'from jupyter_remotem.storage.credentials import CredentialCipher',
      'from jupyter_remotem.storage.own import OwnStorages',
      "own = OwnStorages(JobStore('sqlite://'), CredentialCipher(Fernet.generate_key().decode()))",
      'verdicts = []',
      'for body in json.load(sys.stdin):',
      '    try:',
      "        own.check('tester', body); verdicts.append(None)",
      '    except RemotemError as error:',
      '        verdicts.append(error.message)',
      'print(json.dumps(verdicts))'
    ].join('\n'),
    JSON.stringify(bodies)
  );
  return JSON.parse(out) as (string | null)[];
}
