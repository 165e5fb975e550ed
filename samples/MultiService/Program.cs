// The same application under the Generic Host: dotnet run -- --Ports:Echo=9082 --Ports:Line=9083
using AsyncCore.Application;
using AsyncCore.Hosting;
using AsyncCore.Transports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MultiService;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddAsyncCore(o => o.ApplicationName = "multiservice");
builder.Services.AddAsyncCoreService(provider =>
{
    var servers = new AsyncCore.Application.MultiService("servers");
    Servers.AddTo(servers, provider.GetRequiredService<INetworkReactor>(),
        builder.Configuration.GetValue("Ports:Echo", Servers.DefaultEchoPort),
        builder.Configuration.GetValue("Ports:Line", Servers.DefaultLinePort));
    return servers;
});
await builder.Build().RunAsync();
