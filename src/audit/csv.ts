/**
 * CSV as RFC 4180 writes it: fields separated by commas, rows ended by CRLF, a field quoted (and its quotes
 * doubled) when it holds a comma, a quote or a line break. A field a spreadsheet would run as a formula (starting
 * with =, +, -, @, a tab or a carriage return) gets a leading `'`, so an audit entry cannot carry a formula into
 * the auditor's spreadsheet.
 * @see https://www.rfc-editor.org/rfc/rfc4180
 * @see https://owasp.org/www-community/attacks/CSV_Injection
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field, safe for a spreadsheet and quoted when needed. */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = typeof value === 'number' ? String(value) : FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row, with its line break. */
export function csvRow(fields: ReadonlyArray<string | number | undefined>): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
