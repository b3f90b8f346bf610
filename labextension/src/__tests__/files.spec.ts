/**
 * Managing files from the lab: paths and free names, what a drop or a folder pick
 * uploads, the tus metadata and fingerprint, retries and refusals, speed and ETA.
 */
import {
  baseName,
  freeName,
  joinPath,
  nameProblem,
  parentOf,
  splitExtension
} from '../filepaths';
import {
  captureDrop,
  IEntryLike,
  isExists,
  planFromInput,
  RateMeter,
  shouldRetryUpload,
  uploadError,
  uploadFingerprint,
  uploadMetadata,
  walkEntries
} from '../uploadplan';

function file(name: string, content = 'x', lastModified = 1000): File {
  return new File([content], name, { type: 'text/plain', lastModified });
}

/** A dropped file entry, answering its File asynchronously as browsers do. */
function fileEntry(name: string): IEntryLike {
  return {
    isFile: true,
    isDirectory: false,
    name,
    file: success => setTimeout(() => success(file(name)), 0)
  };
}

/** A dropped folder whose reader answers `batch` entries per call, then none. */
function folderEntry(
  name: string,
  children: IEntryLike[],
  batch = 100
): IEntryLike {
  return {
    isFile: false,
    isDirectory: true,
    name,
    createReader: () => {
      let next = 0;
      return {
        readEntries: success => {
          const answer = children.slice(next, next + batch);
          next += batch;
          setTimeout(() => success(answer), 0);
        }
      };
    }
  };
}

describe('paths', () => {
  it('joins, splits and names paths of a repository', () => {
    expect(joinPath('', 'a.h5')).toBe('a.h5');
    expect(joinPath('runs/', '/day1', 'scan.h5')).toBe('runs/day1/scan.h5');
    expect(joinPath('runs', 'sub/deeper/x')).toBe('runs/sub/deeper/x');
    expect(parentOf('runs/day1/scan.h5')).toBe('runs/day1');
    expect(parentOf('scan.h5')).toBe('');
    expect(baseName('runs/day1/scan.h5')).toBe('scan.h5');
    expect(splitExtension('scan.h5')).toEqual(['scan', '.h5']);
    expect(splitExtension('.hidden')).toEqual(['.hidden', '']);
    expect(splitExtension('folder')).toEqual(['folder', '']);
    expect(splitExtension('frames.tar.gz')).toEqual(['frames', '.tar.gz']);
    expect(splitExtension('cells.ome.tiff')).toEqual(['cells', '.ome.tiff']);
  });

  it('suggests the first free name for a name that is taken', () => {
    expect(freeName('scan.h5', ['other.h5'])).toBe('scan.h5');
    expect(freeName('scan.h5', ['scan.h5'])).toBe('scan_1.h5');
    expect(freeName('scan.h5', ['scan.h5', 'scan_1.h5', 'scan_2.h5'])).toBe(
      'scan_3.h5'
    );
    // A name that is numbered already counts on.
    expect(freeName('scan_4.h5', ['scan_4.h5'])).toBe('scan_5.h5');
    expect(freeName('frames.tar.gz', ['frames.tar.gz'])).toBe(
      'frames_1.tar.gz'
    );
    expect(freeName('new_folder', ['new_folder'])).toBe('new_folder_1');
  });

  it('refuses names the server would refuse anyway', () => {
    expect(nameProblem('scan.h5')).toBeNull();
    expect(nameProblem('  ')).toBe('empty');
    expect(nameProblem('a/b')).toBe('slash');
    expect(nameProblem('..')).toBe('dots');
    expect(nameProblem('é'.repeat(128))).toBe('long'); // 256 bytes in UTF-8
    expect(nameProblem('é'.repeat(127))).toBeNull();
  });
});

describe('what a drop uploads', () => {
  it('takes entries where the browser gives them, else the files', () => {
    const entry = fileEntry('a.txt');
    const loose = file('b.txt');
    const captured = captureDrop([
      { kind: 'file', webkitGetAsEntry: () => entry, getAsFile: () => null },
      { kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => loose },
      { kind: 'string', getAsFile: () => null }
    ]);
    expect(captured.entries).toEqual([entry]);
    expect(captured.files).toEqual([loose]);
  });

  it('walks dropped folders, batch by batch, keeping their paths and empty folders', async () => {
    const many = Array.from({ length: 250 }, (_, i) =>
      fileEntry(`f${String(i).padStart(3, '0')}.tif`)
    );
    const plan = await walkEntries(
      [
        folderEntry('run1', [
          fileEntry('meta.json'),
          folderEntry('frames', many),
          folderEntry('empty', [])
        ]),
        fileEntry('notes.txt')
      ],
      [file('loose.bin')]
    );
    const paths = plan.files.map(planned => planned.relativePath);
    expect(paths).toHaveLength(1 + 1 + 250 + 1);
    expect(paths).toContain('loose.bin');
    expect(paths).toContain('run1/meta.json');
    expect(paths).toContain('run1/frames/f000.tif');
    expect(paths).toContain('run1/frames/f249.tif');
    expect(paths).toContain('notes.txt');
    expect(plan.emptyFolders).toEqual(['run1/empty']);
    const meta = plan.files.find(p => p.relativePath === 'run1/meta.json');
    expect(meta?.file.name).toBe('meta.json');
  });

  it('keeps the folder paths of a folder picked in a file input', () => {
    const picked = file('0001.tif');
    Object.defineProperty(picked, 'webkitRelativePath', {
      value: 'stack/frames/0001.tif'
    });
    const plain = file('single.h5');
    const plan = planFromInput([picked, plain]);
    expect(plan.files.map(p => p.relativePath)).toEqual([
      'stack/frames/0001.tif',
      'single.h5'
    ]);
  });
});

