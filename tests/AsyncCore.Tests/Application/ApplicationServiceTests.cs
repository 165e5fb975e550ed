using AsyncCore.Application;

namespace AsyncCore.Tests.Application;

/// <summary>ApplicationService's process settings (Twisted's ProcessTests): umask, and user/group switches.</summary>
public class ApplicationServiceTests
{
    [Fact]
    public void Constructor_KeepsNameUidAndGid()
    {
        var app = new ApplicationService("hello", uid: 5, gid: 6);
        Assert.Equal("hello", app.Name);
        Assert.Equal(5, app.Uid);
        Assert.Equal(6, app.Gid);
        Assert.Null(app.Umask);
    }

    [Fact]
    public void Defaults_LeaveTheProcessAlone()
    {
        var app = new ApplicationService();
        Assert.Null(app.Uid);
        Assert.Null(app.Gid);
        app.ApplyUmask();
        app.ShedPrivileges();
    }

    [Fact]
    public void ApplyUmask_SetsTheProcessMask()
    {
        Assert.SkipUnless(ApplicationService.ProcessSettingsSupported, "Process settings are applied on Linux only.");
        var previous = ProcessNative.GetUmask();
        try
        {
            var wanted = previous == Convert.ToInt32("027", 8) ? Convert.ToInt32("077", 8) : Convert.ToInt32("027", 8);
            new ApplicationService { Umask = wanted }.ApplyUmask();
            Assert.Equal(wanted, ProcessNative.GetUmask());
        }
        finally
        {
            _ = ProcessNative.SetUmask(previous);
        }
    }

    [Fact]
    public void ShedPrivileges_ToTheCurrentIds_Succeeds()
    {
        Assert.SkipUnless(ApplicationService.ProcessSettingsSupported, "Process settings are applied on Linux only.");
        var app = new ApplicationService(uid: ProcessNative.CurrentUid, gid: ProcessNative.CurrentGid);
        app.ShedPrivileges();
        Assert.Equal(app.Uid, ProcessNative.CurrentUid);
    }

    [Fact]
    public void PrimaryGroupOf_Root_IsRootsGroup()
    {
        Assert.SkipUnless(ApplicationService.ProcessSettingsSupported, "Process settings are applied on Linux only.");
        Assert.Equal(0, ProcessNative.PrimaryGroupOf(0));
    }
}
