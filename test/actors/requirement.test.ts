import { describe, expect, test } from 'bun:test';
import { parseReceipt, parseSpec, receiptDrift } from '../../actors/requirement.ts';

const RECEIPT = `[tool]
requirements = [
    { name = "skypilot-nightly", extras = ["aws"] },
    { name = "pip" },
]
entrypoints = [
    { name = "sky", install-path = "/h/tools/bin/sky", from = "skypilot-nightly" },
]
python = "3.12"
`;

describe('requirements and receipts', () => {
  test('a spec splits into normalised name, sorted extras and specifier', () => {
    expect(parseSpec('SkyPilot_Nightly[gcp, aws] == 1.0.0.dev1')).toEqual({
      name: 'skypilot-nightly',
      extras: ['aws', 'gcp'],
      specifier: '==1.0.0.dev1',
    });
    expect(parseSpec('skypilot-nightly')).toEqual({ name: 'skypilot-nightly', extras: [], specifier: null });
    expect(parseSpec('skypilot @ https://example.com/sky.whl')).toBeNull();
  });

  test("a receipt's first requirement is the tool; python is read when present", () => {
    expect(parseReceipt(RECEIPT)).toEqual({
      requirement: { name: 'skypilot-nightly', extras: ['aws'], specifier: null },
      python: '3.12',
    });
    const pinned = RECEIPT.replace('extras = ["aws"] }', 'extras = ["aws"], specifier = "==1.0.0.dev2" }');
    expect(parseReceipt(pinned).requirement?.specifier).toBe('==1.0.0.dev2');
  });

  test('drift: the same request is none; other extras, a pin or another Python are named', () => {
    expect(receiptDrift(RECEIPT, 'skypilot-nightly[aws]', '3.12')).toBeNull();
    expect(receiptDrift(RECEIPT, 'skypilot-nightly[AWS]', '3.12')).toBeNull();
    expect(receiptDrift(RECEIPT, 'skypilot-nightly[aws,gcp]', '3.12')).toContain('asks for skypilot-nightly[aws,gcp]');
    expect(receiptDrift(RECEIPT, 'skypilot-nightly[aws]==1.0.0.dev3', '3.12')).toContain('==1.0.0.dev3');
    expect(receiptDrift(RECEIPT, 'skypilot-nightly[aws]', '3.11')).toContain('Python 3.12');
    expect(receiptDrift(RECEIPT, 'skypilot @ https://example.com/sky.whl', '3.12')).toBeNull();
  });
});
