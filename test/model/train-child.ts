/**
 * A training run in its own process, for the kill-and-resume test: `node train-child.js DIR EPOCHS
 * [resume]` trains the tiny network with dropout and noise (both draw random numbers) on the toy set.
 */
import { trainModel, SUPERCLASSES } from "../../src/index.js";
import { TINY, toySet } from "./toy.js";

const [dir, epochs, resume] = process.argv.slice(2);
await trainModel(
  dir,
  toySet(24, 1),
  toySet(8, 2),
  { preset: "ptbxl100", task: "superclass", classes: SUPERCLASSES },
  {
    ...TINY,
    dropout: 0.3,
    noise: 0.05,
    lr: 3e-3,
    seed: 7,
    epochs: Number(epochs),
    resume: resume === "resume",
  },
);
