// Builds the optional native GF(2^8)/SHA-256 addon with node-gyp at install time.
// A machine without a C compiler still installs: the protocol library falls back to its
// portable JavaScript kernels (slower, byte-identical), and says so through `kernelInfo()`.
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const result = spawnSync("node-gyp", ["rebuild"], { cwd: here, stdio: "inherit", shell: false });
if (result.status !== 0) {
  console.warn("@tributary/protocol: native addon did not build; the portable JavaScript codec will be used");
}
