'use strict';
/**
 * Prints one plain closing line, `jest: N passed, N failed`, that CI systems which do not
 * parse Jest's own summary read as the result of the run.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numFailedTestSuites + results.numRuntimeErrorTestSuites;
    process.stdout.write(
      `\njest: ${results.numPassedTests} passed, ${results.numFailedTests + (results.numFailedTests === 0 && failedSuites > 0 ? failedSuites : 0)} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
    );
  }
}
module.exports = SummaryReporter;
