/** The install panel's wording, without a browser: steps, byte counts, times. */
import { describe, expect, test } from 'bun:test';
import { clock, stepStates, transferFigures } from '../../adapters/http/panel/panel-format.ts';

describe('install panel wording', () => {
  test('steps: done, current, pending; a step the attempt skipped (uv already there) is "skipped"', () => {
    expect(stepStates(['checking', 'downloading_uv'], 'downloading_uv', 'running')).toEqual({
      checking: 'done',
      downloading_uv: 'active',
      installing_skypilot: 'pending',
      verifying: 'pending',
    });
    expect(stepStates(['checking', 'installing_skypilot'], 'installing_skypilot', 'running').downloading_uv).toBe('skipped');
    expect(stepStates(['checking', 'installing_skypilot', 'verifying'], 'complete', 'complete')).toEqual({
      checking: 'done',
      downloading_uv: 'skipped',
      installing_skypilot: 'done',
      verifying: 'done',
    });
    expect(stepStates(['checking', 'downloading_uv', 'installing_skypilot'], 'installing_skypilot', 'error').installing_skypilot).toBe('failed');
  });

  test('bytes, speed and time left; without a size only what arrived', () => {
    expect(transferFigures({ phase: 'downloading_uv', message: '', percent: 50, bytes_done: 12_142_406, bytes_total: 24_284_812, bytes_per_second: 3_000_000, eta_seconds: 4.05 })).toEqual({
      amount: '12.1 MB of 24.3 MB',
      speed: '3.0 MB/s',
      eta: 'about 0:05 left',
    });
    expect(transferFigures({ phase: 'downloading_uv', message: '', percent: null, bytes_done: 512_000, bytes_total: null, bytes_per_second: 0, eta_seconds: null })).toEqual({
      amount: '512 kB received',
      speed: '',
      eta: '',
    });
    expect([clock(0), clock(75), clock(3725)]).toEqual(['0:00', '1:15', '1:02:05']);
  });
});
