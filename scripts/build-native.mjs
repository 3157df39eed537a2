// Builds the libtorch addon (native/) with node-gyp. Without libtorch it explains what to install
// and exits 0, so that `npm ci` still gives a working CLI for the commands that need no network.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const INSTALL = "apt-get install -y libtorch-dev libopenblas0-openmp";

if (!existsSync("/usr/include/torch/csrc/api/include/torch/torch.h")) {
  console.warn(
    `ecg-tlc: libtorch not found; the network engine is not built. Install it with: ${INSTALL}`,
  );
  process.exit(process.env.ECG_TLC_REQUIRE_NATIVE ? 1 : 0);
}
const gyp = join(root, "node_modules", "node-gyp", "bin", "node-gyp.js");
const args = [gyp, "rebuild", "-j", "2"];
if (existsSync("/usr/include/node/node.h")) args.push("--nodedir=/usr");
const r = spawnSync(process.execPath, args, { cwd: join(root, "native"), stdio: "inherit" });
if (r.status !== 0) {
  console.error("ecg-tlc: building the native engine failed (see the compiler output above)");
  process.exit(r.status ?? 1);
}
