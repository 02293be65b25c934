namespace Strata.Engine.Api.Types;

/// <summary>POST /containers/{id}/exec's body (moby's api/types/container.ExecOptions).</summary>
public sealed class ExecCreateRequest
{
    public string? User { get; set; }
    public bool Privileged { get; set; }
    public bool Tty { get; set; }

    /// <summary>[height, width] (API 1.42+).</summary>
    public List<uint>? ConsoleSize { get; set; }

    public bool AttachStdin { get; set; }
    public bool AttachStderr { get; set; }
    public bool AttachStdout { get; set; }
    public string? DetachKeys { get; set; }
    public List<string>? Env { get; set; }
    public string? WorkingDir { get; set; }
    public List<string>? Cmd { get; set; }
}

/// <summary>201 of exec create: moby's IDResponse.</summary>
public sealed record IdResponse(string Id);

/// <summary>POST /exec/{id}/start's body (ExecStartOptions).</summary>
public sealed class ExecStartRequest
{
    public bool Detach { get; set; }
    public bool Tty { get; set; }
    public List<uint>? ConsoleSize { get; set; }
}

/// <summary>GET /exec/{id}/json (moby's backend.ExecInspect).</summary>
public sealed class ExecInspectResponse
{
    public string ID { get; set; } = "";
    public bool Running { get; set; }

    /// <summary>null until the process has ended.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
    public int? ExitCode { get; set; }

    public ExecProcessConfig ProcessConfig { get; set; } = new();
    public bool OpenStdin { get; set; }
    public bool OpenStderr { get; set; }
    public bool OpenStdout { get; set; }
    public bool CanRemove { get; set; }
    public string ContainerID { get; set; } = "";
    public string DetachKeys { get; set; } = "";
    public int Pid { get; set; }
}

/// <summary>ExecInspect's ProcessConfig: lower-case names, as moby's ExecProcessConfig tags them.</summary>
public sealed class ExecProcessConfig
{
    [System.Text.Json.Serialization.JsonPropertyName("tty")]
    public bool Tty { get; set; }

    [System.Text.Json.Serialization.JsonPropertyName("entrypoint")]
    public string Entrypoint { get; set; } = "";

    [System.Text.Json.Serialization.JsonPropertyName("arguments")]
    public List<string> Arguments { get; set; } = [];

    [System.Text.Json.Serialization.JsonPropertyName("privileged")]
    public bool? Privileged { get; set; }

    [System.Text.Json.Serialization.JsonPropertyName("user")]
    public string? User { get; set; }
}
