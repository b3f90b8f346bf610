import { nullTranslator } from '@jupyterlab/translation';

import {
  adaptBody,
  clusterFields,
  clusterSummary,
  fieldProblem,
  formProblem,
  ICluster,
  IClusterOptions,
  initialValues,
  needsPolling,
  scaleBody,
  startBody
} from '../clustersmodel';
import { clusterLines } from '../jobdetails';
import { job } from './jobfixtures';
import { python } from './projectpython';

/**
 * `GET clusters/options` as the server's own declaration answers it, with these ceilings
 * (`c.RemotemApp.cluster_limits`).
 */
function served(limits: Record<string, number> = {}): IClusterOptions {
  return JSON.parse(
    python(
      [
        'import json, sys',
        'from jupyter_remotem.clusters.options import ClusterLimits',
        'limits = ClusterLimits.from_config(json.load(sys.stdin))',
        "print(json.dumps(dict(limits.schema(), backend='local')))"
      ].join('\n'),
      JSON.stringify(limits)
    )
  ) as IClusterOptions;
}

/** The server's verdict on each body of `POST clusters`: null, or its refusal's message. */
function verdicts(
  bodies: Record<string, number>[],
  limits: Record<string, number> = {}
): (string | null)[] {
  return JSON.parse(
    python(
      [
        'import json, sys',
        'from jupyter_remotem.errors import RemotemError',
        'from jupyter_remotem.clusters.options import ClusterLimits, checked_options',
        'given = json.load(sys.stdin)',
        "limits = ClusterLimits.from_config(given['limits'])",
        'out = []',
        "for body in given['bodies']:",
        '    try:',
        '        checked_options(body, limits); out.append(None)',
        '    except RemotemError as error:',
        '        out.append(error.message)',
        'print(json.dumps(out))'
      ].join('\n'),
      JSON.stringify({ bodies, limits })
    )
  ) as (string | null)[];
}

function cluster(overrides: Partial<ICluster> = {}): ICluster {
  return {
    id: '3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c',
    backend: 'local',
    state: 'running',
    options: { workers: 2, adapt_minimum: null, adapt_maximum: null },
    adaptive: false,
    started: '2026-12-08T00:00:00+00:00',
    stopped: null,
    stopped_reason: null,
    idle_s: 0,
    workers: 2,
    cores: 2,
    memory_bytes: 4 * 1024 ** 3,
    memory_used_bytes: 512 * 1024 ** 2,
    tasks: 3,
    dashboard_link: 'http://127.0.0.1:8787/status',
    ...overrides
  };
}

describe('the New cluster form', () => {
  it('has one field per served option, in its order, with its bounds', () => {
    const declared = served();
    const fields = clusterFields(declared);
    expect(fields.map(field => field.name)).toEqual(
      declared.options.map(option => option.name)
    );
    expect(fields.map(field => field.name)).toContain('workers');
    for (const [field, option] of fields.map(
      (field, index) => [field, declared.options[index]] as const
    )) {
      expect(field.min).toBe(option.minimum);
      expect(field.max).toBe(option.maximum);
      expect(field.step).toBe(option.type === 'integer' ? 1 : 'any');
      expect(field.optional).toBe(option.nullable);
      expect(field.initial).toBe(
        option.default === null ? '' : String(option.default)
      );
    }
  });

  it("takes the administrator's ceilings from the served options", () => {
    const lowered = served({ workers: 3, memory_per_worker_gib: 1 });
    const byName: Record<string, ReturnType<typeof clusterFields>[0]> = {};
    for (const field of clusterFields(lowered)) {
      byName[field.name] = field;
    }
    expect(byName.workers.max).toBe(3);
    expect(byName.memory_per_worker_gib.max).toBe(1);
    // The adapt bounds are worker counts too.
    expect(byName.adapt_maximum.max).toBe(3);
    expect(
      formProblem(lowered, { ...initialValues(lowered), workers: '4' })
    ).toMatch(/at most 3/);
  });

  it('sends what the server takes, and refuses what it refuses', () => {
    const limits = { workers: 3 };
    const declared = served(limits);
    const base = initialValues(declared);
    const typedForms: Record<string, string>[] = [
      base,
      { ...base, workers: '3', cores_per_worker: '2' },
      { ...base, workers: '0', adapt_minimum: '0', adapt_maximum: '2' },
      { ...base, workers: '4' },
      { ...base, workers: '1.5' },
      { ...base, memory_per_worker_gib: '0.1' },
      { ...base, idle_timeout_s: '' }
    ];
    const checked = typedForms.map(typed => formProblem(declared, typed));
    const sendable = typedForms.filter((_, index) => checked[index] === null);
    expect(checked.map(problem => problem === null)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false
    ]);
    // Whatever the form lets through, the server starts.
    const bodies = sendable.map(typed => startBody(declared, typed));
    expect(verdicts(bodies, limits)).toEqual(bodies.map(() => null));
    // And the server refuses the values the form refuses (sent as numbers).
    const refused = typedForms
      .slice(3, 6)
      .map(typed => startBody(declared, typed));
    expect(verdicts(refused, limits).every(verdict => verdict !== null)).toBe(
      true
    );
  });

  it('leaves an empty optional option out of the body', () => {
    const declared = served();
    const body = startBody(declared, initialValues(declared));
    expect(body).not.toHaveProperty('adapt_minimum');
    expect(body).not.toHaveProperty('adapt_maximum');
    expect(body.workers).toBe(
      declared.options.find(option => option.name === 'workers')!.default
    );
    expect(typeof body.memory_per_worker_gib).toBe('number');
  });

  it('names the option and the bound in a problem', () => {
    const workers = served().options.find(option => option.name === 'workers')!;
    expect(fieldProblem(workers, '')).toMatch(/Workers/);
    expect(fieldProblem(workers, 'many')).toMatch(/not a number/);
    expect(fieldProblem(workers, String(workers.maximum + 1))).toMatch(
      new RegExp(`at most ${workers.maximum}`)
    );
    expect(fieldProblem(workers, String(workers.maximum))).toBeNull();
  });
});

