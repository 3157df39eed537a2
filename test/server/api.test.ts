import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startExplorer, type ExplorerServer } from "../../src/server/app.js";
import { sharedData } from "../data.js";
import {
  CLASSES,
  GRADCAM_PEAK,
  fakeEntropy,
  fakeExplainer,
  fakeLabel,
  fakeLeaf,
  FAKE_LEAVES,
  gradcamCentre,
  readFormat16,
} from "./fake.js";

const PTBXL = "ptbxl/records100/00000/00024_lr";

async function json(res: Response): Promise<Record<string, unknown>> {
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

function csvOf(rows: number, cols: number, header = true): string {
  const lines: string[] = [];
  if (header) lines.push(["time", ...Array.from({ length: cols }, (_, i) => `L${i}`)].join(","));
  for (let i = 0; i < rows; i++) {
    lines.push(
      [
        (i / 100).toFixed(2),
        ...Array.from({ length: cols }, (_, l) => (l + i / 1000).toFixed(3)),
      ].join(","),
    );
  }
  return lines.join("\n");
}

function uploadDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith("ecg-tlc-upload-"));
}

describe("explorer API with a fake explainer", () => {
  let app: ExplorerServer;
  before(async () => {
    app = await startExplorer({ explainer: fakeExplainer(), port: 0, readRecord: readFormat16 });
    await app.catalog.startIndexing();
  });
  after(() => app.close());

  test("binds 127.0.0.1 by default and answers /api/health", async () => {
    const addr = app.server.address();
    assert.ok(addr && typeof addr === "object");
    assert.equal(addr.address, "127.0.0.1");
    assert.match(app.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(app.url + "api/health");
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.equal(body.status, "ok");
    assert.deepEqual(body.classes, CLASSES);
    assert.equal(body.records, 30);
    assert.equal(body.indexed, 30);
    assert.deepEqual(body.blocks, ["combined", "B2", "B3", "B4"]);
    assert.deepEqual(Object.keys(body.blockWaves as object), body.blocks);
    assert.equal(body.gradcam, true);
    assert.equal(body.labelsComparable, true, "the fake labels its records with its classes");
  });

  test("lists records with pagination and filters by class, fold, match and entropy", async () => {
    let page = await json(await fetch(app.url + "api/records?offset=10&limit=5"));
    assert.equal(page.total, 30);
    assert.deepEqual(
      (page.items as { id: string }[]).map((r) => r.id),
      ["rec10", "rec11", "rec12", "rec13", "rec14"],
    );
    page = await json(await fetch(app.url + "api/records?class=MI&limit=100"));
    const mi = Array.from({ length: 30 }, (_, i) => i).filter((i) => fakeLabel(i) === "MI");
    assert.deepEqual(
      (page.items as { id: string }[]).map((r) => r.id),
      mi.map((i) => `rec${String(i).padStart(2, "0")}`),
    );
    page = await json(await fetch(app.url + "api/records?fold=3"));
    assert.deepEqual(
      (page.items as { id: string }[]).map((r) => r.id),
      ["rec02", "rec12", "rec22"],
    );
    // every third record is labelled with another class than the one predicted
    page = await json(await fetch(app.url + "api/records?match=incorrect&limit=100"));
    assert.equal(page.total, 10);
    assert.ok(
      (page.items as { id: string; correct: boolean }[]).every(
        (r) => Number(r.id.slice(3)) % 3 === 0 && !r.correct,
      ),
    );
    page = await json(await fetch(app.url + "api/records?match=correct&limit=100"));
    assert.equal(page.total, 20);
    page = await json(await fetch(app.url + "api/records?minEntropy=0.7&maxEntropy=0.9&limit=100"));
    const hi = Array.from({ length: 30 }, (_, i) => i).filter(
      (i) => fakeEntropy(i) >= 0.7 && fakeEntropy(i) <= 0.9,
    );
    assert.equal(page.total, hi.length);
    page = await json(await fetch(app.url + "api/records?sort=-entropy&limit=3"));
    assert.deepEqual(
      (page.items as { meanEntropy: number }[]).map((r) => r.meanEntropy),
      [0.95, 0.95, 0.95],
    );
  });

  test("labels in another vocabulary (CinC's SNOMED codes): predictions, but no right or wrong", async () => {
    const base = fakeExplainer({ n: 6, gradcam: false });
    const snomed = { ...base, entries: base.entries.map((e) => ({ ...e, labels: ["426177001"] })) };
    const other = await startExplorer({ explainer: snomed, port: 0 });
    try {
      await other.catalog.startIndexing();
      const health = await json(await fetch(other.url + "api/health"));
      assert.equal(health.labelsComparable, false);
      const page = await json(await fetch(other.url + "api/records"));
      const items = page.items as { predicted?: string[]; correct?: boolean }[];
      assert.equal(items.length, 6);
      assert.ok(items.every((r) => Array.isArray(r.predicted) && r.correct === undefined));
      const wrong = await json(await fetch(other.url + "api/records?match=incorrect"));
      assert.equal(wrong.total, 0, "nothing is 'incorrect' against labels the model cannot give");
    } finally {
      await other.close();
    }
  });

  test("rejects bad query values with 400 and a one-line reason", async () => {
    for (const [q, re] of [
      ["fold=x", /fold: expected an integer/],
      ["match=maybe", /match: expected 'correct' or 'incorrect'/],
      ["minEntropy=abc", /minEntropy: expected a number/],
    ] as const) {
      const res = await fetch(app.url + "api/records?" + q);
      assert.equal(res.status, 400, q);
      assert.match(String((await json(res)).error), re);
    }
  });

  test("serves an explanation per block with the exact segments", async () => {
    // 10 s at 100 Hz; windows of 0.25, 0.5, 1 and 2 s
    for (const [block, n] of [
      ["combined", 40],
      ["B2", 20],
      ["B3", 10],
      ["B4", 5],
    ] as const) {
      const res = await fetch(app.url + `api/records/rec07/explanation?block=${block}`);
      assert.equal(res.status, 200);
      const body = await json(res);
      const view = body.view as {
        block: string;
        segments: { start: number; end: number; cluster: number }[];
        meanEntropy: number;
      };
      assert.equal(view.block, block);
      assert.equal(view.segments.length, n);
      assert.deepEqual(view.segments[1], {
        start: 1000 / n,
        end: 2000 / n,
        cluster: 1,
        entropy: 0.75,
      });
      assert.equal(view.meanEntropy, fakeEntropy(7));
      const signal = body.signal as { leads: string[]; data: number[][]; fs: number };
      assert.equal(signal.leads.length, 12);
      assert.equal(signal.data[0].length, 1000);
      assert.deepEqual(body.predicted, ["STTC"]);
      assert.deepEqual(body.labels, [fakeLabel(7)]);
      assert.deepEqual(body.blocks, ["combined", "B2", "B3", "B4"]);
    }
    const bad = await fetch(app.url + "api/records/rec07/explanation?block=B5");
    assert.equal(bad.status, 400);
    assert.match(String((await json(bad)).error), /block: expected one of combined, B2, B3, B4/);
  });

  test("record ids are keys, not paths: traversal attempts are 404", async () => {
    for (const id of ["..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "rec07%00", "..", "%E0%A4%A"]) {
      const res = await fetch(app.url + `api/records/${id}/explanation`);
      assert.ok(res.status === 404 || res.status === 400, `${id}: ${res.status}`);
      assert.ok(typeof (await json(res)).error === "string");
    }
    const res = await fetch(app.url + "api/../../etc/passwd");
    assert.notEqual(res.status, 200);
  });

  test("POST /api/explain takes a CSV with fs and answers the explanation JSON", async () => {
    const fd = new FormData();
    fd.append("file", new Blob([csvOf(500, 12)]), "rec05.csv");
    fd.append("fs", "100");
    const res = await fetch(app.url + "api/explain?signal=1", { method: "POST", body: fd });
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.equal(body.record, "rec05");
    assert.equal(body.fs, 100);
    assert.equal(body.samples, 500);
    assert.equal((body.clusters as number[]).length, 500);
    assert.equal((body.segments as unknown[]).length, 20);
    assert.equal(body.meanEntropy, fakeEntropy(5));
    const signal = body.signal as { leads: string[]; data: number[][] };
    assert.deepEqual(
      signal.leads,
      Array.from({ length: 12 }, (_, i) => `L${i}`),
    );
    assert.equal(signal.data[3][100], 3.1);
    // without ?signal=1 the answer is the explanation alone
    const fd2 = new FormData();
    fd2.append("file", new Blob([csvOf(200, 12, false)]), "x.csv");
    fd2.append("fs", "100");
    const plain = await json(await fetch(app.url + "api/explain", { method: "POST", body: fd2 }));
    assert.equal(plain.signal, undefined);
    assert.equal(plain.samples, 200);
  });

  test("POST /api/explain?block= gives an upload the view a dataset record gets", async () => {
    const record = await json(await fetch(app.url + "api/records/rec05/explanation?block=B3"));
    const fd = new FormData();
    fd.append("file", new Blob([csvOf(1000, 12)]), "rec05.csv");
    fd.append("fs", "100");
    const res = await fetch(app.url + "api/explain?block=B3", { method: "POST", body: fd });
    assert.equal(res.status, 200);
    const upload = await json(res);
    assert.deepEqual(Object.keys(upload), Object.keys(record));
    assert.deepEqual(upload.labels, []);
    assert.equal(upload.id, "rec05");
    // the fake explains by name and length: the same clusters, segments and predictions
    for (const key of ["outputs", "predicted", "topClass", "clusterWaves", "blocks", "view"])
      assert.deepEqual(upload[key], record[key], key);
    assert.equal((upload.view as { block: string }).block, "B3");
    const bad = new FormData();
    bad.append("file", new Blob([csvOf(100, 12)]), "x.csv");
    bad.append("fs", "100");
    const wrong = await fetch(app.url + "api/explain?block=B9", { method: "POST", body: bad });
    assert.equal(wrong.status, 400);
  });

  test("POST /api/explain reads an uploaded WFDB record under server-chosen names", async () => {
    const before = uploadDirs().length;
    const fd = new FormData();
    fd.append("files", new Blob([readFileSync(sharedData(PTBXL + ".hea"))]), "00024_lr.hea");
    fd.append("files", new Blob([readFileSync(sharedData(PTBXL + ".dat"))]), "00024_lr.dat");
    const res = await fetch(app.url + "api/explain?signal=1", { method: "POST", body: fd });
    assert.equal(res.status, 200, JSON.stringify(await res.clone().json()));
    const body = await json(res);
    assert.equal(body.record, "00024_lr");
    assert.equal(body.samples, 1000);
    const signal = body.signal as { leads: string[]; data: number[][] };
    assert.equal(signal.leads[0], "I");
    // first sample of lead I: -188 adu / 2000 adu per unit
    assert.equal(signal.data[0][0], -0.094);
    assert.equal(uploadDirs().length, before, "the temp dir is removed");
  });

  test("malformed uploads get a 4xx with a readable message and the server lives on", async () => {
    const cases: [string, RequestInit, number, RegExp][] = [
      [
        "not multipart",
        { method: "POST", body: "hello", headers: { "content-type": "text/plain" } },
        415,
        /multipart\/form-data/,
      ],
      [
        "no boundary",
        { method: "POST", body: "x", headers: { "content-type": "multipart/form-data" } },
        400,
        /boundary/,
      ],
      [
        "garbage body",
        {
          method: "POST",
          body: "--zz\r\nnonsense",
          headers: { "content-type": "multipart/form-data; boundary=zz" },
        },
        400,
        /malformed multipart/,
      ],
      ["GET", { method: "GET" }, 405, /takes POST/],
    ];
    for (const [what, init, status, re] of cases) {
      const res = await fetch(app.url + "api/explain", init);
      assert.equal(res.status, status, what);
      const { error } = await json(res);
      assert.match(String(error), re, what);
      assert.ok(!String(error).includes("\n"), "one line");
    }
    const forms: [string, (fd: FormData) => void, RegExp][] = [
      ["nothing", (fd) => fd.append("fs", "100"), /no file uploaded/],
      [
        "csv without fs",
        (fd) => fd.append("file", new Blob([csvOf(10, 2)]), "a.csv"),
        /fs: a CSV upload needs/,
      ],
      [
        "csv bad fs",
        (fd) => {
          fd.append("file", new Blob([csvOf(10, 2)]), "a.csv");
          fd.append("fs", "-3");
        },
        /fs: expected a sampling rate/,
      ],
      [
        "csv bad cell",
        (fd) => {
          fd.append("file", new Blob(["I,II\n1,2\n3,x\n"]), "a.csv");
          fd.append("fs", "100");
        },
        /a\.csv: line 3, column 2: 'x' is not a number/,
      ],
      [
        "ragged csv",
        (fd) => {
          fd.append("file", new Blob(["1,2\n3\n"]), "a.csv");
          fd.append("fs", "100");
        },
        /a\.csv: line 2 has 1 columns, expected 2/,
      ],
      [
        "signal without header",
        (fd) => fd.append("files", new Blob([Buffer.alloc(10)]), "x.dat"),
        /no \.hea header/,
      ],
      [
        "two headers",
        (fd) => {
          fd.append("files", new Blob(["a 1 100 10"]), "a.hea");
          fd.append("files", new Blob(["b 1 100 10"]), "b.hea");
        },
        /2 \.hea headers/,
      ],
      [
        "traversal in header",
        (fd) => {
          fd.append(
            "files",
            new Blob(["x 1 100 10\n../../etc/passwd 16 200 16 0 0 0 0 I\n"]),
            "x.hea",
          );
          fd.append("files", new Blob([Buffer.alloc(20)]), "passwd");
        },
        /signal file name '\.\.\/\.\.\/etc\/passwd' is not a plain file name/,
      ],
      [
        "absolute path in header",
        (fd) => {
          fd.append("files", new Blob(["x 1 100 10\n/etc/passwd 16 200 16 0 0 0 0 I\n"]), "x.hea");
        },
        /not a plain file name/,
      ],
      [
        "missing signal",
        (fd) => {
          fd.append("files", new Blob(["x 1 100 10\nx.dat 16 200 16 0 0 0 0 I\n"]), "x.hea");
        },
        /x\.hea names signal file 'x\.dat', which was not uploaded/,
      ],
      [
        "multi-segment",
        (fd) => {
          fd.append("files", new Blob(["x/2 1 100 10\n"]), "x.hea");
        },
        /multi-segment/,
      ],
      [
        "unknown field",
        (fd) => fd.append("other", new Blob(["x"]), "x.hea"),
        /unexpected file field 'other'/,
      ],
      [
        "bad units",
        (fd) => {
          fd.append("file", new Blob(["1,2\n3,4\n"]), "a.csv");
          fd.append("fs", "100");
          fd.append("units", "m V/../");
        },
        /units: expected a unit such as mV/,
      ],
    ];
    for (const [what, fill, re] of forms) {
      const fd = new FormData();
      fill(fd);
      const res = await fetch(app.url + "api/explain", { method: "POST", body: fd });
      assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status}`);
      assert.match(String((await json(res)).error), re, what);
    }
    assert.equal((await fetch(app.url + "api/health")).status, 200);
  });

  test("a client path in the upload's file name is never used (only quoted)", async () => {
    const fd = new FormData();
    fd.append(
      "files",
      new Blob([readFileSync(sharedData(PTBXL + ".hea"))]),
      "../../../tmp/evil.hea",
    );
    fd.append(
      "files",
      new Blob([readFileSync(sharedData(PTBXL + ".dat"))]),
      "../../../tmp/evil.dat",
    );
    const res = await fetch(app.url + "api/explain", { method: "POST", body: fd });
    // the header names 00024_lr.dat; the single signal file is accepted under its other name
    assert.equal(res.status, 200);
    assert.equal((await json(res)).record, "00024_lr");
  });

  test("WFDB read errors name the client's files, not the temp dir", async () => {
    const fd = new FormData();
    fd.append("files", new Blob(["r 1 100 10\nr.dat 16 200 16 0 0 0 0 I\n"]), "r.hea");
    fd.append("files", new Blob([Buffer.alloc(4)]), "r.dat");
    const res = await fetch(app.url + "api/explain", { method: "POST", body: fd });
    assert.equal(res.status, 500); // the stand-in reader throws a plain Error on a short file
    const { error } = await json(res);
    assert.ok(!String(error).includes("ecg-tlc-upload-"), String(error));
  });

  test("oversized uploads get 413 and the server lives on", async () => {
    const small = await startExplorer({
      explainer: fakeExplainer(),
      port: 0,
      uploadLimit: 1000,
      index: false,
    });
    try {
      const fd = new FormData();
      fd.append("file", new Blob([csvOf(400, 12)]), "big.csv");
      fd.append("fs", "100");
      const res = await fetch(small.url + "api/explain", { method: "POST", body: fd });
      assert.equal(res.status, 413);
      assert.match(String((await json(res)).error), /upload too large: \d+ bytes \(limit 1000\)/);
      // chunked body without content-length: cut off while streaming
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(small.url + "api/explain", {
          method: "POST",
          headers: {
            "content-type": "multipart/form-data; boundary=b",
            "transfer-encoding": "chunked",
          },
        });
        req.on("response", (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        });
        req.on("error", reject);
        for (let i = 0; i < 5; i++) req.write(Buffer.alloc(500, 65));
        req.end();
      });
      assert.equal(status, 413);
      assert.equal((await fetch(small.url + "api/health")).status, 200);
    } finally {
      await small.close();
    }
  });

  test("unknown API routes are 404 JSON", async () => {
    const res = await fetch(app.url + "api/nothing");
    assert.equal(res.status, 404);
    assert.match(String((await json(res)).error), /no API route GET \/api\/nothing/);
  });
});

/** argmax of a sequence (first of ties). */
function argmax(xs: number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

describe("the block list follows the explainer's fit", () => {
  async function withExplainer(blocks: string[], check: (url: string) => Promise<void>) {
    const app = await startExplorer({
      explainer: fakeExplainer({ blocks }),
      port: 0,
      index: false,
    });
    try {
      await check(app.url);
    } finally {
      await app.close();
    }
  }

  test("an explainer with blocks B1, B2 offers exactly those and combined", async () => {
    await withExplainer(["B1", "B2"], async (url) => {
      const health = await json(await fetch(url + "api/health"));
      assert.deepEqual(health.blocks, ["combined", "B1", "B2"]);
      assert.deepEqual(Object.keys(health.blockWaves as object), ["combined", "B1", "B2"]);
      for (const [block, n] of [
        ["combined", 40],
        ["B1", 80],
        ["B2", 20],
      ] as const) {
        const body = await json(await fetch(url + `api/records/rec03/explanation?block=${block}`));
        const view = body.view as { block: string; segments: unknown[] };
        assert.equal(view.block, block);
        assert.equal(view.segments.length, n, block);
        assert.deepEqual(body.blocks, ["combined", "B1", "B2"]);
      }
      for (const block of ["B3", "B4", "b1", ""]) {
        const res = await fetch(url + `api/records/rec03/explanation?block=${block}`);
        assert.equal(res.status, 400, block);
        assert.equal(
          (await json(res)).error,
          `block: expected one of combined, B1, B2, got '${block}'`,
        );
      }
    });
  });

  test("an explainer fitted without blocks offers combined only", async () => {
    await withExplainer([], async (url) => {
      const health = await json(await fetch(url + "api/health"));
      assert.deepEqual(health.blocks, ["combined"]);
      assert.deepEqual(Object.keys(health.blockWaves as object), ["combined"]);
      const ok = await json(await fetch(url + "api/records/rec03/explanation"));
      assert.equal((ok.view as { segments: unknown[] }).segments.length, 40);
      assert.deepEqual(ok.blocks, ["combined"]);
      const res = await fetch(url + "api/records/rec03/explanation?block=B2");
      assert.equal(res.status, 400);
      assert.equal((await json(res)).error, "block: expected one of combined, got 'B2'");
    });
  });
});

describe("Grad-CAM", () => {
  let app: ExplorerServer;
  let ex: ReturnType<typeof fakeExplainer>;
  before(async () => {
    ex = fakeExplainer();
    app = await startExplorer({ explainer: ex, port: 0, index: false });
  });
  after(() => app.close());

  type Cam = {
    id?: string;
    record?: string;
    tap: string;
    target: string;
    max: number;
    values: number[];
  };
  const cam = async (path: string, init?: RequestInit) => {
    const res = await fetch(app.url + path, init);
    return [res.status, (await json(res)) as unknown as Cam & { error?: string }] as const;
  };

  test("of the top class by default, per sample, scaled to its maximum", async () => {
    const [status, body] = await cam("api/records/rec07/gradcam");
    assert.equal(status, 200, body.error);
    assert.equal(body.id, "rec07");
    assert.equal(body.tap, "B4");
    assert.equal(body.target, "STTC", "rec07 predicts class 7 % 5 = STTC");
    assert.equal(body.values.length, 1000, "one value per sample of the 10 s record at 100 Hz");
    assert.equal(argmax(body.values), gradcamCentre(2) * 100);
    assert.equal(body.values[500], 1);
    assert.ok(Math.abs(body.max - GRADCAM_PEAK) < 1e-6, String(body.max));
    // 0.3 s from the centre of a Gaussian of sd 0.3 s: exp(-1/2)
    assert.ok(Math.abs(body.values[530] - Math.exp(-0.5)) < 1e-4, String(body.values[530]));
  });

  test("of a chosen class (any case), cached, concurrent asks computed once", async () => {
    const before = ex.gradcamCalls;
    const [status, body] = await cam("api/records/rec07/gradcam?target=mi");
    assert.equal(status, 200, body.error);
    assert.equal(body.target, "MI");
    assert.equal(argmax(body.values), gradcamCentre(1) * 100);
    assert.equal(ex.gradcamCalls, before + 1);
    await cam("api/records/rec07/gradcam?target=MI");
    await cam("api/records/rec07/gradcam"); // STTC, computed by the first test
    assert.equal(ex.gradcamCalls, before + 1, "answered from the cache");
    const all = await Promise.all([1, 2, 3].map(() => cam("api/records/rec11/gradcam?target=CD")));
    assert.deepEqual(
      all.map(([s]) => s),
      [200, 200, 200],
    );
    assert.equal(ex.gradcamCalls, before + 2);
  });

  test("at a chosen tap (any case), cached apart from the default tap's map", async () => {
    const health = await json(await fetch(app.url + "api/health"));
    assert.deepEqual(health.gradcamTaps, ["B3", "B4"]);
    assert.equal(health.gradcamTap, "B4");
    const before = ex.gradcamCalls;
    const [status, body] = await cam("api/records/rec12/gradcam?target=MI&tap=b3");
    assert.equal(status, 200, body.error);
    assert.equal(body.tap, "B3");
    assert.equal(body.max, 0, "the fake B3 map is zero everywhere");
    assert.ok(body.values.every((v) => v === 0));
    assert.equal(ex.gradcamCalls, before + 1);
    const [, b4] = await cam("api/records/rec12/gradcam?target=MI&tap=B4");
    assert.equal(b4.tap, "B4");
    assert.equal(argmax(b4.values), gradcamCentre(1) * 100);
    await cam("api/records/rec12/gradcam?target=MI");
    assert.equal(ex.gradcamCalls, before + 2, "no tap is the default tap, B4, from the cache");
  });

  test("bad targets, taps and ids are 4xx with a one-line reason", async () => {
    let [status, body] = await cam("api/records/rec07/gradcam?target=AFIB");
    assert.equal(status, 400);
    assert.equal(body.error, "target: expected one of NORM, MI, STTC, CD, HYP, got 'AFIB'");
    [status, body] = await cam("api/records/rec07/gradcam?tap=B9");
    assert.equal(status, 400);
    assert.equal(body.error, "tap: expected one of B3, B4, got 'B9'");
    [status, body] = await cam("api/records/nope/gradcam");
    assert.equal(status, 404);
    assert.equal(body.error, "record 'nope' is not in the dataset");
  });

  test("POST /api/gradcam takes an upload as /api/explain does, plus a target", async () => {
    const form = (target?: string) => {
      const fd = new FormData();
      fd.append("file", new Blob([csvOf(500, 12)]), "rec05.csv");
      fd.append("fs", "100");
      if (target !== undefined) fd.append("target", target);
      return { method: "POST", body: fd };
    };
    let [status, body] = await cam("api/gradcam", form("MI"));
    assert.equal(status, 200, body.error);
    assert.equal(body.record, "rec05");
    assert.equal(body.target, "MI");
    assert.equal(body.values.length, 500);
    assert.equal(argmax(body.values), gradcamCentre(1) * 100);
    // no target: the top class of the upload (rec05 predicts NORM)
    [status, body] = await cam("api/gradcam", form());
    assert.equal(status, 200, body.error);
    assert.equal(body.target, "NORM");
    assert.equal(argmax(body.values), gradcamCentre(0) * 100);
    [status, body] = await cam("api/gradcam", form("nope"));
    assert.equal(status, 400);
    assert.match(body.error ?? "", /^target: expected one of NORM, MI/);
    const atB3 = form("MI");
    atB3.body.append("tap", "B3");
    [status, body] = await cam("api/gradcam", atB3);
    assert.equal(status, 200, body.error);
    assert.equal(body.tap, "B3");
    assert.equal(body.max, 0);
    const atB9 = form("MI");
    atB9.body.append("tap", "B9");
    [status, body] = await cam("api/gradcam", atB9);
    assert.equal(status, 400);
    assert.equal(body.error, "tap: expected one of B3, B4, got 'B9'");
    [status, body] = await cam("api/gradcam");
    assert.equal(status, 405);
    assert.equal(body.error, "/api/gradcam takes POST multipart/form-data");
    [status, body] = await cam("api/gradcam", {
      method: "POST",
      body: "x",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(status, 415);
  });

  test("an explainer without Grad-CAM says so (404), and health tells the page", async () => {
    const plain = await startExplorer({
      explainer: fakeExplainer({ gradcam: false }),
      port: 0,
      index: false,
    });
    try {
      assert.equal((await json(await fetch(plain.url + "api/health"))).gradcam, false);
      const res = await fetch(plain.url + "api/records/rec01/gradcam");
      assert.equal(res.status, 404);
      assert.equal((await json(res)).error, "Grad-CAM is not available from this explainer");
      const fd = new FormData();
      fd.append("file", new Blob([csvOf(100, 12)]), "rec01.csv");
      fd.append("fs", "100");
      const post = await fetch(plain.url + "api/gradcam", { method: "POST", body: fd });
      assert.equal(post.status, 404);
    } finally {
      await plain.close();
    }
  });
});

describe("concurrency", () => {
  test("explanations run concurrently and never block the health check", async () => {
    const ex = fakeExplainer({ delayMs: 300 });
    const app = await startExplorer({ explainer: ex, port: 0, index: false });
    try {
      const t0 = performance.now();
      const pending = ["rec01", "rec02", "rec03", "rec04", "rec05", "rec06"].map((id) =>
        fetch(app.url + `api/records/${id}/explanation?block=B3`).then((r) => r.status),
      );
      const health = await fetch(app.url + "api/health");
      assert.equal(health.status, 200);
      assert.ok(performance.now() - t0 < 250, "health answered while explanations are pending");
      assert.deepEqual(await Promise.all(pending), [200, 200, 200, 200, 200, 200]);
      // six 300 ms explanations one after another would take 1.8 s
      assert.ok(performance.now() - t0 < 1200, `took ${performance.now() - t0} ms`);
      // the same record asked twice at once is explained once (and then cached)
      const before = ex.calls;
      await Promise.all([1, 2, 3].map(() => fetch(app.url + "api/records/rec09/explanation")));
      assert.equal(ex.calls, before + 1);
    } finally {
      await app.close();
    }
  });

  test("another Host header is refused on a loopback server (DNS rebinding)", async () => {
    const app = await startExplorer({ explainer: fakeExplainer(), port: 0, index: false });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(app.url + "api/health", { headers: { host: "evil.example:80" } });
        req.on("response", (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
      assert.equal(status, 421);
    } finally {
      await app.close();
    }
  });
});

describe("uploads read by io's readRecord", () => {
  let app: ExplorerServer;
  before(async () => {
    app = await startExplorer({ explainer: fakeExplainer(), port: 0, index: false });
  });
  after(() => app.close());

  async function post(files: [string, Buffer][]): Promise<[number, Record<string, unknown>]> {
    const fd = new FormData();
    for (const [name, data] of files) fd.append("files", new Blob([new Uint8Array(data)]), name);
    const res = await fetch(app.url + "api/explain?signal=1", { method: "POST", body: fd });
    return [res.status, await json(res)];
  }

  test("a PTB-XL record (format 16) and a CinC 2021 record (.mat)", async () => {
    const [status, body] = await post([
      ["00024_lr.hea", readFileSync(sharedData(PTBXL + ".hea"))],
      ["00024_lr.dat", readFileSync(sharedData(PTBXL + ".dat"))],
    ]);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal((body.signal as { data: number[][] }).data[0][0], -0.094);
    assert.deepEqual((body.signal as { units: string[] }).units[0], "NU");
    const cinc = "cinc2021/E07500";
    const [s2, b2] = await post([
      ["E07500.hea", readFileSync(sharedData(cinc + ".hea"))],
      ["E07500.mat", readFileSync(sharedData(cinc + ".mat"))],
    ]);
    assert.equal(s2, 200, JSON.stringify(b2));
    assert.equal(b2.record, "E07500");
    assert.equal(b2.fs, 500);
    assert.equal(b2.samples, 5000);
    // header line 2: baseline 0, gain 1000, first value -68 -> -0.068 mV
    assert.equal((b2.signal as { data: number[][] }).data[0][0], -0.068);
  });

  test("a CSV like `ecg-tlc read --csv` prints gives the same record as its WFDB files", async () => {
    const { readRecord } = await import("../../src/io/record.js");
    const r = readRecord(sharedData(PTBXL + ".hea").slice(0, -4));
    const lines = [r.leads.join(",")];
    for (let i = 0; i < r.samples; i++) {
      lines.push(r.leads.map((_, l) => r.signal[l * r.samples + i]).join(","));
    }
    const fd = new FormData();
    fd.append("file", new Blob([lines.join("\n")]), "00024_lr.csv");
    fd.append("fs", "100");
    fd.append("units", "NU");
    const res = await fetch(app.url + "api/explain?signal=1", { method: "POST", body: fd });
    const csv = await json(res);
    const [, wfdb] = await post([
      ["00024_lr.hea", readFileSync(sharedData(PTBXL + ".hea"))],
      ["00024_lr.dat", readFileSync(sharedData(PTBXL + ".dat"))],
    ]);
    assert.equal(csv.record, "00024_lr");
    assert.deepEqual(csv.signal, wfdb.signal);
  });

  test("records with several signal files (PTB s0010_re; every binary format) upload intact", async () => {
    const { readRecord } = await import("../../src/io/record.js");
    const { readdirSync } = await import("node:fs");
    const dir = sharedData("wfdb-samples");
    for (const name of ["s0010_re", "binformats"]) {
      const files = readdirSync(dir).filter((f) => f.startsWith(name + ".") && !f.endsWith(".atr"));
      assert.ok(files.length >= 3, files.join(" "));
      const [status, body] = await post(files.map((f) => [f, readFileSync(join(dir, f))]));
      assert.equal(status, 200, `${name}: ${JSON.stringify(body).slice(0, 200)}`);
      const direct = readRecord(join(dir, name));
      const signal = body.signal as { leads: string[]; data: number[][] };
      assert.deepEqual(signal.leads, direct.leads);
      for (let l = 0; l < direct.leads.length; l++) {
        const i = Math.floor(direct.samples / 3);
        const want = Math.round(direct.signal[l * direct.samples + i] * 1e4) / 1e4;
        assert.ok(
          Object.is(signal.data[l][i], want) || Math.abs(signal.data[l][i] - want) < 1e-9,
          `${name} lead ${l}`,
        );
      }
    }
  });

  test("a truncated signal file is a 400 naming the client's file", async () => {
    const dat = readFileSync(sharedData(PTBXL + ".dat")).subarray(0, 1001);
    const [status, body] = await post([
      ["00024_lr.hea", readFileSync(sharedData(PTBXL + ".hea"))],
      ["00024_lr.dat", dat],
    ]);
    assert.equal(status, 400, JSON.stringify(body));
    assert.ok(!String(body.error).includes("ecg-tlc-upload-"), String(body.error));
    assert.match(String(body.error), /00024_lr/);
  });

  test("a malformed header is a 400 naming the client's header", async () => {
    const [status, body] = await post([
      ["bad.hea", Buffer.from("bad twelve 100 1000\nbad.dat 16 200 16 0 0 0 0 I\n")],
      ["bad.dat", Buffer.alloc(2000)],
    ]);
    assert.equal(status, 400, JSON.stringify(body));
    assert.match(String(body.error), /^bad\.hea: /);
  });
});

describe("robustness", () => {
  test("an upload cut off mid-body does not take the server down", async () => {
    const app = await startExplorer({ explainer: fakeExplainer(), port: 0, index: false });
    try {
      await new Promise<void>((resolve) => {
        const req = request(app.url + "api/explain", {
          method: "POST",
          headers: {
            "content-type": "multipart/form-data; boundary=b",
            "content-length": "100000",
          },
        });
        req.on("error", () => resolve());
        req.write(
          '--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n1,2\n',
        );
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50);
      });
      assert.equal((await fetch(app.url + "api/health")).status, 200);
    } finally {
      await app.close();
    }
  });

  test("uploads beyond maxUploads in flight get 503, the rest are served", async () => {
    const app = await startExplorer({
      explainer: fakeExplainer({ delayMs: 500 }),
      port: 0,
      index: false,
      maxUploads: 2,
    });
    try {
      const send = () => {
        const fd = new FormData();
        fd.append("file", new Blob([csvOf(100, 12)]), "rec01.csv");
        fd.append("fs", "100");
        return fetch(app.url + "api/explain", { method: "POST", body: fd }).then((r) => r.status);
      };
      const statuses = await Promise.all([send(), send(), send(), send()]);
      assert.deepEqual([...statuses].sort(), [200, 200, 503, 503]);
      assert.equal(await send(), 200, "served again once the others are done");
    } finally {
      await app.close();
    }
  });
});

describe("explorer API with a two-level explainer", () => {
  test("health names the leaves; a record's combined view carries its states, another block none", async () => {
    const app = await startExplorer({
      explainer: fakeExplainer({ states: true }),
      port: 0,
      index: false,
    });
    try {
      const health = await json(await fetch(app.url + "api/health"));
      assert.deepEqual(health.leaves, FAKE_LEAVES);
      const view = await json(await fetch(app.url + "api/records/rec07/explanation"));
      const states = view.states as {
        names: string[];
        waves: number[];
        leaves: number[];
        segments: { start: number; end: number; cluster: number }[];
        entropy: number[];
        proportions: number[];
        meanEntropy: number;
      };
      assert.deepEqual(states.names, FAKE_LEAVES.names);
      assert.deepEqual(states.waves, FAKE_LEAVES.waves);
      assert.equal(states.leaves.length, 1000);
      states.leaves.forEach((l, i) => assert.equal(l, fakeLeaf(i, 100).leaf, `sample ${i}`));
      assert.equal(states.segments.length, 80, "10 s in 0.125 s runs");
      assert.deepEqual(states.segments[1], { start: 13, end: 25, cluster: 1, entropy: 0.375 });
      assert.ok(states.entropy.every((h) => h === fakeEntropy(7) / 2));
      // 12.5 samples a run at 100 Hz: 13 for state 0, 12 for state 1
      states.proportions.forEach((p, l) =>
        assert.ok(Math.abs(p - (l % 2 ? 0.12 : 0.13)) < 1e-12, `leaf ${l}: ${p}`),
      );
      // the states are the combined clusters': another block has none
      const b2 = await json(await fetch(app.url + "api/records/rec07/explanation?block=B2"));
      assert.equal(b2.states, null);
    } finally {
      await app.close();
    }
    // a single-level explainer: no leaves, no states
    const one = await startExplorer({ explainer: fakeExplainer(), port: 0, index: false });
    try {
      assert.equal((await json(await fetch(one.url + "api/health"))).leaves, null);
      const view = await json(await fetch(one.url + "api/records/rec07/explanation"));
      assert.equal(view.states, null);
    } finally {
      await one.close();
    }
  });
});
