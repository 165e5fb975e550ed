namespace AsyncCore.Runner;

/// <summary>The runner's exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>The application ran and stopped cleanly.</summary>
    public const int Success = 0;

    /// <summary>The application failed to start or to stop, a second signal forced the exit, or the pid file is held.</summary>
    public const int Failure = 1;

    /// <summary>The application could not be loaded: missing file, missing type, or a type that threw.</summary>
    public const int BadApplication = 2;
}
