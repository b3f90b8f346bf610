import type { IRepository } from '../api';
import {
  folderOf,
  ISaveValue,
  lastSavePlace,
  placedInitial,
  rememberSavePlace,
  renamed
} from '../viewer/outputs';

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: key => items.get(key) ?? null,
    key: index => [...items.keys()][index] ?? null,
    removeItem: key => void items.delete(key),
    setItem: (key, value) => void items.set(key, value)
  };
}

const repos = [
  { name: 'notebooks', writable: true, home: true },
  { name: 'results', writable: true }
] as IRepository[];

const initial: ISaveValue = {
  repository: 'notebooks',
  path: 'scans/scan-ring.h5',
  format: 'hdf5',
  what: 'nav'
};

describe('where saves go', () => {
  it('switching the result renames the file in its folder, with the format kept', () => {
    expect(
      renamed('mine/here/scan-ring.png', 'scans/scan-frame-x3-y4.h5', 'png')
    ).toBe('mine/here/scan-frame-x3-y4.png');
    expect(folderOf('top.h5')).toBe('');
  });

  it('remembers the last repository and folder, and offers them first', () => {
    const storage = memoryStorage();
    expect(lastSavePlace(storage)).toBeNull();
    rememberSavePlace('results', 'runs/2026/scan-frame.png', storage);
    const place = lastSavePlace(storage);
    expect(place).toEqual({ repository: 'results', folder: 'runs/2026/' });
    expect(placedInitial(initial, repos, place)).toEqual({
      ...initial,
      repository: 'results',
      path: 'runs/2026/scan-ring.h5'
    });
  });

  it('forgets a remembered repository that is gone or read-only', () => {
    const place = { repository: 'gone', folder: 'x/' };
    expect(placedInitial(initial, repos, place)).toBe(initial);
    expect(
      placedInitial({ ...initial, repository: 'demo' }, repos, place).repository
    ).toBe('notebooks');
  });

  it('ignores what it cannot read', () => {
    const storage = memoryStorage();
    storage.setItem('jupyter-remotem:last-save-place', '{not json');
    expect(lastSavePlace(storage)).toBeNull();
  });
});
