using System.Globalization;
using AsyncCore.Application;

namespace MultiService;

/// <summary>
/// The application as the <c>asynccore</c> runner loads it (a <c>.tac</c> file's role). Arguments after <c>--</c>:
/// <c>--echo-port N</c> and <c>--line-port N</c>.
/// </summary>
public sealed class MultiServiceApplication : IApplicationFactory
{
    /// <inheritdoc />
    public IService CreateApplication(ApplicationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var echoPort = Servers.DefaultEchoPort;
        var linePort = Servers.DefaultLinePort;
        for (var i = 0; i + 1 < context.Arguments.Count; i += 2)
        {
            var value = int.Parse(context.Arguments[i + 1], CultureInfo.InvariantCulture);
            switch (context.Arguments[i])
            {
                case "--echo-port":
                    echoPort = value;
                    break;
                case "--line-port":
                    linePort = value;
                    break;
                default:
                    throw new ArgumentException($"Unknown argument {context.Arguments[i]}; expected --echo-port N or --line-port N.");
            }
        }
        var application = new ApplicationService("multiservice");
        Servers.AddTo(application, context.Reactor, echoPort, linePort);
        return application;
    }
}
