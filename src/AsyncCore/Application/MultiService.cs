using System.Collections;

namespace AsyncCore.Application;

/// <summary>
/// A service made of services (Twisted's <c>MultiService</c>): starting it starts its children in the order they were
/// added; stopping it stops them in the reverse order and finishes when every child has finished stopping.
/// </summary>
/// <remarks>
/// No child waits for another: every child's <see cref="IService.StopService"/> is called at once (last added first), and
/// the container's Deferred fires when all of theirs have. If any child fails to stop (it throws, or its Deferred fails),
/// the others still stop and the container's Deferred fails with a <see cref="ServiceStopException"/> holding every
/// failure, where Twisted's <c>DeferredList</c> would leave them to the garbage collector's report.
/// </remarks>
public class MultiService : Service, IServiceParent
{
    private readonly List<IService> _services = [];
    private readonly Dictionary<string, IService> _named = new(StringComparer.Ordinal);

    /// <summary>Creates an unnamed container.</summary>
    public MultiService()
    {
    }

    /// <summary>Creates a container with a name.</summary>
    public MultiService(string? name) : base(name)
    {
    }

    /// <summary>The number of children.</summary>
    public int Count => _services.Count;

    /// <inheritdoc />
    public IService GetServiceNamed(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _named.TryGetValue(name, out var service)
            ? service
            : throw new KeyNotFoundException($"No child service is named '{name}'.");
    }

    /// <summary>The child named <paramref name="name"/>, if there is one.</summary>
    public bool TryGetServiceNamed(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IService? service)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _named.TryGetValue(name, out service);
    }

    /// <inheritdoc />
    public void AddService(IService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!ReferenceEquals(service.Parent, this))
        {
            // Called directly: go through the child, which sets its parent and calls back here.
            service.SetServiceParent(this);
            return;
        }
        if (_services.Contains(service))
        {
            return;
        }
        if (service.Name is { } name)
        {
            if (_named.ContainsKey(name))
            {
                throw new InvalidOperationException($"Cannot have two services with the same name '{name}'.");
            }
            _named[name] = service;
        }
        _services.Add(service);
        if (Running)
        {
            // Late, but the child gets both steps of a start, as in Twisted.
            service.PrivilegedStartService();
            service.StartService();
        }
    }

    /// <inheritdoc />
    public Deferred? RemoveService(IService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (ReferenceEquals(service.Parent, this))
        {
            // Called directly: go through the child, which clears its parent and calls back here.
            return service.DisownServiceParent();
        }
        var index = _services.IndexOf(service);
        if (index < 0)
        {
            throw new ArgumentException("The service is not a child of this container.", nameof(service));
        }
        if (service.Name is { } name && _named.TryGetValue(name, out var named) && ReferenceEquals(named, service))
        {
            _named.Remove(name);
        }
        _services.RemoveAt(index);
        // The stop's Deferred is handed back so that whoever removes a running child can wait for it.
        return Running ? service.StopService() : null;
    }

    /// <summary>Runs every child's <see cref="IService.PrivilegedStartService"/>, in order.</summary>
    public override void PrivilegedStartService()
    {
        base.PrivilegedStartService();
        foreach (var service in _services.ToArray())
        {
            service.PrivilegedStartService();
        }
    }

    /// <summary>
    /// Marks the container running and starts every child in order. A child that throws stops the loop: the exception
    /// propagates and the later children are not started (stopping the container still stops them all, as in Twisted).
    /// </summary>
    public override void StartService()
    {
        base.StartService();
        foreach (var service in _services.ToArray())
        {
            service.StartService();
        }
    }

    /// <summary>
    /// Stops every child, the last added first, without waiting between them.
    /// </summary>
    /// <returns>
    /// A Deferred that fires with null once every child's stop has finished, or fails with a
    /// <see cref="ServiceStopException"/> holding each child's failure (in stop order).
    /// </returns>
    public override Deferred<object?> StopService()
    {
        _ = base.StopService();
        var stopping = new List<(IService Service, Deferred Deferred)>();
        for (var i = _services.Count - 1; i >= 0; i--)
        {
            var service = _services[i];
            Deferred? d;
            try
            {
                d = service.StopService();
            }
            catch (Exception e)
            {
                d = Deferred.Fail<object?>(e);
            }
            if (d is not null)
            {
                stopping.Add((service, d));
            }
        }
        if (stopping.Count == 0)
        {
            return Deferred.Succeed<object?>(null);
        }
        var all = DeferredList.Create(stopping.Select(s => s.Deferred), consumeErrors: true);
        return all.AddCallback<object?>(results =>
        {
            var failures = new List<ServiceStopFailure>();
            for (var i = 0; i < results.Count; i++)
            {
                if (results[i].Failure is { } failure)
                {
                    failures.Add(new ServiceStopFailure(stopping[i].Service, failure));
                }
            }
            return failures.Count == 0 ? (object?)null : throw new ServiceStopException(failures);
        });
    }

    /// <summary>The children in the order they were added.</summary>
    public IEnumerator<IService> GetEnumerator() => _services.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
