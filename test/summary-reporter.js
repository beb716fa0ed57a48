// CI reads a plain closing line, not jest's own summary: print `N passed, N failed` last.
const { writeSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    // Written synchronously: at exit (a forced one too) an asynchronous write to a pipe is lost.
    process.once('exit', () => writeSync(2, line));
  }
}
module.exports = SummaryReporter;
