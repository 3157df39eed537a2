/**
 * The explorer in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * open the app, open an ECG, switch block and lead, zoom/pan, hover, Grad-CAM, filter, upload; check
 * what is drawn against the fake explainer's exact clusters and maps; block buttons follow the
 * explainer's blocks; a two-level explainer's state view (strip, leaf legend, tooltip).
 * Screenshots go to test-artifacts/server/.
 */
import { strict as assert } from "node:assert";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../browser.js";
import { startExplorer, type ExplorerServer } from "../../src/server/app.js";
import { ROOT, sharedData } from "../data.js";
import { fakeEntropy, fakeExplainer, fakeLeaf, gradcamCentre, readFormat16 } from "./fake.js";

const ARTIFACTS = join(ROOT, "test-artifacts", "server");
const PTBXL = "ptbxl/records100/00000/00024_lr";

describe("explorer in headless Chromium", { timeout: 60_000 }, () => {
  let app: ExplorerServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startExplorer({ explainer: fakeExplainer(), port: 0, readRecord: readFormat16 });
    await app.catalog.startIndexing();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      // the 4xx answers the tests provoke are logged by Chromium too; anything else is a bug
      if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) errors.push(m.text());
    });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  const clusterRects = () => page.locator("#ecg rect.cluster").count();
  const leadLabel = () => page.locator("#lead-label").textContent();
  const blockButtons = (p = page) => p.locator("#blocks button").allTextContents();
  const camCaption = () => page.locator("#ecg .gradcam-caption").textContent();
  /** x of the highest point of the Grad-CAM area, as a fraction of the plot width. */
  const camPeak = () =>
    page.evaluate(() => {
      const poly = document.querySelector("#ecg polygon.gradcam") as SVGPolygonElement;
      const pts = poly
        .getAttribute("points")!
        .split(" ")
        .map((p) => p.split(",").map(Number));
      const svg = document.querySelector("#ecg") as SVGSVGElement;
      const plotW = svg.clientWidth - 52 - 12;
      let best = pts[0];
      for (const p of pts) if (p[1] < best[1]) best = p;
      return (best[0] - 52) / plotW;
    });

  test("lists the dataset and opens an ECG with its clusters", async () => {
    await page.goto(app.url);
    await page.waitForSelector("#records tbody tr");
    assert.equal(await page.locator("#records tbody tr").count(), 30);
    assert.match(
      (await page.locator("#status").textContent()) ?? "",
      /K = 4 clusters · 30 records/,
    );
    await page.locator('#records tbody tr[data-id="rec07"]').click();
    await page.waitForFunction(
      () => document.querySelector("#record-title")?.textContent === "rec07",
    );
    assert.equal(await leadLabel(), "Lead II (mV) · block combined");
    assert.equal(await clusterRects(), 40); // 10 s in 0.25 s windows
    assert.equal(await page.locator("#legend .item").count(), 4);
    assert.equal(
      await page.locator("#legend .item").nth(1).textContent(),
      "cluster 1 (QRS): 25.0%",
    );
    assert.equal(await page.locator("#outputs .chip.pred").textContent(), "STTC 90%");
    assert.deepEqual(await blockButtons(), ["combined", "B2", "B3", "B4"]);
    assert.equal(await page.locator("#gradcam-on").isChecked(), false, "Grad-CAM off by default");
    assert.equal(await page.locator("#ecg .gradcam").count(), 0);
    await page.screenshot({ path: join(ARTIFACTS, "1-open.png"), fullPage: true });
  });

  test("switches block and lead", async () => {
    await page.locator('#blocks button[data-block="B3"]').click();
    await page.waitForFunction(() =>
      document.querySelector("#lead-label")?.textContent?.endsWith("block B3"),
    );
    assert.equal(await clusterRects(), 10);
    await page.locator("#lead").selectOption({ label: "V1" });
    assert.equal(await leadLabel(), "Lead V1 (mV) · block B3");
    await page.locator('#blocks button[data-block="B4"]').click();
    await page.waitForFunction(() =>
      document.querySelector("#lead-label")?.textContent?.endsWith("block B4"),
    );
    assert.equal(await clusterRects(), 5);
    assert.equal(await leadLabel(), "Lead V1 (mV) · block B4", "the lead survives a block switch");
    await page.locator('#blocks button[data-block="B3"]').click();
    await page.waitForFunction(() =>
      document.querySelector("#lead-label")?.textContent?.endsWith("block B3"),
    );
  });

  test("hover shows time, amplitude, cluster and entropy", async () => {
    const box = await page.locator("#ecg").boundingBox();
    assert.ok(box);
    const i = 321; // sample under the pointer: 3.21 s, in B3's 1 s window 3 -> cluster 3
    const plotW = box.width - 52 - 12;
    await page.mouse.move(box.x + 52 + (i / 1000) * plotW, box.y + 150);
    await page.waitForSelector("#tooltip:not([hidden])");
    const tip = (await page.locator("#tooltip").innerText()).split("\n");
    const v = Math.round(0.7 * Math.sin((2 * Math.PI * 1.2 * i) / 100) * 1e4) / 1e4;
    assert.deepEqual(tip, [
      "t = 3.210 s",
      `V1: ${v.toFixed(3)} mV`,
      "cluster 3", // the fake names its combined clusters only
      `entropy ${fakeEntropy(7).toFixed(3)}`,
    ]);
    await page.screenshot({ path: join(ARTIFACTS, "2-hover-b3-v1.png"), fullPage: true });
    await page.mouse.move(box.x + 2, box.y + 2);
  });

  test("zooms and pans in time", async () => {
    await page.locator("#zoom-in").click();
    assert.equal(await page.locator("#window").textContent(), "2.50–7.50 s");
    assert.equal(await clusterRects(), 6); // 1 s windows overlapping [2.5, 7.5)
    await page.locator("#pan-right").click();
    assert.equal(await page.locator("#window").textContent(), "5.00–10.00 s");
    assert.equal(await clusterRects(), 5);
    await page.locator("#zoom-in").click();
    await page.locator("#zoom-in").click();
    assert.equal(await page.locator("#window").textContent(), "6.88–8.13 s");
    await page.screenshot({ path: join(ARTIFACTS, "3-zoomed.png"), fullPage: true });
    // drag to the left by a quarter of the plot moves the window later by a quarter of its span
    const box = await page.locator("#ecg").boundingBox();
    assert.ok(box);
    const plotW = box.width - 52 - 12;
    await page.mouse.move(box.x + 300, box.y + 100);
    await page.mouse.down();
    await page.mouse.move(box.x + 300 - plotW / 4, box.y + 100, { steps: 4 });
    await page.mouse.up();
    assert.equal(await page.locator("#window").textContent(), "7.19–8.44 s");
    await page.locator("#zoom-reset").click();
    assert.equal(await page.locator("#window").textContent(), "0.00–10.00 s");
  });

  test("Grad-CAM overlay: the top class by default, another on request, off again", async () => {
    const heightOff = (await page.locator("#ecg").boundingBox())!.height;
    await page.locator("#gradcam-on").check();
    await page.waitForSelector("#ecg polygon.gradcam");
    assert.equal(await camCaption(), "STTC · B4", "rec07's top class, at the model's last tap");
    assert.equal(await page.locator("#gradcam-target").inputValue(), "STTC");
    // the map peaks where the fake puts it: 5 s of the 10 s record
    assert.ok(Math.abs((await camPeak()) - gradcamCentre(2) / 10) < 0.01, String(await camPeak()));
    assert.ok((await page.locator("#ecg").boundingBox())!.height > heightOff, "the chart grows");
    await page.locator("#gradcam-target").selectOption("MI");
    await page.waitForFunction(
      () => document.querySelector("#ecg .gradcam-caption")?.textContent === "MI · B4",
    );
    assert.ok(Math.abs((await camPeak()) - gradcamCentre(1) / 10) < 0.01);
    assert.match(await page.evaluate(() => window.location.hash), /gradcam=MI/);
    // another block: the fake's B3 map is zero at every step, which the note says in words
    assert.deepEqual(await page.locator("#gradcam-tap option").allTextContents(), ["B3", "B4"]);
    await page.locator("#gradcam-tap").selectOption("B3");
    await page.waitForFunction(
      () => document.querySelector("#ecg .gradcam-caption")?.textContent === "MI · B3",
    );
    assert.equal(
      await page.locator("#gradcam-note").textContent(),
      "at B3: zero at every step (nothing there raises MI's score); try B4",
    );
    assert.match(await page.evaluate(() => window.location.hash), /camtap=B3/);
    await page.locator("#gradcam-tap").selectOption("B4");
    await page.waitForFunction(
      () => document.querySelector("#ecg .gradcam-caption")?.textContent === "MI · B4",
    );
    assert.equal(await page.locator("#gradcam-note").textContent(), "", "the selector shows B4");
    assert.doesNotMatch(await page.evaluate(() => window.location.hash), /camtap/);
    // hover at the map's peak (3 s): the tooltip gives its value
    const box = await page.locator("#ecg").boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + 52 + 0.3 * (box.width - 52 - 12), box.y + 150);
    await page.waitForSelector("#tooltip:not([hidden])");
    const tip = (await page.locator("#tooltip").innerText()).split("\n");
    assert.match(tip.at(-1)!, /^Grad-CAM \(MI\) (0\.99\d|1\.000)$/);
    await page.screenshot({ path: join(ARTIFACTS, "6-gradcam.png"), fullPage: true });
    await page.mouse.move(box.x + 2, box.y + 2);
    // another block keeps the map; another record gets its own top class
    await page.locator('#blocks button[data-block="B4"]').click();
    await page.waitForFunction(() =>
      document.querySelector("#lead-label")?.textContent?.endsWith("block B4"),
    );
    assert.equal(await camCaption(), "MI · B4");
    await page.locator('#records tbody tr[data-id="rec08"]').click();
    await page.waitForFunction(
      () => document.querySelector("#ecg .gradcam-caption")?.textContent === "CD · B4",
    );
    await page.locator("#gradcam-on").uncheck();
    assert.equal(await page.locator("#ecg .gradcam").count(), 0);
    assert.ok(Math.abs((await page.locator("#ecg").boundingBox())!.height - heightOff) < 1);
    await page.locator('#records tbody tr[data-id="rec07"]').click();
    await page.waitForFunction(
      () => document.querySelector("#record-title")?.textContent === "rec07",
    );
    await page.locator('#blocks button[data-block="B3"]').click();
    await page.waitForFunction(() =>
      document.querySelector("#lead-label")?.textContent?.endsWith("block B3"),
    );
  });

  test("filters the list by prediction vs label", async () => {
    await page.locator("#f-match").selectOption("incorrect");
    await page.waitForFunction(() => document.querySelectorAll("#records tbody tr").length === 10);
    const wrong = await page.locator("#records tbody td.wrong").count();
    assert.equal(wrong, 10);
    await page.locator("#f-match").selectOption("");
    await page.waitForFunction(() => document.querySelectorAll("#records tbody tr").length === 30);
  });

  test("uploads a real WFDB record and shows its explanation", async () => {
    await page.locator("#upload-files").setInputFiles([
      {
        name: "00024_lr.hea",
        mimeType: "text/plain",
        buffer: readFileSync(sharedData(PTBXL + ".hea")),
      },
      {
        name: "00024_lr.dat",
        mimeType: "application/octet-stream",
        buffer: readFileSync(sharedData(PTBXL + ".dat")),
      },
    ]);
    await page.locator("#upload-submit").click();
    await page.waitForFunction(
      () => document.querySelector("#record-title")?.textContent === "00024_lr (uploaded)",
    );
    assert.equal(await page.locator("#upload-message").textContent(), "Explained 00024_lr.");
    // the record's own lead names (AVR etc.), the user's lead V1 kept, block B3 kept
    assert.equal(await leadLabel(), "Lead V1 (NU) · block B3");
    assert.equal(await clusterRects(), 10);
    // another block of an upload: the files go again, the server answers that block's view
    await page.locator('#blocks button[data-block="combined"]').click();
    await page.waitForFunction(() => document.querySelectorAll("#ecg rect.cluster").length === 40);
    assert.equal(await leadLabel(), "Lead V1 (NU) · block combined");
    await page.screenshot({ path: join(ARTIFACTS, "4-upload-wfdb.png"), fullPage: true });
  });

  test("Grad-CAM of an uploaded ECG (the files are sent again with the class)", async () => {
    await page.locator("#gradcam-on").check();
    // the fake's record number is the name's trailing digits: none in 00024_lr, so class 0
    await page.waitForFunction(
      () => document.querySelector("#ecg .gradcam-caption")?.textContent === "NORM · B4",
    );
    assert.ok(Math.abs((await camPeak()) - gradcamCentre(0) / 10) < 0.01);
    await page.locator("#gradcam-target").selectOption("HYP");
    await page.waitForFunction(
      () => document.querySelector("#ecg .gradcam-caption")?.textContent === "HYP · B4",
    );
    assert.ok(Math.abs((await camPeak()) - gradcamCentre(4) / 10) < 0.01);
    await page.screenshot({ path: join(ARTIFACTS, "8-gradcam-upload.png"), fullPage: true });
    await page.locator("#gradcam-on").uncheck();
  });

  test("the URL hash keeps the record, block and lead (shareable, survives a reload)", async () => {
    await page.goto("about:blank");
    await page.goto(app.url + "#record=rec05&block=B4&lead=V2");
    await page.waitForFunction(
      () => document.querySelector("#record-title")?.textContent === "rec05",
    );
    assert.equal(await leadLabel(), "Lead V2 (mV) · block B4");
    assert.equal(await clusterRects(), 5);
    await page.locator('#blocks button[data-block="B2"]').click();
    await page.waitForFunction(() => window.location.hash.includes("block=B2"));
    await page.reload();
    await page.waitForFunction(() =>
      document.querySelector("#lead-label")?.textContent?.endsWith("block B2"),
    );
    assert.equal(await leadLabel(), "Lead V2 (mV) · block B2");
    assert.equal(await clusterRects(), 20);
    // a confident record's entropy band is drawn on a finer, labelled scale (rec00: 0.05)
    assert.equal(await page.locator("#ecg .entropy-top").textContent(), "1");
    await page.locator('#records tbody tr[data-id="rec00"]').click();
    await page.waitForFunction(
      () => document.querySelector("#record-title")?.textContent === "rec00",
    );
    assert.equal(await page.locator("#ecg .entropy-top").textContent(), "0.05");
    // keyboard: a focused row opens with Enter
    await page.locator('#records tbody tr[data-id="rec06"]').focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      () => document.querySelector("#record-title")?.textContent === "rec06",
    ); // a link with the Grad-CAM overlay on, for a class other than the top one
    await page.goto("about:blank");
    await page.goto(app.url + "#record=rec02&block=B2&lead=II&gradcam=HYP");
    await page.waitForFunction(
      () => document.querySelector("#ecg .gradcam-caption")?.textContent === "HYP · B4",
    );
    assert.equal(await page.locator("#gradcam-on").isChecked(), true);
    assert.equal(await page.locator("#record-title").textContent(), "rec02");
    await page.locator("#gradcam-on").uncheck();
    assert.doesNotMatch(await page.evaluate(() => window.location.hash), /gradcam/);
  });

  test("a bad upload shows the server's one-line reason", async () => {
    await page
      .locator("#upload-files")
      .setInputFiles([
        { name: "x.dat", mimeType: "application/octet-stream", buffer: Buffer.alloc(16) },
      ]);
    await page.locator("#upload-submit").click();
    await page.waitForSelector("#upload-message.error");
    assert.match(
      (await page.locator("#upload-message").textContent()) ?? "",
      /no \.hea header among the uploaded files/,
    );
    await page.screenshot({ path: join(ARTIFACTS, "5-upload-error.png"), fullPage: true });
    assert.deepEqual(errors, [], "no script errors in the page");
  });

  test("an age model: true and predicted age in years in the list and the header", async () => {
    const base = fakeExplainer({ n: 4, gradcam: false });
    const ageOf = (id: string) => 30 + Number(id.slice(3));
    const explainer = {
      ...base,
      classes: ["age"],
      thresholds: [],
      // rec02's age is unknown, as some of PTB-XL's are
      entries: base.entries.map((e) => ({ ...e, age: e.id === "rec02" ? undefined : 60 })),
      async explain(record: Parameters<typeof base.explain>[0]) {
        return { ...(await base.explain(record)), outputs: { age: ageOf(record.name) + 0.25 } };
      },
    };
    const other = await startExplorer({ explainer, port: 0 });
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    p.on("pageerror", (e) => errors.push(e.message));
    try {
      await p.goto(other.url);
      await p.waitForFunction(() =>
        /^4 records/.test(document.querySelector("#index-note")?.textContent ?? ""),
      );
      assert.deepEqual(await p.locator("#records th").allTextContents(), [
        "record",
        "age",
        "predicted",
        "entropy",
      ]);
      const row = (id: string) =>
        p.locator(`#records tbody tr[data-id="${id}"] td`).allTextContents();
      assert.deepEqual((await row("rec01")).slice(0, 3), ["rec01", "60 y", "31.3 y"]);
      assert.deepEqual((await row("rec02")).slice(0, 3), ["rec02", "–", "32.3 y"]);
      assert.equal(await p.locator("#f-match").isVisible(), false, "no prediction = label filter");
      await p.locator('#records tbody tr[data-id="rec01"]').click();
      await p.waitForFunction(
        () => document.querySelector("#truth")?.textContent === "true age: 60 y",
      );
      assert.deepEqual(await p.locator("#outputs .chip").allTextContents(), [
        "predicted age: 31.3 y",
        "true age: 60 y",
      ]);
    } finally {
      await p.close();
      await other.close();
    }
    assert.deepEqual(errors, [], "no script errors in the page");
  });

  test("two levels: switches to the state view and back; strip, legend, tooltip name the leaves", async () => {
    assert.equal(await page.locator("#levels").isVisible(), false, "single level: no switch");
    const other = await startExplorer({
      explainer: fakeExplainer({ states: true }),
      port: 0,
      index: false,
    });
    const p = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    p.on("pageerror", (e) => errors.push(e.message));
    const label = () => p.locator("#lead-label").textContent();
    const strips = () => p.locator("#ecg rect.state");
    try {
      await p.goto(other.url + "#record=rec07");
      await p.waitForFunction(
        () => document.querySelector("#record-title")?.textContent === "rec07",
      );
      assert.deepEqual(await p.locator("#levels button").allTextContents(), ["waves", "states"]);
      assert.match((await p.locator("#status").textContent()) ?? "", /8 leaves \(wave · state\)/);
      assert.equal(await strips().count(), 0, "the wave view has no state strip");
      assert.equal(await p.locator("#legend .item").count(), 4);
      const ecgHeight = (await p.locator("#ecg").boundingBox())!.height;

      await p.locator('#levels button[data-level="states"]').click();
      await p.waitForFunction(() =>
        document.querySelector("#lead-label")?.textContent?.endsWith("· states"),
      );
      assert.equal(await label(), "Lead II (mV) · block combined · states");
      assert.equal(
        await p.locator('#levels button[data-level="states"]').getAttribute("aria-pressed"),
        "true",
      );
      assert.match(await p.evaluate(() => window.location.hash), /view=states/);
      // one strip rect per leaf run (0.125 s), at the leaf of its first sample
      assert.equal(await strips().count(), 80);
      const runs = await strips().evaluateAll((rs) =>
        rs.map((r) => ({
          leaf: Number(r.getAttribute("data-leaf")),
          state: Number(r.getAttribute("data-state")),
          x: Number(r.getAttribute("x")),
          fill: r.getAttribute("fill"),
        })),
      );
      const width = await p.locator("#ecg").evaluate((e) => e.clientWidth);
      runs.forEach((r, j) => {
        const start = Math.floor(j * 12.5 + 0.5); // 13, 12, 13, ... samples a run
        const want = fakeLeaf(start, 100);
        assert.equal(r.leaf, want.leaf, `run ${j}`);
        assert.equal(r.state, want.state);
        assert.ok(Math.abs(r.x - (52 + (start / 1000) * (width - 64))) < 0.02, `run ${j} x`);
      });
      // the two states of a wave are told apart, and each wave's states differ from the others'
      assert.equal(new Set(runs.map((r) => r.fill)).size, 8);
      assert.ok((await p.locator("#ecg").boundingBox())!.height > ecgHeight, "room for the strip");
      // the band shows the state entropy, on its own scale
      assert.equal(await p.locator("#ecg .entropy-top").textContent(), "0.5");
      // the legend: each wave cluster, then its leaves with their share
      assert.equal(await p.locator("#legend .wave-row").count(), 4);
      assert.deepEqual(
        await p.locator('#legend .wave-row[data-cluster="1"] .item').allTextContents(),
        ["cluster 1 (QRS): 25.0%", "0S0-like: 13.0%", "1S1-like: 12.0%"],
      );
      assert.equal(
        await p.locator('#legend .item.leaf[data-leaf="3"]').getAttribute("title"),
        "C1 QRS · S1-like",
      );
      // the tooltip names the leaf under the pointer (3.21 s: cluster 0, state 1)
      const box = await p.locator("#ecg").boundingBox();
      assert.ok(box);
      await p.mouse.move(box.x + 52 + 0.321 * (box.width - 64), box.y + 150);
      await p.waitForSelector("#tooltip:not([hidden])");
      const tip = (await p.locator("#tooltip").innerText()).split("\n");
      assert.deepEqual(tip.slice(2), [
        "cluster 0 (P)",
        `entropy ${fakeEntropy(7).toFixed(3)}`,
        "leaf C0 P · S1-like",
        `state entropy ${(fakeEntropy(7) / 2).toFixed(3)}`,
      ]);
      await p.screenshot({ path: join(ARTIFACTS, "9-states.png"), fullPage: true });
      await p.mouse.move(box.x + 2, box.y + 2);

      // another block has no states: the switch is off there, and back on with combined
      await p.locator('#blocks button[data-block="B2"]').click();
      await p.waitForFunction(() =>
        document.querySelector("#lead-label")?.textContent?.endsWith("block B2"),
      );
      assert.equal(await strips().count(), 0);
      assert.equal(await p.locator('#levels button[data-level="states"]').isDisabled(), true);
      await p.locator('#blocks button[data-block="combined"]').click();
      await p.waitForFunction(() =>
        document.querySelector("#lead-label")?.textContent?.endsWith("· states"),
      );
      assert.equal(await strips().count(), 80);

      // a shared link opens in the state view; "waves" switches back
      await p.reload();
      await p.waitForFunction(() =>
        document.querySelector("#lead-label")?.textContent?.endsWith("· states"),
      );
      await p.locator('#levels button[data-level="waves"]').click();
      await p.waitForFunction(
        () =>
          document.querySelector("#lead-label")?.textContent === "Lead II (mV) · block combined",
      );
      assert.equal(await strips().count(), 0);
      assert.equal(await p.locator("#legend .item").nth(1).textContent(), "cluster 1 (QRS): 25.0%");
      assert.doesNotMatch(await p.evaluate(() => window.location.hash), /view=/);
    } finally {
      await p.close();
      await other.close();
    }
    assert.deepEqual(errors, [], "no script errors in the page");
  });

  test("block buttons follow the explainer: B1, B2 (clicked, keyboard), or none", async () => {
    for (const [blocks, buttons] of [
      [
        ["B1", "B2"],
        ["combined", "B1", "B2"],
      ],
      [[], ["combined"]],
    ] as const) {
      const other = await startExplorer({
        explainer: fakeExplainer({ blocks: [...blocks], gradcam: false }),
        port: 0,
        index: false,
      });
      const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      p.on("pageerror", (e) => errors.push(e.message));
      try {
        await p.goto(other.url + "#record=rec03");
        await p.waitForFunction(
          () => document.querySelector("#record-title")?.textContent === "rec03",
        );
        assert.deepEqual(await blockButtons(p), buttons);
        assert.equal(await p.locator("#gradcam-controls").isVisible(), false, "no Grad-CAM");
        assert.equal(await p.locator("#ecg rect.cluster").count(), 40);
        if (blocks.length === 0) {
          assert.equal(await p.locator("#blocks").isVisible(), false, "nothing to choose");
          continue;
        }
        await p.locator('#blocks button[data-block="B1"]').click();
        await p.waitForFunction(() =>
          document.querySelector("#lead-label")?.textContent?.endsWith("block B1"),
        );
        assert.equal(await p.locator("#ecg rect.cluster").count(), 80); // 0.125 s windows
        assert.equal(
          await p.locator('#blocks button[data-block="B1"]').getAttribute("aria-pressed"),
          "true",
        );
        await p.screenshot({ path: join(ARTIFACTS, "7-blocks-b1-b2.png"), fullPage: true });
        // keyboard: Tab reaches the buttons, Enter presses one
        await p.locator('#blocks button[data-block="B1"]').focus();
        await p.keyboard.press("Tab");
        await p.keyboard.press("Enter");
        await p.waitForFunction(() =>
          document.querySelector("#lead-label")?.textContent?.endsWith("block B2"),
        );
        assert.equal(await p.locator("#ecg rect.cluster").count(), 20);
        assert.match(await p.evaluate(() => window.location.hash), /block=B2/);
      } finally {
        await p.close();
        await other.close();
      }
    }
    assert.deepEqual(errors, [], "no script errors in the pages");
  });
});
