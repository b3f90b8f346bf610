/**
 * Every file useful, and the tree's keyboard model: where a file opens, how the drive
 * names and serves files, keys on rows, the single tab stop, the metadata filter, which
 * errors offer "Retry", and names that keep their end.
 */
import { IEntry, ITreeResponse, RemotemAPI } from '../api';
import { RemoteDataDrive } from '../drive';
import {
  drivePath,
  factoryFor,
  fileFormatFor,
  mimetypeFor,
  openRoute,
  splitDrivePath,
  toBase64,
  tooLargeForDrive
} from '../fileroutes';
import { splitForMiddleEllipsis } from '../format';
import { buildMetaTree, filterMetaTree, splitMatch } from '../metafilter';
import { isRetryable } from '../retry';
import { keyAction, moveTarget, tabStopIndex } from '../treekeys';

function entry(
  name: string,
  extra: Partial<IEntry> = {},
  format: string | null = null
): IEntry {
  return {
    name,
    path: `folder/${name}`,
    type: 'file',
    size: 10,
    mtime: 1_700_000_000,
    modified: '2023-11-14T22:13:20+00:00',
    format,
    dataset: false,
    ...extra
  };
}

describe('where a file opens', () => {
  it('opens arrays in the dataset viewer', () => {
    expect(openRoute(entry('scan.h5', { dataset: true }, 'hdf5'))).toEqual({
      kind: 'viewer'
    });
    expect(
      openRoute(
        entry('scan.zarr', { type: 'directory', dataset: true }, 'zarr')
      )
    ).toEqual({ kind: 'viewer' });
  });

  it('opens text, JSON, tables and pictures in JupyterLab viewers', () => {
    const factory = (name: string, format: string | null = null) => {
      const route = openRoute(entry(name, {}, format));
      return route?.kind === 'document' ? route.factory : route?.kind;
    };
    expect(factory('README.txt', 'text')).toBe('Editor');
    expect(factory('run.log', 'text')).toBe('Editor');
    expect(factory('scan.hdr', 'text')).toBe('Editor');
    expect(factory('no-extension')).toBe('Editor');
    expect(factory('scan.raw.json', 'json')).toBe('JSON');
    expect(factory('positions.csv', 'csv')).toBe('CSVTable');
    expect(factory('positions.TSV', 'tsv')).toBe('TSVTable');
    expect(factory('photo.JPG', 'image')).toBe('Image');
  });

  it('opens a saved PNG as a picture, a saved TIFF in the viewer', () => {
    const result = { job_id: 'j1', operation: 'virtual_detector', format: '' };
    expect(openRoute(entry('bf.png', { result }, 'image'))).toEqual({
      kind: 'document',
      factory: 'Image'
    });
    expect(openRoute(entry('bf.tif', { result }, 'tiff'))).toEqual({
      kind: 'viewer'
    });
  });

  it('opens any TIFF in the viewer: the server reads it as an image or a stack', () => {
    expect(openRoute(entry('stack.tif', { dataset: true }, 'tiff'))).toEqual({
      kind: 'viewer'
    });
    expect(openRoute(entry('photo.TIFF', { dataset: true }, 'tiff'))).toEqual({
      kind: 'viewer'
    });
  });

  it('does not open folders (they unfold)', () => {
    expect(openRoute(entry('notes', { type: 'directory' }))).toBeNull();
  });

  it('serves pictures as base64 with their media type, the rest as text', () => {
    expect(fileFormatFor('a.png')).toBe('base64');
    expect(fileFormatFor('a.csv')).toBe('text');
    expect(mimetypeFor('a.png')).toBe('image/png');
    expect(mimetypeFor('a.jpeg')).toBe('image/jpeg');
    expect(mimetypeFor('a.json')).toBe('application/json');
    expect(mimetypeFor('README.txt')).toBe('text/plain');
    expect(factoryFor('x.gif')).toBe('Image');
  });
});

describe('drive paths', () => {
  it('maps a repository file to a drive path and back', () => {
    expect(drivePath('demo', 'notes/todo.txt')).toBe(
      'RemoteData:demo/notes/todo.txt'
    );
    expect(splitDrivePath('demo/notes/todo.txt')).toEqual({
      repository: 'demo',
      path: 'notes/todo.txt'
    });
    expect(splitDrivePath('/demo//a.txt/')).toEqual({
      repository: 'demo',
      path: 'a.txt'
    });
    expect(splitDrivePath('demo')).toEqual({ repository: 'demo', path: '' });
    expect(splitDrivePath('')).toEqual({ repository: '', path: '' });
  });

  it('refuses files over the limit, and only those', () => {
    expect(tooLargeForDrive(50 * 1024 * 1024)).toBe(false);
    expect(tooLargeForDrive(50 * 1024 * 1024 + 1)).toBe(true);
    expect(tooLargeForDrive(null)).toBe(false);
  });

  it('encodes bytes as base64, also past one slice', () => {
    expect(toBase64(new TextEncoder().encode('hello'))).toBe('aGVsbG8=');
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(atob(toBase64(bytes)).length).toBe(bytes.length);
    expect(atob(toBase64(bytes)).charCodeAt(70_000)).toBe(70_000 % 251);
  });
});

