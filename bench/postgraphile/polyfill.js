'use strict';
/**
 * PostGraphile 5.1 targets Node 22; on Node 20 it needs only Promise.withResolvers (ES2024).
 * Loaded with `node --require bench/postgraphile/polyfill.js` by bench/servers/postgraphile.js's launcher.
 */
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve;
      let reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
