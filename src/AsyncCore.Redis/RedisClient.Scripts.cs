using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace AsyncCore.Redis;

// Lua scripts by SHA1: SCRIPT LOAD once, EVALSHA afterwards, loaded again when the server has forgotten them.
public sealed partial class RedisClient
{
    // Reactor thread only. The SHA1 of each script used with EvaluateCached, and the scripts this client has loaded or
    // is loading: an EVALSHA sent after a SCRIPT LOAD still in flight reaches the server after it (one connection, in
    // order), so concurrent first calls share one load.
    private readonly Dictionary<string, string> _scriptShas = new(StringComparer.Ordinal);
    private readonly HashSet<string> _loadedScripts = new(StringComparer.Ordinal);

    internal int ScriptLoads { get; private set; }

    /// <summary>SCRIPT LOAD: stores <paramref name="script"/> on the server; fires with its SHA1 (40 hex digits) for <see cref="EvaluateSha"/>.</summary>
    public Deferred<string> ScriptLoad(string script)
    {
        ArgumentException.ThrowIfNullOrEmpty(script);
        return Track(db => db.ExecuteAsync("SCRIPT", "LOAD", script), static r => (string)r!);
    }

    /// <summary>
    /// EVALSHA: runs the script the server stored under <paramref name="sha1"/> (from <see cref="ScriptLoad"/>). Fails
    /// with a <see cref="RedisServerException"/> starting with NOSCRIPT when the server does not have it (after a restart
    /// or SCRIPT FLUSH); <see cref="EvaluateCached"/> handles that by itself.
    /// </summary>
    public Deferred<RedisResult> EvaluateSha(string sha1, RedisKey[]? keys = null, RedisValue[]? values = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(sha1);
        var hash = Convert.FromHexString(sha1);
        return Track(db => db.ScriptEvaluateAsync(hash, keys, values));
    }

    /// <summary>
    /// Runs <paramref name="script"/> by its SHA1 with this client's script cache: the first call sends SCRIPT LOAD and
    /// EVALSHA together (pipelined, so the call keeps its place in the reply order), later calls (even those issued
    /// before the load is answered) send EVALSHA alone, and
    /// when the server answers NOSCRIPT (it restarted, or SCRIPT FLUSH ran) the script is loaded again and run once more.
    /// A script that does not compile fails with the server's error.
    /// </summary>
    public Deferred<RedisResult> EvaluateCached(string script, RedisKey[]? keys = null, RedisValue[]? values = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(script);
        if (!_scriptShas.TryGetValue(script, out var sha1))
        {
            sha1 = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(script)));
            _scriptShas.Add(script, sha1);
        }
        Deferred<object?>? loading = null;
        if (!_loadedScripts.Contains(script))
        {
            loading = LoadForCache(script);
        }
        return RunCached(script, sha1, loading, EvaluateSha(sha1, keys, values), keys, values);
    }

    // The load's outcome as a value (its error would otherwise be reported as unhandled when EVALSHA is what fails).
    private Deferred<object?> LoadForCache(string script)
    {
        ScriptLoads++;
        _loadedScripts.Add(script);
        return ScriptLoad(script).AddCallbacks<object?>(
            static _ => null,
            failure =>
            {
                _loadedScripts.Remove(script);
                return failure.Value;
            });
    }

    private async Deferred<RedisResult> RunCached(
        string script, string sha1, Deferred<object?>? loading, Deferred<RedisResult> running, RedisKey[]? keys, RedisValue[]? values)
    {
        var loadError = loading is null ? null : await loading as Exception;
        try
        {
            return await running;
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            if (loadError is not null)
            {
                // The script did not compile: that, not NOSCRIPT, is the caller's error.
                throw loadError;
            }
        }
        // The server lost the script: load it again, then run it.
        _loadedScripts.Remove(script);
        loadError = await LoadForCache(script) as Exception;
        if (loadError is not null)
        {
            throw loadError;
        }
        return await EvaluateSha(sha1, keys, values);
    }
}
