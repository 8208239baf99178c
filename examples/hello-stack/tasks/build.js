// A task that succeeds: pretends to build, then exits 0.
const steps = ['compile', 'bundle', 'write dist/'];
for (const step of steps) {
  console.log(`build: ${step}`);
}
console.log('build: done');
