namespace AsyncCore;

/// <summary>
/// What reached a stage added with <c>AddBoth</c>: either a value or a <see cref="AsyncCore.Failure"/>
/// (Twisted passes "the result or the failure" to such a function).
/// </summary>
/// <typeparam name="T">The type of the value.</typeparam>
public readonly struct Outcome<T> : IEquatable<Outcome<T>>
{
    private Outcome(T value, Failure? failure)
    {
        Value = value;
        Failure = failure;
    }

    /// <summary>The value, or <c>default</c> when this is a failure.</summary>
    public T Value { get; }

    /// <summary>The failure, or null when this is a value.</summary>
    public Failure? Failure { get; }

    /// <summary>True for a value, false for a failure.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>An outcome holding a value.</summary>
    public static Outcome<T> FromValue(T value) => new(value, null);

    /// <summary>An outcome holding a failure.</summary>
    public static Outcome<T> FromFailure(Failure failure) => new(default!, failure ?? throw new ArgumentNullException(nameof(failure)));

    /// <summary>Returns the value, or throws the failure's exception (with its original stack).</summary>
    public T GetValueOrThrow()
    {
        Failure?.ThrowException();
        return Value;
    }

    /// <inheritdoc />
    public bool Equals(Outcome<T> other) => EqualityComparer<T>.Default.Equals(Value, other.Value) && Equals(Failure, other.Failure);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Outcome<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Value, Failure);

    /// <summary>Compares two outcomes.</summary>
    public static bool operator ==(Outcome<T> left, Outcome<T> right) => left.Equals(right);

    /// <summary>Compares two outcomes.</summary>
    public static bool operator !=(Outcome<T> left, Outcome<T> right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => Succeeded ? $"Value({Value})" : $"Failure({Failure!.Type.Name})";
}
