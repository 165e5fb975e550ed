using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/AsyncCore.Reactor.Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
