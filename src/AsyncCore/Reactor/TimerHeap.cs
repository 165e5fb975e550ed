namespace AsyncCore.Reactor;

/// <summary>
/// An indexed binary min-heap of <see cref="DelayedCall"/>s ordered by due time, then by scheduling sequence (so calls
/// due at the same time run in the order they were scheduled). Each call knows its slot, so insert, cancel and reset are
/// O(log n) with no lazy garbage left behind.
/// </summary>
internal sealed class TimerHeap
{
    private DelayedCall[] _items = new DelayedCall[16];

    public int Count { get; private set; }

    public DelayedCall? Peek() => Count == 0 ? null : _items[0];

    public DelayedCall this[int index] => _items[index];

    public void Insert(DelayedCall call)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }
        _items[Count] = call;
        call.HeapIndex = Count;
        Count++;
        SiftUp(call.HeapIndex);
    }

    public DelayedCall Pop()
    {
        var top = _items[0];
        Count--;
        var last = _items[Count];
        _items[Count] = null!;
        if (Count > 0)
        {
            // Bottom-up (Floyd): walk the hole at the root down to a leaf along the earlier child (one comparison per
            // level), then sift the last item up from there. The last item is usually among the latest timers (timers
            // are mostly inserted in time order), so it rarely climbs: about half the comparisons of a plain sift-down.
            var index = 0;
            while (true)
            {
                var child = (index << 1) + 1;
                if (child >= Count)
                {
                    break;
                }
                var right = child + 1;
                if (right < Count && Before(_items[right], _items[child]))
                {
                    child = right;
                }
                var c = _items[child];
                _items[index] = c;
                c.HeapIndex = index;
                index = child;
            }
            _items[index] = last;
            last.HeapIndex = index;
            SiftUp(index);
        }
        top.HeapIndex = -1;
        ShrinkIfSparse();
        return top;
    }

    public void Remove(DelayedCall call)
    {
        if (call.HeapIndex >= 0)
        {
            RemoveAt(call.HeapIndex);
        }
    }

    /// <summary>Restores the heap order after <paramref name="call"/>'s time or sequence changed.</summary>
    public void Update(DelayedCall call)
    {
        var index = call.HeapIndex;
        if (index < 0)
        {
            return;
        }
        SiftUp(index);
        SiftDown(call.HeapIndex);
    }

    private void RemoveAt(int index)
    {
        var removed = _items[index];
        Count--;
        if (index != Count)
        {
            var last = _items[Count];
            _items[index] = last;
            last.HeapIndex = index;
            SiftUp(index);
            SiftDown(last.HeapIndex);
        }
        _items[Count] = null!;
        removed.HeapIndex = -1;
        ShrinkIfSparse();
    }

    private void ShrinkIfSparse()
    {
        if (_items.Length > 64 && Count < _items.Length / 4)
        {
            Array.Resize(ref _items, _items.Length / 2);
        }
    }

    private static bool Before(DelayedCall a, DelayedCall b) =>
        a.DueTicks < b.DueTicks || (a.DueTicks == b.DueTicks && a.Sequence < b.Sequence);

    private void SiftUp(int index)
    {
        var item = _items[index];
        while (index > 0)
        {
            var parent = (index - 1) >> 1;
            var p = _items[parent];
            if (!Before(item, p))
            {
                break;
            }
            _items[index] = p;
            p.HeapIndex = index;
            index = parent;
        }
        _items[index] = item;
        item.HeapIndex = index;
    }

    private void SiftDown(int index)
    {
        var item = _items[index];
        while (true)
        {
            var child = (index << 1) + 1;
            if (child >= Count)
            {
                break;
            }
            var right = child + 1;
            if (right < Count && Before(_items[right], _items[child]))
            {
                child = right;
            }
            var c = _items[child];
            if (!Before(c, item))
            {
                break;
            }
            _items[index] = c;
            c.HeapIndex = index;
            index = child;
        }
        _items[index] = item;
        item.HeapIndex = index;
    }
}
