// A task that fails with an error and a stack trace, then exits 1.
function validate(config) {
  if (!config.apiUrl) {
    throw new Error('check: config.apiUrl is missing');
  }
}

console.log('check: validating config');
try {
  validate({});
} catch (err) {
  console.error(err.stack);
  process.exit(1);
}
