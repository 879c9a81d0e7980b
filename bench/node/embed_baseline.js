// The job bench/embed.sh times aigw.embed_column against, done the usual way
// without aigw: a Node script reads the rows to embed with the pg driver,
// sends them with the official openai client, BATCH inputs per request and
// CONCURRENCY requests in flight, and writes each batch's vectors back with
// one UPDATE.
// Usage: node embed_baseline.js TABLE TEXT_COLUMN TARGET_COLUMN BASE_URL KEY MODEL BATCH CONCURRENCY
'use strict';
const { Pool } = require('pg');
const OpenAI = require('openai');

async function main() {
  const [table, textColumn, target, baseURL, apiKey, model, batchArg, concurrencyArg] = process.argv.slice(2);
  const batch = Number(batchArg);
  const concurrency = Number(concurrencyArg);
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
  const pool = new Pool({ max: 16 });   // PGHOST/PGPORT/PGUSER/PGDATABASE from the environment
  const { rows } = await pool.query(`SELECT id, ${textColumn} AS t FROM ${table} WHERE ${target} IS NULL ORDER BY id`);
  const batches = [];
  for (let i = 0; i < rows.length; i += batch) batches.push(rows.slice(i, i + batch));
  let next = 0;
  let failed = 0;
  async function worker() {
    while (next < batches.length) {
      const b = batches[next++];
      try {
        // encoding_format float: the mock's vectors as JSON numbers, as aigw asks for them
        const res = await client.embeddings.create({ model, input: b.map((r) => r.t), encoding_format: 'float' });
        const ids = b.map((r) => r.id);
        const vectors = res.data.sort((x, y) => x.index - y.index).map((d) => `{${d.embedding.join(',')}}`);
        await pool.query(`UPDATE ${table} t SET ${target} = x.v::real[] FROM unnest($1::int[], $2::text[]) x(id, v) WHERE t.id = x.id`,
          [ids, vectors]);
      } catch (e) {
        failed += b.length;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.end();
  console.log(JSON.stringify({ rows: rows.length, failed }));
}

main().catch((e) => { console.error(e); process.exit(1); });
