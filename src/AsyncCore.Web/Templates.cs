using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Fluid;
using Microsoft.Extensions.FileProviders;

namespace AsyncCore.Web;

/// <summary>
/// Liquid templates kept as files in a directory, rendered with Fluid (the seed's Jinja2 role): each file is parsed once
/// and kept, parsed again when it changes on disk, and rendered with everything it prints HTML-escaped unless the
/// template says <c>| raw</c>.
/// </summary>
/// <example>
/// <code>
/// var templates = new Templates("templates");   // templates/page.liquid: &lt;h1&gt;{{ title }}&lt;/h1&gt;
/// protected override RenderResult RenderGet(Request request) =&gt;
///     templates.Render("page", new Dictionary&lt;string, object?&gt; { ["title"] = request.GetArg("q") });
/// </code>
/// </example>
/// <remarks>
/// <para>A model's public properties and fields are readable from the template by name (a dictionary's keys, a
/// <c>JsonObject</c>'s members, a class's properties, through reflection unless options made with Fluid's source
/// generator are given). <c>{% include 'name' %}</c> and <c>{% render 'name' %}</c> read other files of the
/// directory; names are resolved inside it only.</para>
/// <para>Rendering runs on the calling thread, the reactor's in a render method: the first use of a template, and the
/// first after it changed, reads its file there (a small read); <see cref="Preload"/> reads them all at start.
/// Checking for a change costs one <c>stat</c> per render.</para>
/// </remarks>
public sealed class Templates
{
    private static readonly FluidParser s_parser = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset Modified, IFluidTemplate Template)> _cache = new(StringComparer.Ordinal);
    private readonly PhysicalFileProvider _files;
    private readonly TemplateOptions _options;

    /// <summary>Loads templates from <paramref name="directory"/>.</summary>
    /// <param name="directory">Where the template files are.</param>
    /// <param name="options">Fluid's options (filters, culture, limits, member access); a file provider on
    /// <paramref name="directory"/> is added for <c>include</c> and <c>render</c> unless they have one, and the
    /// <c>.liquid</c> extension unless they name one.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public Templates(string directory, TemplateOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = System.IO.Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(Directory))
        {
            throw new DirectoryNotFoundException($"No template directory at {Directory}.");
        }
        _files = new PhysicalFileProvider(Directory);
        var builder = (options ?? new TemplateOptionsBuilder().Build()).ToBuilder();
        if (options?.FileProvider is null)
        {
            builder.WithFileProvider(new FileProviderTemplateFileProvider(_files));
        }
        if (string.IsNullOrEmpty(options?.DefaultFileExtension))
        {
            builder.WithDefaultFileExtension(".liquid");
        }
        _options = builder.Build();
    }

    /// <summary>The directory of the template files.</summary>
    public string Directory { get; }

    /// <summary>The extension added to a name that has none: the options' <c>DefaultFileExtension</c>, else
    /// <c>.liquid</c>.</summary>
    public string DefaultExtension => _options.DefaultFileExtension;

    /// <summary>
    /// How printed values are escaped: HTML (<c>&lt; &gt; &amp; " '</c>, non-ASCII letters kept as they are) by default;
    /// <see cref="NullEncoder.Default"/> for templates of plain text.
    /// </summary>
    public TextEncoder Encoder { get; init; } = HtmlEncoder.Create(UnicodeRanges.All);

    /// <summary>Renders the template <paramref name="name"/> (relative to <see cref="Directory"/>, extension optional)
    /// with <paramref name="model"/>'s members as its variables.</summary>
    /// <exception cref="FileNotFoundException">No such template in the directory.</exception>
    /// <exception cref="ParseException">The template is not valid Liquid (with its line and column).</exception>
    public string Render(string name, object? model = null)
    {
        var template = Get(name);
        var context = model is null ? new TemplateContext(_options, _options.ModelNamesComparer) : new TemplateContext(model, _options);
        // Fluid's synchronous Render waits on its asynchronous render, and `include` reads its file with an await. On the
        // reactor thread that await would resume through the reactor's SynchronizationContext, which is the very thread
        // waiting for it: a deadlock that silently stops the reactor. Without a context the read completes on the
        // thread pool (a short file read, like the template's own in Get).
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            return template.Render(context, Encoder, true);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>The parsed template <paramref name="name"/>, from the cache unless its file changed since.</summary>
    /// <exception cref="FileNotFoundException">No such template in the directory.</exception>
    /// <exception cref="ParseException">The template is not valid Liquid.</exception>
    public IFluidTemplate Get(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!System.IO.Path.HasExtension(name))
        {
            name += DefaultExtension;
        }
        // The provider answers "not found" for anything outside the directory (.., rooted paths).
        var file = _files.GetFileInfo(name);
        if (!file.Exists || file.IsDirectory)
        {
            throw new FileNotFoundException($"No template {name} in {Directory}.", name);
        }
        if (_cache.TryGetValue(name, out var cached) && cached.Modified == file.LastModified)
        {
            return cached.Template;
        }
        string source;
        using (var stream = file.CreateReadStream())
        using (var reader = new StreamReader(stream))
        {
            source = reader.ReadToEnd();
        }
        var template = s_parser.Parse(source);
        _cache[name] = (file.LastModified, template);
        return template;
    }

    /// <summary>Parses every template of the directory (and below) now, so no request reads a file; a template that
    /// does not parse throws here, at start.</summary>
    public void Preload()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*" + DefaultExtension, SearchOption.AllDirectories))
        {
            _ = Get(System.IO.Path.GetRelativePath(Directory, path).Replace(System.IO.Path.DirectorySeparatorChar, '/'));
        }
    }
}
