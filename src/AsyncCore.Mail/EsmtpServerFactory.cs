using System.Net;
using AsyncCore.Protocols;

namespace AsyncCore.Mail;

/// <summary>
/// Builds an <see cref="EsmtpServer"/> per connection, all delivering to one <see cref="IMailDelivery"/> (Twisted's
/// <c>smtp.SMTPFactory</c> with an <c>IMessageDelivery</c>).
/// </summary>
public class EsmtpServerFactory : ServerFactory
{
    /// <summary>Creates the factory.</summary>
    /// <param name="clock">The reactor (for the idle timeout).</param>
    /// <param name="delivery">Accepts senders, recipients and messages.</param>
    /// <param name="options">Limits and names; defaults when null.</param>
    public EsmtpServerFactory(IReactorTime clock, IMailDelivery delivery, EsmtpServerOptions? options = null)
    {
        Clock = clock ?? throw new ArgumentNullException(nameof(clock));
        Delivery = delivery ?? throw new ArgumentNullException(nameof(delivery));
        Options = options ?? new EsmtpServerOptions();
    }

    /// <summary>The clock of the idle timeouts.</summary>
    public IReactorTime Clock { get; }

    /// <summary>Where messages go.</summary>
    public IMailDelivery Delivery { get; }

    /// <summary>The settings every connection uses.</summary>
    public EsmtpServerOptions Options { get; }

    /// <inheritdoc />
    public override IProtocol? BuildProtocol(EndPoint? address) => new EsmtpServer(Clock, Delivery, Options) { Factory = this };
}
