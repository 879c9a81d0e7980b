// The job bench/enrich.sh times aigw.enrich against, done the way it is
// usually done without aigw: a Node script reads the rows to fill with the
// pg driver, keeps CONCURRENCY chat-completion requests in flight with
// fetch (keep-alive), and writes each answer back with an UPDATE.
// Usage: node enrich_baseline.js TABLE COLUMN BASE_URL KEY MODEL CONCURRENCY
'use strict';
const { Pool } = require('pg');

async function main() {
  const [table, column, baseUrl, key, model, concurrencyArg] = process.argv.slice(2);
  const concurrency = Number(concurrencyArg);
  const pool = new Pool({ max: 16 });   // PGHOST/PGPORT/PGUSER/PGDATABASE from the environment
  const { rows } = await pool.query(`SELECT id, body FROM ${table} WHERE ${column} IS NULL ORDER BY id`);
  let next = 0;
  let failed = 0;
  let httpMs = 0;   // time of the requests alone: fetch to the parsed answer
  let timed = 0;
  async function worker() {
    while (next < rows.length) {
      const row = rows[next++];
      try {
        const t0 = performance.now();
        const res = await fetch(`${baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: `Summarize: ${row.body}` }] }),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const answer = await res.json();
        httpMs += performance.now() - t0;
        timed++;
        await pool.query(`UPDATE ${table} SET ${column} = $1 WHERE id = $2`,
          [answer.choices[0].message.content, row.id]);
      } catch (e) {
        failed++;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.end();
  console.log(JSON.stringify({ rows: rows.length, failed, mean_http_ms: timed ? httpMs / timed : null }));
}

main().catch((e) => { console.error(e); process.exit(1); });
