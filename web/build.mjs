// Bundles the page into the Python package's static folder, which the service serves as /static/.
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "src", "pgagent_live", "static");

await mkdir(outdir, { recursive: true });

// Readable output on purpose: the bundle ships as built, and a sourcemap maps it back to src/.
const result = await build({
  entryPoints: [join(here, "src", "main.ts")],
  outfile: join(outdir, "app.js"),
  bundle: true,
  format: "iife",
  target: "es2020",
  platform: "browser",
  minify: false,
  sourcemap: true,
  legalComments: "inline",
  logLevel: "warning",
  metafile: true,
});

await copyFile(join(here, "index.html"), join(outdir, "index.html"));
await copyFile(join(here, "src", "style.css"), join(outdir, "style.css"));

const written = Object.entries(result.metafile.outputs)
  .map(([file, info]) => `${file.replace(/^.*static\//, "static/")} ${info.bytes} bytes`)
  .join("\n  ");
console.log(`built into ${outdir}:\n  ${written}\n  static/index.html\n  static/style.css`);
