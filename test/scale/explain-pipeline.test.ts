import assert from "node:assert/strict";
import { test } from "node:test";
import type { DatasetEntry } from "../../src/io/index.js";
import { explainEntries } from "../../src/scale/explain.js";
import { Tlc } from "../../src/tlc/tlc.js";
import type { EcgRecord } from "../../src/types.js";
import { fakeModel, ptbxlDataset } from "../tlc/fake.js";

test("explainEntries: each batch is read and preprocessed before the forward call ahead of it ends", async () => {
  const data = ptbxlDataset(12);
  const tlc = await Tlc.fit(fakeModel(), data, data.entries.slice(0, 6), {
    k: 3,
    seed: 1,
    threads: 1,
    taps: ["B2", "B3"],
  });
  // The fake network takes 30 ms per call; the log says what happened in which order.
  const log: string[] = [];
  const model = fakeModel();
  const prepare = model.prepare;
  model.prepare = (r: EcgRecord) => (log.push(`prepare ${r.name}`), prepare(r));
  const forward = model.forward.bind(model);
  let calls = 0;
  model.forward = async (x, n, o) => {
    const c = calls++;
    log.push(`start ${c}`);
    const out = await forward(x, n, o);
    await new Promise((r) => setTimeout(r, 30));
    log.push(`end ${c}`);
    return out;
  };
  const entries = data.entries.map((e) => ({ ...e })) as unknown as DatasetEntry[];
  const dataset = {
    readBatch: (es: DatasetEntry[]) => Promise.all(es.map((e) => data.read(e))),
  };
  const names: string[] = [];
  for await (const e of explainEntries(tlc, model, dataset, entries, 3)) names.push(e.record);
  assert.deepEqual(
    names,
    data.entries.map((e) => e.id + "_lr"),
  );
  assert.equal(calls, 4);
  // Forward call c + 1 starts right after call c ends, its records prepared while c ran.
  for (let c = 0; c + 1 < calls; c++) {
    const end = log.indexOf(`end ${c}`);
    assert.equal(log[end + 1], `start ${c + 1}`, log.join("; "));
    const prepared = log
      .slice(log.indexOf(`start ${c}`), end)
      .filter((l) => l.startsWith("prepare"));
    assert.equal(prepared.length, 3, `records of call ${c + 1} prepared during call ${c}`);
  }
});
