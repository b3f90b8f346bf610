import {
  describeSpeed,
  encodePath,
  formatBytes,
  formatMoney,
  formatShape
} from '../format';

describe('formatBytes', () => {
  it('keeps small counts in bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
  });

  it('uses binary prefixes with three significant digits', () => {
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1536 * 1024)).toBe('1.50 MiB');
    expect(formatBytes(40 * 1024 ** 3 + 0.3 * 1024 ** 3)).toBe('40.3 GiB');
    expect(formatBytes(512 * 1024 ** 4)).toBe('512 TiB');
  });

  it('is empty for unknown sizes', () => {
    expect(formatBytes(null)).toBe('');
    expect(formatBytes(undefined)).toBe('');
    expect(formatBytes(-1)).toBe('');
  });
});

describe('encodePath', () => {
  it('encodes each segment but keeps the separators', () => {
    expect(encodePath('day 1/scan#2.h5')).toBe('day%201/scan%232.h5');
    expect(encodePath('/a//b/')).toBe('a/b');
    expect(encodePath('')).toBe('');
  });
});

describe('formatShape', () => {
  it('joins dimensions', () => {
    expect(formatShape([16, 16, 64, 64])).toBe('16 × 16 × 64 × 64');
    expect(formatShape(null)).toBe('');
  });
});

describe('describeSpeed', () => {
  it('says when nothing was measured', () => {
    expect(
      describeSpeed({
        class: 'unknown',
        latency_ms: null,
        throughput_mb_s: null,
        measured_at: null
      })
    ).toBe('Speed not measured yet');
  });

  it('gives latency and throughput', () => {
    const text = describeSpeed({
      class: 'green',
      latency_ms: 1.24,
      throughput_mb_s: 950,
      measured_at: '2024-01-01T00:00:00Z'
    });
    expect(text).toContain('Fast');
    expect(text).toContain('latency 1.2 ms');
    expect(text).toContain('throughput 950 MB/s');
  });
});

describe('formatMoney', () => {
  it('says cents, and the digits of what is less than a cent', () => {
    expect(formatMoney(12.345, 'EUR')).toBe('12.35 EUR');
    expect(formatMoney(0, 'CHF')).toBe('0.00 CHF');
    expect(formatMoney(0.0042, 'USD')).toBe('0.0042 USD');
    expect(formatMoney(1234.5, 'EUR')).toBe('1234.50 EUR');
  });
});
