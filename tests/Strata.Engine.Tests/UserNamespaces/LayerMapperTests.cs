using Strata.Engine.UserNamespaces;
using Strata.Linux;

namespace Strata.Engine.Tests.UserNamespaces;

/// <summary>The two ways a layer is seen through a mapping: an idmapped mount (nothing on disk changes) and a chowned copy (owners shifted, set-id bits kept). Root only.</summary>
public sealed class LayerMapperTests : IDisposable
{
    private static readonly ContainerUserNamespace Namespace = new("auto", [new IdMap(0, 300000, 65536)], [new IdMap(0, 400000, 65536)]);
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public void IdmappedMount_ShowsOwnersThroughTheMapping_FilesOnDiskUnchanged()
    {
        Skip.If(Sys.EffectiveUserId != 0, "idmapped mounts need root");
        var layer = Directory.CreateDirectory(_temp.Combine("layer")).FullName;
        var view = Directory.CreateDirectory(_temp.Combine("view")).FullName;
        File.WriteAllText(Path.Combine(layer, "root-file"), "x");
        File.WriteAllText(Path.Combine(layer, "user-file"), "y");
        FileMetadata.Lchown(Path.Combine(layer, "user-file"), 5, 6);

        using (var userns = UserNamespaceFile.Create(IdMap.Format(Namespace.Uids), IdMap.Format(Namespace.Gids)))
        {
            IdmappedMount.Mount(layer, view, userns);
        }
        try
        {
            var root = FileMetadata.Lstat(Path.Combine(view, "root-file"));
            var user = FileMetadata.Lstat(Path.Combine(view, "user-file"));
            Assert.Equal((300000u, 400000u), (root.Uid, root.Gid));
            Assert.Equal((300005u, 400006u), (user.Uid, user.Gid));
            Assert.Equal(0u, FileMetadata.Lstat(Path.Combine(layer, "root-file")).Uid);
        }
        finally
        {
            LinuxSyscalls.Instance.Unmount(view, detach: true);
        }
    }

    [SkippableFact]
    public void Shift_MovesOwnersIntoTheRange_UnmappedAsNobody_SetuidKept_SymlinksThemselves()
    {
        Skip.If(Sys.EffectiveUserId != 0, "chown needs root");
        var dir = Directory.CreateDirectory(_temp.Combine("copy")).FullName;
        var setuid = Path.Combine(dir, "su");
        File.WriteAllText(setuid, "x");
        File.SetUnixFileMode(setuid, (UnixFileMode)0b100_111_101_101);
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        var far = Path.Combine(dir, "sub", "far");
        File.WriteAllText(far, "y");
        FileMetadata.Lchown(far, 70000, 70000);
        var link = Path.Combine(dir, "link");
        File.CreateSymbolicLink(link, "/nonexistent");

        LayerMapper.Shift(dir, Namespace);

        var su = FileMetadata.Lstat(setuid);
        Assert.Equal((300000u, 400000u), (su.Uid, su.Gid));
        Assert.Equal(0b100_111_101_101, su.Mode & 0xFFF);
        Assert.Equal((365534u, 465534u), (FileMetadata.Lstat(far).Uid, FileMetadata.Lstat(far).Gid));
        Assert.Equal(300000u, FileMetadata.Lstat(link).Uid);
        Assert.Equal(300000u, FileMetadata.Lstat(dir).Uid);
    }
}
