using System.Runtime.CompilerServices;

namespace AsyncCore.Enterprise;

/// <summary>
/// Collects items one at a time into an array of exactly their number. The first 16 wait in the struct itself (on the
/// caller's stack), later ones in a list, so a result of a few rows costs one array of the right size instead of a
/// list and the arrays it outgrows (4, 8 and 16 for 10 rows: about three times the memory their references need).
/// </summary>
internal struct ExactArrayBuilder<T>
{
    private const int InlineCapacity = 16;

    private Inline _inline;
    private List<T>? _overflow;
    private int _count;

    public void Add(T item)
    {
        if (_count < InlineCapacity)
        {
            _inline[_count] = item;
        }
        else
        {
            (_overflow ??= new List<T>(InlineCapacity)).Add(item);
        }
        _count++;
    }

    public readonly T[] ToArray()
    {
        if (_count == 0)
        {
            return [];
        }
        var items = new T[_count];
        ReadOnlySpan<T> inline = _inline;
        inline[..Math.Min(_count, InlineCapacity)].CopyTo(items);
        _overflow?.CopyTo(items, InlineCapacity);
        return items;
    }

    [InlineArray(InlineCapacity)]
    private struct Inline
    {
        private T _item;
    }
}
