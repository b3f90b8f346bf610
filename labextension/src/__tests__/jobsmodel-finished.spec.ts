/**
 * Which job ends the lab tells (JobsModel.finished): the REST client is replaced by the job
 * lists a server would answer look after look.
 */
import type { IJob, RemotemAPI } from '../api';
import { JobsModel } from '../jobsmodel';
import { job } from './jobfixtures';

/** A client whose job list is the next of `looks` each time it is asked. */
function serverAnswering(looks: IJob[][]): RemotemAPI {
  let look = 0;
  return {
    listJobs: async () => looks[Math.min(look++, looks.length - 1)],
    getQuota: async () => ({})
  } as unknown as RemotemAPI;
}

async function toldAfter(looks: IJob[][]): Promise<string[]> {
  const model = new JobsModel(serverAnswering(looks), () => false);
  const told: string[] = [];
  model.finished.connect((_, ended) => told.push(ended.id));
  try {
    for (let i = 0; i < looks.length; i++) {
      await model.refresh();
    }
  } finally {
    model.dispose();
  }
  return told;
}

describe('the jobs the lab says have ended', () => {
  it('include a job seen running, then over', async () => {
    expect(
      await toldAfter([
        [job({ id: 'a', phase: 'EXECUTING' })],
        [job({ id: 'a', phase: 'COMPLETED' })]
      ])
    ).toEqual(['a']);
  });

  it('include a job that ran between two looks, submitted elsewhere', async () => {
    expect(
      await toldAfter([
        [job({ id: 'old', phase: 'COMPLETED' })],
        [
          job({ id: 'quick', phase: 'COMPLETED' }),
          job({ id: 'old', phase: 'COMPLETED' })
        ],
        [
          job({ id: 'quick', phase: 'COMPLETED' }),
          job({ id: 'old', phase: 'COMPLETED' })
        ]
      ])
    ).toEqual(['quick']);
  });

  it('leave out what was over before the first look, and say each end once', async () => {
    expect(
      await toldAfter([
        [
          job({ id: 'done', phase: 'COMPLETED' }),
          job({ id: 'failed', phase: 'ERROR' })
        ],
        [
          job({ id: 'done', phase: 'COMPLETED' }),
          job({ id: 'failed', phase: 'ERROR' })
        ]
      ])
    ).toEqual([]);
  });
});
