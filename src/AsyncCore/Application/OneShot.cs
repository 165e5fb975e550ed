namespace AsyncCore.Application;

/// <summary>
/// An event that happens once, success or failure, which any number of callers wait for, each with a Deferred of its
/// own (so no caller consumes another's result, and nobody waiting means no unhandled-failure report).
/// </summary>
internal sealed class OneShot
{
    private readonly List<Deferred<object?>> _waiters = [];
    private bool _happened;
    private Failure? _failure;

    public bool Happened => _happened;

    public Deferred<object?> Wait()
    {
        if (_happened)
        {
            return _failure is null ? Deferred.Succeed<object?>(null) : Deferred.Fail<object?>(_failure);
        }
        var waiter = new Deferred<object?>(d => _waiters.Remove(d));
        _waiters.Add(waiter);
        return waiter;
    }

    public void Fire(Failure? failure)
    {
        if (_happened)
        {
            return;
        }
        _happened = true;
        _failure = failure;
        var waiters = _waiters.ToArray();
        _waiters.Clear();
        foreach (var waiter in waiters)
        {
            if (failure is null)
            {
                waiter.Callback(null);
            }
            else
            {
                waiter.Errback(failure);
            }
        }
    }
}
