namespace Strata.Runtime.Lifecycle;

/// <summary>
/// One way for create to come by the container's init and the channel to it: adopt the init the native stage
/// pre-forked (<see cref="PreforkedInit"/>), have the zygote's stage 0 fork it (<see cref="ZygoteInit"/>), or
/// spawn `strata-runtime init` as stage 0 (<see cref="SpawnedInit"/>). See <see cref="Zygote"/>.
/// </summary>
internal interface IInitLauncher : IDisposable
{
    /// <summary>
    /// The init was forked before config.json was read: the per-thread namespaces are its own to make or join
    /// (<see cref="ContainerPlan.InitNamespaces"/>).
    /// </summary>
    bool Preforked { get; }

    /// <summary>The channel the request, config.json and fds go over once <see cref="Launch"/> has returned.</summary>
    Init.Channel Channel { get; }

    /// <summary>Has the init started in the namespaces of <paramref name="plan"/>; returns its pid.</summary>
    int Launch(ContainerPlan plan);

    /// <summary>
    /// Ends what <see cref="Launch"/> started and did not hand over (create failed inside it): a stage 0 still
    /// running, or an adopted init whose pid never reached the caller. The init whose pid was returned is the
    /// caller's to end.
    /// </summary>
    void Abort();
}
