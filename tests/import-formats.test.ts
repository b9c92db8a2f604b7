import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeDescription, parseAmount, parseDate } from '../services/ledger/imports/formats.ts';

test('dates that do not exist are refused, leap days included', () => {
  assert.equal(parseDate('2024-02-29', 'YYYY-MM-DD'), '2024-02-29');
  assert.equal(parseDate('2023-02-29', 'YYYY-MM-DD'), null);
  assert.equal(parseDate('2000-02-29', 'YYYY-MM-DD'), '2000-02-29');
  assert.equal(parseDate('1900-02-29', 'YYYY-MM-DD'), null);
  assert.equal(parseDate('31.04.2026', 'DD.MM.YYYY'), null);
  assert.equal(parseDate('30.04.2026', 'DD.MM.YYYY'), '2026-04-30');
  assert.equal(parseDate('3/7/26', 'M/D/YY'), '2026-03-07');
  assert.equal(parseDate('7 Mar 2026', 'D MMM YYYY'), '2026-03-07');
  assert.equal(parseDate('13/13/2026', 'M/D/YYYY'), null);
});

test('descriptions compare alike whatever their case, accents and punctuation', () => {
  assert.equal(normalizeDescription('  CARD PAYMENT *1234 — Café Olé  '), 'card payment 1234 cafe ole');
  assert.equal(normalizeDescription('Amazon.com*AB12 Seattle,WA'), 'amazon com ab12 seattle wa');
  // Plain ASCII takes a fast path; it must agree with the general one.
  for (const text of ['Card payment 12 shop 3', 'SEPA-Überweisung', 'Rent / March (flat 2)', 'x'.repeat(300)]) {
    assert.equal(
      normalizeDescription(text),
      text
        .toLowerCase()
        .normalize('NFKD')
        .replace(/[^\p{L}\p{N}]+/gu, ' ')
        .trim()
        .slice(0, 200),
    );
  }
  assert.equal(parseAmount('(1.234,56)', ','), -123456);
});
