// A long-running background worker: says it is ready, then logs a processed job every few seconds until stopped.
const everyMs = Number(process.env.WORKER_INTERVAL_MS ?? 5000);
let jobs = 0;

console.log(`worker: ready, one job every ${everyMs} ms`);
const timer = setInterval(() => {
  jobs += 1;
  console.log(`worker: processed job ${jobs}`);
}, everyMs);

process.on('SIGTERM', () => {
  console.log(`worker: SIGTERM received after ${jobs} jobs, stopping`);
  clearInterval(timer);
  process.exit(0);
});
