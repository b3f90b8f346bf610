/**
 * The Sky cutouts panel's pure parts, against the server's own declaration and parser:
 * the parameters are `jupyter_remotem.cutouts.params.schema()` as served, and every
 * request the form builds is parsed by `params.parse` (the endpoint's own code). Needs
 * `python` with jupyter_remotem on PATH (`PATH=.venv/bin:$PATH jlpm test`; REMOTEM_PYTHON
 * overrides).
 */
import {
  choicesOf,
  cutoutParameters,
  CutoutError,
  declares,
  defaultOf,
  errorLines,
  formProblem,
  ICutoutForm,
  ICutoutSchema,
  INDEX_POLL_FALLBACK_MS,
  INDEX_WAIT_MS,
  indexFraction,
  indexingText,
  initialForm,
  isIndexPending,
  isResample,
  ISurvey,
  ISurveyIndex,
  manifestRows,
  manifestSummary,
  nextIndexStep,
  parseAngle,
  parsePlace,
  pixscalePlaceholder,
  planesOf,
  previewParameters,
  quoteText,
  retryAfterMs,
  tableBatch
} from '../cutouts/model';
import { python } from './projectpython';

const schema: ICutoutSchema = JSON.parse(
  python(
    'import json; from jupyter_remotem.cutouts.params import schema; print(json.dumps(schema()))'
  )
);

/** What the server's parser makes of each request (or its refusal). */
function parsed(requests: Record<string, string>[]): Record<string, any>[] {
  return JSON.parse(
    python(
      [
        'import json, sys',
        'from jupyter_remotem.cutouts.params import parse',
        'from jupyter_remotem.errors import RemotemError',
        'out = []',
        'for query in json.load(sys.stdin):',
        '    try:',
        '        r = parse({k: [v] for k, v in query.items()})',
        '        out.append({"survey": r.survey, "ra": r.ra, "dec": r.dec, "size": r.size, "bands": r.given.get("bands"),',
        '                    "format": r.format, "algorithm": r.algorithm, "stretch": r.stretch, "cmap": r.cmap,',
        '                    "max_edge": r.max_edge, "pixscale": r.pixscale, "rotation": r.rotation,',
        '                    "interpolation": r.interpolation, "planes": list(getattr(r, "planes", ()))})',
        '    except RemotemError as e:',
        '        out.append({"error": str(e)})',
        'print(json.dumps(out))'
      ].join('\n'),
      JSON.stringify(requests)
    )
  );
}

const survey: ISurvey = {
  name: 'demo_mosaic',
  bands: ['g', 'r', 'i'],
  footprint: { centre: { ra: 150.000001234, dec: 2.0 } }
};

function form(change: Partial<ICutoutForm> = {}): ICutoutForm {
  return { ...initialForm(schema, survey), ...change };
}

describe('the form from the declared parameters', () => {
  it('starts at every declared default, on the survey centre, in its first band', () => {
    const start = initialForm(schema, survey);
    const declaredDefault = (name: string) =>
      String(schema.parameters.find(p => p.name === name)!.default);
    expect(start.algorithm).toBe(declaredDefault('algorithm'));
    expect(start.format).toBe(declaredDefault('format'));
    expect(start.stretch).toBe(declaredDefault('stretch'));
    expect(start.cmap).toBe(declaredDefault('cmap'));
    expect(start.ra).toBe('150');
    expect(start.dec).toBe('2');
    expect(start.bands).toEqual(['g']);
    expect(schema.units).toContain(start.unit);
  });

  it('offers the declared choices', () => {
    const declaredChoices = (name: string) =>
      schema.parameters.find(p => p.name === name)!.choices;
    for (const name of ['algorithm', 'format', 'stretch']) {
      expect(choicesOf(schema, name)).toEqual(declaredChoices(name));
      expect(choicesOf(schema, name).length).toBeGreaterThan(1);
    }
    expect(choicesOf(schema, 'cmap')).toEqual(schema.cmaps);
    expect(choicesOf(schema, 'cmap')).toContain(defaultOf(schema, 'cmap'));
  });

  it('refuses a parameter the server does not declare', () => {
    const without: ICutoutSchema = {
      ...schema,
      parameters: schema.parameters.filter(p => p.name !== 'stretch')
    };
    expect(() => choicesOf(without, 'stretch')).toThrow(/declares no/);
    expect(() => cutoutParameters(without, form({ format: 'png' }))).toThrow(
      /stretch/
    );
  });
});

