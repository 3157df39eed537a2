/**
 * src/ has no import cycle, type-only imports included: each module can be read, tested and
 * replaced after the ones it imports. The graph is parsed from the sources (relative specifiers of
 * `import`, `export ... from` and `import()`), so the test needs nothing beyond node.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { ROOT } from "./data.js";

const SRC = join(ROOT, "src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The relative modules a TypeScript source imports, as source paths. */
export function importsOf(file: string, text: string): string[] {
  const out = new Set<string>();
  // Comments could hold example imports: drop them first (strings never span lines here).
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (const m of code.matchAll(re)) out.add(resolve(dirname(file), m[1].replace(/\.js$/, ".ts")));
  return [...out];
}

/** Every cycle of the graph, each as the list of its modules (Tarjan's strongly connected parts). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const part: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(part.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

test("the cycle finder finds a cycle, a self-import, and none in a chain", () => {
  const g = (edges: [string, string][]) => {
    const m = new Map<string, string[]>();
    for (const [a, b] of edges) m.set(a, [...(m.get(a) ?? []), b]);
    return m;
  };
  assert.deepEqual(
    cycles(
      g([
        ["a", "b"],
        ["b", "c"],
        ["c", "a"],
        ["c", "d"],
      ]),
    ),
    [["a", "b", "c"]],
  );
  assert.deepEqual(cycles(g([["a", "a"]])), [["a"]]);
  assert.deepEqual(
    cycles(
      g([
        ["a", "b"],
        ["b", "c"],
      ]),
    ),
    [],
  );
  const file = join(SRC, "x", "y.ts");
  assert.deepEqual(
    importsOf(
      file,
      `import type { A } from "../a.js";\nexport * from "./b.js";\n// import "./c.js";\nconst m = await import("../d/e.js");`,
    ),
    [join(SRC, "a.ts"), join(SRC, "x", "b.ts"), join(SRC, "d", "e.ts")],
  );
});

test("src/ has no import cycle (type-only imports included)", () => {
  const graph = new Map<string, string[]>();
  for (const f of sources(SRC)) graph.set(f, importsOf(f, readFileSync(f, "utf8")));
  for (const [f, deps] of graph)
    for (const d of deps) assert.ok(graph.has(d), `${relative(ROOT, f)} imports a missing ${d}`);
  const found = cycles(graph).map((c) => c.map((f) => relative(SRC, f)).join(" -> "));
  assert.deepEqual(found, [], `import cycles in src/:\n${found.join("\n")}`);
});
