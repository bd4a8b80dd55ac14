/**
 * Session passwords (TCP MD5, RFC 2385) as both ends need them. The plan only names a secret
 * (`passwordRef`); values arrive at render time and go to secret files/overlays only. A value
 * must be expressible on both ends: BIRD takes a double-quoted string with no escapes at all
 * (its lexer ends the string at the next `"`, and a backslash is a literal byte), FRR takes a
 * single word, and the kernel accepts at most 80 bytes (TCP_MD5SIG_MAXKEYLEN). So a password is
 * 1–80 printable ASCII characters other than space and `"`.
 */

/** Longest TCP MD5 key Linux accepts. */
export const MAX_PASSWORD_BYTES = 80;

/**
 * Check a `passwordRef` before it becomes a file name: letters, digits, `.`, `_`, `-`, starting
 * with a letter or digit (no path separators, no `..`). Throws a clear Error otherwise.
 */
export function checkPasswordRef(ref: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(ref) || ref.includes(".."))
    throw new Error(`passwordRef ${JSON.stringify(ref)} is not a safe secret name (use letters, digits, '.', '_', '-')`);
  return ref;
}

/**
 * The password stored under `ref`, checked. Throws when it is missing, empty, longer than 80
 * bytes, or holds anything but printable ASCII without space and `"`.
 */
export function lookupPassword(passwords: Record<string, string>, ref: string, who: string): string {
  checkPasswordRef(ref);
  if (!Object.prototype.hasOwnProperty.call(passwords, ref) || typeof passwords[ref] !== "string")
    throw new Error(`${who}: no password given for passwordRef "${ref}"`);
  const value = passwords[ref];
  if (value.length === 0) throw new Error(`${who}: the password for "${ref}" is empty`);
  if (Buffer.byteLength(value, "utf8") > MAX_PASSWORD_BYTES)
    throw new Error(`${who}: the password for "${ref}" is longer than ${MAX_PASSWORD_BYTES} bytes (TCP MD5 limit)`);
  if (!/^[\x21\x23-\x7e]+$/.test(value))
    throw new Error(
      `${who}: the password for "${ref}" may only hold printable ASCII without spaces or '"' (BIRD strings have no escapes, FRR takes one word)`,
    );
  return value;
}
