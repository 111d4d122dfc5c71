/**
 * Account key files: one secp256k1 secret key as 64 hex digits (an optional 0x, surrounding
 * whitespace ignored), the form Ethereum tools export raw keys in. Written 0600, never
 * overwritten.
 */
import { readFile, writeFile } from "node:fs/promises";
import { ACCOUNT_SECRET_KEY_BYTES, accountOf, newAccountSecretKey } from "@tributary/protocol";
import { CliError } from "./cliError.ts";

/** The secret key in `text`, or a one-line error naming `file`. */
export function parseAccountKey(text: string, file: string): Uint8Array {
  const hexText = text.trim().replace(/^0x/i, "");
  if (!new RegExp(`^[0-9a-fA-F]{${2 * ACCOUNT_SECRET_KEY_BYTES}}$`).test(hexText)) {
    throw new CliError(`${file}: an account key file holds a 32-byte secret key as 64 hex digits`, 2);
  }
  const key = new Uint8Array(Buffer.from(hexText, "hex"));
  try {
    accountOf(key);
  } catch {
    throw new CliError(`${file}: not a valid secp256k1 secret key`, 2);
  }
  return key;
}

export async function readAccountKey(file: string): Promise<Uint8Array> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read key file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseAccountKey(text, file);
}

/** Creates a key file (mode 0600, refuses to overwrite) and returns the new account's address. */
export async function writeNewAccountKey(file: string): Promise<Uint8Array> {
  const key = newAccountSecretKey();
  try {
    await writeFile(file, `${Buffer.from(key).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      code === "EEXIST"
        ? `${file} exists; not overwriting a key file`
        : `cannot write ${file}: ${code ?? String(err)}`,
    );
  }
  return accountOf(key);
}
