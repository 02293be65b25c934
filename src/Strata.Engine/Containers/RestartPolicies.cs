namespace Strata.Engine.Containers;

/// <summary>What the restart manager decided after an exit.</summary>
/// <param name="Restart">Whether to start the container again.</param>
/// <param name="Delay">How long to wait first (the back-off).</param>
/// <param name="Backoff">The back-off to remember for the next exit.</param>
public readonly record struct RestartDecision(bool Restart, TimeSpan Delay, TimeSpan Backoff);

/// <summary>
/// docker's restart policies (moby restartmanager/restartmanager.go): no, always, unless-stopped,
/// on-failure[:N]. The delay starts at 100 ms and doubles on every restart up to a minute; it goes back to
/// 100 ms once the container has run for 10 s. A container stopped through the API is never restarted
/// (its restart is cancelled), whatever the policy, until it is started again.
/// </summary>
public static class RestartPolicies
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan ResetAfter = TimeSpan.FromSeconds(10);

    public static void Validate(RestartPolicy? policy, bool autoRemove)
    {
        var name = policy?.Name ?? "";
        if (name is not ("" or "no" or "always" or "unless-stopped" or "on-failure"))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid restart policy: unknown policy '{name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
        }
        if (policy is { MaximumRetryCount: < 0 })
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "invalid restart policy: maximum retry count cannot be negative");
        }
        if (policy is { MaximumRetryCount: > 0 } && name != "on-failure")
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"invalid restart policy: maximum retry count can only be used with 'on-failure'");
        }
        if (autoRemove && name is not ("" or "no"))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, "can't create 'AutoRemove' container with restart policy");
        }
    }

    /// <param name="backoff">The back-off after the previous restart (zero before the first).</param>
    /// <param name="restartCount">Restarts so far (on-failure's limit counts them).</param>
    /// <param name="manuallyStopped">Stopped through the API (or the daemon shutting down).</param>
    /// <param name="ranFor">How long this run lasted.</param>
    public static RestartDecision Decide(RestartPolicy? policy, int exitCode, bool manuallyStopped, TimeSpan ranFor, TimeSpan backoff, int restartCount)
    {
        var name = policy?.Name ?? "";
        if (name is "" or "no")
        {
            return new RestartDecision(false, TimeSpan.Zero, backoff);
        }
        if (ranFor >= ResetAfter)
        {
            backoff = TimeSpan.Zero;
        }
        backoff = backoff == TimeSpan.Zero ? InitialBackoff : backoff < MaxBackoff ? backoff * 2 : backoff;
        if (backoff > MaxBackoff)
        {
            backoff = MaxBackoff;
        }
        var restart = !manuallyStopped && name switch
        {
            "always" => true,
            "unless-stopped" => true,
            "on-failure" => exitCode != 0 && (policy!.MaximumRetryCount == 0 || restartCount < policy.MaximumRetryCount),
            _ => false,
        };
        return new RestartDecision(restart, restart ? backoff : TimeSpan.Zero, backoff);
    }

    /// <summary>At daemon start, for a container that is not running: always restarts it, unless-stopped unless it was stopped (moby's container.ShouldRestart at restore).</summary>
    public static bool RestartsAtDaemonStart(RestartPolicy? policy, int exitCode, bool manuallyStopped, int restartCount) => (policy?.Name ?? "") switch
    {
        "always" => true,
        "unless-stopped" => !manuallyStopped,
        "on-failure" => !manuallyStopped && exitCode != 0 && (policy!.MaximumRetryCount == 0 || restartCount < policy.MaximumRetryCount),
        _ => false,
    };
}