describe('angles', () => {
  it('reads degrees and sexagesimal', () => {
    expect(parseAngle('150.25', 'ra')).toBe(150.25);
    expect(parseAngle('-30.5', 'dec')).toBe(-30.5);
    expect(parseAngle('10:00:00', 'ra')).toBeCloseTo(150, 12);
    expect(parseAngle('10h01m30s', 'ra')).toBeCloseTo(
      (10 + 1 / 60 + 30 / 3600) * 15,
      12
    );
    expect(parseAngle('23 59 59.9', 'ra')).toBeCloseTo(
      (23 + 59 / 60 + 59.9 / 3600) * 15,
      12
    );
    expect(parseAngle('+02:30:00', 'dec')).toBeCloseTo(2.5, 12);
    expect(parseAngle('-00:30:36', 'dec')).toBeCloseTo(-(30 / 60 + 36 / 3600));
    expect(parseAngle("-89d59'60", 'dec')).toBeNull(); // 60 seconds is no angle
  });

  it('says no to what is not an angle', () => {
    for (const text of ['', 'abc', '10:61:00', '1e', '-10:00:00']) {
      expect(parseAngle(text, 'ra')).toBeNull();
    }
    expect(formProblem(form({ ra: 'x' }))).toMatch(/Right ascension/);
    expect(formProblem(form({ dec: '' }))).toMatch(/Declination/);
    expect(formProblem(form({ size: '0' }))).toMatch(/Size/);
    expect(formProblem(form({ bands: [] }))).toMatch(/band/);
    expect(formProblem(form())).toBeNull();
    expect(() => cutoutParameters(schema, form({ ra: 'x' }))).toThrow(
      /Right ascension/
    );
  });
});

describe('requests', () => {
  it('are parsed by the server into what the form says', () => {
    const cases: ICutoutForm[] = [
      form({ ra: '10:00:00', dec: '+02:00:30', size: '30', unit: 'arcsec' }),
      form({
        bands: ['g', 'r', 'i'],
        format: 'png',
        stretch: 'sqrt',
        size: '2',
        unit: 'arcmin',
        algorithm: 'resample'
      }),
      form({ format: 'png', cmap: 'viridis', stretch: 'log' }),
      form({ format: 'jpg', bands: ['r'], size: '48', unit: 'pix' })
    ];
    const requests = cases.map(f => cutoutParameters(schema, f));
    const preview = previewParameters(schema, cases[0], 300);
    const answers = parsed([...requests, preview]);
    expect(answers[0]).toMatchObject({
      survey: 'demo_mosaic',
      format: 'fits',
      algorithm: 'native',
      bands: 'g',
      size: [
        [30, 'arcsec'],
        [30, 'arcsec']
      ]
    });
    expect(answers[0].ra).toBeCloseTo(150, 10);
    expect(answers[0].dec).toBeCloseTo(2 + 30 / 3600, 10);
    expect(requests[0].stretch).toBeUndefined(); // FITS: no picture options
    expect(answers[1]).toMatchObject({
      bands: 'g,r,i',
      format: 'png',
      stretch: 'sqrt',
      algorithm: 'resample'
    });
    expect(requests[1].cmap).toBeUndefined(); // colour: no colormap
    expect(answers[2]).toMatchObject({
      format: 'png',
      cmap: 'viridis',
      stretch: 'log'
    });
    expect(answers[3]).toMatchObject({
      format: 'jpg',
      bands: 'r',
      size: [
        [48, 'pix'],
        [48, 'pix']
      ]
    });
    expect(answers[4]).toMatchObject({ format: 'png', max_edge: 300 });
    for (const answer of answers) {
      expect(answer.error).toBeUndefined();
    }
  });

  it('leave declared defaults out', () => {
    const query = cutoutParameters(schema, form());
    expect(Object.keys(query).sort()).toEqual(
      ['bands', 'dec', 'ra', 'size', 'survey'].sort()
    );
    expect(query.size).toBe('64pix');
  });

  it('make a batch of a table with the form as its defaults', () => {
    const body = tableBatch(
      schema,
      form({ format: 'png', size: '20', unit: 'arcsec' }),
      ' notebooks : /lists/positions.csv '
    );
    expect(body.table).toEqual({
      repository: 'notebooks',
      path: 'lists/positions.csv'
    });
    expect(body.defaults).toMatchObject({
      survey: 'demo_mosaic',
      format: 'png',
      size: '20arcsec'
    });
    expect(body.defaults.ra).toBeUndefined();
    expect(body.defaults.dec).toBeUndefined();
    expect(() => tableBatch(schema, form(), 'positions.csv')).toThrow(
      /repository:path/
    );
    expect(parsePlace(':x.csv')).toBeNull();
    expect(parsePlace('demo:')).toBeNull();
  });
});

