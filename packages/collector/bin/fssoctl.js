#!/usr/bin/env node
'use strict';
// Thin launcher: the command lives in the compiled TypeScript.
require('../dist/src/cli/ctl.js').main(process.argv.slice(2));
