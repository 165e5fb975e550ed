using AsyncCore.Runner;

return RunnerCommand.Create().Parse(args).Invoke();
