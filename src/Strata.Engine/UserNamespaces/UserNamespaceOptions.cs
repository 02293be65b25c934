namespace Strata.Engine.UserNamespaces;

/// <summary>The daemon's user namespace settings: dockerd's --userns-remap and where subordinate ids are read.</summary>
public sealed class UserNamespaceOptions
{
    public const string DefaultSubuidFile = "/etc/subuid";
    public const string DefaultSubgidFile = "/etc/subgid";

    /// <summary>podman's pool for --userns=auto: the subordinate ids of this user.</summary>
    public const string AutoUser = "containers";

    /// <summary>dockerd's user for --userns-remap default.</summary>
    public const string DefaultRemapUser = "dockremap";

    /// <summary>dockerd's --userns-remap: "default" (the user dockremap) or USER[:GROUP]; null runs containers in the host's user namespace unless they ask for one.</summary>
    public string? Remap { get; init; }

    public string SubuidFile { get; init; } = DefaultSubuidFile;

    public string SubgidFile { get; init; } = DefaultSubgidFile;

    /// <summary>
    /// How image layers are seen through a container's mapping: <see cref="LayerSharing.Auto"/> uses idmapped
    /// mounts where the kernel and filesystem allow them and chowned copies otherwise; <see cref="LayerSharing.Copy"/>
    /// always copies (to measure, or where idmapped mounts misbehave).
    /// </summary>
    public LayerSharing Layers { get; init; } = LayerSharing.Auto;
}

public enum LayerSharing
{
    Auto,
    Copy,
}
