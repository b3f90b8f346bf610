import { nullTranslator } from '@jupyterlab/translation';

import { IAdvice, ITimed } from '../api';
import { adviceText } from '../viewer/hints';

const trans = nullTranslator.load('jupyterlab');

const timed = (seconds: number | null, basis: ITimed['basis']): ITimed => ({
  seconds,
  throughput_bytes_s: seconds ? 1e9 / seconds : null,
  basis
});

const advice = (patch: Partial<IAdvice>): IAdvice => ({
  applies: true,
  bytes: 1024 ** 3,
  home: 'notebooks',
  offer_copy: true,
  slower: false,
  remote: timed(0.06, 'measured'),
  local: timed(0.05, 'probe'),
  copy: timed(1.2, 'history'),
  ...patch
});

describe('the remote-or-local hint says what the server measured', () => {
  it('gives the measured pass and copy times, and how they were obtained', () => {
    const shown = adviceText(trans, advice({}))!;
    expect(shown.text).toBe(
      'Reading this 1.00 GiB scan remotely takes under a second per pass; copying it to your notebook folder would take ~1 s once.'
    );
    expect(shown.title).toContain('measured on recent passes');
    expect(shown.title).toContain('measured on earlier jobs');
  });

  it('names the data as the viewer shows it: a scan, an image or a stack', () => {
    expect(adviceText(trans, advice({}), 'image')!.text).toBe(
      'Reading this 1.00 GiB image remotely takes under a second; copying it to your notebook folder would take ~1 s once.'
    );
    expect(adviceText(trans, advice({ copy: null }), 'stack')!.text).toBe(
      'Reading this 1.00 GiB image stack remotely takes under a second per pass.'
    );
    const unknown = advice({ remote: timed(null, 'default') });
    expect(adviceText(trans, unknown, 'image')!.text).toBe(
      'This 1.00 GiB image is small enough to copy to your notebook folder.'
    );
    expect(adviceText(trans, unknown, 'scan')!.text).toContain(' scan ');
  });

  it('says nothing when there is nothing to offer or the data is local', () => {
    expect(adviceText(trans, null)).toBeNull();
    expect(
      adviceText(trans, advice({ offer_copy: false, slower: false }))
    ).toBeNull();
    expect(adviceText(trans, advice({ applies: false }))).toBeNull();
  });

  it('names a slow repository with its pass time even when too big to copy', () => {
    const shown = adviceText(
      trans,
      advice({
        bytes: 40e9,
        offer_copy: false,
        slower: true,
        remote: timed(400, 'probe'),
        copy: null
      })
    )!;
    expect(shown.text).toContain('takes ~');
    expect(shown.text).not.toContain('copying');
    expect(shown.title).toContain('short speed test');
  });

  it('offers a copy without figures when no speed is known', () => {
    const shown = adviceText(
      trans,
      advice({ remote: timed(null, 'default') })
    )!;
    expect(shown.text).toContain('small enough to copy');
  });
});