describe('the RemoteData drive', () => {
  const listing = (path: string): ITreeResponse => ({
    repository: 'demo',
    path,
    entries:
      path === ''
        ? [
            entry('big.csv', { path: 'big.csv', size: 60 * 1024 * 1024 }),
            entry('notes', { path: 'notes', type: 'directory', size: null })
          ]
        : [entry('todo.txt', { path: 'notes/todo.txt' })]
  });
  // Only listings are asked for here: the file's size decides before any read.
  const api = {
    serverSettings: {},
    listTree: async (_repo: string, path: string) => listing(path)
  } as unknown as RemotemAPI;

  it('describes files read-only, with local paths', async () => {
    const drive = new RemoteDataDrive(api);
    const model = await drive.get('demo/notes/todo.txt', { content: false });
    expect(model).toMatchObject({
      name: 'todo.txt',
      path: 'demo/notes/todo.txt',
      type: 'file',
      writable: false,
      mimetype: 'text/plain',
      content: null
    });
    const folder = await drive.get('demo/notes');
    expect(folder.type).toBe('directory');
    expect(folder.content.map((item: { path: string }) => item.path)).toEqual([
      'demo/notes/todo.txt'
    ]);
  });

  it('refuses a huge file with a hint to download it', async () => {
    const drive = new RemoteDataDrive(api);
    await expect(drive.get('demo/big.csv')).rejects.toMatchObject({
      status: 413,
      code: 'too_large',
      hint: expect.stringMatching(/Download/)
    });
  });

  it('answers a missing file with not_found and refuses writes', async () => {
    const drive = new RemoteDataDrive(api);
    await expect(drive.get('demo/nothing.txt')).rejects.toMatchObject({
      code: 'not_found'
    });
    await expect(drive.save()).rejects.toMatchObject({ code: 'forbidden' });
    expect(await drive.listCheckpoints()).toEqual([]);
  });
});

describe('tree keys', () => {
  const file = { expandable: false, expanded: false };
  const closed = { expandable: true, expanded: false };
  const open = { expandable: true, expanded: true };

  it('moves with arrows, Home and End', () => {
    expect(keyAction({ key: 'ArrowDown' }, file)).toEqual({ move: 'next' });
    expect(keyAction({ key: 'ArrowUp' }, file)).toEqual({ move: 'previous' });
    expect(keyAction({ key: 'Home' }, file)).toEqual({ move: 'first' });
    expect(keyAction({ key: 'End' }, file)).toEqual({ move: 'last' });
  });

  it('unfolds, steps in, folds and steps out with Right and Left', () => {
    expect(keyAction({ key: 'ArrowRight' }, closed)).toEqual({ expand: true });
    expect(keyAction({ key: 'ArrowRight' }, open)).toEqual({
      move: 'firstChild'
    });
    expect(keyAction({ key: 'ArrowRight' }, file)).toBeNull();
    expect(keyAction({ key: 'ArrowLeft' }, open)).toEqual({ collapse: true });
    expect(keyAction({ key: 'ArrowLeft' }, closed)).toEqual({
      move: 'parent'
    });
    expect(keyAction({ key: 'ArrowLeft' }, file)).toEqual({ move: 'parent' });
  });

  it('opens with Enter, selects with Space, menus with Shift+F10', () => {
    expect(keyAction({ key: 'Enter' }, file)).toEqual({ open: true });
    expect(keyAction({ key: ' ' }, file)).toEqual({ activate: true });
    expect(keyAction({ key: 'F10', shiftKey: true }, file)).toEqual({
      menu: true
    });
    expect(keyAction({ key: 'ContextMenu' }, file)).toEqual({ menu: true });
  });

  it('leaves Tab and modified keys to the page', () => {
    expect(keyAction({ key: 'Tab' }, file)).toBeNull();
    expect(keyAction({ key: 'ArrowDown', ctrlKey: true }, file)).toBeNull();
    expect(keyAction({ key: 'F10' }, file)).toBeNull();
    expect(keyAction({ key: 'a' }, file)).toBeNull();
  });

  it('finds the row a move leads to', () => {
    // repo, folder, file in folder, file in folder, second repo
    const levels = [1, 2, 3, 3, 1];
    expect(moveTarget(levels, 0, 'next')).toBe(1);
    expect(moveTarget(levels, 4, 'next')).toBe(-1);
    expect(moveTarget(levels, 0, 'previous')).toBe(-1);
    expect(moveTarget(levels, 3, 'parent')).toBe(1);
    expect(moveTarget(levels, 1, 'parent')).toBe(0);
    expect(moveTarget(levels, 0, 'parent')).toBe(-1);
    expect(moveTarget(levels, 1, 'firstChild')).toBe(2);
    expect(moveTarget(levels, 3, 'firstChild')).toBe(-1);
    expect(moveTarget(levels, 2, 'first')).toBe(0);
    expect(moveTarget(levels, 2, 'last')).toBe(4);
    expect(moveTarget([], 0, 'next')).toBe(-1);
  });

  it('keeps one tab stop: the row focused last, else the selection, else the first', () => {
    expect(tabStopIndex(5, 3, 1)).toBe(3);
    expect(tabStopIndex(5, -1, 1)).toBe(1);
    expect(tabStopIndex(5, -1, -1)).toBe(0);
    expect(tabStopIndex(2, 7, -1)).toBe(0);
    expect(tabStopIndex(0, -1, -1)).toBe(-1);
  });
});