describe('refusals', () => {
  it('show the server’s message, hint and a 413’s quote and batch call', () => {
    const body = python(
      [
        'import json',
        'from jupyter_remotem.errors import TooLarge',
        'e = TooLarge("This cutout is 3000×3000 px × 1 band(s) = 9,000,000 pixels.", hint="Ask for at most 2000×2000 px.",',
        '             limit="cutout_realtime_pixels", allowed=4000000,',
        '             quote={"pixels": 9000000, "shape": [3000, 3000], "bands": ["g"], "bytes": 36000000},',
        '             batch={"method": "POST", "url": "remotem/api/cutouts/jobs",',
        '                    "body": {"defaults": {"survey": "demo_mosaic"}, "positions": [{"id": "1", "ra": 150.0, "dec": 2.0}]}})',
        'print(json.dumps(e.to_json()))'
      ].join('\n')
    );
    const error = CutoutError.fromBody(413, 'Payload Too Large', body);
    const lines = errorLines(error);
    expect(error.code).toBe('too_large');
    expect(lines.message).toMatch(/^This cutout is 3000×3000/);
    expect(lines.hint).toBe('Ask for at most 2000×2000 px.');
    expect(lines.quote).toBe(
      'Quote: 3000×3000 px × 1 band = 9,000,000 pixels (real-time limit 4,000,000).'
    );
    expect(error.details.batch?.body.positions).toEqual([
      { id: '1', ra: 150, dec: 2 }
    ]);
  });

  it('fall back to the status line and give no quote to others', () => {
    const plain = CutoutError.fromBody(502, 'Bad Gateway', '<html>');
    expect(plain.message).toBe('502 Bad Gateway');
    expect(plain.code).toBe('http_502');
    const missing = CutoutError.fromBody(
      404,
      'Not Found',
      JSON.stringify({
        error: { code: 'no_overlap', message: 'No tile covers it.', hint: 'h' }
      })
    );
    expect(errorLines(missing)).toEqual({
      message: 'No tile covers it.',
      hint: 'h',
      quote: null
    });
    expect(quoteText({})).toBeNull();
    expect(
      quoteText({
        quote: { pixels: 10, work: 25, shape: [2, 5], bands: ['g', 'r'] }
      })
    ).toBe('Quote: 5×2 px × 2 bands = 10 pixels (25 units of work).');
  });
});

describe('manifest rows', () => {
  it('are the served manifest’s id, status, file and error', () => {
    const document = JSON.parse(
      python(
        [
          'import sys',
          'from jupyter_remotem.cutouts import manifest',
          'rows = [dict(dict.fromkeys(manifest.COLUMNS), id="a", status="ok", file="a_g.fits", band="g", error=""),',
          '        dict(dict.fromkeys(manifest.COLUMNS), id="b", status="failed", file="", band="g",',
          '             error="No tile covers it.")]',
          'sys.stdout.write(manifest.json_bytes(rows, {"made": 1}).decode())'
        ].join('\n')
      )
    );
    const rows = manifestRows(document);
    expect(rows).toEqual([
      { id: 'a', status: 'ok', file: 'a_g.fits', error: '', band: 'g' },
      {
        id: 'b',
        status: 'failed',
        file: '',
        error: 'No tile covers it.',
        band: 'g'
      }
    ]);
    expect(manifestSummary(rows)).toBe('1 ok, 1 failed');
    expect(manifestRows({ rows: 'x' })).toEqual([]);
    expect(manifestRows(null)).toEqual([]);
  });
});