describe('tus uploads', () => {
  it('names the target in the metadata, overwrite only when chosen', () => {
    expect(uploadMetadata('scratch', 'in/a.h5', { type: '' })).toEqual({
      repository: 'scratch',
      path: 'in/a.h5'
    });
    expect(
      uploadMetadata('scratch', 'in/a.h5', { type: 'text/plain' }, true)
    ).toEqual({
      repository: 'scratch',
      path: 'in/a.h5',
      filetype: 'text/plain',
      overwrite: '1'
    });
  });

  it('resumes the same file to the same place, not to another', () => {
    const a = file('scan.mib', 'abc', 5);
    const same = file('scan.mib', 'abc', 5);
    const endpoint = '/user/x/remotem/api/uploads';
    const fp = uploadFingerprint(endpoint, 'scratch', 'in/scan.mib', a);
    expect(uploadFingerprint(endpoint, 'scratch', 'in/scan.mib', same)).toBe(
      fp
    );
    expect(uploadFingerprint(endpoint, 'scratch', 'out/scan.mib', a)).not.toBe(
      fp
    );
    expect(uploadFingerprint(endpoint, 'home', 'in/scan.mib', a)).not.toBe(fp);
    expect(
      uploadFingerprint(
        endpoint,
        'scratch',
        'in/scan.mib',
        file('scan.mib', 'abcd', 5)
      )
    ).not.toBe(fp);
  });

  it('retries network failures and moved offsets, never refusals', () => {
    expect(shouldRetryUpload('PATCH', 0, true)).toBe(true);
    expect(shouldRetryUpload('PATCH', 503, true)).toBe(true);
    expect(shouldRetryUpload('PATCH', 409, true)).toBe(true);
    expect(shouldRetryUpload('HEAD', 423, true)).toBe(true);
    // At creation 409 means the file exists.
    expect(shouldRetryUpload('POST', 409, true)).toBe(false);
    expect(shouldRetryUpload('POST', 403, true)).toBe(false);
    expect(shouldRetryUpload('POST', 413, true)).toBe(false);
    expect(shouldRetryUpload('PATCH', 460, true)).toBe(false);
    // Offline, it waits for the network instead.
    expect(shouldRetryUpload('PATCH', 0, false)).toBe(false);
  });

  it("shows the server's refusal with its hint", () => {
    const body = JSON.stringify({
      error: {
        code: 'conflict',
        message: "'in/a.h5' already exists in 'scratch'.",
        hint: 'Choose another name, or upload with overwrite.'
      }
    });
    const exists = uploadError(409, body, 'tus: unexpected response');
    expect(exists.message).toBe("'in/a.h5' already exists in 'scratch'.");
    expect(exists.hint).toBe('Choose another name, or upload with overwrite.');
    expect(exists.code).toBe('conflict');
    expect(isExists(exists)).toBe(true);
    const quota = uploadError(
      403,
      JSON.stringify({ error: { code: 'quota_exceeded', message: 'Full.' } }),
      ''
    );
    expect(quota.code).toBe('quota_exceeded');
    expect(isExists(quota)).toBe(false);
    const network = uploadError(0, null, 'tus: failed to upload chunk');
    expect(network.code).toBe('network_error');
    expect(network.message).toBe('tus: failed to upload chunk');
    expect(uploadError(502, '<html>', 'bad gateway').code).toBe('http_502');
  });

  it('measures speed and time left over the recent window', () => {
    const meter = new RateMeter(5000);
    expect(meter.speed).toBeNull();
    meter.add(0, 0);
    meter.add(100, 1000);
    expect(meter.speed).toBeNull(); // too short to tell
    meter.add(1000, 10_000_000);
    expect(meter.speed).toBeCloseTo(10_000_000);
    expect(meter.eta(30_000_000)).toBeCloseTo(2);
    // A stall shows once the fast samples leave the window.
    for (let t = 2000; t <= 9000; t += 1000) {
      meter.add(t, 10_000_000);
    }
    expect(meter.speed).toBe(0);
    expect(meter.eta(30_000_000)).toBeNull();
  });
});
