// Import direction and cycles (`npm run lint` runs `depcruise` with this file). Type-only imports
// count: a type from the other side is still a dependency on it.
/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "schema-imports-no-side",
      severity: "error",
      comment: "schema/ is the contract both sides import; it imports neither client/ nor relay/.",
      from: { path: "^schema/" },
      to: { path: "^(client|relay)/" },
    },
    {
      name: "client-not-relay",
      severity: "error",
      comment: "A device never imports the relay: they meet only through schema/ and the wire.",
      from: { path: "^client/" },
      to: { path: "^relay/" },
    },
    {
      name: "relay-not-client",
      severity: "error",
      comment: "The relay never imports device code: they meet only through schema/ and the wire.",
      from: { path: "^relay/" },
      to: { path: "^client/" },
    },
    {
      name: "nothing-imports-the-peer",
      severity: "error",
      comment: "peer/ (the LAN peer) is built from the relay's core and a device; neither side, nor schema/, imports it.",
      from: { path: "^(schema|client|relay)/" },
      to: { path: "^peer/" },
    },
    {
      name: "app-uses-core-index-only",
      severity: "error",
      comment: "The web app uses the device core through its public API (client/core/index.ts) only.",
      from: { path: "^client/app/" },
      to: { path: "^client/core/", pathNot: "^client/core/index\\.ts$" },
    },
    {
      name: "no-cycle",
      severity: "error",
      comment: "No import cycle between files, type-only imports included.",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-folders-form-a-dag",
      severity: "error",
      comment:
        "The parts of client/core (storage, entities, queue, conflicts, sync, transport, clock) " +
        "depend on each other without a cycle between folders.",
      scope: "folder",
      from: { path: "^client/core/[^/]+" },
      to: { path: "^client/core/[^/]+", circular: true },
    },
    {
      name: "resolvable",
      severity: "error",
      comment:
        "Every import resolves; an import this tool cannot follow would slip past the rules above. Vite's virtual modules (vite-plugin-pwa's virtual:pwa-register) exist only at build time.",
      from: {},
      to: { couldNotResolve: true, pathNot: "^virtual:" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      extensions: [".ts", ".tsx", ".js", ".d.ts"],
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
