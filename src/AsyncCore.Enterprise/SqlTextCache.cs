namespace AsyncCore.Enterprise;

/// <summary>
/// The lexed form of the SQL texts a pool runs, least recently used first out: a program that builds its SQL with the
/// values inside (unwise, but common) must not grow the cache without bound. Shared by the pool's workers.
/// </summary>
internal sealed class SqlTextCache(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Sql, SqlText Text)>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Sql, SqlText Text)> _order = new();

    /// <summary>The most texts kept.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>How many texts are kept now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _map.Count;
            }
        }
    }

    /// <summary>The lexed form of <paramref name="sql"/>, from the cache or made by <paramref name="parse"/> (outside the lock).</summary>
    public SqlText GetOrAdd<TState>(string sql, Func<string, TState, SqlText> parse, TState state)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(sql, out var node))
            {
                if (node != _order.First)
                {
                    _order.Remove(node);
                    _order.AddFirst(node);
                }
                return node.Value.Text;
            }
        }
        // A text that does not lex (mixed placeholders) throws here and is not cached.
        var text = parse(sql, state);
        lock (_gate)
        {
            if (!_map.ContainsKey(sql))
            {
                _map[sql] = _order.AddFirst((sql, text));
                if (_map.Count > Capacity)
                {
                    var last = _order.Last!;
                    _order.RemoveLast();
                    _map.Remove(last.Value.Sql);
                }
            }
        }
        return text;
    }

    /// <summary>Forgets every text.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _map.Clear();
            _order.Clear();
        }
    }
}
