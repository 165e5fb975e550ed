namespace AsyncCore.Web;

/// <summary>The <c>SameSite</c> attribute of a cookie (RFC 6265bis): when a browser sends it with requests that come from
/// another site.</summary>
public enum SameSite
{
    /// <summary>Sent with same-site requests and with top-level navigations from other sites (browsers' default).</summary>
    Lax,

    /// <summary>Sent with same-site requests only.</summary>
    Strict,

    /// <summary>Sent with every request; browsers accept it only on a <c>Secure</c> cookie.</summary>
    None,
}
