using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using AsyncCore.Endpoints;
using AsyncCore.Protocols;
using AsyncCore.Transports;

namespace AsyncCore.Tests.Transports;

/// <summary>
/// The PID lock file of a UNIX socket (Twisted's <c>FilesystemLock</c>, test_lockfile.py, and <c>listenUNIX(wantPID=1)</c>,
/// test_unix.py): <c>PATH.lock</c> is a symbolic link to the owner's process id.
/// </summary>
public sealed class UnixLockFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("asynccore-lock-").FullName;
    private readonly RunningReactor _net = new();

    public void Dispose()
    {
        RequireUnix();
        _net.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    // Lock files are symbolic links (Windows allows them only with a privilege) and the tests start `true` and `sleep`.
    private static void RequireUnix() => Assert.SkipWhen(OperatingSystem.IsWindows(), "PID lock files are tested on Unix.");

    private static string Pid(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    /// <summary>The id of a process that has exited (and was reaped): a lock pointing to it is stale.</summary>
    private static int DeadPid()
    {
        using var child = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        child.WaitForExit();
        return child.Id;
    }

    /// <summary>Leaves a socket file nobody listens on at <paramref name="path"/>, as a crashed server does.</summary>
    private static void LeaveStaleSocketFile(string path)
    {
        // .NET removes the file of a bound socket when the socket is disposed: bind elsewhere and move the file.
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path + ".tmp"));
        File.Move(path + ".tmp", path);
    }

    // ---- FilesystemLock ----

    [Fact]
    public void Lock_Free_CreatesALinkToThisProcessAndIsClean()
    {
        RequireUnix();
        var name = Path.Combine(_dir, "free.lock");
        var fileLock = new FilesystemLock(name);
        Assert.True(fileLock.Lock());
        Assert.True(fileLock.Locked);
        Assert.True(fileLock.Clean);
        Assert.Equal(Pid(Environment.ProcessId), new FileInfo(name).LinkTarget);
        fileLock.Unlock();
        Assert.False(fileLock.Locked);
        Assert.False(new FileInfo(name).Exists);
    }

    [Fact]
    public void Lock_HeldByThisLiveProcess_IsRefused()
    {
        RequireUnix();
        var name = Path.Combine(_dir, "held.lock");
        File.CreateSymbolicLink(name, Pid(Environment.ProcessId));
        Assert.False(new FilesystemLock(name).Lock());
        Assert.True(FilesystemLock.IsLocked(name));
        Assert.Equal(Pid(Environment.ProcessId), new FileInfo(name).LinkTarget);
    }

    [Fact]
    public void Lock_HeldByALiveChildProcess_IsRefused()
    {
        RequireUnix();
        using var child = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            var name = Path.Combine(_dir, "child.lock");
            File.CreateSymbolicLink(name, Pid(child.Id));
            Assert.False(new FilesystemLock(name).Lock());
            Assert.Equal(Pid(child.Id), new FileInfo(name).LinkTarget);
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }

    [Fact]
    public void Lock_StaleLockOfADeadProcess_IsTakenOverAndNotClean()
    {
        RequireUnix();
        var name = Path.Combine(_dir, "stale.lock");
        File.CreateSymbolicLink(name, Pid(DeadPid()));
        var fileLock = new FilesystemLock(name);
        Assert.True(fileLock.Lock());
        Assert.False(fileLock.Clean);
        Assert.Equal(Pid(Environment.ProcessId), new FileInfo(name).LinkTarget);
        fileLock.Unlock();
        Assert.False(FilesystemLock.IsLocked(name));
    }

    [Fact]
    public void Lock_NameIsARegularFile_ThrowsIOException()
    {
        RequireUnix();
        var name = Path.Combine(_dir, "regular.lock");
        File.WriteAllText(name, "not a lock");
        Assert.Throws<IOException>(() => new FilesystemLock(name).Lock());
    }

    [Fact]
    public void Unlock_LockOfAnotherProcess_Throws()
    {
        RequireUnix();
        var name = Path.Combine(_dir, "other.lock");
        File.CreateSymbolicLink(name, Pid(DeadPid()));
        Assert.Throws<InvalidOperationException>(new FilesystemLock(name).Unlock);
        Assert.NotNull(new FileInfo(name).LinkTarget);
    }

    // ---- listenUNIX(wantPID) and the endpoint strings ----

    private Task<IListeningPort> Listen(string description) =>
        _net.Call(() => Endpoint.ServerFromString(_net.Reactor, description).Listen(new ServerFactory(() => new EchoProtocol())));

    private Task<IProtocol> Connect(string description) =>
        _net.Call(() => Endpoint.ClientFromString(_net.Reactor, description).Connect(new Factory(() => new CollectingProtocol())));

    [Fact]
    public async Task ListenUnix_Lockfile1_HoldsTheLockUntilStopListening()
    {
        RequireUnix();
        var path = Path.Combine(_dir, "held.sock");
        var port = await Listen($"unix:{path}:lockfile=1");
        Assert.Equal(Pid(Environment.ProcessId), new FileInfo(path + ".lock").LinkTarget);

        // A client with lockfile=1 connects only to a server whose lock is held by a live process.
        var client = await Connect($"unix:path={path}:lockfile=1");
        Assert.IsType<CollectingProtocol>(client);

        await _net.Call(port.StopListening);
        Assert.False(new FileInfo(path + ".lock").Exists);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task ListenUnix_LockHeldByALiveProcess_FailsWithCannotListen()
    {
        RequireUnix();
        var path = Path.Combine(_dir, "taken.sock");
        var first = await Listen($"unix:{path}:lockfile=1");
        var error = await Assert.ThrowsAsync<CannotListenException>(() => Listen($"unix:{path}:lockfile=1"));
        Assert.Contains("Cannot acquire lock", error.Message, StringComparison.Ordinal);
        // The refused listen left the first port's lock and socket alone.
        Assert.Equal(Pid(Environment.ProcessId), new FileInfo(path + ".lock").LinkTarget);
        Assert.True(File.Exists(path));
        await _net.Call(first.StopListening);
    }

    [Fact]
    public async Task ListenUnix_StaleLockAndSocketFile_TakesOverAndListens()
    {
        RequireUnix();
        var path = Path.Combine(_dir, "stale.sock");
        LeaveStaleSocketFile(path);
        File.CreateSymbolicLink(path + ".lock", Pid(DeadPid()));
        // Without the lock the stale socket file is in the way.
        await Assert.ThrowsAsync<CannotListenException>(() => Listen($"unix:{path}:lockfile=0"));

        var port = await Listen($"unix:{path}");
        Assert.Equal(Pid(Environment.ProcessId), new FileInfo(path + ".lock").LinkTarget);
        var client = await Connect($"unix:{path}");
        Assert.NotNull(client);
        await _net.Call(port.StopListening);
        Assert.False(new FileInfo(path + ".lock").Exists);
    }

    [Fact]
    public async Task ListenUnix_StaleLockOverARegularFile_DoesNotRemoveTheFile()
    {
        RequireUnix();
        var path = Path.Combine(_dir, "regular.sock");
        File.WriteAllText(path, "keep me");
        File.CreateSymbolicLink(path + ".lock", Pid(DeadPid()));
        await Assert.ThrowsAsync<CannotListenException>(() => Listen($"unix:{path}:lockfile=1"));
        Assert.Equal("keep me", File.ReadAllText(path));
        // A failed bind releases the lock it took.
        Assert.False(new FileInfo(path + ".lock").Exists);
    }

    [Fact]
    public async Task ConnectUnix_Lockfile1WithoutALiveLock_FailsToConnect()
    {
        RequireUnix();
        var path = Path.Combine(_dir, "unlocked.sock");
        var port = await Listen($"unix:{path}:lockfile=0");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Connect($"unix:{path}:lockfile=1"));
        Assert.IsType<ConnectException>(error, exactMatch: false);
        await _net.Call(port.StopListening);
    }
}
