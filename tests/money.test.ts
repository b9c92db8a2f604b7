import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convert, formatMoney, isCurrency, parseMoney, toDecimal } from '../services/core/money.ts';
import { loadConfig } from '../services/core/config.ts';

test('amounts typed by people become exact minor units, per currency', () => {
  assert.equal(parseMoney('1,234.56', 'USD'), 123456);
  assert.equal(parseMoney('12', 'USD'), 1200);
  assert.equal(parseMoney('0.1', 'USD'), 10);
  assert.equal(parseMoney('-3.5', 'EUR'), -350);
  assert.equal(parseMoney('1500', 'JPY'), 1500);
  assert.equal(parseMoney('1.5', 'JPY'), null, 'yen has no minor unit');
  assert.equal(parseMoney('1.234', 'USD'), null);
  assert.equal(parseMoney('abc', 'USD'), null);
  assert.equal(parseMoney('1.234', 'KWD'), 1234);
  assert.equal(parseMoney('1 234.50', 'EUR'), 123450);
  assert.equal(parseMoney('12,345,678', 'USD'), 1234567800);
});

test('separators in the wrong places are a typo, not a bigger amount', () => {
  for (const typo of ['1,2,3', '12,34', '1,2345.00', '1 2 3', ',123', '1,,234']) assert.equal(parseMoney(typo, 'USD'), null, typo);
});

test('money is shown in its own currency format', () => {
  assert.equal(formatMoney(123456, 'USD'), '$1,234.56');
  assert.equal(formatMoney(-5000, 'EUR'), '-€50.00');
  assert.equal(formatMoney(1500, 'JPY'), '¥1,500');
  // A day without expenses sums to minus zero; a table must not show "-$0.00".
  assert.equal(formatMoney(-0, 'USD'), '$0.00');
  assert.equal(toDecimal(123456, 'USD'), '1234.56');
  assert.equal(toDecimal(5, 'USD'), '0.05');
  assert.equal(toDecimal(-1500, 'JPY'), '-1500');
});

test('conversion rounds half away from zero in the target currency', () => {
  assert.equal(convert(-20000, 'EUR', 'USD', 1.08), -21600);
  assert.equal(convert(1, 'USD', 'EUR', 0.5), 1);
  assert.equal(convert(-1, 'USD', 'EUR', 0.5), -1);
  assert.equal(convert(10000, 'USD', 'JPY', 151.234), 15123);
});

test('currencies are ISO 4217 codes', () => {
  assert.ok(isCurrency('USD'));
  assert.ok(isCurrency('CHF'));
  assert.ok(!isCurrency('XYZ'));
  assert.ok(!isCurrency('usd'));
});

test('configuration errors name the variable and never echo its value', () => {
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x' }),
    (err: Error) => /DATABASE_URL/.test(err.message) && !err.message.includes('hunter2'),
  );
  assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
  assert.throws(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x/y' }), /SESSION_SECRET/);
  const ok = loadConfig({ DATABASE_URL: 'postgresql://bursar@127.0.0.1:5432/bursar' });
  assert.equal(ok.databaseUrl, 'postgresql://bursar@127.0.0.1:5432/bursar');
  assert.equal(loadConfig({}).databaseUrl, null);
});
