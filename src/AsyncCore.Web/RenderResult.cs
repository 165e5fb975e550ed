using System.Text;

namespace AsyncCore.Web;

/// <summary>
/// What a render method returns: the whole body at once (a string, written as UTF-8, or bytes), a Deferred of the
/// body (an <c>async Deferred&lt;string&gt;</c> method converts implicitly), or <see cref="NotDoneYet"/> when the
/// method keeps the <see cref="Request"/> and calls <see cref="Request.Finish"/> itself later (Twisted's
/// <c>NOT_DONE_YET</c>).
/// </summary>
public readonly struct RenderResult
{
    private RenderResult(byte[]? body, Deferred<byte[]>? later, bool notDoneYet)
    {
        Body = body;
        Later = later;
        IsNotDoneYet = notDoneYet;
    }

    /// <summary>The request stays open; the render method (or what it started) writes and finishes it.</summary>
    public static RenderResult NotDoneYet { get; } = new(null, null, notDoneYet: true);

    /// <summary>The whole body, when it was given at once.</summary>
    public byte[]? Body { get; }

    /// <summary>The body to come, when a Deferred was given.</summary>
    public Deferred<byte[]>? Later { get; }

    /// <summary>True for <see cref="NotDoneYet"/>.</summary>
    public bool IsNotDoneYet { get; }

    /// <summary>The whole body as bytes.</summary>
    public static RenderResult FromBytes(byte[] body) => new(body ?? throw new ArgumentNullException(nameof(body)), null, false);

    /// <summary>The whole body as text, written as UTF-8.</summary>
    public static RenderResult FromString(string body) => FromBytes(Encoding.UTF8.GetBytes(body ?? throw new ArgumentNullException(nameof(body))));

    /// <summary>A body that a Deferred delivers; a failure answers 500. The Deferred is cancelled if the client goes
    /// away before it fires (an <c>async Deferred</c> method then sees the Deferred it awaits cancelled).</summary>
    public static RenderResult FromDeferred(Deferred<byte[]> later) => new(null, later ?? throw new ArgumentNullException(nameof(later)), false);

    /// <summary>A text body that a Deferred delivers, written as UTF-8; a failure answers 500.</summary>
    public static RenderResult FromDeferred(Deferred<string> later)
    {
        ArgumentNullException.ThrowIfNull(later);
        // Cancelling the body (the client went away) cancels the render it comes from.
        var bytes = new Deferred<byte[]>(_ => later.Cancel());
        later.AddBoth(outcome =>
        {
            if (outcome.Failure is { } failure)
            {
                bytes.Errback(failure);
            }
            else
            {
                bytes.Callback(Encoding.UTF8.GetBytes(outcome.Value ?? ""));
            }
            return true;
        });
        return FromDeferred(bytes);
    }

    /// <summary>Converts a whole text body.</summary>
    public static implicit operator RenderResult(string body) => FromString(body);

    /// <summary>Converts a whole body.</summary>
    public static implicit operator RenderResult(byte[] body) => FromBytes(body);

    /// <summary>Converts a Deferred text body.</summary>
    public static implicit operator RenderResult(Deferred<string> later) => FromDeferred(later);

    /// <summary>Converts a Deferred body.</summary>
    public static implicit operator RenderResult(Deferred<byte[]> later) => FromDeferred(later);
}
