using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace AsyncCore.Web;

/// <summary>Finds which render methods a resource type overrides, for the <c>Allow</c> header (Twisted looks for
/// <c>render_*</c> attributes the same way).</summary>
internal static class ResourceMethods
{
    private static readonly string[] s_methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

    public static string FindAllowed([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.NonPublicMethods)] Type type)
    {
        var allowed = new List<string>();
        foreach (var method in s_methods)
        {
            var name = "Render" + method[0] + method[1..].ToLowerInvariant();
            var overridden = type.GetMethod(name, BindingFlags.Instance | BindingFlags.NonPublic, [typeof(Request)])?.DeclaringType != typeof(Resource);
            if (overridden || (method == "HEAD" && allowed.Contains("GET")))
            {
                allowed.Add(method);
            }
        }
        return string.Join(", ", allowed);
    }
}
