namespace AsyncCore.Application;

/// <summary>
/// The base class of services (Twisted's <c>service.Service</c>): the bookkeeping of <see cref="Running"/>, the name and
/// the parent. Override <see cref="StartService"/> and <see cref="StopService"/>, calling the base methods.
/// </summary>
public class Service : IService
{
    private string? _name;

    /// <summary>Creates an unnamed service.</summary>
    public Service()
    {
    }

    /// <summary>Creates a service with a name.</summary>
    public Service(string? name) => _name = name;

    /// <inheritdoc />
    public string? Name
    {
        get => _name;
        set
        {
            if (Parent is not null)
            {
                throw new InvalidOperationException("Cannot change the name of a service that has a parent.");
            }
            _name = value;
        }
    }

    /// <inheritdoc />
    public bool Running { get; protected set; }

    /// <inheritdoc />
    public IServiceParent? Parent { get; private set; }

    /// <inheritdoc />
    public void SetServiceParent(IServiceParent parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (ReferenceEquals(Parent, parent) && parent.Contains(this))
        {
            return;
        }
        if (Parent is not null)
        {
            _ = DisownServiceParent();
        }
        // The parent is set first: the container's AddService recognises the call from here by it.
        Parent = parent;
        try
        {
            parent.AddService(this);
        }
        catch
        {
            Parent = null;
            throw;
        }
    }

    /// <inheritdoc />
    public Deferred? DisownServiceParent()
    {
        var parent = Parent ?? throw new InvalidOperationException("The service has no parent.");
        // Cleared first: the container's RemoveService recognises the call from here by it.
        Parent = null;
        return parent.RemoveService(this);
    }

    /// <inheritdoc />
    public virtual void PrivilegedStartService()
    {
    }

    /// <inheritdoc />
    public virtual void StartService() => Running = true;

    /// <inheritdoc />
    public virtual Deferred? StopService()
    {
        Running = false;
        return null;
    }

    /// <summary>The type and the name, for logs.</summary>
    public override string ToString() => _name is null ? GetType().Name : $"{GetType().Name} '{_name}'";
}
