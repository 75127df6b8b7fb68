// Reads [{"id", "engine": "trino"|"hive", "sql"}] as JSON on stdin and
// writes [{"id", "errors": [...]}] on stdout: every syntax error the Trino
// grammar (Athena's query engine) or the Hive grammar (Athena's DDL engine)
// finds. Run: node --import ./register.mjs check.mjs < statements.json
import { TrinoSQL, HiveSQL } from 'dt-sql-parser';

const parsers = { trino: new TrinoSQL(), hive: new HiveSQL() };
let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const st of JSON.parse(input)) {
  const p = parsers[st.engine];
  if (!p) {
    out.push({ id: st.id, errors: [`unknown engine ${st.engine}`] });
    continue;
  }
  const errors = p.validate(st.sql).map(e => `line ${e.startLine}:${e.startColumn}: ${e.message}`);
  out.push({ id: st.id, errors });
}
process.stdout.write(JSON.stringify(out));
