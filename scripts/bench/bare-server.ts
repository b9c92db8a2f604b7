import express from 'express';
import nunjucks from 'nunjucks';

// The baseline DESIGN.md compares against: Express 5 rendering a 50-row Nunjucks page,
// no database, no session; and Express 5's bare "hello" at /hello. Started by the benchmarks as its own process.
const env = new nunjucks.Environment(null, { autoescape: true });
const template = new nunjucks.Template(
  '<!doctype html><html><head><title>Rows</title></head><body><table>{% for r in rows %}<tr><td>{{ r.id }}</td><td>{{ r.name }}</td><td>{{ r.amount }}</td></tr>{% endfor %}</table></body></html>',
  env,
);
const rows = [...Array(50)].map((_, i) => ({ id: i, name: `Row ${i}`, amount: (i * 137) % 1000 }));
const app = express();
app.get('/', (_req, res) => {
  res.type('html').send(template.render({ rows }));
});
// The floor under every figure: Express answering a constant.
app.get('/hello', (_req, res) => {
  res.send('hello');
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
