using System.Diagnostics.CodeAnalysis;

namespace AsyncCore;

/// <summary>
/// What reached a stage added with <c>AddBoth</c>: either a value or a <see cref="AsyncCore.Failure"/>
/// (Twisted passes "the result or the failure" to such a function).
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
public readonly struct Outcome<T> : IEquatable<Outcome<T>>
{
    private readonly T _value;

    private Outcome(T value, Failure? failure)
    {
        _value = value;
        Failure = failure;
    }

    /// <summary>The value.</summary>
    /// <exception cref="InvalidOperationException">
    /// This outcome is a failure (the failure's exception is the inner exception). A failure has no value, and a
    /// <c>default(T)</c> would pass for one; check <see cref="Succeeded"/>, or use <see cref="TryGetValue"/>.
    /// </exception>
    public T Value => Failure is null ? _value : throw new InvalidOperationException(
        "The outcome is a failure, not a value: " + Failure.GetErrorMessage(), Failure.Value);

    /// <summary>The failure, or null when this is a value.</summary>
    public Failure? Failure { get; }

    /// <summary>True for a value, false for a failure.</summary>
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Failure is null;

    /// <summary>An outcome holding a value.</summary>
    public static Outcome<T> FromValue(T value) => new(value, null);

    /// <summary>An outcome holding a failure.</summary>
    public static Outcome<T> FromFailure(Failure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return new(default!, failure); // _value is never read when Failure is set
    }

    /// <summary>Gets the value when this outcome is one.</summary>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = _value;
        return Failure is null;
    }

    /// <summary>Returns the value, or throws the failure's exception (with its original stack).</summary>
    public T GetValueOrThrow()
    {
        Failure?.ThrowException();
        return _value;
    }

    /// <inheritdoc />
    public bool Equals(Outcome<T> other) => EqualityComparer<T>.Default.Equals(_value, other._value) && Equals(Failure, other.Failure);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Outcome<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_value, Failure);

    /// <summary>Compares two outcomes.</summary>
    public static bool operator ==(Outcome<T> left, Outcome<T> right) => left.Equals(right);

    /// <summary>Compares two outcomes.</summary>
    public static bool operator !=(Outcome<T> left, Outcome<T> right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => Succeeded ? $"Value({_value})" : $"Failure({Failure!.Type.Name})";
}
