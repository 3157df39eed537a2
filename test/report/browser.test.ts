/**
 * The report in a real headless Chromium (Debian's /usr/bin/chromium via playwright-core): it
 * opens from file:// with no request beyond the file itself, shows the table values it was
 * given, and draws the figures at their size. Screenshot in test-artifacts/report/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { launchChromium } from "../browser.js";
import { ROOT, sharedData } from "../data.js";
import { renderReport } from "../../src/report/html.js";
import { renderEcgFigure } from "../../src/viz/ecg.js";
import { renderContingency } from "../../src/viz/dataset.js";
import { renderFidelityVsK } from "../../src/viz/evaluation.js";
import { fakeExplanation, readFormat16 } from "../viz/fixtures.js";

test(
  "report opens offline in Chromium: no request, table values shown, figures drawn",
  { timeout: 60_000 },
  async () => {
    const rec = readFormat16(join(sharedData("ptbxl", "records100", "00000"), "00024_lr"));
    const html = renderReport({
      title: "Browser check",
      table: [
        { metric: "surrogate fidelity", paper: "94.9% ± 0.5", ours: "91.7% ± 1.3" },
        { metric: "AUROC, CNN", paper: "81.4%", ours: "83.0%" },
      ],
      figures: [
        {
          id: "contingency",
          title: "Contingency",
          svg: renderContingency({
            table: [
              [1, 5, 0, 2],
              [0, 1, 7, 1],
            ],
          }),
        },
        {
          id: "fidelity-k",
          title: "Fidelity vs K",
          svg: renderFidelityVsK({
            points: [
              { k: 4, mean: 0.9, std: 0.01 },
              { k: 8, mean: 0.93, std: 0.01 },
            ],
          }),
        },
      ],
      examples: [
        {
          id: "ecg",
          title: "ECG",
          svg: renderEcgFigure(rec, fakeExplanation(rec), { mmPerMv: 2 }),
        },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-report-"));
    const file = join(dir, "report.html");
    writeFileSync(file, html);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1250, height: 900 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      const url = pathToFileURL(file).href;
      await page.goto(url);
      assert.deepEqual(requests, [url]);
      assert.deepEqual(errors, []);
      const cells = await page
        .locator("table.evaluation tbody tr")
        .evaluateAll((rows) =>
          rows.map((r) => Array.from(r.querySelectorAll("td"), (td) => td.textContent)),
        );
      assert.deepEqual(cells, [
        ["surrogate fidelity", "94.9% ± 0.5", "91.7% ± 1.3", ""],
        ["AUROC, CNN", "81.4%", "83.0%", ""],
      ]);
      // Every figure is drawn with a real size; the ECG's 10 s span 250 of its 266 mm width.
      const boxes = await page.locator("figure > svg").evaluateAll((svgs) =>
        svgs.map((s) => {
          const b = s.getBoundingClientRect();
          return { w: b.width, h: b.height };
        }),
      );
      assert.equal(boxes.length, 3);
      for (const b of boxes) assert.ok(b.w > 300 && b.h > 100, JSON.stringify(b));
      const ecg = page.locator("#ecg svg");
      const svgW = (await ecg.boundingBox())!.width;
      const traceW = (await ecg.locator("path.trace").first().boundingBox())!.width;
      assert.ok(Math.abs(traceW / svgW - (2.5 * 25 - 0.25) / 266) < 0.01, `${traceW} / ${svgW}`);
      mkdirSync(join(ROOT, "test-artifacts", "report"), { recursive: true });
      await page.screenshot({
        path: join(ROOT, "test-artifacts", "report", "report.png"),
        fullPage: true,
      });
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
