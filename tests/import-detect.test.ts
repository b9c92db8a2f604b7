import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detect, guessMapping, suggestMapping } from '../services/ledger/imports/detect.ts';
import { detectDateFormat } from '../services/ledger/imports/formats.ts';
import { parseAmount, parseMoney, readAmount } from '../services/core/money.ts';

const columns = (csv: string) => {
  const d = detect(Buffer.from(csv));
  const m = suggestMapping(d);
  assert.ok(m, `no mapping for ${d.header.join(',')}: missing ${guessMapping(d).missing}`);
  const named = (i: unknown) => (typeof i === 'number' ? d.header[i] : undefined);
  return {
    date: named(m.date),
    amount: named(m.amount),
    debit: named(m.debit),
    credit: named(m.credit),
    description: named(m.description),
    counterparty: named(m.counterparty),
    currency: named(m.currency),
    external_id: named(m.external_id),
    balance: named(m.balance),
    date_format: m.date_format,
    decimal: m.decimal,
  };
};

test('a payment processor activity export maps its date, currency, transaction id and the net amount', () => {
  const c = columns(
    '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","From Email Address","To Email Address","Transaction ID","Balance"\n' +
      '"01/10/2026","10:00:00","PDT","Ana Ruiz","Express Checkout Payment","Completed","USD","1,500.00","-58.80","1,441.20","ana@example.com","shop@example.com","1AB23456CD789012E","1,441.20"\n' +
      '"01/11/2026","09:00:00","PDT","","General Withdrawal","Completed","USD","-1,000.00","0.00","-1,000.00","","","9ZZ23456CD789012E","441.20"\n',
  );
  assert.deepEqual([c.date, c.amount, c.currency, c.external_id, c.description, c.counterparty, c.balance], ['Date', 'Net', 'Currency', 'Transaction ID', 'Type', 'Name', 'Balance']);
});

test('French and Spanish statements are mapped by their names', () => {
  const fr = columns("Date d'opération;Date de valeur;Libellé;Débit;Crédit;Solde\n03/11/2026;04/11/2026;CB CARREFOUR;45,20;;1 204,80\n05/11/2026;05/11/2026;VIR SALAIRE;;2 500,00;3 704,80\n");
  assert.deepEqual([fr.date, fr.debit, fr.credit, fr.description, fr.balance, fr.date_format, fr.decimal], ["Date d'opération", 'Débit', 'Crédit', 'Libellé', 'Solde', 'D/M/YYYY', ',']);
  const es = columns('Fecha Operación;Fecha Valor;Concepto;Importe EUR;Saldo\n02/11/2026;02/11/2026;Recibo luz;-60,15;1.939,85\n15/11/2026;15/11/2026;Nómina;2.000,00;3.939,85\n');
  assert.deepEqual([es.date, es.amount, es.description, es.balance, es.date_format, es.decimal], ['Fecha Operación', 'Importe EUR', 'Concepto', 'Saldo', 'D/M/YYYY', ',']);
  const de = columns('Buchungstag;Valuta;Verwendungszweck;Empfänger;Betrag;Währung\n01.11.2026;01.11.2026;Miete;Vermieter;-1.250,00;EUR\n');
  assert.deepEqual([de.date, de.amount, de.description, de.counterparty, de.currency], ['Buchungstag', 'Betrag', 'Verwendungszweck', 'Empfänger', 'Währung']);
});

test('day and month order is decided by the values', () => {
  assert.equal(detectDateFormat(['03/11/2026', '25/11/2026']), 'D/M/YYYY');
  assert.equal(detectDateFormat(['11/03/2026', '11/25/2026']), 'M/D/YYYY');
  // No day above 12: the reading that keeps a statement in date order wins.
  assert.equal(detectDateFormat(['10/01/2026', '02/02/2026', '05/02/2026']), 'D/M/YYYY');
  assert.equal(detectDateFormat(['01/10/2026', '02/02/2026', '02/05/2026']), 'M/D/YYYY');
  assert.equal(detectDateFormat(['2026-11-03 14:05:00 +0000']), 'YYYY-MM-DD HH:mm:ss Z');
  assert.equal(detectDateFormat(['2026-11-03T14:05:00.123Z']), 'YYYY-MM-DDTHH:mm:ssZ');
  assert.equal(detectDateFormat(['03.11.2026 09:15']), 'DD.MM.YYYY HH:mm');
});

test('amounts with a currency written in a right-to-left script, marks or not, read as amounts', () => {
  assert.equal(parseAmount('\u200f1,234.50 ر.س', '.'), 123450);
  assert.equal(parseAmount('ر.س \u200e-1,234.50', '.'), -123450);
  assert.equal(parseAmount('\u061c-12.00\u200f د.إ', '.'), -1200);
  assert.equal(parseAmount('١٬٢٣٤٫٥٠ ر.س', '.'), 123450, 'Arabic-Indic digits and separators');
  assert.deepEqual(readAmount('\u200f1,234.50 ر.س', '.')?.currency, 'SAR');
  assert.deepEqual(readAmount('2 000,00 PLN', ',')?.currency, 'PLN');
});

test('every way a statement writes a sign is read', () => {
  assert.equal(parseAmount('(1,234.56)', '.'), -123456);
  assert.equal(parseAmount('12.00-', '.'), -1200);
  assert.equal(parseAmount('12.00 DR', '.'), -1200);
  assert.equal(parseAmount('12.00CR', '.'), 1200);
  assert.equal(parseAmount('-€ 5', '.'), -500);
  assert.equal(parseAmount('EUR -5,10', ','), -510);
  assert.equal(parseAmount("1'234.50 CHF", '.'), 123450);
  assert.equal(parseAmount('1,23,456.00', '.'), 12345600, 'Indian grouping');
  assert.equal(parseAmount('$ 6.05', '.'), 605);
  assert.equal(parseAmount('5 apples', '.'), null);
  assert.equal(parseAmount('1.2.3', '.'), null);
});

test('a number with both marks says which is the decimal; one with a single mark is read in the business format', () => {
  assert.equal(parseMoney('1.234,56', 'EUR', ','), 123456);
  assert.equal(parseMoney('1.234,56', 'EUR', '.'), 123456);
  assert.equal(parseMoney('1,234.56', 'EUR', ','), 123456);
  assert.equal(parseMoney('12,50', 'EUR', ','), 1250);
  assert.equal(parseMoney('12,50', 'USD', '.'), null);
  assert.equal(parseMoney('1.234', 'EUR', ','), 123400);
  assert.equal(parseMoney('1234.50', 'EUR', ','), 123450, 'where the comma is the custom, a point that cannot group thousands is a decimal point');
});
