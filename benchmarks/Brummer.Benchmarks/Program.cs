using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Every benchmark class pairs Brummer's lock-free status table with lock-based baselines in the same run,
// so each figure reads as a ratio. Pick them with --filter, e.g. --filter '*Lookup*'.
// Median and Min sit beside the Mean because the machines this runs on are shared and noisy.
var config = DefaultConfig.Instance.AddColumn(StatisticColumn.Median, StatisticColumn.Min);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
