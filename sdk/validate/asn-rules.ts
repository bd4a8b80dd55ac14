/** ASN validity rules (RFC 6996 private ranges, RFC 7300 reserved, AS_TRANS). Ours, since ip-num's `isPrivate()` always returns false. */
import { Validator } from "ip-num";

/** ASNs no speaker may use: 0, AS_TRANS (RFC 6793), and the RFC 7300 last ASNs. */
export const RESERVED_ASNS = [0, 23456, 65535, 4294967295];

/** True for RFC 6996 private ASNs (64512–65534, 4200000000–4294967294). */
export function isPrivateAsn(asn: number): boolean {
  return (asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= 4294967294);
}

/** Why `asn` may not be used, or undefined when it may. */
export function asnProblem(asn: unknown, allowPublic: boolean): { rule: string; message: string } | undefined {
  if (typeof asn !== "number" || !Number.isInteger(asn) || !Validator.isValidAsnNumber(BigInt(asn))[0]) {
    return { rule: "asn-invalid", message: `ASN ${String(asn)} is not a number in 0–4294967295` };
  }
  if (RESERVED_ASNS.includes(asn)) {
    return { rule: "asn-reserved", message: `ASN ${asn} is reserved (0, 23456 AS_TRANS, 65535 and 4294967295 are never valid)` };
  }
  if (!allowPublic && !isPrivateAsn(asn)) {
    return {
      rule: "asn-public",
      message: `ASN ${asn} is public; use RFC 6996 private ASNs (64512–65534, 4200000000–4294967294) or set asn.allowPublic`,
    };
  }
  return undefined;
}

/** Where ASN problems are reported (a `ProblemList`). */
export interface AsnProblemSink {
  add(path: string, rule: string, message: string): void;
}

const reportedAsnPaths = new WeakMap<AsnProblemSink, Set<string>>();

/**
 * Report why the ASN at `path` may not be used, once per path and problem list however many
 * rules look at that field (a pinned node ASN is both a node field and a member of the ASN plan).
 * Returns true when the ASN is usable.
 */
export function reportAsnProblem(problems: AsnProblemSink, path: string, asn: unknown, allowPublic: boolean): boolean {
  const p = asnProblem(asn, allowPublic);
  if (!p) return true;
  let seen = reportedAsnPaths.get(problems);
  if (!seen) reportedAsnPaths.set(problems, (seen = new Set()));
  if (!seen.has(path)) {
    seen.add(path);
    problems.add(path, p.rule, p.message);
  }
  return false;
}
