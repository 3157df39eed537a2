/**
 * Runs every benchmark in bench/ one after another (never in parallel: they share 2 cores), each in
 * its own process so that one's memory and threads do not disturb the next. `npm run bench [NAME...]`.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".js") && f !== "run.js")
  .map((f) => f.slice(0, -3))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

let failed = 0;
for (const name of benches) {
  process.stdout.write(`## ${name}\n`);
  const r = spawnSync(process.execPath, [join(here, `${name}.js`)], { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`${name}: FAILED (exit ${r.status ?? r.signal})\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
