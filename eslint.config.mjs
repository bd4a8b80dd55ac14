// ESLint (flat config): a small, deliberate rule set of bugs, not style. No type-aware rules
// (no-floating-promises, no-misused-promises): they need a full type-checked program per run,
// and `tsc --noEmit` (npm run typecheck) already runs in `npm test`.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "out/**", "out-local/**", "**/*.js", "**/*.mjs"] },
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: "off" },
    rules: {
      // values computed and never used: dead code or a forgotten step
      "@typescript-eslint/no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true }],
      // == and != coerce ("0" == 0); null checks may use == null
      eqeqeq: ["error", "always", { null: "ignore" }],
      // a switch case that runs into the next one
      "no-fallthrough": "error",
      "no-duplicate-case": "error",
      "no-dupe-keys": "error",
      "no-dupe-else-if": "error",
      "no-self-compare": "error",
      "no-unreachable": "error",
      "no-unsafe-finally": "error",
      "no-async-promise-executor": "error",
      // obj.hasOwnProperty(k) breaks on null-prototype objects and on a key "hasOwnProperty"
      "no-prototype-builtins": "error",
      "no-loss-of-precision": "error",
      "prefer-const": ["error", { destructuring: "all" }],
      "no-var": "error",
      "@typescript-eslint/no-non-null-asserted-optional-chain": "error",
      // `any` stays allowed: the tests read raw Pulumi registrations and chart values through it
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
