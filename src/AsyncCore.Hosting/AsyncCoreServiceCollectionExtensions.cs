using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using AsyncCore.Application;
using AsyncCore.Reactor;
using AsyncCore.Reactors;
using AsyncCore.Transports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace AsyncCore.Hosting;

/// <summary>Registers AsyncCore in a Generic Host.</summary>
public static class AsyncCoreServiceCollectionExtensions
{
    /// <summary>
    /// Runs a reactor as a hosted service, on a thread of its own, started and stopped with the host. Registers the
    /// reactor (<see cref="INetworkReactor"/>, <see cref="IReactor"/>) and the root of the service tree
    /// (<see cref="ApplicationService"/>, also as <see cref="MultiService"/>); the services added with
    /// <see cref="AddAsyncCoreService{T}(IServiceCollection)"/> become its children, in the order they were added.
    /// </summary>
    /// <remarks>
    /// The host's start waits until the tree has started (and fails if it failed); the host's stop stops the reactor,
    /// which stops the tree and waits for its Deferreds, within the host's shutdown timeout.
    /// </remarks>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Changes the options after the configuration section <c>AsyncCore</c> was read.</param>
    public static IServiceCollection AddAsyncCore(this IServiceCollection services, Action<AsyncCoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(AsyncCoreRuntime)))
        {
            throw new InvalidOperationException("AddAsyncCore was already called on these services.");
        }
        services.AddSingleton(provider =>
        {
            var options = new AsyncCoreOptions();
            if (provider.GetService<IConfiguration>() is { } configuration)
            {
                Bind(configuration.GetSection(AsyncCoreOptions.SectionName), options);
            }
            configure?.Invoke(options);
            return new AsyncCoreRuntime(options, provider);
        });
        services.AddSingleton<INetworkReactor>(provider => provider.GetRequiredService<AsyncCoreRuntime>().Reactor);
        services.AddSingleton<IReactor>(provider => provider.GetRequiredService<AsyncCoreRuntime>().Reactor);
        services.AddSingleton(provider => provider.GetRequiredService<AsyncCoreRuntime>().Root);
        services.AddSingleton<MultiService>(provider => provider.GetRequiredService<AsyncCoreRuntime>().Root);
        services.AddHostedService<ReactorHostedService>();
        return services;
    }

    /// <summary>
    /// Adds a service of type <typeparamref name="T"/>, built by dependency injection (its constructor may take the
    /// reactor), to the service tree. It is also registered as a singleton <typeparamref name="T"/>.
    /// </summary>
    public static IServiceCollection AddAsyncCoreService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
        this IServiceCollection services) where T : class, IService
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<T>();
        services.AddSingleton(new AsyncCoreServiceRegistration(provider => provider.GetRequiredService<T>()));
        return services;
    }

    /// <summary>Adds the service built by <paramref name="factory"/> to the service tree.</summary>
    public static IServiceCollection AddAsyncCoreService<T>(this IServiceCollection services, Func<IServiceProvider, T> factory)
        where T : class, IService
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        services.AddSingleton(new AsyncCoreServiceRegistration(provider => factory(provider)));
        return services;
    }

    /// <summary>Reads the options from configuration by hand: no reflection, so trimming and AOT stay safe.</summary>
    internal static void Bind(IConfiguration section, AsyncCoreOptions options)
    {
        if (section["ReactorKind"] is { Length: > 0 } kind)
        {
            options.ReactorKind = Enum.Parse<ReactorKind>(kind, ignoreCase: true);
        }
        if (section["ApplicationName"] is { Length: > 0 } name)
        {
            options.ApplicationName = name;
        }
        var reactor = section.GetSection("Reactor");
        if (reactor["Name"] is { Length: > 0 } reactorName)
        {
            options.Reactor.Name = reactorName;
        }
        if (reactor["StallThreshold"] is { Length: > 0 } stall)
        {
            options.Reactor.StallThreshold = TimeSpan.Parse(stall, CultureInfo.InvariantCulture);
        }
        if (reactor["MinThreads"] is { Length: > 0 } min)
        {
            options.Reactor.MinThreads = int.Parse(min, CultureInfo.InvariantCulture);
        }
        if (reactor["MaxThreads"] is { Length: > 0 } max)
        {
            options.Reactor.MaxThreads = int.Parse(max, CultureInfo.InvariantCulture);
        }
        if (reactor["DebugDeferreds"] is { Length: > 0 } debug)
        {
            options.Reactor.DebugDeferreds = bool.Parse(debug);
        }
        if (reactor["SpinBeforeSleep"] is { Length: > 0 } spin)
        {
            options.Reactor.SpinBeforeSleep = Enum.Parse<SpinPolicy>(spin, ignoreCase: true);
        }
    }
}

/// <summary>One service to add to the tree, in registration order.</summary>
internal sealed class AsyncCoreServiceRegistration(Func<IServiceProvider, IService> create)
{
    public Func<IServiceProvider, IService> Create { get; } = create;
}