describe('changing a cluster', () => {
  it('scales and adapts with bodies the server takes', () => {
    const bodies = [scaleBody(2), adaptBody(0, 4)];
    expect(bodies).toEqual([
      { workers: 2 },
      { adapt_minimum: 0, adapt_maximum: 4 }
    ]);
    expect(verdicts(bodies)).toEqual([null, null]);
    expect(verdicts([adaptBody(3, 1)])[0]).toMatch(/more than/);
  });
});

describe('a cluster summary', () => {
  it('shows state, workers, cores, memory and tasks', () => {
    expect(clusterSummary(cluster())).toBe(
      'running · 2 workers · 2 cores · 512 MiB of 4.00 GiB · 3 tasks'
    );
    expect(
      clusterSummary(
        cluster({ workers: 1, cores: 1, tasks: 1, memory_used_bytes: 0 })
      )
    ).toBe('running · 1 worker · 1 core · 0 B of 4.00 GiB · 1 task');
    expect(
      clusterSummary(
        cluster({ cost_per_hour: { amount: 1.0625, currency: 'EUR' } })
      )
    ).toBe(
      'running · 2 workers · 2 cores · 512 MiB of 4.00 GiB · 3 tasks · 1.06 EUR/h'
    );
  });

  it('says an adaptive cluster adapts, and why a stopped one stopped', () => {
    expect(
      clusterSummary(
        cluster({
          adaptive: true,
          options: { workers: 0, adapt_minimum: 0, adapt_maximum: 4 }
        })
      )
    ).toContain('adapts 0–4');
    expect(
      clusterSummary(cluster({ state: 'stopped', stopped_reason: 'idle' }))
    ).toBe('stopped · idle');
  });

  it('is polled only while a cluster may still change', () => {
    expect(needsPolling(null)).toBe(false);
    expect(needsPolling([])).toBe(false);
    expect(needsPolling([cluster({ state: 'stopped' })])).toBe(false);
    expect(needsPolling([cluster({ state: 'starting' })])).toBe(true);
    expect(needsPolling([cluster()])).toBe(true);
  });
});

describe("a job's details", () => {
  const trans = nullTranslator.load('jupyter_remotem');

  it('say which cluster the job runs on, when it names one', () => {
    expect(clusterLines(trans, job({ cluster: '3f2a1b0c' }))).toEqual([
      ['Runs on', 'cluster 3f2a1b0c']
    ]);
    expect(clusterLines(trans, job({}))).toEqual([]);
    expect(clusterLines(trans, job({ cluster: null }))).toEqual([]);
  });
});