describe('resample fields', () => {
  const resample = (change: Partial<ICutoutForm> = {}) =>
    form({ algorithm: 'resample', ...change });

  it('start unset, the interpolation at its declared default and choices', () => {
    const start = form();
    expect(start.pixscale).toBe('');
    expect(start.rotation).toBe('');
    expect(start.interpolation).toBe(defaultOf(schema, 'interpolation'));
    expect(choicesOf(schema, 'interpolation')).toEqual(
      schema.parameters.find(p => p.name === 'interpolation')!.choices
    );
    expect(isResample(start)).toBe(false);
    expect(isResample(resample())).toBe(true);
    expect(pixscalePlaceholder({ ...survey, pixscale: 0.5 })).toBe('0.5');
    expect(pixscalePlaceholder(survey)).toBe('');
  });

  it('are sent only when set, and the server reads them', () => {
    const other = choicesOf(schema, 'interpolation').find(
      c => c !== defaultOf(schema, 'interpolation')
    )!;
    const set = cutoutParameters(
      schema,
      resample({ pixscale: '0.25', rotation: '30', interpolation: other })
    );
    expect(set).toMatchObject({
      algorithm: 'resample',
      pixscale: '0.25',
      rotation: '30'
    });
    expect(set.interpolation).toBe(other);
    const unset = cutoutParameters(schema, resample());
    expect(Object.keys(unset).sort()).toEqual(
      ['algorithm', 'bands', 'dec', 'ra', 'size', 'survey'].sort()
    );
    const preview = previewParameters(
      schema,
      resample({ pixscale: '1', rotation: '-15.5' })
    );
    expect(preview).toMatchObject({
      format: 'png',
      pixscale: '1',
      rotation: '-15.5'
    });
    const [answerSet, answerUnset, answerPreview] = parsed([
      set,
      unset,
      preview
    ]);
    expect(answerSet).toMatchObject({
      algorithm: 'resample',
      pixscale: 0.25,
      rotation: 30,
      interpolation: other
    });
    expect(answerUnset).toMatchObject({
      algorithm: 'resample',
      pixscale: null,
      rotation: 0,
      interpolation: defaultOf(schema, 'interpolation')
    });
    expect(answerPreview).toMatchObject({
      format: 'png',
      pixscale: 1,
      rotation: -15.5
    });
  });

  it('are left out for native, which the server would refuse them for', () => {
    const native = form({ pixscale: '0.25', rotation: '30' });
    const query = cutoutParameters(schema, native);
    expect(query.pixscale).toBeUndefined();
    expect(query.rotation).toBeUndefined();
    expect(query.interpolation).toBeUndefined();
    expect(formProblem(native)).toBeNull(); // hidden fields do not stop the form
    const [accepted, refused] = parsed([query, { ...query, pixscale: '0.25' }]);
    expect(accepted.error).toBeUndefined();
    expect(refused.error).toMatch(/algorithm=native/);
  });

  it('say what is wrong with a typed number', () => {
    expect(formProblem(resample({ pixscale: '0' }))).toMatch(/Pixel scale/);
    expect(formProblem(resample({ pixscale: 'x' }))).toMatch(/Pixel scale/);
    expect(formProblem(resample({ rotation: 'north' }))).toMatch(/Rotation/);
    expect(
      formProblem(resample({ pixscale: '2', rotation: '-30' }))
    ).toBeNull();
    expect(() =>
      cutoutParameters(schema, resample({ pixscale: '-1' }))
    ).toThrow(/Pixel scale/);
  });
});

describe('planes', () => {
  const withPlanes: ISurvey = { ...survey, planes: ['weight', 'mask'] };
  /** The served schema with `planes` declared (as the server declares it once it has planes). */
  const declaring: ICutoutSchema = declares(schema, 'planes')
    ? schema
    : {
        ...schema,
        parameters: [
          ...schema.parameters,
          {
            name: 'planes',
            type: 'string',
            description: 'FITS only: planes beside each band.',
            aliases: [],
            soda: false,
            default: null,
            choices: [],
            example: 'weight,mask'
          }
        ]
      };
  const undeclaring: ICutoutSchema = {
    ...schema,
    parameters: schema.parameters.filter(p => p.name !== 'planes')
  };

  it('are offered for FITS when the survey has them and the server declares them', () => {
    expect(planesOf(declaring, withPlanes, 'fits')).toEqual(['weight', 'mask']);
    expect(planesOf(declaring, withPlanes, 'png')).toEqual([]);
    expect(planesOf(declaring, withPlanes, 'jpg')).toEqual([]);
    expect(planesOf(declaring, survey, 'fits')).toEqual([]);
    expect(planesOf(undeclaring, withPlanes, 'fits')).toEqual([]);
    expect(planesOf(declaring, undefined, 'fits')).toEqual([]);
  });

  it('are sent as names for FITS only', () => {
    const chosen = form({ planes: ['weight', 'mask'] });
    expect(cutoutParameters(declaring, chosen).planes).toBe('weight,mask');
    expect(cutoutParameters(declaring, form()).planes).toBeUndefined();
    expect(previewParameters(declaring, chosen).planes).toBeUndefined();
    expect(
      cutoutParameters(declaring, { ...chosen, format: 'png' }).planes
    ).toBeUndefined();
    expect(cutoutParameters(undeclaring, chosen).planes).toBeUndefined();
    expect(
      tableBatch(declaring, chosen, 'notebooks:positions.csv').defaults.planes
    ).toBe('weight,mask');
  });

  it('are read by the server when it declares them', () => {
    const query = cutoutParameters(
      schema,
      form({ planes: ['weight', 'mask'] })
    );
    const [answer] = parsed([query]);
    expect(answer.error).toBeUndefined();
    if (declares(schema, 'planes')) {
      expect(query.planes).toBe('weight,mask');
      expect(answer.planes).toEqual(['weight', 'mask']);
    } else {
      expect(query.planes).toBeUndefined();
      expect(answer.planes).toEqual([]);
    }
  });
});

