#!/usr/bin/env node
// Entry of `npx solidaris …`. Run through npm/npx so the project's pinned Node.js 24 (the `node`
// package) is first on PATH; it strips the TypeScript types of src/ natively.
import '../src/cli/main.ts';
