import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvRow } from '../services/core/csv.ts';
import { parse } from 'csv-parse/sync';

test('text a spreadsheet would run as a formula is defused, and numbers stay numbers', () => {
  const line = csvRow(['=HYPERLINK("http://x")', '+1 555', '-12.50', '@SUM(A1)', 42, '-']);
  assert.equal(line, `"'=HYPERLINK(""http://x"")",'+1 555,-12.50,'@SUM(A1),42,'-\r\n`);
});

test('commas, quotes and line breaks survive a round trip through a CSV reader', () => {
  const values = ['Acme, Inc.', 'He said "hi"', 'two\nlines', ' padded ', '', 'Café 😀 名'];
  const [read] = parse(csvRow(values)) as string[][];
  assert.deepEqual(read, values);
});