describe("a survey's index state", () => {
  /** The server's own 503 of a survey never indexed (as `IndexJobs.pending` makes it). */
  const pending = CutoutError.fromBody(
    503,
    'Service Unavailable',
    python(
      [
        'import json',
        'from jupyter_remotem.errors import IndexPending',
        'from jupyter_remotem.cutouts.index_job import RETRY_AFTER_S',
        'e = IndexPending("The footprint index of survey \'demo_mosaic\' is being built (job j1).",',
        '                 hint="Ask again in a few seconds.", job="j1", survey="demo_mosaic",',
        '                 retry_after=RETRY_AFTER_S)',
        'print(json.dumps(e.to_json()))'
      ].join('\n')
    )
  );
  const retryAfterSeconds = Number(
    python(
      'from jupyter_remotem.cutouts.index_job import RETRY_AFTER_S; print(RETRY_AFTER_S)'
    )
  );
  const never: ISurveyIndex = { state: 'never', job: 'j1', indexed_at: null };

  it('is told apart from other refusals', () => {
    expect(pending.status).toBe(503);
    expect(isIndexPending(pending)).toBe(true);
    expect(isIndexPending(null)).toBe(false);
    expect(
      isIndexPending(
        CutoutError.fromBody(
          503,
          'Service Unavailable',
          JSON.stringify({
            error: { code: 'storage_unavailable', message: 'x', hint: null }
          })
        )
      )
    ).toBe(false);
  });

  it('is asked again after the Retry-After', () => {
    expect(retryAfterSeconds).toBeGreaterThan(0);
    expect(retryAfterMs(pending)).toBe(retryAfterSeconds * 1000);
    expect(
      retryAfterMs(new CutoutError('m', 503, 'index_pending', null, {}))
    ).toBe(INDEX_POLL_FALLBACK_MS);
    expect(nextIndexStep(pending, never, 0)).toEqual({
      action: 'poll',
      afterMs: retryAfterSeconds * 1000
    });
    expect(nextIndexStep(pending, undefined, 1000)).toEqual({
      action: 'poll',
      afterMs: retryAfterSeconds * 1000
    });
  });

  it('retries the preview once the index exists', () => {
    for (const state of ['current', 'refreshing']) {
      expect(
        nextIndexStep(
          pending,
          { state, job: null, indexed_at: '2026-01-01T00:00:00' },
          5000
        )
      ).toEqual({ action: 'retry' });
    }
  });

  it('shows the 503 when it persists', () => {
    expect(nextIndexStep(pending, never, INDEX_WAIT_MS)).toEqual({
      action: 'refuse'
    });
    expect(nextIndexStep(pending, never, 60_000, 60_000)).toEqual({
      action: 'refuse'
    });
    const failed: ISurveyIndex = {
      state: 'never',
      job: null,
      indexed_at: null,
      error: { code: 'unreadable_file', message: 'No tile could be read.' }
    };
    expect(nextIndexStep(pending, failed, 0)).toEqual({ action: 'refuse' });
    expect(errorLines(pending).message).toMatch(/being built/);
  });

  it('says the tiles are being indexed, with progress when the listing has it', () => {
    expect(indexingText(never)).toBe("Indexing the survey's tiles…");
    expect(indexingText(undefined)).toBe("Indexing the survey's tiles…");
    expect(indexingText({ ...never, progress: { done: 5, total: 12 } })).toBe(
      "Indexing the survey's tiles… 5 of 12 files"
    );
    expect(indexingText({ ...never, progress: { fraction: 0.42 } })).toBe(
      "Indexing the survey's tiles… 42%"
    );
    expect(indexFraction({ ...never, progress: { done: 3, total: 12 } })).toBe(
      0.25
    );
    expect(indexFraction({ ...never, progress: { fraction: 0.5 } })).toBe(0.5);
    expect(indexFraction(never)).toBeNull();
  });
});
