using PartialLoRA.Cli;

return CliApp.Run(args);
