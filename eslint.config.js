// ESLint (flat config): typescript-eslint's strict type-checked rules on every TypeScript file.
// Import direction and cycles are held by dependency-cruiser (.dependency-cruiser.cjs), which
// `npm run lint` runs after this.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const TS = ["**/*.ts", "**/*.tsx"];

export default tseslint.config(
  { ignores: ["dist/", "dist-relay/", "node_modules/", "schema/protocol/sync_pb.ts", "test-results/", "bench/results/", "prof/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked.map((config) => ({ ...config, files: TS })),
  {
    files: TS,
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Named here although strictTypeChecked has it: a promise nobody awaits loses its error.
      "@typescript-eslint/no-floating-promises": "error",
      // Numbers and booleans print predictably in a template; objects, unknown and nullish do not.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      // `() => doSomething()` as a callback is clear; a void value returned or assigned is not.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      // A switch over a union (status codes, frame bodies, outcomes) names every case.
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
  // The relay reads time and starts timers only through its Clock (relay/clock.ts), so a test's
  // fake clock reaches all of it.
  {
    files: ["relay/**"],
    ignores: ["relay/clock.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "Use the relay's Clock (relay/clock.ts)." },
        { object: "performance", property: "now", message: "Use the relay's Clock (relay/clock.ts)." },
      ],
      "no-restricted-globals": [
        "error",
        ...["setTimeout", "clearTimeout", "setInterval", "clearInterval"].map((name) => ({
          name,
          message: "Use the relay's Clock (relay/clock.ts).",
        })),
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "Use the relay's Clock (relay/clock.ts): new Date(clock.now()).",
        },
      ],
    },
  },
  // Library code logs through an injected logger, never the console.
  { files: ["relay/**", "schema/**", "client/core/**"], rules: { "no-console": "error" } },
  // In a test or a benchmark a wrong `x!` throws and fails the run, which is what it should do;
  // in product code it would hide a missing value, so the rule stays there.
  { files: ["test/**", "bench/**"], rules: { "@typescript-eslint/no-non-null-assertion": "off" } },


);
