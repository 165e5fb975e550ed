// Not generated code (files named *.g.cs are skipped by analyzers): the snippets must face the analyzers a user runs.
// The MSBuild task (compiled by RoslynCodeTaskFactory) that turns the Markdown snippets into C# files.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class ExtractSnippets : Task
{
    private static readonly Regex UsingDirective = new(@"^using\s+(static\s+)?[\w.]+(\s*=\s*[\w.<>, ]+)?\s*;\s*(//.*)?$");
    private static readonly Regex TypeDeclaration = new(@"^(\[.*\]\s*)?((public|internal|sealed|abstract|static|partial|file|readonly)\s+)*(class|record|struct|interface|enum)\s");

    [Required] public ITaskItem[] Sources { get; set; } = new ITaskItem[0];
    [Required] public string Root { get; set; } = "";
    [Required] public string OutputDirectory { get; set; } = "";
    [Output] public ITaskItem[] Generated { get; set; } = new ITaskItem[0];

    public override bool Execute()
    {
        Directory.CreateDirectory(OutputDirectory);
        foreach (var stale in Directory.GetFiles(OutputDirectory, "*.cs"))
        {
            File.Delete(stale);
        }
        var manifest = new List<string>();
        foreach (var source in Sources.Select(s => s.GetMetadata("FullPath")).OrderBy(p => p, StringComparer.Ordinal))
        {
            var relative = source.Substring(Path.GetFullPath(Root).TrimEnd('/', '\\').Length + 1).Replace('\\', '/');
            var lines = File.ReadAllLines(source);
            var index = 0;
            for (var i = 0; i < lines.Length; i++)
            {
                var fence = lines[i].Trim();
                if (!fence.StartsWith("```csharp", StringComparison.Ordinal))
                {
                    continue;
                }
                var start = i + 1;
                var end = start;
                while (end < lines.Length && lines[end].Trim() != "```")
                {
                    end++;
                }
                index++;
                var id = $"{relative}#{index}";
                if (fence.Contains("fragment"))
                {
                    manifest.Add($"{id} fragment");
                }
                else
                {
                    var name = string.Concat(Regex.Split(relative.Replace(".md", ""), "[^A-Za-z0-9]+")
                        .Where(part => part.Length > 0)
                        .Select(part => char.ToUpperInvariant(part[0]) + (part.ToUpperInvariant() == part ? part.Substring(1).ToLowerInvariant() : part.Substring(1)))) + index;
                    File.WriteAllText(Path.Combine(OutputDirectory, name + ".snippet.cs"), Translate(name, relative, start + 1, lines.Skip(start).Take(end - start).ToArray()));
                    manifest.Add($"{id} {name}");
                }
                i = end;
            }
        }
        var text = new StringBuilder();
        text.AppendLine("namespace Snippets;").AppendLine();
        text.AppendLine("/// <summary>Every C# snippet found in the documentation: \"file#n Namespace\" or \"file#n fragment\".</summary>");
        text.AppendLine("public static class Manifest").AppendLine("{");
        text.AppendLine("    /// <summary>The snippets, in file and document order.</summary>");
        text.AppendLine("    public static System.Collections.Generic.IReadOnlyList<string> All { get; } =");
        text.AppendLine("    [");
        foreach (var entry in manifest)
        {
            text.AppendLine($"        \"{entry}\",");
        }
        text.AppendLine("    ];").AppendLine("}");
        File.WriteAllText(Path.Combine(OutputDirectory, "Manifest.snippet.cs"), text.ToString());
        Log.LogMessage(MessageImportance.Normal, $"Extracted {manifest.Count} snippets into {OutputDirectory}");
        return !Log.HasLoggedErrors;
    }

    /// <summary>
    /// Whether a top-level program made of these statements would be async: an <c>await</c> outside every lambda and
    /// local function body (brace depth 0, and not after the <c>=&gt;</c> of an expression-bodied local function).
    /// </summary>
    private static bool AwaitsAtTopLevel(IEnumerable<string> statements)
    {
        var depth = 0;
        foreach (var line in statements)
        {
            var code = Regex.Replace(line, "\"([^\"\\\\]|\\\\.)*\"|//.*$", "");
            var arrow = code.IndexOf("=>", StringComparison.Ordinal);
            var match = Regex.Match(code, @"\bawait\b");
            if (depth == 0 && match.Success && (arrow < 0 || match.Index < arrow))
            {
                return true;
            }
            depth += code.Count(c => c == '{') - code.Count(c => c == '}');
        }
        return false;
    }

    private static string Translate(string name, string file, int firstLine, string[] body)
    {
        var usings = new List<string>();
        var statements = new List<string>();
        var types = new List<string>();
        var inTypes = false;
        var leading = true;
        foreach (var line in body)
        {
            if (leading && (UsingDirective.IsMatch(line) || line.Trim().Length == 0) && !inTypes)
            {
                if (line.Trim().Length > 0)
                {
                    usings.Add(line);
                }
                continue;
            }
            leading = false;
            inTypes |= TypeDeclaration.IsMatch(line);
            (inTypes ? types : statements).Add(line);
        }
        var code = new StringBuilder();
        code.AppendLine($"// From {file}, line {firstLine}. Generated: edit the Markdown, not this file.");
        code.AppendLine("#line default");
        foreach (var directive in usings)
        {
            code.AppendLine(directive);
        }
        code.AppendLine().AppendLine($"namespace Snippets.{name};").AppendLine();
        if (statements.Any(s => s.Trim().Length > 0))
        {
            var awaits = AwaitsAtTopLevel(statements);
            code.AppendLine("/// <summary>The snippet's statements, as the body of a top-level program.</summary>");
            code.AppendLine("public static class Program").AppendLine("{");
            code.AppendLine("    /// <summary>Runs the snippet.</summary>");
            // A top-level "return value;" (at column 0) makes the program return an exit code.
            var exitCode = statements.Any(s => Regex.IsMatch(s, @"^return\s+[^;\s]"));
            var result = exitCode ? (awaits ? "System.Threading.Tasks.Task<int>" : "int") : (awaits ? "System.Threading.Tasks.Task" : "void");
            code.AppendLine($"    public static {(awaits ? "async " : "")}{result} {(awaits ? "RunAsync" : "Run")}()");
            code.AppendLine("    {");
            // A snippet may show a function without calling it; pasted into a class it would be a method, not an unused local.
            code.AppendLine("#pragma warning disable CS8321");
            foreach (var line in statements)
            {
                code.AppendLine(line.Length == 0 ? "" : "        " + line);
            }
            code.AppendLine("    }").AppendLine("}");
        }
        foreach (var line in types)
        {
            code.AppendLine(line);
        }
        return code.ToString();
    }
}
