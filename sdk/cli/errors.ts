/**
 * Errors the CLI reports as plain messages (no stack trace): the user's mistake, not a bug in
 * dcnet. Anything else reaching the top level is reported as an internal error with its stack.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/** Node file-system error codes that come from the user's environment, not from dcnet. */
const USER_FS_CODES = new Set(["ENOENT", "EACCES", "EPERM", "EROFS", "ENOSPC", "ENOTDIR", "EISDIR", "EEXIST", "ENOTEMPTY", "EBUSY", "EXDEV", "ELOOP", "ENAMETOOLONG", "EDQUOT"]);

/** True for file-system errors caused by the environment (missing file, permissions, full disk, ...). */
export function isUserFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && USER_FS_CODES.has((e as NodeJS.ErrnoException).code!);
}