describe('the metadata tree', () => {
  const metadata = {
    General: { title: 'scan', original_filename: 'scan.h5' },
    Acquisition_instrument: {
      TEM: { beam_energy: 300, Detector: { name: 'Merlin' } }
    },
    axes: [{ name: 'scan_y', units: 'nm' }, { name: 'kx' }]
  };

  it('builds nested branches with unique ids', () => {
    const { nodes, truncated } = buildMetaTree(metadata);
    expect(truncated).toBe(false);
    expect(nodes.map(node => node.key)).toEqual([
      'General',
      'Acquisition_instrument',
      'axes'
    ]);
    const axes = nodes[2];
    expect(axes.kind).toBe('array');
    expect(axes.children![0].id).toBe('/axes/0');
    expect(axes.children![0].children![1]).toMatchObject({
      key: 'units',
      text: 'nm'
    });
    expect(
      nodes[1].children![0].children!.find(n => n.key === 'beam_energy')
    ).toMatchObject({ kind: 'value', text: '300' });
  });

  it('keeps the branches leading to a match, open, and drops the rest', () => {
    const { nodes } = buildMetaTree(metadata);
    const found = filterMetaTree(nodes, 'merlin');
    expect(found.count).toBe(1);
    expect(found.nodes.map(node => node.key)).toEqual([
      'Acquisition_instrument'
    ]);
    expect([...found.open].sort()).toEqual([
      '/Acquisition_instrument',
      '/Acquisition_instrument/TEM',
      '/Acquisition_instrument/TEM/Detector'
    ]);
    const tem = found.nodes[0].children![0];
    expect(tem.children!.map(node => node.key)).toEqual(['Detector']);
  });

  it('matches keys case-insensitively, and a matching branch keeps its contents', () => {
    const { nodes } = buildMetaTree(metadata);
    const found = filterMetaTree(nodes, 'GENERAL');
    expect(found.nodes).toHaveLength(1);
    expect(found.nodes[0].children).toHaveLength(2);
  });

  it('keeps everything, unfolded nowhere, for an empty filter', () => {
    const { nodes } = buildMetaTree(metadata);
    const all = filterMetaTree(nodes, '  ');
    expect(all.nodes).toHaveLength(3);
    expect(all.open.size).toBe(0);
    expect(filterMetaTree(nodes, 'no such thing').nodes).toEqual([]);
  });

  it('bounds a huge header and long values', () => {
    const huge: Record<string, string> = {};
    for (let i = 0; i < 100; i++) {
      huge[`k${i}`] = 'x'.repeat(1000);
    }
    const { nodes, truncated } = buildMetaTree(huge, { nodes: 10, text: 20 });
    expect(truncated).toBe(true);
    expect(nodes.length).toBeLessThan(10);
    expect(nodes[0].text).toHaveLength(21);
  });

  it('splits text around a match for highlighting', () => {
    expect(splitMatch('Detector Merlin', 'merl')).toEqual([
      'Detector ',
      'Merl',
      'in'
    ]);
    expect(splitMatch('abc', 'x')).toBeNull();
  });
});

describe('errors that offer Retry', () => {
  it('does not offer it for an unsupported or unreadable file', () => {
    expect(isRetryable({ status: 415, code: 'unsupported_format' })).toBe(
      false
    );
    expect(isRetryable({ status: 422, code: 'unreadable_file' })).toBe(false);
    expect(isRetryable({ status: 404, code: 'not_found' })).toBe(false);
    expect(isRetryable({ status: 400, code: 'bad_parameter' })).toBe(false);
    expect(isRetryable({ status: 404, code: 'http_404' })).toBe(false);
  });

  it('offers it where the next try may go', () => {
    expect(isRetryable({ status: 0, code: 'network_error' })).toBe(true);
    expect(isRetryable({ status: 503, code: 'storage_unavailable' })).toBe(
      true
    );
    expect(isRetryable({ status: 429, code: 'http_429' })).toBe(true);
    expect(isRetryable({ status: 422, code: 'too_expensive' })).toBe(true);
  });
});

describe('long names', () => {
  it('keep their end when the middle gives way', () => {
    expect(splitForMiddleEllipsis('scan.h5')).toEqual(['scan.h5', '']);
    expect(splitForMiddleEllipsis('settings.json')).toEqual([
      'sett',
      'ings.json'
    ]);
    const [head, tail] = splitForMiddleEllipsis(
      'scan_2024-05-03_grain_B_tilt_series_0042.h5'
    );
    expect(tail).toBe('es_0042.h5');
    expect(head + tail).toBe('scan_2024-05-03_grain_B_tilt_series_0042.h5');
  });
});
