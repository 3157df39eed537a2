// Code-shape figures: exported names of src/index.ts, the largest functions, files over 400 lines.
import ts from "typescript";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
const root = process.argv[2] ?? ".";
const walk = (d) =>
  readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
const files = walk(join(root, "src")).filter((f) => f.endsWith(".ts"));
const program = ts.createProgram([join(root, "src/index.ts")], {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();
const idx = program.getSourceFile(join(root, "src/index.ts"));
const exps = checker.getExportsOfModule(checker.getSymbolAtLocation(idx));
const values = exps.filter((s) => {
  const t = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
  return t.flags & ts.SymbolFlags.Value;
});
console.log(
  `exported names: ${exps.length} (${values.length} values, ${exps.length - values.length} types only)`,
);
const fns = [];
for (const f of files) {
  const sf = ts.createSourceFile(f, readFileSync(f, "utf8"), ts.ScriptTarget.ES2022, true);
  const visit = (n) => {
    if (
      ts.isFunctionDeclaration(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isArrowFunction(n) ||
      ts.isFunctionExpression(n) ||
      ts.isConstructorDeclaration(n)
    ) {
      const a = sf.getLineAndCharacterOfPosition(n.getStart()).line,
        b = sf.getLineAndCharacterOfPosition(n.end).line;
      let name =
        n.name?.getText?.() ??
        (ts.isVariableDeclaration(n.parent)
          ? n.parent.name.getText()
          : ts.isPropertyAssignment(n.parent)
            ? n.parent.name.getText()
            : "<anon>");
      if (ts.isConstructorDeclaration(n)) name = "constructor";
      fns.push({ lines: b - a + 1, where: `${relative(root, f)}:${a + 1} ${name}` });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
fns.sort((x, y) => y.lines - x.lines);
console.log("largest functions:");
for (const f of fns.slice(0, Number(process.argv[3] ?? 8))) console.log(`  ${f.lines} ${f.where}`);
const big = [...files, ...walk(join(root, "web")).filter((f) => /\.(js|ts)$/.test(f))]
  .map((f) => ({ f: relative(root, f), n: readFileSync(f, "utf8").split("\n").length - 1 }))
  .filter((x) => x.n > 400)
  .sort((a, b) => b.n - a.n);
console.log(`files over 400 lines (src, web): ${big.length}`);
for (const b of big) console.log(`  ${b.n} ${b.f}`);
