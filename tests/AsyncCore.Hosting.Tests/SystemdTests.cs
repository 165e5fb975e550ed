using System.Net.Sockets;
using System.Text;
using AsyncCore.Application;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace AsyncCore.Hosting.Tests;

/// <summary>
/// <c>UseSystemd()</c>/<c>AddSystemd()</c> work unchanged with AsyncCore: under systemd the host reports READY once the
/// service tree has started and STOPPING when it stops. <c>AddSystemd</c> registers <see cref="SystemdLifetime"/> and
/// <see cref="SystemdNotifier"/> only when the process runs under systemd (its parent is systemd); the test registers
/// the same two itself and gives the notifier a socket it owns, as systemd would.
/// </summary>
public class SystemdTests
{
    [Fact]
    public async Task AddSystemd_NotifiesReadyAfterTheTreeStarted_AndStoppingOnStop()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("systemd notifications are a Linux feature");
        }
        var socketPath = Path.Combine(Path.GetTempPath(), $"asynccore-notify-{Guid.NewGuid():N}.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", socketPath);
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddSystemd(); // a no-op here (not started by systemd): the two lines below are what it adds
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
            builder.Services.AddAsyncCore(o => o.ApplicationName = "systemd-app");
            using var host = builder.Build();

            await host.StartAsync(TestContext.Current.CancellationToken);
            Assert.True(host.Services.GetRequiredService<MultiService>().Running);
            Assert.Contains("READY=1", await ReceiveAsync(notify));

            await host.StopAsync(TestContext.Current.CancellationToken);
            Assert.Contains("STOPPING=1", await ReceiveAsync(notify));
            Assert.False(host.Services.GetRequiredService<MultiService>().Running);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
            File.Delete(socketPath);
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[256];
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var length = await socket.ReceiveAsync(buffer, SocketFlags.None, patience.Token);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
