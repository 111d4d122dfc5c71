import { writeNewAccountKey } from "../accountKey.ts";
import { hex, type Output } from "../output.ts";

/** `tributary account new [--out FILE]`: a fresh key file and the account's address. */
export async function accountNew(file: string, out: Output): Promise<void> {
  const account = `0x${hex(await writeNewAccountKey(file))}`;
  out.result({ account, keyFile: file }, `${account}  (secret key in ${file}, mode 0600)`);
}
