'use strict';
/** Progress on stderr: stdout stays free for the result table. */

const tty = process.stderr.isTTY;

function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Rows done, %, rows/s; redrawn in place on a terminal, one line every ~10% otherwise. */
class Progress {
  constructor(label, total) {
    this.label = label;
    this.total = total;
    this.started = Date.now();
    this.lastDraw = 0;
    this.lastPct = -10;
    this.lastLogged = -1;
  }

  line(done) {
    const s = (Date.now() - this.started) / 1000;
    const pct = this.total ? (100 * done) / this.total : 100;
    const rate = s > 0 ? Math.round(done / s) : 0;
    return `${this.label}: ${done.toLocaleString('en')} / ${this.total.toLocaleString('en')} rows (${pct.toFixed(1)}%), ${rate.toLocaleString('en')} rows/s, ${s.toFixed(1)} s`;
  }

  update(done) {
    const now = Date.now();
    const pct = this.total ? (100 * done) / this.total : 100;
    if (tty) {
      if (now - this.lastDraw < 200) return;
      this.lastDraw = now;
      process.stderr.write(`\r[bench] ${this.line(done)}\x1b[K`);
    } else if (pct - this.lastPct >= 10) {
      this.lastPct = pct;
      this.lastLogged = done;
      log(this.line(done));
    }
  }

  finish(done) {
    if (tty) process.stderr.write('\r\x1b[K');
    if (this.lastLogged !== done) log(this.line(done));
  }
}

module.exports = { log, Progress };
