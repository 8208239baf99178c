// A task that succeeds: pretends to migrate a database, then exits 0.
const migrations = ['001_create_jobs', '002_add_priority'];
for (const name of migrations) {
  console.log(`migrate: applied ${name}`);
}
console.log(`migrate: done, ${migrations.length} migrations`);
