/**
 * dcnet's engine-independent core: spec types → `resolve()` → plan → renderers.
 * Nothing here imports `@pulumi/*`; the Pulumi components in `components/` are thin shells over it.
 */
export * from "./spec/types";
export { loadSpecFile, parseSpecText } from "./spec/load";
export * from "./plan/types";
export { resolve } from "./resolve/resolve";
export { validate, validateShape, vipAnnouncers } from "./validate/validate";
export { SpecError, SpecProblem, formatProblems } from "./validate/errors";
export { isPrivateAsn, asnProblem, RESERVED_ASNS } from "./validate/asn-rules";
export { renderBirdConfig, renderBirdSecrets, BirdRenderOptions, BirdSecretFile, DEFAULT_BIRD_SECRETS_DIR } from "./render/bird";
export { renderSwitchConfig, renderSwitchSecrets, RenderedSwitchConfig, SwitchDialect, registerDialect, getDialect, dialectNames } from "./render/switch";
export { renderSummary } from "./render/summary";
export { renderTopologySvg } from "./render/topology-svg";
export * as k8s from "./k8s";
